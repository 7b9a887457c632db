using System;
using System.Linq;
using SoftGen.Tests.EndToEnd;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.ResidualNetworks;

/// <summary>
/// The generated residual trainers (batch norm, layer norm, identity and projection shortcuts, bias-free layers, SiLU,
/// ELU, Mish) against the float64 reference: prediction with the running statistics (batch norm folded into the GEMMs),
/// the training loss, every gradient against central differences, and the running statistics after each step.
/// </summary>
public sealed class ResidualTests
{
    [Theory]
    [InlineData("TinyResNet", 4, 1)]
    [InlineData("TinyResNet", 7, 2)]
    [InlineData("NormMlp", 5, 1)]
    [InlineData("NormMlp", 9, 2)]
    [InlineData("ConvBnNet", 3, 2)]
    public void Prediction_loss_gradients_and_running_statistics_match_the_reference(string name, int rows, int threads)
    {
        var c = ResidualCases.All[name];
        ResidualCases.CheckAgainstReference(c, name, rows, threads, rng => ResidualCases.Targets(rng, rows, c.Classes));
    }

    [Theory]
    [MemberData(nameof(ResidualCases.Names), MemberType = typeof(ResidualCases))]
    public void Running_statistics_follow_several_steps_and_prediction_uses_them(string name)
    {
        var c = ResidualCases.All[name];
        var reference = c.Reference();
        var rng = new Random(TestData.Seed(name, 31));
        const int rows = 6;
        using var t = c.Create(new TrainerOptions { Optimizer = Optimizer.Adam(1e-2f), BatchSize = rows, Seed = 3, ThreadCount = 2 });
        reference.Read(t);
        foreach (var (buffer, length) in reference.Buffers)
        {
            var v = new float[length];
            t.GetBuffer(buffer, v);
            Assert.All(v, value => Assert.Equal(buffer.EndsWith("running_var", StringComparison.Ordinal) ? 1f : 0f, value));
        }
        for (int step = 0; step < 4; step++)
        {
            var x = TestData.Inputs(rng, rows, c.Inputs);
            var y = ResidualCases.Targets(rng, rows, c.Classes);
            var own = reference.Buffers.ToDictionary(b => b.Name, b => (double[])reference.State[b.Name].Clone());
            reference.Read(t); // this step's weights
            foreach (var kv in own) reference.State[kv.Key] = kv.Value; // the reference's own running statistics
            reference.Run(reference.InputOf(x, rows), training: true);
            t.TrainStep(x, y, rows);
        }
        foreach (var (buffer, length) in reference.Buffers)
        {
            var v = new float[length];
            t.GetBuffer(buffer, v);
            Check.AllClose(v, reference.State[buffer], 1e-4, 1e-5, 1e-6, $"{name} {buffer} after 4 steps");
        }
        foreach (var batchNorm in t.Model.BatchNorms)
            Assert.Equal(4L, t.GetBatchesTracked(batchNorm.BatchesTrackedName));
        // Prediction after training (the folded weights are refreshed): the running statistics, the last weights.
        var running = reference.Buffers.ToDictionary(b => b.Name, b => reference.State[b.Name]);
        reference.Read(t);
        foreach (var kv in running) reference.State[kv.Key] = kv.Value;
        var probe = TestData.Inputs(rng, 5, c.Inputs);
        var expected = reference.Run(reference.InputOf(probe, 5), training: false);
        var logits = new float[5 * c.Classes];
        t.PredictLogits(probe, logits, 5);
        Check.AllClose(logits, expected.Data, 1e-4, 1e-5, 1e-6, $"{name} prediction after training");
    }

    [Fact]
    public void Results_do_not_depend_on_the_thread_count()
    {
        var c = ResidualCases.All["TinyResNet"];
        var rng = new Random(5);
        const int rows = 9;
        var x = TestData.Inputs(rng, rows, c.Inputs);
        var y = ResidualCases.Targets(rng, rows, c.Classes);
        var snapshots = new[] { 1, 2, 3 }.Select(threads =>
        {
            using var t = c.Create(new TrainerOptions { BatchSize = rows, Seed = 11, ThreadCount = threads });
            for (int step = 0; step < 3; step++) t.TrainStep(x, y, rows);
            return TestData.Snapshot(t);
        }).ToList();
        Check.BitEqual(snapshots[0], snapshots[1], "1 vs 2 threads");
        Check.BitEqual(snapshots[0], snapshots[2], "1 vs 3 threads");
    }

    [Fact]
    public void Names_follow_pytorch_numbering_with_projections_at_the_block_end_and_no_bias_where_declared()
    {
        var reference = ResidualCases.All["TinyResNet"].Reference();
        reference.Describe();
        using var t = ResidualCases.All["TinyResNet"].Create(new TrainerOptions { BatchSize = 2 });
        Assert.Equal(reference.Parameters.Select(p => p.Name), t.Model.ParameterNames);
        Assert.Equal(reference.Parameters.Select(p => p.Length), t.Model.Parameters.Select(p => p.Length));
        Assert.DoesNotContain("layers.0.bias", t.Model.ParameterNames);
        Assert.Contains("layers.10.weight", t.Model.ParameterNames); // the projection's 1x1 conv
        Assert.Equal(new[] { 6, 4, 1, 1 }, t.Model.FindParameter("layers.10.weight")!.Shape);
        Assert.Equal(new[] { 6 }, t.Model.FindParameter("layers.11.weight")!.Shape); // its batch norm
        Assert.Equal(new[] { 4 }, t.Model.FindParameter("layers.1.weight")!.Shape);
    }

    [Fact]
    public void A_batch_of_one_into_a_batch_norm_after_a_dense_layer_is_refused_and_nothing_changes()
    {
        var c = ResidualCases.All["NormMlp"];
        using var t = c.Create(new TrainerOptions { BatchSize = 4, Seed = 2 });
        var before = TestData.Snapshot(t);
        var runningBefore = new float[10];
        t.GetBuffer("layers.1.running_var", runningBefore);
        var rng = new Random(1);
        var x = TestData.Inputs(rng, 1, c.Inputs);
        var y = ResidualCases.Targets(rng, 1, c.Classes);
        var e = Assert.Throws<ArgumentException>(() => t.TrainStep(x, y, 1));
        Assert.Contains("layers.1", e.Message);
        Check.BitEqual(before, TestData.Snapshot(t), "after the refused step");
        var runningAfter = new float[10];
        t.GetBuffer("layers.1.running_var", runningAfter);
        Assert.Equal(runningBefore, runningAfter);
        Assert.Equal(0, t.Step);
        // A single image still has 5x7 values per channel: TinyResNet trains on one row.
        var r = ResidualCases.All["TinyResNet"];
        using var image = r.Create(new TrainerOptions { BatchSize = 2, Seed = 2 });
        image.TrainStep(TestData.Inputs(rng, 1, r.Inputs), ResidualCases.Targets(rng, 1, r.Classes), 1);
        Assert.Equal(1, image.Step);
    }
}
