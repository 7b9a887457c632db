using System;
using EndToEndModels;
using Xunit;

namespace SoftGen.Tests.EndToEnd;

/// <summary>PredictLogits returns the last layer's outputs, dense, before the softmax or sigmoid.</summary>
public sealed class LogitsTests
{
    [Fact]
    public void LogitsOfALinearModelAreItsBias()
    {
        float[] bias = { 3f, -1e4f, 0.5f, 7.25f };
        using var t = LossValueTests.Linear(LinearSoftmax.CreateTrainer, bias, batch: 2);
        var inputs = new float[5 * 3];
        for (int k = 0; k < inputs.Length; k++) inputs[k] = k * 0.1f - 0.7f;
        var logits = new float[5 * 4];

        t.PredictLogits(inputs, logits, 5);

        Assert.Equal(LossValueTests.Rows(bias, 5), logits);
    }

    [Fact]
    public void SoftmaxOfTheLogitsIsThePrediction()
    {
        using var t = PaddedMlp.CreateTrainer(new TrainerOptions { BatchSize = 8, Seed = 5, ThreadCount = 2 });
        const int rows = 11;
        var random = new Random(9);
        var inputs = new float[rows * PaddedMlp.InputCount];
        for (int k = 0; k < inputs.Length; k++) inputs[k] = (float)(random.NextDouble() * 4 - 2);
        var logits = new float[rows * PaddedMlp.ClassCount];
        var probabilities = new float[rows * PaddedMlp.ClassCount];

        t.PredictLogits(inputs, logits, rows);
        t.PredictProbabilities(inputs, probabilities, rows);

        for (int r = 0; r < rows; r++)
        {
            var z = logits.AsSpan(r * PaddedMlp.ClassCount, PaddedMlp.ClassCount);
            double max = double.NegativeInfinity, sum = 0;
            foreach (var v in z) max = Math.Max(max, v);
            foreach (var v in z) sum += Math.Exp(v - max);
            for (int c = 0; c < PaddedMlp.ClassCount; c++)
                Assert.Equal(Math.Exp(z[c] - max) / sum, probabilities[r * PaddedMlp.ClassCount + c], 6);
        }
    }
}
