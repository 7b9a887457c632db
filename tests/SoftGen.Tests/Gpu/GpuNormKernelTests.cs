using System;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using SoftGen.Gpu.Kernels;
using Xunit;
using static SoftGen.Tests.Gpu.Float64Activations;

namespace SoftGen.Tests.Gpu;

/// <summary>
/// BatchNorm and LayerNorm kernels on ILGPU's CPU accelerator against float64 references written here: PyTorch's
/// training forward (batch mean, biased variance, running statistics moved toward the unbiased variance), inference
/// from the running statistics, and backward against central finite differences of a float64 forward. Shapes: an
/// image of 3 real channels in a stride of 16 over 5 x 7 pixels (its padding must stay 0) and flat rows of 10 features,
/// with enough rows for two reduction chunks, the last partial.
/// </summary>
public sealed class GpuNormKernelTests
{
    public readonly struct ImageBatchNorm : IBatchNormLayer
    {
        public int Channels => 3;
        public int Stride => 16;
        public int Pixels => 35;
        public int GammaOffset => 5;
        public int BetaOffset => 21;
        public float Epsilon => 1e-5f;
        public float Momentum => 0.1f;
        public int MeanOffset => 3;
        public int VarianceOffset => 19;
    }

    public readonly struct FlatBatchNorm : IBatchNormLayer
    {
        public int Channels => 10;
        public int Stride => 10;
        public int Pixels => 1;
        public int GammaOffset => 0;
        public int BetaOffset => 16;
        public float Epsilon => 1e-3f;
        public float Momentum => 0.25f;
        public int MeanOffset => 0;
        public int VarianceOffset => 16;
    }

    public readonly struct FlatLayerNorm : INormLayer
    {
        public int Channels => 10;
        public int Stride => 10;
        public int Pixels => 1;
        public int GammaOffset => 2;
        public int BetaOffset => 18;
        public float Epsilon => 1e-5f;
    }

    private const int ImageRows = 9; // 315 positions: chunks of 256 and 59
    private const int FlatRows = 300;
    private const int ParameterLength = 40, StateLength = 40;

    // ---- the float64 references ----

    private sealed record Layout(int Channels, int Stride, int Pixels, int Rows)
    {
        public int Positions => Rows * Pixels;
        public int Elements => Positions * Stride;
        public bool Real(int e) => e % Stride < Channels;
    }

    private static Layout Of<T>(int rows) where T : struct, ITensorLayout => new(default(T).Channels, default(T).Stride, default(T).Pixels, rows);

    /// <summary>Per channel over all positions: mean and biased variance.</summary>
    private static (double[] Mean, double[] Variance) BatchMoments(Layout s, double[] x)
    {
        var mean = new double[s.Channels];
        var variance = new double[s.Channels];
        for (int c = 0; c < s.Channels; c++)
        {
            for (int q = 0; q < s.Positions; q++) mean[c] += x[q * s.Stride + c];
            mean[c] /= s.Positions;
            for (int q = 0; q < s.Positions; q++) variance[c] += Math.Pow(x[q * s.Stride + c] - mean[c], 2);
            variance[c] /= s.Positions;
        }
        return (mean, variance);
    }

    /// <summary>y = gamma (x - mean) / sqrt(var + eps) + beta on the real channels (0 on the padding), with the batch's or given statistics.</summary>
    private static double[] BatchNormForward(Layout s, double[] x, double[] gamma, double[] beta, double eps, double[]? mean = null, double[]? variance = null)
    {
        if (mean is null) (mean, variance) = BatchMoments(s, x);
        var y = new double[s.Elements];
        for (int e = 0; e < y.Length; e++)
        {
            int c = e % s.Stride;
            if (c < s.Channels) y[e] = gamma[c] * (x[e] - mean[c]) / Math.Sqrt(variance![c] + eps) + beta[c];
        }
        return y;
    }

    private static double[] LayerNormForward(Layout s, double[] x, double[] gamma, double[] beta, double eps)
    {
        var y = new double[s.Elements];
        for (int q = 0; q < s.Positions; q++)
        {
            double mean = 0, variance = 0;
            for (int c = 0; c < s.Channels; c++) mean += x[q * s.Stride + c];
            mean /= s.Channels;
            for (int c = 0; c < s.Channels; c++) variance += Math.Pow(x[q * s.Stride + c] - mean, 2);
            variance /= s.Channels;
            for (int c = 0; c < s.Channels; c++) y[q * s.Stride + c] = gamma[c] * (x[q * s.Stride + c] - mean) / Math.Sqrt(variance + eps) + beta[c];
        }
        return y;
    }

