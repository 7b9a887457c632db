using System;
using EndToEndModels;
using ResidualModels;
using Xunit;

namespace SoftGen.Tests.Distributed;

/// <summary>The distributed path in one process, over worlds that need no MPI.</summary>
public sealed class DistributedTrainerTests
{
    /// <summary>A world of one rank: every sum is the value itself, as MPI_Allreduce on one process gives it.</summary>
    private sealed class OneRank : DistributedWorld
    {
        public int AllReduces { get; private set; }
        public override int Rank => 0;
        public override int Size => 1;
        public override string HostName => "here";
        public override void AllReduceSum(Span<float> values) => AllReduces++;
        public override void AllReduceSum(Span<double> values) => AllReduces++;
        public override void Broadcast(Span<float> values, int root) { }
        public override string[] AllGather(string text) => [text];
    }

    [Fact]
    public void OneRankWorld_TrainsBitForBitAsAlone_WithTwoReductionsAStepAndNoAllocation()
    {
        const int rows = 16;
        var random = new Random(4);
        var x = new float[rows * 64];
        var y = new float[rows * 10];
        for (int i = 0; i < x.Length; i++) x[i] = (float)random.NextDouble();
        for (int r = 0; r < rows; r++) y[r * 10 + r % 10] = 1f;
        var world = new OneRank();
        var options = new TrainerOptions { BatchSize = rows, Seed = 2, ThreadCount = 1, ClipGradientNorm = 1f };
        using var distributed = WideMlp.CreateTrainer(options with { Distributed = world });
        using var alone = WideMlp.CreateTrainer(options);

        for (int k = 0; k < 3; k++) Assert.Equal(alone.TrainStep(x, y, rows), distributed.TrainStep(x, y, rows));
        int before = world.AllReduces;
        long start = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 20; k++) distributed.TrainStep(x, y, rows);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - start);
        Assert.Equal(2 * 20, world.AllReduces - before);
        for (int k = 0; k < 20; k++) alone.TrainStep(x, y, rows);

        foreach (var p in alone.Model.Parameters)
        {
            var a = new float[p.Length];
            var d = new float[p.Length];
            alone.GetParameter(p.Name, a);
            distributed.GetParameter(p.Name, d);
            Assert.Equal(a, d);
        }
    }

    [Fact]
    public void ModelWithBatchNorm_IsRefused_NamingTheLayer()
    {
        var e = Assert.Throws<NotSupportedException>(() =>
            TinyResNet.CreateTrainer(new TrainerOptions { BatchSize = 4, ThreadCount = 1, Distributed = new OneRank() }));
        Assert.Contains("batch norm (layers.1)", e.Message);
        Assert.Contains("SyncBatchNorm", e.Message);
    }
}
