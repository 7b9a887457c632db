using System;
using SoftGen.Calibration;
using SoftGen.Data;
using SoftGen.Metrics;
using ToolkitModels;
using Xunit;

namespace SoftGen.Tests.Toolkit;

public sealed class CalibrationTests
{
    [Fact]
    public void Fit_finds_the_temperature_a_soft_target_implies()
    {
        // One row, logits (2, 0), target (0.75, 0.25). d NLL / d(1/T) = 2 sigmoid(2 / T) - 1.5 = 0, so
        // sigmoid(2 / T) = 0.75, 2 / T = ln 3, T = 2 / ln 3 = 1.820478...
        float t = TemperatureScaling.Fit(new[] { 2f, 0f }, new[] { 0.75f, 0.25f }, 2);
        Assert.Equal(2 / Math.Log(3), t, 2e-4);
        // Shifting a row's logits changes nothing; repeating it neither.
        t = TemperatureScaling.Fit(new[] { 7f, 5f, 7f, 5f }, new[] { 0.75f, 0.25f, 0.75f, 0.25f }, 2);
        Assert.Equal(2 / Math.Log(3), t, 2e-4);
    }

    [Fact]
    public void Fit_for_sigmoid_outputs_solves_each_elements_bernoulli_nll()
    {
        // sigmoid(3 / T) = 0.8 and sigmoid(-3 / T) = 0.2 both hold at 3 / T = ln 4, so T = 3 / ln 4 = 2.164...
        float t = TemperatureScaling.Fit(new[] { 3f, -3f }, new[] { 0.8f, 0.2f }, 1, TargetKind.PerClass);
        Assert.True(Math.Abs(t - 3 / Math.Log(4)) < 4e-4, $"T = {t}, expected {3 / Math.Log(4)}");
    }

    [Fact]
    public void Fit_stops_at_the_range_ends_when_the_optimum_lies_beyond()
    {
        // Every row right and certain: the NLL keeps falling as T falls.
        float low = TemperatureScaling.Fit(new[] { 1f, 0f, 0f, 1f }, new[] { 1f, 0f, 0f, 1f }, 2);
        Assert.Equal(TemperatureScaling.MinTemperature, low, 1e-3);
        // Targets exactly uniform: the NLL keeps falling as T grows.
        float high = TemperatureScaling.Fit(new[] { 1f, 0f }, new[] { 0.5f, 0.5f }, 2);
        Assert.Equal(TemperatureScaling.MaxTemperature, high, 0.02);
    }

    [Fact]
    public void Nll_matches_the_tests_own_double_softmax()
    {
        var z = new[] { 1.5f, -0.5f, 0.25f, 3f, 2f, -1f };
        var y = new[] { 0.2f, 0.3f, 0.5f, 1f, 0f, 0f };
        foreach (double t in new[] { 0.3, 1.0, 2.7 })
            Assert.Equal(ToolkitData.Nll(z, y, 3, t), TemperatureScaling.NegativeLogLikelihood(z, y, 3, (float)t), 1e-5);
    }