    // ---- data ----

    /// <summary>Real channels offset by 2c and scaled by 1 + c (so that the statistics differ per channel); padding 0.</summary>
    private static float[] Input(Layout s, int seed)
    {
        var random = new Random(seed);
        var x = new float[s.Elements];
        for (int e = 0; e < x.Length; e++)
        {
            int c = e % s.Stride;
            if (c < s.Channels) x[e] = 2f * c + (1f + c) * (float)(random.NextDouble() * 2 - 1);
        }
        return x;
    }

    /// <summary>Pre-activations for the backward tests: within about +-1 of 0.1c, where tanh and sigmoid do not saturate (a saturated channel's variance would be float rounding).</summary>
    private static double[] PreActivations(Layout s, int seed) =>
        Input(s, seed).Select((v, e) => e % s.Stride < s.Channels ? 0.1 * (e % s.Stride) + 0.5 * (v - 2 * (e % s.Stride)) / (1 + e % s.Stride) : 0).ToArray();

    /// <summary>Gamma and beta at the layer's offsets, a marker (99) elsewhere that no kernel may touch.</summary>
    private static float[] Parameters<T>(int seed) where T : struct, INormLayer
    {
        var l = default(T);
        var random = new Random(seed);
        var p = Enumerable.Repeat(99f, ParameterLength).ToArray();
        for (int c = 0; c < l.Channels; c++)
        {
            p[l.GammaOffset + c] = 0.5f + (float)random.NextDouble();
            p[l.BetaOffset + c] = (float)(random.NextDouble() - 0.5);
        }
        return p;
    }

    private static double[] Gamma<T>(float[] p) where T : struct, INormLayer =>
        Enumerable.Range(0, default(T).Channels).Select(c => (double)p[default(T).GammaOffset + c]).ToArray();

    private static double[] Beta<T>(float[] p) where T : struct, INormLayer =>
        Enumerable.Range(0, default(T).Channels).Select(c => (double)p[default(T).BetaOffset + c]).ToArray();

    private static double[] ToDouble(float[] values) => values.Select(v => (double)v).ToArray();

    private static void Near(double expected, float actual, double tolerance, string what) =>
        Assert.True(Math.Abs(actual - expected) <= tolerance, $"{what}: expected {expected:R}, got {actual:R} (tolerance {tolerance:G3})");

    private static void AssertPaddingZero(Layout s, float[] values, string what)
    {
        for (int e = 0; e < values.Length; e++)
            if (!s.Real(e)) Assert.True(values[e] == 0f, $"{what}[{e}] (padding) = {values[e]}");
    }

    // ---- BatchNorm forward ----

    /// <summary>Runs the training statistics; returns (saved, state) after them.</summary>
    private static (float[] Saved, float[] State) TrainingStatistics<T>(GpuKernelHarness h, ArrayView<float> x, ArrayView<float> saved, float[] state0, int rows)
        where T : struct, IBatchNormLayer
    {
        var l = default(T);
        using var partials = h.Filled(ChannelChunks.PartialsLength(rows * l.Pixels, l.Channels));
        using var state = h.Upload(state0);
        var moments = h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(BatchNorm.Moments<T>);
        var statistics = h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(BatchNorm.Statistics<T>);
        moments(h.For(ChannelChunks.ChunkThreads<T>(rows)), x, partials.View, rows);
        statistics(h.For(l.Channels), partials.View, saved, state.View, rows);
        h.Accelerator.Synchronize();
        return (saved.GetAsArray(), state.GetAsArray1D());
    }

    private static float[] InitialState<T>() where T : struct, IBatchNormLayer
    {
        var l = default(T);
        var state = Enumerable.Repeat(-7f, StateLength).ToArray();
        for (int c = 0; c < l.Channels; c++)
        {
            state[l.MeanOffset + c] = 0.5f - 0.1f * c;
            state[l.VarianceOffset + c] = 2f + c;
        }
        return state;
    }

