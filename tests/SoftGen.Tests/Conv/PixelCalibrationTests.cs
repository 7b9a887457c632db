using System;
using SoftGen.Tests.EndToEnd;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Conv;

/// <summary>
/// Temperature scaling on per-pixel models: one T for every pixel, probabilities softmax(z / T) over the classes at
/// each pixel (sigmoid(z / T) per value), checked against a float64 re-derivation from the model's NCHW logits.
/// </summary>
public sealed class PixelCalibrationTests
{
    private const int Rows = 12;

    [Theory]
    [InlineData("PixelKl")]
    [InlineData("PixelSoftmax")]
    [InlineData("PixelSigmoid")]
    public void A_prediction_temperature_divides_the_logits_at_every_pixel(string name)
    {
        var c = ConvCases.All[name];
        var (t, x, y) = Trained(c);
        using var _ = t;
        int n = Rows * t.Model.OutputsPerRow;
        var logits = new float[n];
        t.PredictLogits(x, logits, Rows);

        t.PredictionTemperature = 2.5f;
        var p = new float[n];
        t.PredictProbabilities(x, p, Rows);
        var expected = Probabilities(logits, t.Model, 2.5);
        for (int k = 0; k < n; k++)
            Assert.True(Math.Abs(p[k] - expected[k]) < 1e-6, $"value {k}: {p[k]} vs {expected[k]}");

        // PredictTempered ignores the prediction temperature; PredictClasses keeps each pixel's argmax.
        var q = new float[n];
        t.PredictTempered(x, q, Rows, 0.5f);
        expected = Probabilities(logits, t.Model, 0.5);
        for (int k = 0; k < n; k++)
            Assert.True(Math.Abs(q[k] - expected[k]) < 1e-6, $"value {k} at T = 0.5: {q[k]} vs {expected[k]}");
        var classes = new int[Rows * t.Model.OutputPixels];
        t.PredictClasses(x, classes, Rows);
        Assert.Equal(ArgMaxPerPixel(logits, t.Model), classes);
    }

    [Theory]
    [InlineData("PixelKl")]
    [InlineData("PixelSigmoid")]
    public void Calibration_finds_the_temperature_that_minimises_the_per_pixel_nll(string name)
    {
        var c = ConvCases.All[name];
        var (t, x, y) = Trained(c);
        using var _ = t;
        var logits = new float[Rows * t.Model.OutputsPerRow];
        t.PredictLogits(x, logits, Rows);

        float fitted = t.CalibrateTemperature(x, y);
        Assert.Equal(fitted, t.PredictionTemperature);
        double best = Nll(logits, y, t.Model, fitted);
        foreach (double factor in new[] { 0.97, 1.03, 0.8, 1.25 })
            Assert.True(best <= Nll(logits, y, t.Model, fitted * factor) + 1e-9,
                $"NLL {best} at T = {fitted} is not below {Nll(logits, y, t.Model, fitted * factor)} at T = {fitted * factor}");
    }

    private static (TrainerBase Trainer, float[] X, float[] Y) Trained(ConvCase c)
    {
        var rng = new Random(17);
        var x = TestData.Inputs(rng, Rows, c.Reference.Input.Size, scale: 2);
        var y = ConvCases.Targets(rng, c.Reference, Rows);
        var t = c.Create(new TrainerOptions { BatchSize = Rows, Seed = 5, ThreadCount = 1, Optimizer = Optimizer.Adam(0.05f) });
        ConvCases.RandomizeBiases(t, c.Reference, rng);
        for (int step = 0; step < 5; step++) t.TrainStep(x, y, Rows);
        return (t, x, y);
    }

    private static int[] ArgMaxPerPixel(float[] logits, ModelInfo model)
    {
        int classes = model.Classes, pixels = model.OutputPixels;
        var best = new int[Rows * pixels];
        for (int r = 0; r < Rows; r++)
            for (int q = 0; q < pixels; q++)
            {
                int first = r * classes * pixels + q, b = 0;
                for (int k = 1; k < classes; k++)
                    if (logits[first + k * pixels] > logits[first + b * pixels]) b = k;
                best[r * pixels + q] = b;
            }
        return best;
    }

    /// <summary>NCHW probabilities at temperature T, in double: softmax over the classes of each pixel, or sigmoid per value.</summary>
    private static double[] Probabilities(float[] logits, ModelInfo model, double temperature)
    {
        int classes = model.Classes, pixels = model.OutputPixels;
        var p = new double[logits.Length];
        for (int r = 0; r < Rows; r++)
            for (int q = 0; q < pixels; q++)
            {
                int first = r * classes * pixels + q;
                if (!model.TargetsAreDistributions)
                {
                    for (int k = 0; k < classes; k++)
                        p[first + k * pixels] = 1 / (1 + Math.Exp(-logits[first + k * pixels] / temperature));
                    continue;
                }
                double max = double.NegativeInfinity, sum = 0;
                for (int k = 0; k < classes; k++) max = Math.Max(max, logits[first + k * pixels] / temperature);
                for (int k = 0; k < classes; k++) sum += Math.Exp(logits[first + k * pixels] / temperature - max);
                for (int k = 0; k < classes; k++) p[first + k * pixels] = Math.Exp(logits[first + k * pixels] / temperature - max) / sum;
            }
        return p;
    }

    /// <summary>Mean NLL per pixel (softmax: -sum y log p; sigmoid: binary cross-entropy per value, averaged over values).</summary>
    private static double Nll(float[] logits, float[] y, ModelInfo model, double temperature)
    {
        var p = Probabilities(logits, model, temperature);
        double total = 0;
        for (int k = 0; k < p.Length; k++)
            total -= model.TargetsAreDistributions
                ? (y[k] == 0 ? 0 : y[k] * Math.Log(p[k]))
                : y[k] * Math.Log(p[k]) + (1 - y[k]) * Math.Log(1 - p[k]);
        return total / (model.TargetsAreDistributions ? (double)Rows * model.OutputPixels : p.Length);
    }
}
