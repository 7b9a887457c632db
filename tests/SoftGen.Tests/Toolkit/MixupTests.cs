using System;
using System.Collections.Generic;
using SoftGen.Cpu;
using SoftGen.Data;
using SoftGen.Tests.Training;
using TestData = SoftGen.Tests.Training.Data;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Toolkit;

public sealed class MixupTests
{
    [Theory]
    [InlineData(2.5)]
    [InlineData(1.0)]
    [InlineData(0.3)]
    public void Gamma_draws_have_the_shapes_mean_and_variance(double shape)
    {
        // Gamma(a, 1): mean a, variance a.
        var random = new DeterministicRandom(42, 9);
        const int n = 60000;
        double sum = 0, squares = 0;
        for (int i = 0; i < n; i++)
        {
            double g = Math.Exp(Mixup.LogGamma(ref random, shape));
            sum += g;
            squares += g * g;
        }
        double mean = sum / n, variance = squares / n - mean * mean;
        Assert.Equal(shape, mean, 0.02 * Math.Max(1, shape));
        Assert.Equal(shape, variance, 0.05 * Math.Max(1, shape));
    }

    public static IEnumerable<object[]> BetaCases() => new[]
    {
        // alpha, the Beta(alpha, alpha) CDF in closed form
        new object[] { 1.0, (Func<double, double>)(x => x) },
        new object[] { 0.5, (Func<double, double>)(x => 2 / Math.PI * Math.Asin(Math.Sqrt(x))) },
        new object[] { 2.0, (Func<double, double>)(x => x * x * (3 - 2 * x)) },
    };

    [Theory]
    [MemberData(nameof(BetaCases))]
    public void Beta_draws_follow_the_closed_form_cdf(double alpha, Func<double, double> cdf)
    {
        var random = new DeterministicRandom(7, 9);
        const int n = 20000;
        var draws = new double[n];
        for (int i = 0; i < n; i++) draws[i] = Mixup.Beta(ref random, alpha);
        Array.Sort(draws);
        double d = 0; // Kolmogorov-Smirnov statistic
        for (int i = 0; i < n; i++)
            d = Math.Max(d, Math.Max(Math.Abs((i + 1.0) / n - cdf(draws[i])), Math.Abs((double)i / n - cdf(draws[i]))));
        Assert.True(d < 0.012, $"KS distance {d} for Beta({alpha}, {alpha}); 1.36 / sqrt(n) = {1.36 / Math.Sqrt(n)}");
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(0.01)]
    public void Small_alpha_stays_in_range_with_the_right_moments(double alpha)
    {
        // Beta(a, a): mean 1/2, variance 1 / (4 (2a + 1)). For a = 0.01 the Gamma draws underflow; the log form copes.
        var random = new DeterministicRandom(3, 9);
        const int n = 40000;
        double sum = 0, squares = 0;
        for (int i = 0; i < n; i++)
        {
            double b = Mixup.Beta(ref random, alpha);
            Assert.InRange(b, 0.0, 1.0);
            sum += b;
            squares += b * b;
        }
        double mean = sum / n, variance = squares / n - mean * mean;
        Assert.Equal(0.5, mean, 0.01);
        Assert.Equal(1 / (4 * (2 * alpha + 1)), variance, 0.005);
    }

    [Fact]
    public void A_mixed_batch_blends_each_row_with_a_partner_from_a_permutation()
    {
        var x = new float[6 * 3];
        var y = new float[6 * 2];
        for (int i = 0; i < 6; i++)
        {
            x[i * 3] = i;
            x[i * 3 + 1] = 10 * i * i;
            x[i * 3 + 2] = -i;
            y[i * 2 + (i % 2)] = 1;
        }
        int[] rows = { 3, 0, 5, 1 };
        var partners = new int[4];
        var bx = new float[12];
        var by = new float[8];
        var random = new DeterministicRandom(1, Mixup.Stream);
        float lambda = Mixup.MixBatch(x, y, rows, 3, 2, 0.4f, ref random, partners, bx, by);

        Assert.InRange(lambda, 0f, 1f);
        var sorted = (int[])partners.Clone();
        Array.Sort(sorted);
        Assert.Equal(new[] { 0, 1, 2, 3 }, sorted);
        for (int r = 0; r < 4; r++)
        {
            int a = rows[r], b = rows[partners[r]];
            for (int i = 0; i < 3; i++)
                Assert.Equal(lambda * (double)x[a * 3 + i] + (1 - lambda) * (double)x[b * 3 + i], bx[r * 3 + i], 1e-4);
            for (int c = 0; c < 2; c++)
                Assert.Equal(lambda * (double)y[a * 2 + c] + (1 - lambda) * (double)y[b * 2 + c], by[r * 2 + c], 1e-6);
            Assert.Equal(1.0, by[r * 2] + by[r * 2 + 1], 1e-6);
        }
    }

