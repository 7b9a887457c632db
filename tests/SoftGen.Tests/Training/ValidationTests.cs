using System;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Training;

public sealed class ValidationTests
{
    private static float[] Snapshot(LinearTrainer t)
    {
        var s = new float[LinearTrainer.StorageLength];
        for (int k = 0; k < s.Length; k++) s[k] = t.StorageAt(k);
        return s;
    }

    private static void AssertRejectedWithoutChange(LinearTrainer t, float[] x, float[] y, int rows, params string[] fragments)
    {
        var before = Snapshot(t);
        var e = Assert.ThrowsAny<ArgumentException>(() => t.TrainStep(x, y, rows));
        foreach (var f in fragments) Assert.Contains(f, e.Message);
        Assert.Equal(before, Snapshot(t));
        Assert.Equal(0, t.Step);
        Assert.Equal(0, t.ForwardCalls);
    }

    [Fact]
    public void Wrong_lengths_name_both_lengths()
    {
        using var t = new LinearTrainer(Data.Options(Optimizer.Adam()));
        AssertRejectedWithoutChange(t, new float[5], new float[] { 1, 0, 1, 0 }, 2, "inputs", "5", "6");
        AssertRejectedWithoutChange(t, new float[6], new float[] { 1, 0, 1 }, 2, "targets", "3", "4");
    }

    [Fact]
    public void Batch_size_outside_1_to_capacity_is_rejected()
    {
        using var t = new LinearTrainer(Data.Options(Optimizer.Adam(), batchSize: 2));
        AssertRejectedWithoutChange(t, new float[9], new float[6], 3, "batchSize", "2");
        AssertRejectedWithoutChange(t, Array.Empty<float>(), Array.Empty<float>(), 0, "batchSize");
    }

    [Fact]
    public void NaN_input_names_row_and_column()
    {
        using var t = new LinearTrainer(Data.Options(Optimizer.Adam()));
        var x = new float[] { 1, 2, 3, 4, 5, float.NaN };
        AssertRejectedWithoutChange(t, x, new float[] { 1, 0, 1, 0 }, 2, "row 1", "column 2", "NaN");
        x[5] = float.PositiveInfinity;
        AssertRejectedWithoutChange(t, x, new float[] { 1, 0, 1, 0 }, 2, "row 1", "column 2");
    }

    [Fact]
    public void Negative_or_non_finite_target_names_row_and_class()
    {
        using var t = new LinearTrainer(Data.Options(Optimizer.Adam()));
        AssertRejectedWithoutChange(t, new float[6], new float[] { 1, 0, 1.5f, -0.5f }, 2, "row 1", "class 1", "-0.5");
        AssertRejectedWithoutChange(t, new float[6], new float[] { float.NaN, 1, 1, 0 }, 2, "row 0", "class 0");
    }

    [Fact]
    public void Target_row_that_does_not_sum_to_1_names_the_row_and_the_sum()
    {
        using var t = new LinearTrainer(Data.Options(Optimizer.Adam()));
        AssertRejectedWithoutChange(t, new float[9], new float[] { 1, 0, 0.5f, 0.5f, 0.5f, 0.4f }, 3, "row 2", "0.9");
        // Within 1e-3 is accepted.
        t.TrainStep(new float[3], new float[] { 0.5f, 0.5009f }, 1);
        Assert.Equal(1, t.Step);
    }

    [Fact]
    public void Sigmoid_targets_need_not_sum_to_1_but_must_stay_within_0_and_1()
    {
        using var t = new LinearTrainer(Data.Options(Optimizer.Adam()), LossKind.SigmoidCrossEntropy);
        t.TrainStep(new float[3], new float[] { 0.9f, 0.9f }, 1);
        var before = Snapshot(t);
        var e = Assert.Throws<ArgumentException>(() => t.TrainStep(new float[3], new float[] { 0.9f, 1.1f }, 1));
        Assert.Contains("row 0", e.Message);
        Assert.Contains("class 1", e.Message);
        Assert.Equal(before, Snapshot(t));
    }

