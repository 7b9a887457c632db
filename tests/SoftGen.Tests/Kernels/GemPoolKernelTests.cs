using System;
using System.Linq;
using SoftGen.Cpu;
using Xunit;
using static SoftGen.Tests.Kernels.NormReference;

namespace SoftGen.Tests.Kernels;

internal readonly struct GemSignal : IGemPoolShape
{
    public static int Channels => 64; public static int ChannelStride => 64; public static int Height => 1; public static int Width => 250;
    public static float Epsilon => 1e-6f;
}

internal readonly struct GemImage : IGemPoolShape
{
    public static int Channels => 20; public static int ChannelStride => 32; public static int Height => 3; public static int Width => 5;
    public static float Epsilon => 1e-6f;
}

/// <summary>One pixel: y = max(x, eps).</summary>
internal readonly struct GemFlat : IGemPoolShape
{
    public static int Channels => 5; public static int ChannelStride => 16; public static int Height => 1; public static int Width => 1;
    public static float Epsilon => 1e-6f;
}

/// <summary>A large epsilon, so that many inputs are clamped.</summary>
internal readonly struct GemCoarse : IGemPoolShape
{
    public static int Channels => 3; public static int ChannelStride => 16; public static int Height => 2; public static int Width => 3;
    public static float Epsilon => 0.1f;
}

/// <summary>GemPoolKernels against float64 references written here and finite differences.</summary>
public unsafe class GemPoolKernelTests
{
    [Fact]
    public void ForwardMatchesFloat64()
    {
        Forward<GemSignal>(p: 3f, rows: 3, scale: 1.5f);
        Forward<GemImage>(p: 1f, rows: 2, scale: 1.5f);
        Forward<GemImage>(p: 8f, rows: 2, scale: 1.5f);
        Forward<GemFlat>(p: 2.5f, rows: 4, scale: 1.5f);
        Forward<GemCoarse>(p: 3f, rows: 3, scale: 1.5f);
    }

    [Fact]
    public void ExtremeInputsStayFiniteAndAccurate()
    {
        foreach (float p in new[] { 1f, 1.5f, 3f, 8f })
        {
            Forward<GemSignal>(p, rows: 2, scale: 1e4f);
            Forward<GemImage>(p, rows: 2, scale: 1e4f);
            Forward<GemImage>(p, rows: 2, scale: 1e-5f); // x^8 is below the smallest float: the log domain keeps it
            Gradients<GemImage, Identity>(nameof(Identity), p, rows: 2, scale: 1e4f);
            Gradients<GemImage, Identity>(nameof(Identity), p, rows: 2, scale: 1e-5f);
        }
    }