    private static void CheckStatistics<T>(Layout s, double[] x, float[] saved, float[] state0, float[] state) where T : struct, IBatchNormLayer
    {
        var l = default(T);
        var (mean, variance) = BatchMoments(s, x);
        double n = s.Positions, m = l.Momentum;
        for (int c = 0; c < s.Channels; c++)
        {
            Near(mean[c], saved[c], 1e-5 * (1 + Math.Abs(mean[c])), $"mean[{c}]");
            double invStd = 1 / Math.Sqrt(variance[c] + l.Epsilon);
            Near(invStd, saved[s.Channels + c], 1e-5 * invStd, $"invStd[{c}]");
            Near((1 - m) * state0[l.MeanOffset + c] + m * mean[c], state[l.MeanOffset + c], 1e-5, $"running_mean[{c}]");
            double unbiased = variance[c] * n / (n - 1);
            Near((1 - m) * state0[l.VarianceOffset + c] + m * unbiased, state[l.VarianceOffset + c], 1e-5 * (1 + unbiased), $"running_var[{c}]");
        }
        for (int i = 0; i < state.Length; i++)
            if ((i < l.MeanOffset || i >= l.MeanOffset + s.Channels) && (i < l.VarianceOffset || i >= l.VarianceOffset + s.Channels))
                Assert.Equal(state0[i], state[i]);
    }

    [Fact]
    public void BatchNorm2d_training_forward_matches_float64_with_running_statistics_and_zero_padding()
    {
        using var h = new GpuKernelHarness();
        var s = Of<ImageBatchNorm>(ImageRows);
        var x = Input(s, 1);
        var p = Parameters<ImageBatchNorm>(2);
        var state0 = InitialState<ImageBatchNorm>();
        using var xb = h.Upload(x);
        using var pb = h.Upload(p);
        using var saved = h.Filled(2 * s.Channels);
        using var a = h.Filled(s.Elements);
        var (savedValues, state) = TrainingStatistics<ImageBatchNorm>(h, xb.View, saved.View, state0, ImageRows);
        CheckStatistics<ImageBatchNorm>(s, ToDouble(x), savedValues, state0, state);

        var normalize = h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(
            BatchNorm.Normalize<ImageBatchNorm, ReluActivation>);
        normalize(h.For(ChannelChunks.ElementThreads<ImageBatchNorm>(ImageRows)), xb.View, pb.View, saved.View, a.View, ImageRows);
        var actual = a.GetAsArray1D();

        var y = BatchNormForward(s, ToDouble(x), Gamma<ImageBatchNorm>(p), Beta<ImageBatchNorm>(p), 1e-5);
        for (int e = 0; e < s.Elements; e++)
            if (s.Real(e)) Near(Math.Max(y[e], 0), actual[e], 2e-5 * (1 + Math.Abs(y[e])), $"a[{e}]");
        AssertPaddingZero(s, actual, "a");
    }

    [Fact]
    public void BatchNorm2d_fused_shortcut_keeps_z_and_applies_SiLU()
    {
        using var h = new GpuKernelHarness();
        var s = Of<ImageBatchNorm>(ImageRows);
        var x = Input(s, 3);
        var shortcut = Input(s, 4);
        var p = Parameters<ImageBatchNorm>(5);
        using var xb = h.Upload(x);
        using var sb = h.Upload(shortcut);
        using var pb = h.Upload(p);
        using var saved = h.Filled(2 * s.Channels);
        using var z = h.Filled(s.Elements);
        using var a = h.Filled(s.Elements);
        TrainingStatistics<ImageBatchNorm>(h, xb.View, saved.View, InitialState<ImageBatchNorm>(), ImageRows);
        var normalize = h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(
            BatchNorm.NormalizeAddingKeepingZ<ImageBatchNorm, SiluActivation>);
        normalize(h.For(ChannelChunks.ElementThreads<ImageBatchNorm>(ImageRows)), xb.View, sb.View, pb.View, saved.View, z.View, a.View, ImageRows);
        var zs = z.GetAsArray1D();
        var activations = a.GetAsArray1D();

        var y = BatchNormForward(s, ToDouble(x), Gamma<ImageBatchNorm>(p), Beta<ImageBatchNorm>(p), 1e-5);
        for (int e = 0; e < s.Elements; e++)
        {
            if (!s.Real(e)) continue;
            double expected = y[e] + shortcut[e];
            Near(expected, zs[e], 2e-5 * (1 + Math.Abs(expected)), $"z[{e}]");
            Near(Silu(expected), activations[e], 2e-5 * (1 + Math.Abs(expected)), $"a[{e}]");
        }
        AssertPaddingZero(s, zs, "z");
        AssertPaddingZero(s, activations, "a");
    }