    [Fact]
    public void Calibrating_an_overconfident_model_lowers_its_nll_and_ece()
    {
        var (x, y) = ToolkitData.Blobs(600, seed: 11);
        var (vx, vy) = ToolkitData.Blobs(900, seed: 12);
        using var t = BlobMlp.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.Adam(0.01f), BatchSize = 32, Seed = 3, ThreadCount = 1 });
        t.Fit(x, y, 30);
        // Make it overconfident: logits times 4 (last layer's weight and bias).
        foreach (var name in new[] { "layers.1.weight", "layers.1.bias" })
        {
            var values = new float[name.EndsWith("weight") ? 48 : 3];
            t.GetParameter(name, values);
            for (int k = 0; k < values.Length; k++) values[k] *= 4;
            t.SetParameter(name, values);
        }

        var before = ProbabilityMetrics.Evaluate(t, vx, vy);
        var classesBefore = new int[900];
        t.PredictClasses(vx, classesBefore, 900);
        float temperature = t.CalibrateTemperature(vx, vy);
        var after = ProbabilityMetrics.Evaluate(t, vx, vy);

        Assert.Equal(temperature, t.PredictionTemperature);
        Assert.True(temperature > 2, $"T = {temperature}");
        Assert.True(after.NegativeLogLikelihood < before.NegativeLogLikelihood - 0.1,
            $"NLL {before.NegativeLogLikelihood:F4} -> {after.NegativeLogLikelihood:F4}");
        Assert.True(after.ExpectedCalibrationError < before.ExpectedCalibrationError / 2,
            $"ECE {before.ExpectedCalibrationError:F4} -> {after.ExpectedCalibrationError:F4}");
        Assert.Equal(before.Accuracy, after.Accuracy); // a temperature never changes the argmax
        var classesAfter = new int[900];
        t.PredictClasses(vx, classesAfter, 900);
        Assert.Equal(classesBefore, classesAfter);

        // The fitted T is the minimum of the test's own double NLL: a fine grid over log T does no better.
        var logits = new float[900 * 3];
        t.PredictLogits(vx, logits, 900);
        double best = double.PositiveInfinity, bestT = 0;
        for (double u = Math.Log(0.5); u < Math.Log(20); u += 1e-3)
        {
            double nll = ToolkitData.Nll(logits, vy, 3, Math.Exp(u));
            if (nll < best) (best, bestT) = (nll, Math.Exp(u));
        }
        Assert.True(Math.Abs(Math.Log(temperature / bestT)) < 2e-3, $"T = {temperature}, grid {bestT}");
        Assert.Equal(best, ToolkitData.Nll(logits, vy, 3, temperature), 1e-6);
        Assert.Equal(best, after.NegativeLogLikelihood, 1e-4); // Evaluate uses the fitted T
    }

    [Fact]
    public void Predictions_use_the_prediction_temperature()
    {
        var (x, y) = ToolkitData.Blobs(30, seed: 5);
        using var t = BlobMlp.CreateTrainer(new TrainerOptions { BatchSize = 8, Seed = 1, ThreadCount = 1 });
        var logits = new float[90];
        t.PredictLogits(x, logits, 30);
        var p1 = new float[90];
        t.PredictProbabilities(x, p1, 30);
        Assert.Equal(1f, t.PredictionTemperature);
        AssertClose(ToolkitData.Softmax(logits, 3, 1), p1, 1e-6);

        t.PredictionTemperature = 2.5f;
        var p = new float[90];
        t.PredictProbabilities(x, p, 30);
        AssertClose(ToolkitData.Softmax(logits, 3, 2.5), p, 1e-6);
        var e = t.Evaluate(x, y);
        Assert.Equal(ToolkitData.Nll(logits, y, 3, 2.5), e.Nll, 1e-5);

        // PredictTempered ignores the prediction temperature.
        var q = new float[90];
        t.PredictTempered(x, q, 30, 4f);
        AssertClose(ToolkitData.Softmax(logits, 3, 4), q, 1e-6);

        Assert.Throws<ArgumentOutOfRangeException>(() => t.PredictionTemperature = 0f);
        Assert.Throws<ArgumentOutOfRangeException>(() => t.PredictionTemperature = float.NaN);
        Assert.Throws<ArgumentOutOfRangeException>(() => t.PredictTempered(x, q, 30, -1f));
        Assert.Equal(2.5f, t.PredictionTemperature);
    }

    [Fact]
    public void Sigmoid_models_scale_each_logit()
    {
        var (x, _) = ToolkitData.Blobs(12, seed: 6);
        using var t = BlobMultiLabel.CreateTrainer(new TrainerOptions { BatchSize = 5, Seed = 2, ThreadCount = 1 });
        var z = new float[36];
        t.PredictLogits(x, z, 12);
        t.PredictionTemperature = 3f;
        var p = new float[36];
        t.PredictProbabilities(x, p, 12);
        for (int k = 0; k < 36; k++) Assert.Equal(1 / (1 + Math.Exp(-z[k] / 3.0)), p[k], 1e-6);
    }

    [Fact]
    public void Calibration_checks_its_validation_set()
    {
        var (x, y) = ToolkitData.Blobs(6, seed: 1);
        using var t = BlobMlp.CreateTrainer(new TrainerOptions { BatchSize = 8, Seed = 1, ThreadCount = 1 });
        y[7] = 0.5f; // row 2 sums to 1.5
        var e = Assert.ThrowsAny<ArgumentException>(() => t.CalibrateTemperature(x, y));
        Assert.Contains("row 2", e.Message);
        Assert.Equal(1f, t.PredictionTemperature);
        Assert.Throws<ArgumentException>(() => TemperatureScaling.Fit(new[] { 1f, float.NaN }, new[] { 1f, 0f }, 2));
        Assert.Throws<ArgumentException>(() => TemperatureScaling.Fit(new[] { 1f, 0f }, new[] { 1f }, 2));
    }

    private static void AssertClose(double[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int k = 0; k < expected.Length; k++)
            Assert.True(Math.Abs(expected[k] - actual[k]) <= tolerance, $"[{k}] expected {expected[k]}, got {actual[k]}");
    }
}
