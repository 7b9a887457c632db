using System;
using System.IO;
using System.Linq;
using SoftGen.Tests.EndToEnd;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.ResidualNetworks;

/// <summary>A generated residual model's running statistics in weights files and checkpoints.</summary>
public sealed class ResidualPersistenceTests
{
    private static float[] Buffer(TrainerBase t, string name)
    {
        var values = new float[t.Model.FindBuffer(name)!.Length];
        t.GetBuffer(name, values);
        return values;
    }

    [Fact]
    public void Resuming_from_a_checkpoint_ends_bit_for_bit_where_uninterrupted_training_ends()
    {
        var c = ResidualCases.All["TinyResNet"];
        var rng = new Random(8);
        const int rows = 6;
        var batches = Enumerable.Range(0, 6).Select(_ => (X: TestData.Inputs(rng, rows, c.Inputs), Y: ResidualCases.Targets(rng, rows, c.Classes))).ToList();
        var options = new TrainerOptions { Optimizer = Optimizer.AdamW(1e-2f), BatchSize = rows, Seed = 4, ThreadCount = 2 };

        using var straight = c.Create(options);
        foreach (var (x, y) in batches) straight.TrainStep(x, y, rows);

        using var first = c.Create(options);
        foreach (var (x, y) in batches.Take(3)) first.TrainStep(x, y, rows);
        using var checkpoint = new MemoryStream();
        first.SaveCheckpoint(checkpoint);
        checkpoint.Position = 0;
        using var resumed = c.Create(options);
        resumed.TrainStep(batches[5].X, batches[5].Y, rows); // a step the checkpoint must undo, running statistics included
        resumed.LoadCheckpoint(checkpoint);
        foreach (var (x, y) in batches.Skip(3)) resumed.TrainStep(x, y, rows);

        Check.BitEqual(TestData.Snapshot(straight), TestData.Snapshot(resumed), "parameters after resuming");
        foreach (var name in straight.Model.BufferNames.Where(n => !n.EndsWith("num_batches_tracked", StringComparison.Ordinal)))
            Assert.Equal(Buffer(straight, name), Buffer(resumed, name));
        foreach (var b in straight.Model.BatchNorms)
            Assert.Equal(6L, resumed.GetBatchesTracked(b.BatchesTrackedName));
    }

    [Fact]
    public void Weights_files_carry_the_running_statistics_and_prediction_follows_them()
    {
        var c = ResidualCases.All["ConvBnNet"];
        var rng = new Random(9);
        const int rows = 5;
        using var trained = c.Create(new TrainerOptions { BatchSize = rows, Seed = 2 });
        for (int step = 0; step < 3; step++) trained.TrainStep(TestData.Inputs(rng, rows, c.Inputs), ResidualCases.Targets(rng, rows, c.Classes), rows);
        using var file = new MemoryStream();
        trained.SaveWeights(file);
        file.Position = 0;
        using var loaded = c.Create(new TrainerOptions { BatchSize = rows, Seed = 3 });
        loaded.LoadWeights(file);

        var probe = TestData.Inputs(rng, rows, c.Inputs);
        var expected = new float[rows * c.Classes];
        var actual = new float[rows * c.Classes];
        trained.PredictLogits(probe, expected, rows);
        loaded.PredictLogits(probe, actual, rows);
        Assert.Equal(expected, actual);
        foreach (var name in trained.Model.BufferNames.Where(n => !n.EndsWith("num_batches_tracked", StringComparison.Ordinal)))
            Assert.Equal(Buffer(trained, name), Buffer(loaded, name));
        Assert.Equal(3L, loaded.GetBatchesTracked("layers.1.num_batches_tracked"));
    }
}
