using System;
using System.IO;
using System.Linq;
using EndToEndModels;
using SoftGen.Cpu;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Training;

/// <summary>
/// TrainerOptions.ClipGradientNorm and ClipGradientValue on the CPU backend against float64 re-derivations of PyTorch's
/// clip_grad_value_, clip_grad_norm_ (norm = sqrt(sum g^2), coef = max_norm / (norm + 1e-6), g *= min(coef, 1)) and a
/// plain SGD step p' = p - lr g, fed the trainer's own gradients (read back through the accessors).
/// </summary>
public sealed class GradientClippingTests
{
    private const int N = LinearTrainer.StorageLength;

    [Fact]
    public void Norm_clipping_scales_the_SGD_update_as_a_float64_clip_grad_norm_does()
    {
        const float lr = 0.5f, maxNorm = 0.05f;
        using var t = new LinearTrainer(Data.Options(Optimizer.Sgd(lr), batchSize: 5, seed: 3) with { ClipGradientNorm = maxNorm });
        var (x, y) = Data.Make(40);
        for (int step = 0; step < 8; step++)
        {
            var p = Storage(t);
            t.TrainStep(x.AsSpan(step * 15, 15), y.AsSpan(step * 10, 10), 5);
            var g = Gradients(t); // norm clipping scales inside the update: the stored gradients are the unclipped ones
            double norm = Math.Sqrt(g.Sum(v => v * v));
            AssertClose(norm, t.GradientNorm, 1e-12, $"norm at step {step + 1}");
            double coef = Math.Min(1.0, maxNorm / (norm + 1e-6));
            Assert.True(coef < 0.5, $"step {step + 1}: the norm {norm} is too small for max_norm {maxNorm} to clip");
            for (int k = 0; k < N; k++) AssertUpdate(p[k] - lr * coef * g[k], p[k], lr * coef * g[k], t.StorageAt(k), $"step {step + 1}, storage {k}");
        }
        ParameterAccessTests.AssertPaddingIsZero(t);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Value_clipping_then_norm_clipping_match_a_float64_rederivation(bool withNorm)
    {
        const float lr = 0.5f;
        var options = Data.Options(Optimizer.Sgd(lr), batchSize: 5, seed: 3);
        using var raw = new LinearTrainer(options); // the unclipped gradients at t's weights
        var (x, y) = Data.Make(40);
        // The clip value: the median magnitude of the first batch's gradients, so that about half are clamped; the
        // clamped norm is then about twice it, so max_norm = clip scales by about a half.
        raw.TrainStep(x.AsSpan(0, 15), y.AsSpan(0, 10), 5);
        var magnitudes = Enumerable.Range(0, N).Select(k => MathF.Abs(raw.GradientAt(k))).Where(v => v > 0).Order().ToArray();
        float clip = magnitudes[magnitudes.Length / 2], maxNorm = clip;
        using var t = new LinearTrainer(options with { ClipGradientValue = clip, ClipGradientNorm = withNorm ? maxNorm : null });
        int clamped = 0, kept = 0;
        for (int step = 0; step < 8; step++)
        {
            CopyParameters(t, raw);
            raw.TrainStep(x.AsSpan(step * 15, 15), y.AsSpan(step * 10, 10), 5);
            var p = Storage(t);
            t.TrainStep(x.AsSpan(step * 15, 15), y.AsSpan(step * 10, 10), 5);

            var g = new double[N];
            for (int k = 0; k < N; k++)
            {
                double r = raw.GradientAt(k);
                g[k] = Math.Clamp(r, -clip, clip);
                if (Math.Abs(r) > clip) clamped++;
                else if (r != 0) kept++;
                Assert.Equal((float)g[k], t.GradientAt(k)); // clip_grad_value_ clamps the stored gradients in place
            }
            double norm = Math.Sqrt(g.Sum(v => v * v));
            AssertClose(norm, t.GradientNorm, 1e-12, $"norm at step {step + 1}");
            double coef = withNorm ? Math.Min(1.0, maxNorm / (norm + 1e-6)) : 1.0;
            if (withNorm) Assert.True(coef < 0.9, $"step {step + 1}: the clamped norm {norm} is too small for max_norm {maxNorm} to clip");
            for (int k = 0; k < N; k++) AssertUpdate(p[k] - lr * coef * g[k], p[k], lr * coef * g[k], t.StorageAt(k), $"step {step + 1}, storage {k}");
        }
        Assert.True(clamped > 8 && kept > 8, $"{clamped} gradients clamped, {kept} kept: the clip value should split them");
    }

    [Theory]
    [InlineData("sgd-momentum")]
    [InlineData("adamw")]
    public void A_max_norm_above_the_norm_changes_nothing(string name)
    {
        Optimizer Make() => name == "adamw" ? Optimizer.AdamW(0.01f, weightDecay: 0.1f) : Optimizer.Sgd(0.1f, momentum: 0.9f);
        using var plain = MnistMlp.CreateTrainer(new TrainerOptions { Optimizer = Make(), BatchSize = 16, Seed = 4, ThreadCount = 2 });
        using var clipped = MnistMlp.CreateTrainer(plain.Options with { ClipGradientNorm = 1e6f });
        var (x, y) = Batches(plain.Model, 4, 16, seed: 8);
        for (int step = 0; step < 4; step++)
        {
            plain.TrainStep(Rows(x, step, 16, 784), Rows(y, step, 16, 10), 16);
            clipped.TrainStep(Rows(x, step, 16, 784), Rows(y, step, 16, 10), 16);
            Assert.True(clipped.GradientNorm < 1e3, $"norm {clipped.GradientNorm}");
            Assert.Equal(plain.GradientNorm, clipped.GradientNorm); // measured lazily without clipping: the same pass
        }
        foreach (var p in plain.Model.Parameters)
            Assert.Equal(Read(plain.GetParameter, p), Read(clipped.GetParameter, p));
    }

    [Fact]
    public void The_thread_count_changes_neither_the_norm_nor_the_weights()
    {
        // MnistMlp's storage (over 100,000 floats) is measured and updated in parallel from 2 threads on.
        var options = new TrainerOptions { Optimizer = Optimizer.Adam(0.01f), BatchSize = 16, Seed = 2, ThreadCount = 1, ClipGradientNorm = 0.05f, ClipGradientValue = 0.01f };
        using var one = MnistMlp.CreateTrainer(options);
        using var two = MnistMlp.CreateTrainer(options with { ThreadCount = 2 });
        using var three = MnistMlp.CreateTrainer(options with { ThreadCount = 3 });
        var (x, y) = Batches(one.Model, 3, 16, seed: 6);
        for (int step = 0; step < 3; step++)
        {
            foreach (var t in new[] { one, two, three }) t.TrainStep(Rows(x, step, 16, 784), Rows(y, step, 16, 10), 16);
            double reference = Math.Sqrt(one.Model.Parameters.Sum(p => Read(one.GetGradient, p).Sum(g => (double)g * g)));
            AssertClose(reference, one.GradientNorm, 1e-12, $"norm at step {step + 1}");
            Assert.True(one.GradientNorm > 0.1, $"norm {one.GradientNorm}: max_norm should clip");
            Assert.Equal(one.GradientNorm, two.GradientNorm);
            Assert.Equal(one.GradientNorm, three.GradientNorm);
        }
        foreach (var p in one.Model.Parameters)
        {
            Assert.Equal(Read(one.GetParameter, p), Read(two.GetParameter, p));
            Assert.Equal(Read(one.GetParameter, p), Read(three.GetParameter, p));
        }
    }

    [Theory]
    [InlineData("ClipGradientNorm", 0f)]
    [InlineData("ClipGradientNorm", -1f)]
    [InlineData("ClipGradientNorm", float.NaN)]
    [InlineData("ClipGradientNorm", float.PositiveInfinity)]
    [InlineData("ClipGradientValue", 0f)]
    [InlineData("ClipGradientValue", -0.5f)]
    [InlineData("ClipGradientValue", float.NaN)]
    [InlineData("ClipGradientValue", float.PositiveInfinity)]
    public void An_option_that_is_not_positive_and_finite_is_refused_by_name(string option, float value)
    {
        var options = Data.Options(Optimizer.Sgd(0.1f));
        options = option == "ClipGradientNorm" ? options with { ClipGradientNorm = value } : options with { ClipGradientValue = value };
        var e = Assert.Throws<ArgumentException>(() => new LinearTrainer(options));
        Assert.Equal("options", e.ParamName);
        Assert.Contains($"TrainerOptions.{option} is {value}", e.Message);
        Assert.Contains("positive and finite", e.Message);
    }

    [Fact]
    public void Gradients_near_floats_limit_give_a_finite_norm_and_a_bounded_update()
    {
        const float lr = 0.1f, maxNorm = 1f;
        using var t = new FixedGradientTrainer(Data.Options(Optimizer.Sgd(lr)) with { ClipGradientNorm = maxNorm });
        t.Gradient[0] = 3e38f;
        t.Gradient[1] = -3e38f;
        t.Gradient[17] = 1e30f;
        t.Gradient[40] = 0.25f;
        var p = t.Weights();
        t.TrainOnce();

        double norm = Math.Sqrt(t.Gradient.Sum(g => (double)g * g)); // 4.2e38: past float's range, well inside double's
        Assert.True(norm > float.MaxValue);
        AssertClose(norm, t.GradientNorm, 1e-12, "norm");
        double coef = maxNorm / (norm + 1e-6);
        var after = t.Weights();
        for (int k = 0; k < after.Length; k++)
        {
            double update = lr * coef * t.Gradient[k];
            Assert.True(Math.Abs(after[k] - (p[k] - update)) <= 1e-6 * Math.Abs(p[k]) + 1e-6 * Math.Abs(update) + 1e-45,
                $"weight {k}: expected {p[k] - update}, got {after[k]}");
        }
        Assert.NotEqual(p[0], after[0]); // 0.07 = lr * 3e38 / 4.2e38 moved it
    }

    [Theory]
    [InlineData(float.NaN, true, false)]
    [InlineData(float.NaN, false, true)]
    [InlineData(float.PositiveInfinity, true, false)]
    public void A_non_finite_norm_refuses_the_step_and_leaves_the_weights(float bad, bool norm, bool value)
    {
        using var t = new FixedGradientTrainer(Data.Options(Optimizer.Adam(0.1f)) with
        {
            ClipGradientNorm = norm ? 1f : null,
            ClipGradientValue = value ? 0.5f : null,
        });
        t.Gradient[3] = 0.5f;
        t.Gradient[20] = bad;
        var before = t.Weights();
        var e = Assert.Throws<InvalidOperationException>(() => t.TrainOnce());
        Assert.Contains($"gradient norm became {(double)bad} at step 1", e.Message);
        Assert.Contains("left unchanged", e.Message);
        Assert.Equal(0, t.Step);
        Assert.Equal(before, t.Weights());
        Assert.Equal((double)bad, t.GradientNorm);

        // The trainer stays usable: a finite gradient is applied as update 1.
        t.Gradient[20] = 0f;
        t.TrainOnce();
        Assert.Equal(1, t.Step);
        Assert.Equal(0.5, t.GradientNorm);
        Assert.NotEqual(before[3], t.Weights()[3]);
        Assert.All(t.Weights(), w => Assert.True(float.IsFinite(w)));
    }

    [Fact]
    public void Value_clipping_clamps_an_infinite_gradient_as_torch_clamp_does()
    {
        const float lr = 0.5f, clip = 0.25f;
        using var t = new FixedGradientTrainer(Data.Options(Optimizer.Sgd(lr)) with { ClipGradientValue = clip });
        t.Gradient[2] = float.PositiveInfinity;
        t.Gradient[9] = float.NegativeInfinity;
        t.Gradient[30] = 0.125f;
        var p = t.Weights();
        t.TrainOnce();
        AssertClose(Math.Sqrt(2 * 0.25 * 0.25 + 0.125 * 0.125), t.GradientNorm, 1e-15, "norm");
        var after = t.Weights();
        Assert.Equal(p[2] - lr * clip, after[2]);
        Assert.Equal(p[9] + lr * clip, after[9]);
        Assert.Equal(p[30] - lr * 0.125f, after[30]);
        Assert.Equal(p[31], after[31]);
    }

    [Fact]
    public void GradientNorm_is_NaN_before_a_step_then_the_last_steps_norm()
    {
        using var t = new LinearTrainer(Data.Options(Optimizer.Sgd(0.5f), batchSize: 5));
        using var unread = new LinearTrainer(Data.Options(Optimizer.Sgd(0.5f), batchSize: 5));
        Assert.True(double.IsNaN(t.GradientNorm));
        var (x, y) = Data.Make(20);
        for (int step = 0; step < 3; step++)
        {
            t.TrainStep(x.AsSpan(step * 15, 15), y.AsSpan(step * 10, 10), 5);
            unread.TrainStep(x.AsSpan(step * 15, 15), y.AsSpan(step * 10, 10), 5);
            double expected = Math.Sqrt(Gradients(t).Sum(g => g * g));
            AssertClose(expected, t.GradientNorm, 1e-12, $"norm at step {step + 1}");
            Assert.Equal(t.GradientNorm, t.GradientNorm);
        }
        // Measuring the norm changes no weight.
        for (int k = 0; k < N; k++) Assert.Equal(unread.StorageAt(k), t.StorageAt(k));

        // A step refused for its loss reports the norm of its own gradients.
        t.ForcedLoss = float.NaN;
        Assert.Throws<InvalidOperationException>(() => t.TrainStep(x.AsSpan(45, 15), y.AsSpan(30, 10), 5));
        AssertClose(Math.Sqrt(Gradients(t).Sum(g => g * g)), t.GradientNorm, 1e-12, "norm of the refused step");
    }

    [Fact]
    public void A_checkpoint_of_a_clipped_run_resumes_bit_for_bit()
    {
        var options = new TrainerOptions { Optimizer = Optimizer.Adam(0.01f), BatchSize = 16, Seed = 5, ThreadCount = 2, ClipGradientNorm = 0.5f, ClipGradientValue = 0.02f };
        using var straight = MnistMlp.CreateTrainer(options);
        var (x, y) = Batches(straight.Model, 6, 16, seed: 9);
        for (int step = 0; step < 3; step++) straight.TrainStep(Rows(x, step, 16, 784), Rows(y, step, 16, 10), 16);
        using var saved = new MemoryStream();
        straight.SaveCheckpoint(saved);
        saved.Position = 0;
        using var resumed = MnistMlp.CreateTrainer(options);
        resumed.LoadCheckpoint(saved);
        for (int step = 3; step < 6; step++)
        {
            straight.TrainStep(Rows(x, step, 16, 784), Rows(y, step, 16, 10), 16);
            resumed.TrainStep(Rows(x, step, 16, 784), Rows(y, step, 16, 10), 16);
            Assert.Equal(straight.GradientNorm, resumed.GradientNorm);
        }
        foreach (var p in straight.Model.Parameters)
            Assert.Equal(Read(straight.GetParameter, p), Read(resumed.GetParameter, p));
    }

    [Fact]
    public void A_clipped_TrainStep_and_GradientNorm_allocate_nothing_after_warm_up()
    {
        var options = new TrainerOptions { Optimizer = Optimizer.AdamW(1e-3f), BatchSize = 16, Seed = 1, ThreadCount = 2, ClipGradientNorm = 0.5f, ClipGradientValue = 0.01f };
        using var clipped = MnistMlp.CreateTrainer(options);
        using var measured = MnistMlp.CreateTrainer(options with { ClipGradientNorm = null, ClipGradientValue = null });
        var (x, y) = Batches(clipped.Model, 1, 16, seed: 1);
        double sum = 0;
        for (int k = 0; k < 5; k++)
        {
            clipped.TrainStep(x, y, 16);
            measured.TrainStep(x, y, 16);
            sum += clipped.GradientNorm + measured.GradientNorm;
        }
        // The tiered JIT can allocate once while promoting a method: retry the measurement.
        long allocated = 0;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int k = 0; k < 20; k++)
            {
                clipped.TrainStep(x, y, 16);
                measured.TrainStep(x, y, 16);
                sum += clipped.GradientNorm + measured.GradientNorm;
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated == 0) break;
        }
        Assert.Equal(0, allocated);
        Assert.True(double.IsFinite(sum));
    }

    // ---- helpers ----

    internal static void AssertClose(double expected, double actual, double relative, string what) =>
        Assert.True(Math.Abs(expected - actual) <= relative * Math.Abs(expected), $"{what}: expected {expected:R}, got {actual:R}");

    /// <summary>A float update p' = p - u against its float64 value: a few roundings of p and of u.</summary>
    private static void AssertUpdate(double expected, double p, double update, float actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 2e-7 * Math.Abs(p) + 5e-7 * Math.Abs(update) + 1e-30,
            $"{what}: expected {expected:R}, got {actual:R}");

    private static double[] Storage(LinearTrainer t)
    {
        var s = new double[N];
        for (int k = 0; k < N; k++) s[k] = t.StorageAt(k);
        return s;
    }

    private static double[] Gradients(LinearTrainer t)
    {
        var g = new double[N];
        for (int k = 0; k < N; k++) g[k] = t.GradientAt(k);
        return g;
    }

    private static void CopyParameters(TrainerBase from, TrainerBase to)
    {
        foreach (var p in from.Model.Parameters) to.SetParameter(p.Name, Read(from.GetParameter, p));
    }

    internal delegate void Reader(string name, Span<float> destination);

    internal static float[] Read(Reader read, ParameterInfo p)
    {
        var values = new float[p.Length];
        read(p.Name, values);
        return values;
    }

    internal static (float[] X, float[] Y) Batches(ModelInfo model, int batches, int rows, int seed) =>
        SoftGen.Tests.Gpu.GpuAgreementTests.Batch(model, new Random(seed), batches * rows);

    internal static ReadOnlySpan<float> Rows(float[] values, int batch, int rows, int width) => values.AsSpan(batch * rows * width, rows * width);
}