    [Fact]
    public void BatchNorm_inference_uses_the_running_statistics()
    {
        using var h = new GpuKernelHarness();
        var s = Of<ImageBatchNorm>(2);
        var x = Input(s, 6);
        var p = Parameters<ImageBatchNorm>(7);
        var state = InitialState<ImageBatchNorm>();
        using var xb = h.Upload(x);
        using var pb = h.Upload(p);
        using var sb = h.Upload(state);
        using var saved = h.Filled(2 * s.Channels);
        using var a = h.Filled(s.Elements);
        var running = h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>>(BatchNorm.UseRunningStatistics<ImageBatchNorm>);
        var normalize = h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(
            BatchNorm.Normalize<ImageBatchNorm, TanhActivation>);
        running(h.For(s.Channels), sb.View, saved.View);
        normalize(h.For(s.Elements), xb.View, pb.View, saved.View, a.View, 2);
        var actual = a.GetAsArray1D();

        var l = default(ImageBatchNorm);
        var mean = Enumerable.Range(0, s.Channels).Select(c => (double)state[l.MeanOffset + c]).ToArray();
        var variance = Enumerable.Range(0, s.Channels).Select(c => (double)state[l.VarianceOffset + c]).ToArray();
        var y = BatchNormForward(s, ToDouble(x), Gamma<ImageBatchNorm>(p), Beta<ImageBatchNorm>(p), 1e-5, mean, variance);
        for (int e = 0; e < s.Elements; e++)
            if (s.Real(e)) Near(Math.Tanh(y[e]), actual[e], 2e-6, $"a[{e}]");
        AssertPaddingZero(s, actual, "a");
        Assert.Equal(state, sb.GetAsArray1D()); // inference leaves the running statistics alone
    }

    [Fact]
    public void BatchNorm1d_training_forward_keeping_z_matches_float64()
    {
        using var h = new GpuKernelHarness();
        var s = Of<FlatBatchNorm>(FlatRows);
        var x = Input(s, 8);
        var p = Parameters<FlatBatchNorm>(9);
        var state0 = InitialState<FlatBatchNorm>();
        using var xb = h.Upload(x);
        using var pb = h.Upload(p);
        using var saved = h.Filled(2 * s.Channels);
        using var z = h.Filled(s.Elements);
        using var a = h.Filled(s.Elements);
        var (savedValues, state) = TrainingStatistics<FlatBatchNorm>(h, xb.View, saved.View, state0, FlatRows);
        CheckStatistics<FlatBatchNorm>(s, ToDouble(x), savedValues, state0, state);
        var normalize = h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(
            BatchNorm.NormalizeKeepingZ<FlatBatchNorm, MishActivation>);
        normalize(h.For(s.Elements), xb.View, pb.View, saved.View, z.View, a.View, FlatRows);
        var zs = z.GetAsArray1D();
        var activations = a.GetAsArray1D();

        var y = BatchNormForward(s, ToDouble(x), Gamma<FlatBatchNorm>(p), Beta<FlatBatchNorm>(p), 1e-3);
        for (int e = 0; e < s.Elements; e++)
        {
            Near(y[e], zs[e], 2e-5 * (1 + Math.Abs(y[e])), $"z[{e}]");
            Near(Mish(y[e]), activations[e], 2e-5 * (1 + Math.Abs(y[e])), $"a[{e}]");
        }
    }

    // ---- backward against finite differences ----

    /// <summary>Central differences of f at each index of <paramref name="at"/> (step 1e-5 relative to 1).</summary>
    private static double[] FiniteDifferences(double[] at, Func<double[], double> f, Func<int, bool> include)
    {
        var d = new double[at.Length];
        var probe = (double[])at.Clone();
        const double step = 1e-5;
        for (int i = 0; i < at.Length; i++)
        {
            if (!include(i)) continue;
            probe[i] = at[i] + step;
            double up = f(probe);
            probe[i] = at[i] - step;
            double down = f(probe);
            probe[i] = at[i];
            d[i] = (up - down) / (2 * step);
        }
        return d;
    }

