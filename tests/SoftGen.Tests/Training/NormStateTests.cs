using System;
using System.IO;
using System.Linq;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Training;

/// <summary>
/// The trainer's side of batch norm's running statistics, over <see cref="NormLinearTrainer"/>: their initial values,
/// num_batches_tracked counted per step, access by name, PyTorch's refusal of one value per channel, and Fit's
/// dropped last batch. Running statistics are checked against a float64 re-derivation from the batches alone.
/// </summary>
public sealed class NormStateTests
{
    private const string Mean = "layers.0.running_mean", Var = "layers.0.running_var", Count = "layers.0.num_batches_tracked";

    private static TrainerOptions Options(int batchSize = 4) =>
        new() { BatchSize = batchSize, ThreadCount = 1, Seed = 5, Optimizer = Optimizer.Adam(0.01f) };

    internal static (float[] X, float[] Y) Batch(Random random, int rows)
    {
        var x = new float[rows * NormLinearTrainer.Features];
        var y = new float[rows * NormLinearTrainer.Classes];
        for (int k = 0; k < x.Length; k++) x[k] = (float)(random.NextDouble() * 4 - 1 + k % 3);
        for (int r = 0; r < rows; r++)
        {
            float p = (float)random.NextDouble();
            y[2 * r] = p;
            y[2 * r + 1] = 1 - p;
        }
        return (x, y);
    }

    private static float[] Get(TrainerBase t, string name, int length)
    {
        var v = new float[length];
        if (name.Contains("running")) t.GetBuffer(name, v);
        else t.GetParameter(name, v);
        return v;
    }

    [Fact]
    public void A_new_trainer_starts_as_PyTorch_does_and_lists_its_buffers()
    {
        using var t = new NormLinearTrainer(Options());
        Assert.Equal([0f, 0f, 0f], Get(t, Mean, 3));
        Assert.Equal([1f, 1f, 1f], Get(t, Var, 3));
        Assert.Equal(0, t.GetBatchesTracked(Count));
        Assert.Equal([1f, 1f, 1f], Get(t, "layers.0.weight", 3)); // gamma: ParameterInit.Ones
        Assert.Equal([0f, 0f, 0f], Get(t, "layers.0.bias", 3));
        Assert.Equal([3], t.Model.Parameters[0].Shape);          // [C], not [C, 1]
        Assert.Equal([Mean, Var, Count], t.Model.BufferNames);
        Assert.Equal([3], t.Model.FindBuffer(Var)!.Shape);
        Assert.Empty(t.Model.FindBuffer(Count)!.Shape);
        Assert.Equal("I64", t.Model.FindBuffer(Count)!.DType);
        Assert.Equal(2, t.Model.MinTrainingRows);
        Assert.Equal(1, NormLinearTrainer.MakeModel(pixels: 4).MinTrainingRows); // BatchNorm2d: 1 row of 4 pixels is 4 values
    }