    [Fact]
    public void InputsBelowEpsilonPoolToEpsilonWithZeroGradient()
    {
        const int rows = 2;
        int cs = GemImage.ChannelStride, pixels = 15;
        using var pool = new WorkerPool(2);
        using var x = new NativeFloats(rows * pixels * cs);
        for (int i = 0; i < rows * pixels; i++)
            for (int c = 0; c < GemImage.Channels; c++)
                x[i * cs + c] = c % 2 == 0 ? -3f : 0f;
        using var p = NativeFloats.Filled(16, 8f);
        using var y = new NativeFloats(rows * cs);
        using var dy = Tensor(rows, cs, GemImage.Channels, new Random(1));
        using var dx = NativeFloats.Filled(rows * pixels * cs, float.NaN);
        using var dp = NativeFloats.Filled(16, float.NaN);
        using var partials = new NativeFloats(GemPoolKernels.PartialsLength<GemImage>(rows));
        GemPoolKernels.Forward<GemImage>(pool, x.Buffer, p.Buffer, y.Buffer, rows);
        GemPoolKernels.Backward<GemImage, Identity>(pool, dy.Buffer, x.Buffer, y.Buffer, p.Buffer, dp.Buffer, partials.Buffer,
            FloatBuffer.Null, x.Buffer, dx.Buffer, rows);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < GemImage.Channels; c++)
                AssertClose(1e-6, y[r * cs + c], 1e-12, $"y[{r}, {c}]");
        AssertPaddingZero(y, rows, cs, GemImage.Channels, "y");
        Assert.All(dx.Span.ToArray(), value => Assert.Equal(0f, value));
        // Every input equal: y = eps for any p, so dy/dp = 0.
        AssertClose(0, dp[0], 1e-9, "dp");
    }

    [Fact]
    public void GradientsMatchFloat64()
    {
        Gradients<GemSignal, Silu>(nameof(Silu), p: 3f, rows: 3, scale: 1.5f);
        Gradients<GemImage, Relu>(nameof(Relu), p: 1f, rows: 2, scale: 1.5f);
        Gradients<GemImage, Tanh>(nameof(Tanh), p: 8f, rows: 2, scale: 1.5f);
        Gradients<GemFlat, Gelu>(nameof(Gelu), p: 2.5f, rows: 4, scale: 1.5f);
        Gradients<GemCoarse, Elu>(nameof(Elu), p: 3f, rows: 3, scale: 1.5f);
    }

    [Fact]
    public void BackwardMatchesFiniteDifferences()
    {
        FiniteDifferences<GemImage, Tanh>(nameof(Tanh), p: 3f, rows: 2);
        FiniteDifferences<GemImage, Silu>(nameof(Silu), p: 1.3f, rows: 1);
        FiniteDifferences<GemCoarse, Identity>(nameof(Identity), p: 6f, rows: 3);
        FiniteDifferences<GemFlat, Identity>(nameof(Identity), p: 2f, rows: 2);
    }

    [Fact]
    public void ResultsAreBitwiseTheSameForAnyThreadCount()
    {
        var one = RunAll(threads: 1, rows: 64);
        foreach (int threads in new[] { 2, 3 })
        {
            var other = RunAll(threads, rows: 64);
            for (int k = 0; k < one.Length; k++)
                Assert.True(one[k].AsSpan().SequenceEqual(other[k]), $"output {k} differs between 1 and {threads} threads");
        }
    }

    [Fact]
    public void KernelsAllocateNothing()
    {
        const int rows = 4;
        int cs = GemImage.ChannelStride, count = rows * 15;
        var random = new Random(4);
        using var pool = new WorkerPool(1);
        using var x = Tensor(count, cs, GemImage.Channels, random);
        using var p = NativeFloats.Filled(16, 3f);
        using var y = new NativeFloats(rows * cs);
        using var dy = Tensor(rows, cs, GemImage.Channels, random);
        using var dx = new NativeFloats(count * cs);
        using var dp = new NativeFloats(16);
        using var partials = new NativeFloats(GemPoolKernels.PartialsLength<GemImage>(rows));

        void All()
        {
            GemPoolKernels.Forward<GemImage>(pool, x.Buffer, p.Buffer, y.Buffer, rows);
            GemPoolKernels.Backward<GemImage, Silu>(pool, dy.Buffer, x.Buffer, y.Buffer, p.Buffer, dp.Buffer, partials.Buffer, x.Buffer, x.Buffer, dx.Buffer, rows);
            GemPoolKernels.Backward<GemImage, Relu>(pool, dy.Buffer, x.Buffer, y.Buffer, p.Buffer, FloatBuffer.Null, partials.Buffer, FloatBuffer.Null, x.Buffer, dx.Buffer, rows);
        }

        All();
        long before = GC.GetAllocatedBytesForCurrentThread();
        All();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    // ---- float64 references ----

    private static int Pixels<T>() where T : struct, IGemPoolShape => T.Height * T.Width;

    /// <summary>y[r, c] = (mean max(x, eps)^p)^(1/p), as PyTorch's x.clamp(min = eps).pow(p).mean().pow(1 / p).</summary>
    private static double[] ReferenceForward<T>(double[] x, double p, int rows) where T : struct, IGemPoolShape
    {
        int cs = T.ChannelStride, pixels = Pixels<T>();
        var y = new double[rows * cs];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < T.Channels; c++)
            {
                double sum = 0;
                for (int i = 0; i < pixels; i++)
                    sum += Math.Pow(Math.Max(x[(r * pixels + i) * cs + c], T.Epsilon), p);
                y[r * cs + c] = Math.Pow(sum / pixels, 1 / p);
            }
        return y;
    }

    /// <summary>
    /// dx (before the activation derivative) and dL/dp of L = sum dy * y: dy/dx_i = xc_i^(p-1) y^(1-p) / pixels where
    /// x_i &gt;= eps, and dy/dp = y (-log(mean xc^p) / p^2 + (mean xc^p log xc) / (p mean xc^p)); also the sum of the
    /// magnitudes of dL/dp's terms, the scale of its rounding.
    /// </summary>
    private static (double[] Dx, double Dp, double DpMagnitude) ReferenceBackward<T>(double[] x, double[] dy, double p, int rows) where T : struct, IGemPoolShape
    {
        int cs = T.ChannelStride, pixels = Pixels<T>();
        var dx = new double[rows * pixels * cs];
        double dp = 0, magnitude = 0;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < T.Channels; c++)
            {
                double powers = 0, weightedLogs = 0;
                for (int i = 0; i < pixels; i++)
                {
                    double xc = Math.Max(x[(r * pixels + i) * cs + c], T.Epsilon);
                    powers += Math.Pow(xc, p);
                    weightedLogs += Math.Pow(xc, p) * Math.Log(xc);
                }
                double mean = powers / pixels, y = Math.Pow(mean, 1 / p), g = dy[r * cs + c];
                for (int i = 0; i < pixels; i++)
                {
                    double xi = x[(r * pixels + i) * cs + c];
                    if (xi >= T.Epsilon)
                        dx[(r * pixels + i) * cs + c] = g * Math.Pow(xi, p - 1) * Math.Pow(y, 1 - p) / pixels;
                }
                double term = g * y * (-Math.Log(mean) / (p * p) + weightedLogs / pixels / (p * mean));
                dp += term;
                magnitude += Math.Abs(term);
            }
        return (dx, dp, magnitude);
    }

    // ---- cases ----

    /// <summary>Inputs uniform in [-scale, scale) (a quarter of them in [0, scale) / 1000, near the clamp).</summary>
    private static NativeFloats Inputs(int count, int cs, int channels, Random random, float scale)
    {
        var x = new NativeFloats(count * cs);
        for (int i = 0; i < count; i++)
            for (int c = 0; c < channels; c++)
                x[i * cs + c] = random.Next(4) == 0 ? (float)(random.NextDouble() * scale / 1000) : (float)((random.NextDouble() * 2 - 1) * scale);
        return x;
    }

    private static void Forward<T>(float p, int rows, float scale) where T : struct, IGemPoolShape
    {
        int cs = T.ChannelStride, pixels = Pixels<T>();
        var random = new Random(rows * 7 + pixels);
        using var pool = new WorkerPool(2);
        using var x = Inputs(rows * pixels, cs, T.Channels, random, scale);
        using var pBuffer = NativeFloats.Filled(16, p);
        using var y = NativeFloats.Filled(rows * cs, float.NaN);
        GemPoolKernels.Forward<T>(pool, x.Buffer, pBuffer.Buffer, y.Buffer, rows);

        var expected = ReferenceForward<T>(ToDouble(x), p, rows);
        string what = $"{typeof(T).Name} p {p} scale {scale}";
        for (int i = 0; i < rows * cs; i++)
            Assert.True(float.IsFinite(y[i]), $"{what}: y[{i}] = {y[i]}");
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < T.Channels; c++)
            {
                double e = expected[r * cs + c];
                AssertClose(e, y[r * cs + c], 4e-6 * e, $"{what} y[{r}, {c}]");
            }
        AssertPaddingZero(y, rows, cs, T.Channels, $"{what} y");
    }

    private static void Gradients<T, TPrevAct>(string prevActivation, float p, int rows, float scale) where T : struct, IGemPoolShape where TPrevAct : struct, IActivation
    {
        int cs = T.ChannelStride, pixels = Pixels<T>(), count = rows * pixels;
        var random = new Random(rows * 11 + pixels);
        using var pool = new WorkerPool(2);
        using var prevZ = Inputs(count, cs, T.Channels, random, scale);
        using var x = new NativeFloats(count * cs);
        for (int i = 0; i < count; i++)
            for (int c = 0; c < T.Channels; c++)
                x[i * cs + c] = TPrevAct.Apply(prevZ[i * cs + c]);
        using var pBuffer = NativeFloats.Filled(16, p);
        using var y = new NativeFloats(rows * cs);
        using var dy = Tensor(rows, cs, T.Channels, random);
        using var dx = NativeFloats.Filled(count * cs, float.NaN);
        using var dp = NativeFloats.Filled(16, float.NaN);
        using var partials = NativeFloats.Filled(GemPoolKernels.PartialsLength<T>(rows), float.NaN);
        GemPoolKernels.Forward<T>(pool, x.Buffer, pBuffer.Buffer, y.Buffer, rows);
        GemPoolKernels.Backward<T, TPrevAct>(pool, dy.Buffer, x.Buffer, y.Buffer, pBuffer.Buffer, dp.Buffer, partials.Buffer,
            TPrevAct.NeedsPreActivation ? prevZ.Buffer : FloatBuffer.Null, x.Buffer, dx.Buffer, rows);

        var (edx, edp, magnitude) = ReferenceBackward<T>(ToDouble(x), ToDouble(dy), p, rows);
        for (int i = 0; i < count; i++)
            for (int c = 0; c < T.Channels; c++)
                edx[i * cs + c] *= Reference.Derivative(prevActivation, prevZ[i * cs + c]);
        string what = $"{typeof(T).Name} {prevActivation} p {p} scale {scale}";
        Assert.True(dx.Span.ToArray().All(float.IsFinite) && float.IsFinite(dp[0]), $"{what}: a gradient is not finite");
        double largest = edx.Max(Math.Abs);
        AssertTensorClose(edx, dx, count, cs, T.Channels, 2e-5 * Math.Max(1, largest), $"{what} dx");
        AssertClose(edp, dp[0], 2e-5 * (1 + magnitude), $"{what} dp");
        Assert.True(dp.Span[1..].ToArray().All(float.IsNaN), $"{what}: dp wrote past its first float");

        // p fixed: the same dx, dp untouched.
        using var dx2 = NativeFloats.Filled(count * cs, float.NaN);
        GemPoolKernels.Backward<T, TPrevAct>(pool, dy.Buffer, x.Buffer, y.Buffer, pBuffer.Buffer, FloatBuffer.Null, partials.Buffer,
            TPrevAct.NeedsPreActivation ? prevZ.Buffer : FloatBuffer.Null, x.Buffer, dx2.Buffer, rows);
        Assert.True(dx.Span.SequenceEqual(dx2.Span), $"{what}: dx differs with p fixed");
    }

    /// <summary>
    /// Loss = sum coefficient * GeM(prevAct(prevZ), p) in float64; the kernel gets dy = coefficient and must return
    /// dLoss/dprevZ and dLoss/dp, checked against central differences (inputs kept away from the clamp's kink).
    /// </summary>
    private static void FiniteDifferences<T, TPrevAct>(string prevActivation, float p, int rows) where T : struct, IGemPoolShape where TPrevAct : struct, IActivation
    {
        int cs = T.ChannelStride, pixels = Pixels<T>(), count = rows * pixels;
        var random = new Random(rows * 5 + pixels);
        using var pool = new WorkerPool(2);
        using var prevZ = Tensor(count, cs, T.Channels, random, 1.2f, 0.6f);
        using var x = new NativeFloats(count * cs);
        for (int i = 0; i < count; i++)
            for (int c = 0; c < T.Channels; c++)
            {
                if (Math.Abs(TPrevAct.Apply(prevZ[i * cs + c]) - T.Epsilon) < 1e-3)
                    prevZ[i * cs + c] += 0.01f;
                x[i * cs + c] = TPrevAct.Apply(prevZ[i * cs + c]);
            }
        using var pBuffer = NativeFloats.Filled(16, p);
        using var y = new NativeFloats(rows * cs);
        using var coefficients = Tensor(rows, cs, T.Channels, random, 1f, 0f);
        using var dx = new NativeFloats(count * cs);
        using var dp = new NativeFloats(16);
        using var partials = new NativeFloats(GemPoolKernels.PartialsLength<T>(rows));
        GemPoolKernels.Forward<T>(pool, x.Buffer, pBuffer.Buffer, y.Buffer, rows);
        GemPoolKernels.Backward<T, TPrevAct>(pool, coefficients.Buffer, x.Buffer, y.Buffer, pBuffer.Buffer, dp.Buffer, partials.Buffer,
            TPrevAct.NeedsPreActivation ? prevZ.Buffer : FloatBuffer.Null, x.Buffer, dx.Buffer, rows);

        var zs = ToDouble(prevZ);
        var cs64 = ToDouble(coefficients);
        double power = p;
        double Loss()
        {
            var input = new double[zs.Length];
            for (int i = 0; i < count; i++)
                for (int c = 0; c < T.Channels; c++)
                    input[i * cs + c] = Reference.Apply(prevActivation, zs[i * cs + c]);
            var pooled = ReferenceForward<T>(input, power, rows);
            double loss = 0;
            for (int i = 0; i < pooled.Length; i++)
                loss += cs64[i] * pooled[i];
            return loss;
        }
        double Difference(Func<double> get, Action<double> set)
        {
            const double h = 1e-6;
            double keep = get();
            set(keep + h);
            double up = Loss();
            set(keep - h);
            double down = Loss();
            set(keep);
            return (up - down) / (2 * h);
        }

        string what = $"{typeof(T).Name} {prevActivation} p {p} finite differences";
        AssertClose(Difference(() => power, v => power = v), dp[0], 2e-5 * (1 + Math.Abs(dp[0])), $"{what} dp");
        var expected = new double[count * cs];
        for (int i = 0; i < count; i++)
            for (int c = 0; c < T.Channels; c++)
            {
                int at = i * cs + c;
                expected[at] = Difference(() => zs[at], v => zs[at] = v);
            }
        AssertTensorClose(expected, dx, count, cs, T.Channels, 2e-5, $"{what} dx");
    }

    private static float[][] RunAll(int threads, int rows)
    {
        int cs = GemSignal.ChannelStride, count = rows * 250;
        var random = new Random(8);
        using var pool = new WorkerPool(threads);
        using var x = Tensor(count, cs, GemSignal.Channels, random);
        using var p = NativeFloats.Filled(16, 3f);
        using var y = new NativeFloats(rows * cs);
        using var dy = Tensor(rows, cs, GemSignal.Channels, random);
        using var dx = new NativeFloats(count * cs);
        using var dp = new NativeFloats(16);
        using var partials = new NativeFloats(GemPoolKernels.PartialsLength<GemSignal>(rows));
        GemPoolKernels.Forward<GemSignal>(pool, x.Buffer, p.Buffer, y.Buffer, rows);
        GemPoolKernels.Backward<GemSignal, Mish>(pool, dy.Buffer, x.Buffer, y.Buffer, p.Buffer, dp.Buffer, partials.Buffer, x.Buffer, x.Buffer, dx.Buffer, rows);
        return new[] { y, dx, dp }.Select(buffer => buffer.Span.ToArray()).ToArray();
    }
}