    private static void AssertGradient(double[] expected, float[] actual, Func<int, bool> include, string what)
    {
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            if (include(i)) Near(expected[i], actual[i], 1e-4 * scale + 1e-3 * Math.Abs(expected[i]), $"{what}[{i}]");
    }

    /// <summary>
    /// The loss L = sum w y over BatchNorm(prev(u)): dZ = w, and the kernels' dZ_prev (= dL/du through the previous
    /// layer's activation), dGamma and dBeta must be its finite differences.
    /// </summary>
    private static void CheckBatchNormBackward<T>(int rows, Func<double, double> previous, bool fromInput, int seed)
        where T : struct, IBatchNormLayer
    {
        var l = default(T);
        using var h = new GpuKernelHarness();
        var s = Of<T>(rows);
        var u = PreActivations(s, seed);
        var x = u.Select(v => (float)previous(v)).ToArray();
        var w = Input(s, seed + 1).Select(v => 0.3f * v).ToArray();
        var p = Parameters<T>(seed + 2);
        using var xb = h.Upload(x);
        using var zPrev = h.Upload(u.Select(v => (float)v).ToArray());
        using var dz = h.Upload(w);
        using var pb = h.Upload(p);
        using var g = h.Filled(ParameterLength, 0f);
        using var saved = h.Filled(2 * s.Channels);
        using var partials = h.Filled(ChannelChunks.PartialsLength(s.Positions, s.Channels));
        using var dzPrev = h.Filled(s.Elements);
        TrainingStatistics<T>(h, xb.View, saved.View, InitialState<T>(), rows);
        var chunks = h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(BatchNorm.GradientChunks<T>);
        var sums = h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(ChannelChunks.ParameterGradients<T>);
        chunks(h.For(ChannelChunks.ChunkThreads<T>(rows)), xb.View, dz.View, saved.View, partials.View, rows);
        sums(h.For(s.Channels), partials.View, g.View, rows);
        if (fromInput)
            h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(
                BatchNorm.InputGradientAfterPreActivation<T, MishActivation>)(h.For(s.Elements), xb.View, zPrev.View, dz.View, pb.View, saved.View, g.View, dzPrev.View, rows);
        else
            h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(
                BatchNorm.InputGradient<T, TanhActivation>)(h.For(s.Elements), xb.View, dz.View, pb.View, saved.View, g.View, dzPrev.View, rows);
        var dx = dzPrev.GetAsArray1D();
        var grads = g.GetAsArray1D();

        double eps = l.Epsilon;
        double[] gamma = Gamma<T>(p), beta = Beta<T>(p);
        double Loss(double[] uu, double[] ga, double[] be)
        {
            var y = BatchNormForward(s, uu.Select(previous).ToArray(), ga, be, eps);
            double sum = 0;
            for (int e = 0; e < y.Length; e++) sum += w[e] * y[e];
            return sum;
        }
        AssertGradient(FiniteDifferences(u, uu => Loss(uu, gamma, beta), s.Real), dx, s.Real, "dZ_prev");
        AssertPaddingZero(s, dx, "dZ_prev");
        var dGamma = FiniteDifferences(gamma, ga => Loss(u, ga, beta), _ => true);
        var dBeta = FiniteDifferences(beta, be => Loss(u, gamma, be), _ => true);
        AssertGradient(dGamma, grads.Skip(l.GammaOffset).Take(s.Channels).ToArray(), _ => true, "dGamma");
        AssertGradient(dBeta, grads.Skip(l.BetaOffset).Take(s.Channels).ToArray(), _ => true, "dBeta");
        for (int i = 0; i < ParameterLength; i++)
            if ((i < l.GammaOffset || i >= l.GammaOffset + s.Channels) && (i < l.BetaOffset || i >= l.BetaOffset + s.Channels))
                Assert.Equal(0f, grads[i]);
    }

    [Fact]
    public void BatchNorm2d_backward_after_tanh_matches_finite_differences() =>
        CheckBatchNormBackward<ImageBatchNorm>(ImageRows, Math.Tanh, fromInput: false, seed: 10);

    [Fact]
    public void BatchNorm2d_backward_after_Mish_uses_the_kept_z() =>
        CheckBatchNormBackward<ImageBatchNorm>(ImageRows, Mish, fromInput: true, seed: 20);

    [Fact]
    public void BatchNorm1d_backward_matches_finite_differences() =>
        CheckBatchNormBackward<FlatBatchNorm>(FlatRows, Math.Tanh, fromInput: false, seed: 30);

