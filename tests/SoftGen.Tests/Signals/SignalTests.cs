using System;
using System.IO;
using System.Linq;
using SoftGen.Tests.EndToEnd;
using SoftGen.Tests.ResidualNetworks;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Signals;

/// <summary>
/// The generated trainers of signal models and of the issue-14 layers (Conv1D, rectangular, dilated, grouped and
/// depthwise convolutions, 1-D pools, squeeze-excitation, GeM, per-position heads) against the float64 reference:
/// prediction, the training loss, every gradient against central differences, the running statistics.
/// </summary>
public sealed class SignalTests
{
    [Theory]
    [InlineData("TinyEegNet", 4, 1)]
    [InlineData("TinyEegNet", 7, 2)]
    [InlineData("RectNet", 3, 1)]
    [InlineData("RectNet", 6, 2)]
    [InlineData("PositionNet", 5, 2)]
    public void Prediction_loss_gradients_and_running_statistics_match_the_reference(string name, int rows, int threads)
    {
        ResidualCases.CheckAgainstReference(SignalCases.All[name], name, rows, threads, rng => SignalCases.Targets(rng, name, rows));
    }

    [Theory]
    [InlineData("TinyEegNet")]
    [InlineData("RectNet")]
    [InlineData("PositionNet")]
    public void Results_do_not_depend_on_the_thread_count(string name)
    {
        var c = SignalCases.All[name];
        var rng = new Random(5);
        const int rows = 9;
        var x = TestData.Inputs(rng, rows, c.Inputs);
        var y = SignalCases.Targets(rng, name, rows);
        var snapshots = new[] { 1, 2, 3 }.Select(threads =>
        {
            using var t = c.Create(new TrainerOptions { BatchSize = rows, Seed = 11, ThreadCount = threads });
            for (int step = 0; step < 3; step++) t.TrainStep(x, y, rows);
            return TestData.Snapshot(t);
        }).ToList();
        Check.BitEqual(snapshots[0], snapshots[1], $"{name}: 1 vs 2 threads");
        Check.BitEqual(snapshots[0], snapshots[2], $"{name}: 1 vs 3 threads");
    }

    [Fact]
    public void Names_and_shapes_are_pytorchs()
    {
        var reference = SignalCases.All["TinyEegNet"].Reference();
        reference.Describe();
        using var t = SignalCases.All["TinyEegNet"].Create(new TrainerOptions { BatchSize = 2 });
        Assert.Equal(reference.Parameters.Select(p => p.Name), t.Model.ParameterNames);
        Assert.Equal(reference.Parameters.Select(p => p.Length), t.Model.Parameters.Select(p => p.Length));
        int[] Shape(TrainerBase trainer, string name) => trainer.Model.FindParameter(name)!.Shape;
        Assert.Equal(new[] { 6, 3, 5 }, Shape(t, "layers.0.weight"));       // Conv1d(3, 6, 5)
        Assert.Equal(new[] { 6, 1, 3 }, Shape(t, "layers.4.weight"));       // depthwise Conv1d(6, 6, 3, groups=6)
        Assert.Equal(new[] { 3, 6 }, Shape(t, "layers.5.reduce.weight"));  // Linear(6, 3)
        Assert.Equal(new[] { 6, 3 }, Shape(t, "layers.5.expand.weight"));  // Linear(3, 6)
        Assert.Equal(new[] { 8, 3, 3 }, Shape(t, "layers.6.weight"));       // Conv1d(6, 8, 3, groups=2)
        Assert.Equal(new[] { 8, 6, 1 }, Shape(t, "layers.8.weight"));       // the projection's 1x1 Conv1d
        Assert.Equal(new[] { 1 }, Shape(t, "layers.10.p"));
        var p = new float[1];
        t.GetParameter("layers.10.p", p);
        Assert.Equal(3f, p[0]);
        Assert.Equal(8 * 3 * 3, t.Model.FindParameter("layers.6.weight")!.Length);

        using var rect = SignalCases.All["RectNet"].Create(new TrainerOptions { BatchSize = 2 });
        Assert.Equal(new[] { 4, 2, 3, 5 }, Shape(rect, "layers.0.weight"));
        Assert.Equal(new[] { 4, 1, 3, 3 }, Shape(rect, "layers.1.weight"));
        Assert.Equal(new[] { 6, 2, 1, 1 }, Shape(rect, "layers.4.weight"));
        Assert.DoesNotContain(rect.Model.ParameterNames, n => n.EndsWith(".p", StringComparison.Ordinal)); // fixed exponent
    }

    [Fact]
    public void A_grouped_convolution_keeps_its_structural_zeros_through_training_and_a_weights_file_round_trip()
    {
        var c = SignalCases.All["TinyEegNet"];
        var rng = new Random(3);
        using var t = c.Create(new TrainerOptions { BatchSize = 8, Seed = 4, Optimizer = Optimizer.AdamW(1e-2f) });
        for (int step = 0; step < 5; step++)
            t.TrainStep(TestData.Inputs(rng, 8, c.Inputs), SignalCases.Targets(rng, "TinyEegNet", 8), 8);
        var probe = TestData.Inputs(rng, 5, c.Inputs);
        var before = new float[5 * c.Classes];
        t.PredictProbabilities(probe, before, 5);
        var path = Path.Combine(Path.GetTempPath(), "softgen-signal-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            t.SaveWeights(path);
            using var loaded = c.Create(new TrainerOptions { BatchSize = 8, Seed = 99 });
            loaded.LoadWeights(path);
            var after = new float[5 * c.Classes];
            loaded.PredictProbabilities(probe, after, 5);
            Assert.Equal(before, after);
            Check.BitEqual(TestData.Snapshot(t), TestData.Snapshot(loaded), "parameters after the round trip");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