    [Fact]
    public void Non_finite_loss_throws_and_leaves_the_weights_unchanged()
    {
        using var t = new LinearTrainer(Data.Options(Optimizer.Adam(0.1f)));
        var (x, y) = Data.Make(4);
        t.TrainStep(x, y, 4);
        var before = Snapshot(t);
        t.ForcedLoss = float.NaN;
        var e = Assert.Throws<InvalidOperationException>(() => t.TrainStep(x, y, 4));
        Assert.Contains("NaN", e.Message);
        Assert.Contains("step 2", e.Message);
        Assert.Contains("unchanged", e.Message);
        Assert.Equal(before, Snapshot(t));
        Assert.Equal(1, t.Step);

        t.ForcedLoss = float.PositiveInfinity;
        Assert.Throws<InvalidOperationException>(() => t.TrainStep(x, y, 4));
        Assert.Equal(before, Snapshot(t));

        t.ForcedLoss = null; // training goes on from the last good weights, with the optimizer state intact
        t.TrainStep(x, y, 4);
        Assert.Equal(2, t.Step);
    }

    [Fact]
    public void Options_are_checked()
    {
        Assert.Contains("BatchSize", Assert.Throws<ArgumentException>(() => new LinearTrainer(new TrainerOptions { BatchSize = 0 })).Message);
        Assert.Contains("ThreadCount", Assert.Throws<ArgumentException>(() => new LinearTrainer(new TrainerOptions { ThreadCount = 0 })).Message);
        Assert.Contains("Optimizer", Assert.Throws<ArgumentException>(() => new LinearTrainer(new TrainerOptions { Optimizer = null! })).Message);
        Assert.Throws<ArgumentNullException>(() => new LinearTrainer(null!));
        var e = Assert.Throws<NotSupportedException>(() => new LinearTrainer(new TrainerOptions { Backend = Backend.Gpu, ThreadCount = 1 }));
        Assert.Contains("reference to SoftGen.Gpu", e.Message);
    }

    [Fact]
    public void Auto_resolves_to_the_CPU()
    {
        using var t = new LinearTrainer(new TrainerOptions { Backend = Backend.Auto, ThreadCount = 1 });
        Assert.Equal(Backend.Cpu, t.Backend);
        Assert.Equal(Backend.Auto, t.Options.Backend);
        Assert.Equal("Tests.Linear", t.Model.Name);
    }

    [Fact]
    public void Predict_checks_lengths_and_inputs()
    {
        using var t = new LinearTrainer(Data.Options(Optimizer.Adam()));
        var e = Assert.Throws<ArgumentException>(() => t.PredictProbabilities(new float[6], new float[3], 2));
        Assert.Contains("4", e.Message);
        Assert.Contains("3", e.Message);
        e = Assert.Throws<ArgumentException>(() => t.PredictClasses(new float[] { 0, 0, 0, 0, float.NaN, 0 }, new int[2], 2));
        Assert.Contains("row 1", e.Message);
        Assert.Contains("column 1", e.Message);
        Assert.Equal(0, t.LargestRows);
    }

    [Fact]
    public void Dispose_is_idempotent_and_later_calls_throw()
    {
        var t = new LinearTrainer(Data.Options(Optimizer.Adam()));
        t.Dispose();
        t.Dispose();
        Assert.Throws<ObjectDisposedException>(() => t.TrainStep(new float[3], new float[] { 1, 0 }, 1));
        Assert.Throws<ObjectDisposedException>(() => t.PredictProbabilities(new float[3], new float[2], 1));
        Assert.Throws<ObjectDisposedException>(() => t.PredictClasses(new float[3], new int[1], 1));
        Assert.Throws<ObjectDisposedException>(() => t.GetParameter("layers.0.bias", new float[2]));
        Assert.Throws<ObjectDisposedException>(() => t.SetParameter("layers.0.bias", new float[2]));
        Assert.Throws<ObjectDisposedException>(() => t.GetGradient("layers.0.bias", new float[2]));
        Assert.Throws<ObjectDisposedException>(() => t.Fit(new float[3], new float[] { 1, 0 }, 1));
        Assert.Throws<ObjectDisposedException>(() => t.Evaluate(new float[3], new float[] { 1, 0 }));
    }
}
