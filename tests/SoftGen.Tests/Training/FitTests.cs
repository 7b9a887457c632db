using System;
using System.Collections.Generic;
using System.Threading;
using Xunit;

namespace SoftGen.Tests.Training;

public sealed class FitTests
{
    private sealed class Collect : IProgress<EpochReport>
    {
        public readonly List<EpochReport> Reports = new();
        public Action<EpochReport>? OnReport;
        public void Report(EpochReport value)
        {
            Reports.Add(value);
            OnReport?.Invoke(value);
        }
    }

    private static float[] Snapshot(LinearTrainer t)
    {
        var s = new float[LinearTrainer.StorageLength];
        for (int k = 0; k < s.Length; k++) s[k] = t.StorageAt(k);
        return s;
    }

    [Fact]
    public void Reports_one_epoch_at_a_time_and_steps_over_every_batch_including_the_partial_one()
    {
        var (x, y) = Data.Make(10);
        using var t = new LinearTrainer(Data.Options(Optimizer.Adam(0.05f), batchSize: 4));
        var progress = new Collect();
        t.Fit(x, y, 5, progress);

        Assert.Equal(5, progress.Reports.Count);
        for (int e = 0; e < 5; e++)
        {
            Assert.Equal(e + 1, progress.Reports[e].Epoch);
            Assert.Equal(5, progress.Reports[e].Epochs);
            Assert.Equal(10, progress.Reports[e].Samples);
            Assert.True(double.IsFinite(progress.Reports[e].MeanLoss) && progress.Reports[e].MeanLoss > 0);
            Assert.True(progress.Reports[e].Elapsed >= TimeSpan.Zero);
        }
        Assert.Equal(15, t.Step); // 3 batches (4, 4, 2) x 5 epochs
        Assert.Equal(15, t.ForwardCalls);
        Assert.Equal(4, t.LargestRows);
        Assert.True(progress.Reports[4].MeanLoss < progress.Reports[0].MeanLoss);
    }

    [Fact]
    public void Mean_loss_is_weighted_by_rows()
    {
        // With SGD at a tiny learning rate the weights barely move, so the epoch mean is the full-data loss.
        var (x, y) = Data.Make(10);
        using var t = new LinearTrainer(Data.Options(Optimizer.Sgd(1e-12f), batchSize: 4));
        using var whole = new LinearTrainer(Data.Options(Optimizer.Sgd(1e-12f), batchSize: 10));
        var progress = new Collect();
        t.Fit(x, y, 1, progress);
        float full = whole.TrainStep(x, y, 10);
        Assert.Equal(full, progress.Reports[0].MeanLoss, 1e-6);
    }

    [Fact]
    public void Same_seed_gives_the_same_run_and_another_seed_a_different_one()
    {
        var (x, y) = Data.Make(23);
        using var a = new LinearTrainer(Data.Options(Optimizer.Sgd(0.2f, 0.5f), batchSize: 5, seed: 11));
        using var b = new LinearTrainer(Data.Options(Optimizer.Sgd(0.2f, 0.5f), batchSize: 5, seed: 11));
        using var c = new LinearTrainer(Data.Options(Optimizer.Sgd(0.2f, 0.5f), batchSize: 5, seed: 12));
        c.SetParameter("layers.0.weight", GetWeights(a)); // same start, so only the shuffle differs
        var pa = new Collect();
        var pb = new Collect();
        a.Fit(x, y, 3, pa);
        b.Fit(x, y, 3, pb);
        c.Fit(x, y, 3);
        Assert.Equal(Snapshot(a), Snapshot(b));
        for (int e = 0; e < 3; e++) Assert.Equal(pa.Reports[e].MeanLoss, pb.Reports[e].MeanLoss);
        Assert.NotEqual(Snapshot(a), Snapshot(c));
    }

    [Fact]
    public void Validates_the_whole_data_set_up_front_naming_the_row_in_the_data_set()
    {
        var (x, y) = Data.Make(10);
        y[7 * 2] = 0.6f; // row 7 sums to 0.6 + its second value
        using var t = new LinearTrainer(Data.Options(Optimizer.Adam(), batchSize: 4));
        var before = Snapshot(t);
        var e = Assert.Throws<ArgumentException>(() => t.Fit(x, y, 2));
        Assert.Contains("row 7", e.Message);
        Assert.Equal(0, t.Step);
        Assert.Equal(before, Snapshot(t));

        (x, y) = Data.Make(10);
        x[9 * 3 + 1] = float.NaN;
        e = Assert.Throws<ArgumentException>(() => t.Fit(x, y, 2));
        Assert.Contains("row 9", e.Message);
        Assert.Contains("column 1", e.Message);

        e = Assert.Throws<ArgumentException>(() => t.Fit(new float[10], new float[6], 1));
        Assert.Contains("10", e.Message);
        e = Assert.Throws<ArgumentException>(() => t.Fit(new float[9], new float[8], 1));
        Assert.Contains("8", e.Message);
        Assert.Contains("6", e.Message);
        (x, y) = Data.Make(10);
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Fit(x, y, 0));
        Assert.Equal(0, t.Step);
    }

    [Fact]
    public void Cancellation_is_checked_between_batches()
    {
        var (x, y) = Data.Make(12);
        using var t = new LinearTrainer(Data.Options(Optimizer.Adam(), batchSize: 4));
        using var cts = new CancellationTokenSource();
        var progress = new Collect { OnReport = _ => cts.Cancel() };
        Assert.ThrowsAny<OperationCanceledException>(() => t.Fit(x, y, 10, progress, cts.Token));
        Assert.Single(progress.Reports);
        Assert.Equal(3, t.Step);
    }

    [Fact]
    public void A_NaN_loss_stops_Fit_with_the_last_good_weights()
    {
        var (x, y) = Data.Make(8);
        using var t = new LinearTrainer(Data.Options(Optimizer.Adam(), batchSize: 4));
        t.Fit(x, y, 1);
        var before = Snapshot(t);
        t.ForcedLoss = float.NaN;
        var e = Assert.Throws<InvalidOperationException>(() => t.Fit(x, y, 1));
        Assert.Contains("step 3", e.Message);
        Assert.Equal(before, Snapshot(t));
    }

    private static float[] GetWeights(LinearTrainer t)
    {
        var w = new float[6];
        t.GetParameter("layers.0.weight", w);
        return w;
    }
}
