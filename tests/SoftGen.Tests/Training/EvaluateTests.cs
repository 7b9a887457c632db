using System;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Training;

public sealed class EvaluateTests
{
    [Fact]
    public void Softmax_metrics_match_hand_computed_values()
    {
        // EchoTrainer predicts its inputs, so these rows are the probabilities; batch 2 makes Evaluate chunk 2 + 1.
        using var t = new EchoTrainer(3, LossKind.KLDivergence, batchSize: 2);
        float[] p = { 0.7f, 0.2f, 0.1f, /**/ 0.2f, 0.5f, 0.3f, /**/ 0.5f, 0.5f, 0f };
        float[] y = { 1f, 0f, 0f, /**/ 0f, 0.4f, 0.6f, /**/ 0.5f, 0f, 0.5f };
        var e = t.Evaluate(p, y);

        double floor = Math.Log(1e-30); // row 2 puts target mass where p is exactly 0
        double nll = -Math.Log(0.7) - (0.4 * Math.Log(0.5) + 0.6 * Math.Log(0.3)) - (0.5 * Math.Log(0.5) + 0.5 * floor);
        double kl = Math.Log(1 / 0.7) + (0.4 * Math.Log(0.4 / 0.5) + 0.6 * Math.Log(0.6 / 0.3)) + (0.5 * Math.Log(0.5 / 0.5) + 0.5 * (Math.Log(0.5) - floor));
        double brier = (0.09 + 0.04 + 0.01) + (0.04 + 0.01 + 0.09) + (0 + 0.25 + 0.25);

        Assert.Equal(3, e.Count);
        Assert.Equal(2.0 / 3, e.Accuracy, 12); // row 1 misses (argmax 1 vs 2); row 2 ties go to the first class on both sides
        Assert.Equal(nll / 3, e.Nll, 5);
        Assert.Equal(kl / 3, e.Kl, 5);
        Assert.Equal(brier / 3, e.Brier, 6);
    }

    [Fact]
    public void Perfect_predictions_have_zero_KL_and_Brier()
    {
        using var t = new EchoTrainer(2, LossKind.SoftmaxCrossEntropy, batchSize: 8);
        float[] p = { 0.25f, 0.75f, 1f, 0f };
        var e = t.Evaluate(p, p);
        Assert.Equal(1.0, e.Accuracy);
        Assert.Equal(0.0, e.Kl, 12);
        Assert.Equal(0.0, e.Brier, 12);
        Assert.Equal(-(0.25 * Math.Log(0.25) + 0.75 * Math.Log(0.75)) / 2, e.Nll, 7);
    }

    [Fact]
    public void Sigmoid_metrics_are_per_element_Bernoulli_means()
    {
        using var t = new EchoTrainer(2, LossKind.SigmoidCrossEntropy, batchSize: 8);
        var e = t.Evaluate(new float[] { 0.8f, 0.3f }, new float[] { 1f, 0.5f });
        Assert.Equal(1, e.Count);
        Assert.Equal(0.5, e.Accuracy); // 0.3 < 0.5 but the target 0.5 counts as positive
        double nll = -Math.Log(0.8) - (0.5 * Math.Log(0.3) + 0.5 * Math.Log(0.7));
        double kl = Math.Log(1 / 0.8) + (0.5 * Math.Log(0.5 / 0.3) + 0.5 * Math.Log(0.5 / 0.7));
        Assert.Equal(nll / 2, e.Nll, 6);
        Assert.Equal(kl / 2, e.Kl, 6);
        Assert.Equal((0.04 + 0.04) / 2, e.Brier, 6);
    }

    [Fact]
    public void Evaluate_validates_targets_like_training()
    {
        using var t = new EchoTrainer(2, LossKind.SoftmaxCrossEntropy, batchSize: 8);
        var e = Assert.Throws<ArgumentException>(() => t.Evaluate(new float[] { 0.5f, 0.5f, 0.5f, 0.5f }, new float[] { 1, 0, 0.2f, 0.2f }));
        Assert.Contains("row 1", e.Message);
        Assert.Contains("0.4", e.Message);
    }

    [Fact]
    public void PredictClasses_is_the_argmax_of_PredictProbabilities_across_chunks()
    {
        var (x, _) = Data.Make(10);
        using var t = new LinearTrainer(Data.Options(Optimizer.Adam(), batchSize: 4));
        t.SetParameter("layers.0.weight", new float[] { 1, 2, 3, -1, -2, -3 });
        var p = new float[20];
        var classes = new int[10];
        t.PredictProbabilities(x, p, 10);
        t.PredictClasses(x, classes, 10);
        Assert.Equal(4, t.LargestRows);
        int ones = 0;
        for (int r = 0; r < 10; r++)
        {
            Assert.Equal(1f, p[2 * r] + p[2 * r + 1], 6);
            Assert.Equal(p[2 * r + 1] > p[2 * r] ? 1 : 0, classes[r]);
            ones += classes[r];
        }
        Assert.InRange(ones, 1, 9);
    }
}