    [Fact]
    public void Steps_move_the_running_statistics_and_count_the_batches()
    {
        var random = new Random(11);
        using var t = new NormLinearTrainer(Options());
        double[] mean = [0, 0, 0], variance = [1, 1, 1];
        int[] rows = [4, 2, 3];
        foreach (int n in rows)
        {
            var (x, y) = Batch(random, n);
            t.TrainStep(x, y, n);
            for (int c = 0; c < 3; c++)
            {
                double m = 0, s = 0;
                for (int r = 0; r < n; r++) m += x[r * 3 + c];
                m /= n;
                for (int r = 0; r < n; r++) s += (x[r * 3 + c] - m) * (x[r * 3 + c] - m);
                mean[c] = 0.9 * mean[c] + 0.1 * m;
                variance[c] = 0.9 * variance[c] + 0.1 * s / (n - 1); // unbiased, as PyTorch's running_var
            }
        }
        Assert.Equal(3, t.GetBatchesTracked(Count));
        var gotMean = Get(t, Mean, 3);
        var gotVar = Get(t, Var, 3);
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(mean[c], gotMean[c], 5);
            Assert.Equal(variance[c], gotVar[c], 5);
        }
    }

    [Fact]
    public void Prediction_reads_the_buffers_the_trainer_writes()
    {
        using var t = new NormLinearTrainer(Options());
        float[] mean = [0.5f, -1f, 2f], variance = [4f, 0.25f, 1f], gamma = [2f, 1f, -1f], beta = [0.5f, 0f, 1f];
        float[] w = [1f, -2f, 0.5f, 3f, 0.25f, -1f], b = [0.1f, -0.2f];
        t.SetBuffer(Mean, mean);
        t.SetBuffer(Var, variance);
        t.SetParameter("layers.0.weight", gamma);
        t.SetParameter("layers.0.bias", beta);
        t.SetParameter("layers.1.weight", w);
        t.SetParameter("layers.1.bias", b);

        float[] x = [1f, 2f, 3f, -1f, 0f, 0.5f];
        var logits = new float[4];
        t.PredictLogits(x, logits, 2);
        for (int r = 0; r < 2; r++)
            for (int o = 0; o < 2; o++)
            {
                double z = b[o];
                for (int c = 0; c < 3; c++)
                    z += w[o * 3 + c] * (gamma[c] * (x[r * 3 + c] - mean[c]) / Math.Sqrt(variance[c] + 1e-5) + beta[c]);
                Assert.Equal(z, logits[r * 2 + o], 5);
            }
        Assert.Equal(mean, Get(t, Mean, 3));
        Assert.Equal(variance, Get(t, Var, 3));
        t.SetBatchesTracked(Count, 41);
        Assert.Equal(41, t.GetBatchesTracked(Count));
        t.PredictLogits(x.AsSpan(0, 3), logits.AsSpan(0, 2), 1); // prediction takes a single row and counts nothing
        Assert.Equal(41, t.GetBatchesTracked(Count));
    }

    [Fact]
    public void Wrong_names_kinds_lengths_and_values_are_refused_with_what_to_do()
    {
        using var t = new NormLinearTrainer(Options());
        var e = Assert.Throws<ArgumentException>(() => t.GetBuffer("layers.1.running_mean", new float[3]));
        Assert.Contains("no buffer 'layers.1.running_mean'. Its buffers are: layers.0.running_mean, layers.0.running_var, layers.0.num_batches_tracked", e.Message);
        e = Assert.Throws<ArgumentException>(() => t.GetBuffer(Mean, new float[4]));
        Assert.Contains("'layers.0.running_mean' has shape [3], so it needs a span of 3 values, but this one has 4", e.Message);
        e = Assert.Throws<ArgumentException>(() => t.GetBuffer(Count, new float[1]));
        Assert.Contains("int64 scalar", e.Message);
        e = Assert.Throws<ArgumentException>(() => t.GetBatchesTracked(Var));
        Assert.Contains("use GetBuffer", e.Message.Replace("read and write it with GetBuffer", "use GetBuffer"));
        e = Assert.Throws<ArgumentException>(() => t.GetParameter(Mean, new float[3]));
        Assert.Contains("is a buffer", e.Message);
        Assert.Contains("GetBuffer and SetBuffer", e.Message);
        e = Assert.Throws<ArgumentException>(() => t.GetBuffer("layers.0.weight", new float[3]));
        Assert.Contains("is a parameter", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => t.SetBatchesTracked(Count, -1));

        e = Assert.Throws<ArgumentException>(() => t.SetBuffer(Var, [1f, -0.5f, 1f]));
        Assert.Contains("Value 1 of 'layers.0.running_var' is -0.5; a running variance must be finite and not negative", e.Message);
        e = Assert.Throws<ArgumentException>(() => t.SetBuffer(Mean, [0f, 0f, float.NaN]));
        Assert.Contains("Value 2", e.Message);
        Assert.Equal([1f, 1f, 1f], Get(t, Var, 3));
        Assert.Equal([0f, 0f, 0f], Get(t, Mean, 3));
        t.SetBuffer(Mean, [-3f, 0f, 7f]); // a mean may be negative
        Assert.Equal([-3f, 0f, 7f], Get(t, Mean, 3));

        using var plain = new LinearTrainer(Data.Options(Optimizer.Sgd(0.1f)));
        e = Assert.Throws<ArgumentException>(() => plain.GetBuffer(Mean, new float[3]));
        Assert.Contains("it has no batch norm, so no buffers at all", e.Message);
        Assert.Empty(plain.Model.Buffers);
    }

    [Fact]
    public void A_batch_of_one_row_is_refused_as_PyTorch_refuses_it_and_nothing_changes()
    {
        var random = new Random(3);
        using var t = new NormLinearTrainer(Options());
        var (x, y) = Batch(random, 4);
        t.TrainStep(x, y, 4);
        var before = Snapshot(t);
        int calls = t.Cpu!.ForwardCalls;

        var e = Assert.Throws<ArgumentException>(() => t.TrainStep(x.AsSpan(0, 3), y.AsSpan(0, 2), 1));
        Assert.Equal("batchSize", e.ParamName);
        Assert.Contains("layers.0", e.Message);
        Assert.Contains("Expected more than 1 value per channel when training", e.Message);
        Assert.Contains("at least 2 rows", e.Message);

        Assert.Equal(calls, t.Cpu.ForwardCalls);
        Assert.Equal(1, t.Step);
        Assert.Equal(before, Snapshot(t));
        var probabilities = new float[2];
        t.PredictProbabilities(x.AsSpan(0, 3), probabilities, 1); // prediction has no such rule
        Assert.Equal(1f, probabilities[0] + probabilities[1], 5);
    }

    [Fact]
    public void Fit_drops_a_last_batch_of_one_row_and_counts_what_it_trained()
    {
        var random = new Random(4);
        var (x, y) = Batch(random, 9);
        using var t = new NormLinearTrainer(Options());
        var reports = new System.Collections.Generic.List<EpochReport>();
        t.Fit(x, y, 2, new SynchronousProgress<EpochReport>(reports.Add));
        Assert.Equal(4, t.Step);                              // 4 + 4 (+ 1 dropped) per epoch
        Assert.Equal(4, t.GetBatchesTracked(Count));
        Assert.All(reports, r => Assert.Equal(8, r.Samples));
        Assert.Equal(4, t.Cpu!.ForwardCalls);

        var (x10, y10) = Batch(random, 10);
        using var u = new NormLinearTrainer(Options());
        u.Fit(x10, y10, 1);                                   // 4 + 4 + 2: the last batch is big enough
        Assert.Equal(3, u.GetBatchesTracked(Count));

        var e = Assert.Throws<ArgumentException>(() => u.Fit(x10.AsSpan(0, 3), y10.AsSpan(0, 2), 1));
        Assert.Contains("the data set has 1 row", e.Message);
        using var single = new NormLinearTrainer(Options(batchSize: 1));
        e = Assert.Throws<ArgumentException>(() => single.Fit(x10, y10, 1));
        Assert.Contains("TrainerOptions.BatchSize is 1", e.Message);
        Assert.Equal(0, single.Step);
    }

    [Fact]
    public void ParametersVersion_moves_with_updates_and_host_writes_only()
    {
        var random = new Random(6);
        using var t = new NormLinearTrainer(Options());
        var (x, y) = Batch(random, 4);
        long v0 = t.ParametersVersion;
        t.PredictLogits(x, new float[8], 4);
        t.GetParameter("layers.1.bias", new float[2]);
        t.GetBuffer(Var, new float[3]);
        t.SaveWeights(new MemoryStream());
        t.SaveCheckpoint(new MemoryStream());
        Assert.Equal(v0, t.ParametersVersion);

        t.TrainStep(x, y, 4);
        long v1 = t.ParametersVersion;
        Assert.NotEqual(v0, v1);
        t.SetBuffer(Mean, [1f, 2f, 3f]);
        long v2 = t.ParametersVersion;
        Assert.NotEqual(v1, v2);
        t.SetParameter("layers.1.bias", [0f, 1f]);
        Assert.NotEqual(v2, t.ParametersVersion);
        long v3 = t.ParametersVersion;
        var file = new MemoryStream();
        t.SaveWeights(file);
        file.Position = 0;
        t.LoadWeights(file);
        Assert.NotEqual(v3, t.ParametersVersion);
    }

    /// <summary>Every parameter, buffer and count, for comparisons.</summary>
    internal static string Snapshot(TrainerBase t)
    {
        var parts = new System.Collections.Generic.List<string>();
        foreach (var p in t.Model.Parameters)
        {
            var v = new float[p.Length];
            t.GetParameter(p.Name, v);
            parts.Add(p.Name + "=" + string.Join(",", v.Select(f => BitConverter.SingleToInt32Bits(f).ToString("x8"))));
        }
        foreach (var b in t.Model.Buffers)
        {
            if (b.IsInt64)
            {
                parts.Add(b.Name + "=" + t.GetBatchesTracked(b.Name));
                continue;
            }
            var v = new float[b.Length];
            t.GetBuffer(b.Name, v);
            parts.Add(b.Name + "=" + string.Join(",", v.Select(f => BitConverter.SingleToInt32Bits(f).ToString("x8"))));
        }
        return string.Join("; ", parts);
    }
}

/// <summary>Reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