    [Fact]
    public void Fit_with_mixup_trains_on_mixed_batches_with_the_same_row_order()
    {
        // Rows are distinguishable by feature 0. A permutation partner keeps each batch's feature and target sums, so
        // every mixed batch has the same sums as the plain batch over the same rows (the row order is unchanged).
        var x = new float[10 * 3];
        var y = new float[10 * 2];
        for (int i = 0; i < 10; i++)
        {
            x[i * 3] = i;
            x[i * 3 + 1] = 1;
            y[i * 2 + (i % 2)] = 1;
        }
        using var plain = new RecordingTrainer(new TrainerOptions { BatchSize = 4, Seed = 5, ThreadCount = 1 });
        using var mixed = new RecordingTrainer(new TrainerOptions { BatchSize = 4, Seed = 5, ThreadCount = 1 });
        plain.Fit(x, y, 3);
        mixed.Fit(x, y, 3, new MixupOptions(1f));

        Assert.Equal(9, plain.Batches.Count); // (4, 4, 2) x 3
        Assert.Equal(plain.Batches.Count, mixed.Batches.Count);
        bool blended = false;
        for (int b = 0; b < plain.Batches.Count; b++)
        {
            var (px, py) = plain.Batches[b];
            var (mx, my) = mixed.Batches[b];
            Assert.Equal(px.Length, mx.Length);
            Assert.Equal(Sum(px, 3, 0), Sum(mx, 3, 0), 1e-3);
            Assert.Equal(Sum(py, 2, 0), Sum(my, 2, 0), 1e-4);
            for (int r = 0; r < mx.Length / 3; r++)
            {
                Assert.Equal(1.0, mx[r * 3 + 1], 1e-6); // a blend of ones
                Assert.Equal(1.0, my[r * 2] + my[r * 2 + 1], 1e-6);
                if (my[r * 2] > 1e-3 && my[r * 2] < 1 - 1e-3) blended = true;
            }
        }
        Assert.True(blended, "no target was blended");

        using var again = new RecordingTrainer(new TrainerOptions { BatchSize = 4, Seed = 5, ThreadCount = 1 });
        again.Fit(x, y, 3, new MixupOptions(1f));
        for (int b = 0; b < mixed.Batches.Count; b++) Assert.Equal(mixed.Batches[b].X, again.Batches[b].X);
    }

    private static double Sum(float[] values, int width, int column)
    {
        double s = 0;
        for (int k = column; k < values.Length; k += width) s += values[k];
        return s;
    }

    [Fact]
    public void Fit_with_mixup_allocates_nothing_per_batch()
    {
        var (x, y) = TestData.Make(64);
        using var t = new LinearTrainer(TestData.Options(Optimizer.Adam(0.01f), batchSize: 4));
        var mixup = new MixupOptions(0.2f);
        t.Fit(x, y, 1, mixup); // the first mixup Fit makes its partner buffer
        // The runtime's tiered JIT can allocate once on this thread while it promotes a method, so a measurement is
        // retried; an allocation per batch would show in every attempt.
        long one = 0, eight = 0;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            t.Fit(x, y, 1, mixup);
            one = GC.GetAllocatedBytesForCurrentThread() - before;
            before = GC.GetAllocatedBytesForCurrentThread();
            t.Fit(x, y, 8, mixup);
            eight = GC.GetAllocatedBytesForCurrentThread() - before;
            if (one == eight) break;
        }
        Assert.Equal(one, eight); // 16 batches an epoch: 128 more batches, not one byte more
        Assert.True(one < 1024, $"{one} bytes for one Fit call");
    }

    [Fact]
    public void Mixup_changes_training_and_repeats_exactly()
    {
        var (x, y) = TestData.Make(40);
        using var a = new LinearTrainer(TestData.Options(Optimizer.Adam(0.05f)));
        using var b = new LinearTrainer(TestData.Options(Optimizer.Adam(0.05f)));
        using var c = new LinearTrainer(TestData.Options(Optimizer.Adam(0.05f)));
        a.Fit(x, y, 4, new MixupOptions(0.4f));
        b.Fit(x, y, 4, new MixupOptions(0.4f));
        c.Fit(x, y, 4);
        Assert.Equal(c.Step, a.Step);
        bool differs = false;
        for (int k = 0; k < LinearTrainer.StorageLength; k++)
        {
            Assert.Equal(a.StorageAt(k), b.StorageAt(k));
            differs |= a.StorageAt(k) != c.StorageAt(k);
        }
        Assert.True(differs);
    }

    [Fact]
    public void Bad_mixup_options_and_data_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MixupOptions(0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MixupOptions(float.NaN));
        using var t = new LinearTrainer(TestData.Options(Optimizer.Adam(0.05f)));
        Assert.Throws<ArgumentNullException>(() => t.Fit(new float[3], new float[] { 1, 0 }, 1, (MixupOptions)null!));
        var e = Assert.Throws<ArgumentException>(() => t.Fit(new float[] { 0, 0, 0, 1, float.NaN, 1 }, new float[] { 1, 0, 0, 1 }, 1, new MixupOptions(1f)));
        Assert.Contains("row 1, column 1", e.Message);
        Assert.Equal(0, t.Step);
    }

    /// <summary>Keeps a copy of every batch it is asked to train on; its gradient is 0, so nothing moves.</summary>
    private sealed unsafe class RecordingTrainer(TrainerOptions options)
        : TrainerBase(LinearTrainer.MakeModel(), options, (model, o) => new Recorder(model, o))
    {
        public List<(float[] X, float[] Y)> Batches => ((Recorder)Program).Batches;

        private sealed class Recorder(ModelInfo model, TrainerOptions options) : CpuProgram(model, options)
        {
            public List<(float[] X, float[] Y)> Batches { get; } = new();

            public override float ComputeLossAndGradients(FloatBuffer inputs, FloatBuffer targets, FloatBuffer weights, int rows, long step)
            {
                Batches.Add((new ReadOnlySpan<float>((float*)inputs, rows * 3).ToArray(), new ReadOnlySpan<float>((float*)targets, rows * 2).ToArray()));
                return 0.5f;
            }

            public override void ComputeProbabilities(FloatBuffer inputs, FloatBuffer probabilities, int rows) =>
                new Span<float>((float*)probabilities, rows * 2).Fill(0.5f);

            public override void ComputeLogits(FloatBuffer inputs, FloatBuffer logits, int rows) =>
                new Span<float>((float*)logits, rows * 2).Clear();
        }
    }
}