    // ---- LayerNorm ----

    [Fact]
    public void LayerNorm_forward_and_backward_match_float64()
    {
        var l = default(FlatLayerNorm);
        using var h = new GpuKernelHarness();
        var s = Of<FlatLayerNorm>(FlatRows);
        var u = PreActivations(s, 40);
        var x = u.Select(v => (float)Sigmoid(v)).ToArray();
        var w = Input(s, 41).Select(v => 0.3f * v).ToArray();
        var p = Parameters<FlatLayerNorm>(42);
        double[] gamma = Gamma<FlatLayerNorm>(p), beta = Beta<FlatLayerNorm>(p);
        using var xb = h.Upload(x);
        using var pb = h.Upload(p);
        using var dz = h.Upload(w);
        using var saved = h.Filled(2 * s.Positions);
        using var a = h.Filled(s.Elements);
        using var rowSums = h.Filled(2 * s.Positions);
        using var partials = h.Filled(ChannelChunks.PartialsLength(s.Positions, s.Channels));
        using var g = h.Filled(ParameterLength, 0f);
        using var dzPrev = h.Filled(s.Elements);
        var acc = h.Accelerator;
        acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(LayerNorm.Statistics<FlatLayerNorm>)(h.For(s.Positions), xb.View, saved.View, FlatRows);
        acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(LayerNorm.Normalize<FlatLayerNorm, EluActivation>)(
            h.For(s.Elements), xb.View, pb.View, saved.View, a.View, FlatRows);
        acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(LayerNorm.RowGradients<FlatLayerNorm>)(
            h.For(s.Positions), xb.View, dz.View, pb.View, saved.View, rowSums.View, FlatRows);
        acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(LayerNorm.ParameterChunks<FlatLayerNorm>)(
            h.For(ChannelChunks.ChunkThreads<FlatLayerNorm>(FlatRows)), xb.View, dz.View, saved.View, partials.View, FlatRows);
        acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(ChannelChunks.ParameterGradients<FlatLayerNorm>)(h.For(s.Channels), partials.View, g.View, FlatRows);
        acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(
            LayerNorm.InputGradient<FlatLayerNorm, SigmoidActivation>)(h.For(s.Elements), xb.View, dz.View, pb.View, saved.View, rowSums.View, dzPrev.View, FlatRows);
        acc.Synchronize();

        var y = LayerNormForward(s, ToDouble(x), gamma, beta, l.Epsilon);
        var activations = a.GetAsArray1D();
        for (int e = 0; e < s.Elements; e++) Near(Elu(y[e]), activations[e], 2e-5 * (1 + Math.Abs(y[e])), $"a[{e}]");

        double Loss(double[] uu, double[] ga, double[] be)
        {
            var yy = LayerNormForward(s, uu.Select(Sigmoid).ToArray(), ga, be, l.Epsilon);
            double sum = 0;
            for (int e = 0; e < yy.Length; e++) sum += w[e] * yy[e];
            return sum;
        }
        var grads = g.GetAsArray1D();
        AssertGradient(FiniteDifferences(u, uu => Loss(uu, gamma, beta), _ => true), dzPrev.GetAsArray1D(), _ => true, "dZ_prev");
        AssertGradient(FiniteDifferences(gamma, ga => Loss(u, ga, beta), _ => true), grads.Skip(l.GammaOffset).Take(s.Channels).ToArray(), _ => true, "dGamma");
        AssertGradient(FiniteDifferences(beta, be => Loss(u, gamma, be), _ => true), grads.Skip(l.BetaOffset).Take(s.Channels).ToArray(), _ => true, "dBeta");
    }

    // ---- determinism ----

    [Fact]
    public void BatchNorm_results_do_not_depend_on_the_group_size()
    {
        float[] Run(int groupSize)
        {
            using var h = new GpuKernelHarness(groupSize);
            var s = Of<ImageBatchNorm>(ImageRows);
            using var xb = h.Upload(Input(s, 50));
            using var saved = h.Filled(2 * s.Channels);
            var (values, state) = TrainingStatistics<ImageBatchNorm>(h, xb.View, saved.View, InitialState<ImageBatchNorm>(), ImageRows);
            return values.Concat(state).ToArray();
        }
        Assert.Equal(Run(16), Run(5));
    }
}