/// <summary>
/// A trainer whose gradients are whatever the test puts in <see cref="Gradient"/> (the whole storage: one parameter
/// [4, 16], no padding), with a finite loss: to drive the clipping pass with gradients no model would give.
/// </summary>
internal sealed unsafe class FixedGradientTrainer : TrainerBase
{
    public const int Length = 64;

    public FixedGradientTrainer(TrainerOptions options)
        : base(new ModelInfo("Tests.FixedGradient", 4, 16, LossKind.SoftmaxCrossEntropy, 0f, 1f, Length,
            new[] { new ParameterInfo("layers.0.weight", 16, 4, 0, 16, ParameterInit.GlorotUniform, 1f) }, "fixed"),
            options, (model, o) => new FixedProgram(model, o))
    {
    }

    public float[] Gradient { get; } = new float[Length];

    /// <summary>One TrainStep on a dummy batch of one row.</summary>
    public float TrainOnce()
    {
        Span<float> x = stackalloc float[4];
        Span<float> y = stackalloc float[16];
        y[0] = 1;
        ((FixedProgram)Program).Source = Gradient;
        return TrainStep(x, y, 1);
    }

    /// <summary>The weights in storage order, the order of <see cref="Gradient"/>.</summary>
    public float[] Weights() => new ReadOnlySpan<float>((float*)Program.AccessHost(willWrite: false).Parameters, Length).ToArray();

    private sealed class FixedProgram(ModelInfo model, TrainerOptions options) : CpuProgram(model, options)
    {
        public float[] Source = Array.Empty<float>();

        public override float ComputeLossAndGradients(FloatBuffer inputs, FloatBuffer targets, FloatBuffer weights, int rows, long step)
        {
            for (int k = 0; k < Length; k++) ((float*)Gradients)[k] = Source[k];
            return 1f;
        }

        public override void ComputeProbabilities(FloatBuffer inputs, FloatBuffer probabilities, int rows) { }

        public override void ComputeLogits(FloatBuffer inputs, FloatBuffer logits, int rows) { }
    }
}
