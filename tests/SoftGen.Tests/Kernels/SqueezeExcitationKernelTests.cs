using System;
using System.Linq;
using SoftGen.Cpu;
using Xunit;
using static SoftGen.Tests.Kernels.NormReference;

namespace SoftGen.Tests.Kernels;

internal readonly struct SeSignal32 : ISqueezeExcitationShape
{
    public static int Channels => 32; public static int ChannelStride => 32; public static int Height => 1; public static int Width => 500;
    public static int Squeeze => 8; public static int SqueezeStride => 16;
}

internal readonly struct SeSignal64 : ISqueezeExcitationShape
{
    public static int Channels => 64; public static int ChannelStride => 64; public static int Height => 1; public static int Width => 250;
    public static int Squeeze => 16; public static int SqueezeStride => 16;
}

internal readonly struct SeImage : ISqueezeExcitationShape
{
    public static int Channels => 20; public static int ChannelStride => 32; public static int Height => 3; public static int Width => 5;
    public static int Squeeze => 5; public static int SqueezeStride => 16;
}

/// <summary>A squeeze wider than one vector: 72 channels, reduction 4.</summary>
internal readonly struct SeWide : ISqueezeExcitationShape
{
    public static int Channels => 72; public static int ChannelStride => 80; public static int Height => 1; public static int Width => 7;
    public static int Squeeze => 18; public static int SqueezeStride => 32;
}

/// <summary>SqueezeExcitationKernels against float64 references written here and finite differences.</summary>
public unsafe class SqueezeExcitationKernelTests
{
    [Fact]
    public void LayoutLengths()
    {
        // reduce.weight 64 x 16, reduce.bias 16, expand.weight 16 x 64, expand.bias 64.
        Assert.Equal(64 * 16 + 16 + 16 * 64 + 64, SqueezeExcitationKernels.ParameterLength<SeSignal64>());
        Assert.Equal(80 * 32 + 32 + 32 * 80 + 80, SqueezeExcitationKernels.ParameterLength<SeWide>());
    }

    [Fact]
    public void ForwardMatchesFloat64()
    {
        Forward<SeSignal32>(rows: 2);
        Forward<SeSignal64>(rows: 3);
        Forward<SeImage>(rows: 3);
        Forward<SeWide>(rows: 4);
    }

    [Fact]
    public void GradientsMatchFloat64()
    {
        Gradients<SeSignal32, Relu>(nameof(Relu), rows: 3);
        Gradients<SeSignal64, Silu>(nameof(Silu), rows: 2);
        Gradients<SeImage, Tanh>(nameof(Tanh), rows: 3);
        Gradients<SeWide, Gelu>(nameof(Gelu), rows: 5);
    }

    [Fact]
    public void BackwardMatchesFiniteDifferences()
    {
        FiniteDifferences<SeImage, Silu>(nameof(Silu), rows: 2);
        FiniteDifferences<SeWide, Elu>(nameof(Elu), rows: 3);
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
        int cs = SeImage.ChannelStride, count = rows * 15;
        var random = new Random(4);
        using var pool = new WorkerPool(1);
        using var x = Tensor(count, cs, SeImage.Channels, random);
        using var parameters = Parameters<SeImage>(random);
        using var gradients = new NativeFloats(SqueezeExcitationKernels.ParameterLength<SeImage>());
        using var scratch = new NativeFloats(SqueezeExcitationKernels.ScratchLength<SeImage>(rows));
        using var y = new NativeFloats(count * cs);
        using var dx = new NativeFloats(count * cs);

        void All()
        {
            SqueezeExcitationKernels.Forward<SeImage>(pool, x.Buffer, parameters.Buffer, scratch.Buffer, y.Buffer, rows);
            SqueezeExcitationKernels.Backward<SeImage, Silu>(pool, y.Buffer, x.Buffer, parameters.Buffer, gradients.Buffer, scratch.Buffer,
                x.Buffer, x.Buffer, dx.Buffer, rows);
        }

        All();
        long before = GC.GetAllocatedBytesForCurrentThread();
        All();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    // ---- float64 references ----

    private static int Pixels<T>() where T : struct, ISqueezeExcitationShape => T.Height * T.Width;

    // Parameter offsets, as the layout in ISqueezeExcitationShape's summary.
    private static int ReduceWeight<T>(int c, int j) where T : struct, ISqueezeExcitationShape => c * T.SqueezeStride + j;
    private static int ReduceBias<T>(int j) where T : struct, ISqueezeExcitationShape => T.ChannelStride * T.SqueezeStride + j;
    private static int ExpandWeight<T>(int j, int c) where T : struct, ISqueezeExcitationShape => T.ChannelStride * T.SqueezeStride + T.SqueezeStride + j * T.ChannelStride + c;
    private static int ExpandBias<T>(int c) where T : struct, ISqueezeExcitationShape => 2 * T.ChannelStride * T.SqueezeStride + T.SqueezeStride + c;

    /// <summary>Random real entries (reduce scaled by 1 / sqrt(channels), expand by 1 / sqrt(squeeze), as PyTorch's init), padding 0.</summary>
    private static NativeFloats Parameters<T>(Random random) where T : struct, ISqueezeExcitationShape
    {
        var parameters = new NativeFloats(SqueezeExcitationKernels.ParameterLength<T>());
        double reduce = 2 / Math.Sqrt(T.Channels), expand = 2 / Math.Sqrt(T.Squeeze);
        for (int j = 0; j < T.Squeeze; j++)
        {
            parameters[ReduceBias<T>(j)] = (float)((random.NextDouble() - 0.5) * reduce);
            for (int c = 0; c < T.Channels; c++)
            {
                parameters[ReduceWeight<T>(c, j)] = (float)((random.NextDouble() - 0.5) * reduce);
                parameters[ExpandWeight<T>(j, c)] = (float)((random.NextDouble() - 0.5) * expand);
            }
        }
        for (int c = 0; c < T.Channels; c++)
            parameters[ExpandBias<T>(c)] = (float)((random.NextDouble() - 0.5) * expand);
        return parameters;
    }

    private static double Silu(double z) => z * Reference.Sigmoid(z);

    /// <summary>y = x * sigmoid(expand(silu(reduce(mean of x over the pixels)))) per row and channel.</summary>
    private static double[] ReferenceForward<T>(double[] x, double[] w, int rows) where T : struct, ISqueezeExcitationShape
    {
        int cs = T.ChannelStride, pixels = Pixels<T>();
        var y = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            var gate = Gate<T>(x, w, r);
            for (int i = 0; i < pixels; i++)
                for (int c = 0; c < T.Channels; c++)
                    y[(r * pixels + i) * cs + c] = x[(r * pixels + i) * cs + c] * gate[c];
        }
        return y;
    }

    private static double[] Gate<T>(double[] x, double[] w, int r) where T : struct, ISqueezeExcitationShape
    {
        var (squeezed, u, v) = Activations<T>(x, w, r);
        return v.Select(Reference.Sigmoid).ToArray();
    }

    /// <summary>Row r's s (per channel), u (per squeeze unit) and v (per channel).</summary>
    private static (double[] S, double[] U, double[] V) Activations<T>(double[] x, double[] w, int r) where T : struct, ISqueezeExcitationShape
    {
        int cs = T.ChannelStride, pixels = Pixels<T>();
        var s = new double[T.Channels];
        for (int c = 0; c < T.Channels; c++)
        {
            for (int i = 0; i < pixels; i++)
                s[c] += x[(r * pixels + i) * cs + c];
            s[c] /= pixels;
        }
        var u = new double[T.Squeeze];
        for (int j = 0; j < T.Squeeze; j++)
        {
            u[j] = w[ReduceBias<T>(j)];
            for (int c = 0; c < T.Channels; c++)
                u[j] += s[c] * w[ReduceWeight<T>(c, j)];
        }
        var v = new double[T.Channels];
        for (int c = 0; c < T.Channels; c++)
        {
            v[c] = w[ExpandBias<T>(c)];
            for (int j = 0; j < T.Squeeze; j++)
                v[c] += Silu(u[j]) * w[ExpandWeight<T>(j, c)];
        }
        return (s, u, v);
    }

    /// <summary>The gradients of L = sum dy * y by the chain rule, written out: dw (the parameters' layout) and dx before any activation derivative.</summary>
    private static (double[] Dw, double[] Dx) ReferenceBackward<T>(double[] x, double[] w, double[] dy, int rows) where T : struct, ISqueezeExcitationShape
    {
        int cs = T.ChannelStride, pixels = Pixels<T>();
        var dw = new double[w.Length];
        var dx = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            var (s, u, v) = Activations<T>(x, w, r);
            var gate = v.Select(Reference.Sigmoid).ToArray();
            var dv = new double[T.Channels];
            for (int c = 0; c < T.Channels; c++)
            {
                double dg = 0;
                for (int i = 0; i < pixels; i++)
                    dg += dy[(r * pixels + i) * cs + c] * x[(r * pixels + i) * cs + c];
                dv[c] = dg * gate[c] * (1 - gate[c]);
                dw[ExpandBias<T>(c)] += dv[c];
            }
            var du = new double[T.Squeeze];
            for (int j = 0; j < T.Squeeze; j++)
            {
                double dh = 0;
                for (int c = 0; c < T.Channels; c++)
                {
                    dh += w[ExpandWeight<T>(j, c)] * dv[c];
                    dw[ExpandWeight<T>(j, c)] += Silu(u[j]) * dv[c];
                }
                du[j] = dh * Reference.Derivative(nameof(SoftGen.Cpu.Silu), u[j]);
                dw[ReduceBias<T>(j)] += du[j];
            }
            for (int c = 0; c < T.Channels; c++)
            {
                double ds = 0;
                for (int j = 0; j < T.Squeeze; j++)
                {
                    ds += w[ReduceWeight<T>(c, j)] * du[j];
                    dw[ReduceWeight<T>(c, j)] += s[c] * du[j];
                }
                for (int i = 0; i < pixels; i++)
                {
                    int at = (r * pixels + i) * cs + c;
                    dx[at] = dy[at] * gate[c] + ds / pixels;
                }
            }
        }
        return (dw, dx);
    }

    /// <summary>Every float of the parameter layout outside the real rows and columns of each tensor is exactly 0.</summary>
    private static void AssertParameterPaddingZero<T>(NativeFloats gradients, string what) where T : struct, ISqueezeExcitationShape
    {
        var real = new bool[gradients.Length];
        for (int j = 0; j < T.Squeeze; j++)
        {
            real[ReduceBias<T>(j)] = true;
            for (int c = 0; c < T.Channels; c++)
                real[ReduceWeight<T>(c, j)] = real[ExpandWeight<T>(j, c)] = true;
        }
        for (int c = 0; c < T.Channels; c++)
            real[ExpandBias<T>(c)] = true;
        for (int i = 0; i < real.Length; i++)
            if (!real[i] && gradients[i] != 0f)
                throw new Xunit.Sdk.XunitException($"{what}: padding entry {i} is {gradients[i]:R}");
    }

    // ---- cases ----

    private static void Forward<T>(int rows) where T : struct, ISqueezeExcitationShape
    {
        int cs = T.ChannelStride, count = rows * Pixels<T>();
        var random = new Random(rows * 3 + cs);
        using var pool = new WorkerPool(2);
        using var x = Tensor(count, cs, T.Channels, random);
        using var parameters = Parameters<T>(random);
        using var scratch = NativeFloats.Filled(SqueezeExcitationKernels.ScratchLength<T>(rows), float.NaN);
        using var y = NativeFloats.Filled(count * cs, float.NaN);
        SqueezeExcitationKernels.Forward<T>(pool, x.Buffer, parameters.Buffer, scratch.Buffer, y.Buffer, rows);

        var expected = ReferenceForward<T>(ToDouble(x), ToDouble(parameters), rows);
        AssertTensorClose(expected, y, count, cs, T.Channels, 2e-6, $"{typeof(T).Name} y");
    }

    private static void Gradients<T, TPrevAct>(string prevActivation, int rows) where T : struct, ISqueezeExcitationShape where TPrevAct : struct, IActivation
    {
        int cs = T.ChannelStride, count = rows * Pixels<T>();
        var random = new Random(rows * 19 + cs);
        using var pool = new WorkerPool(2);
        using var prevZ = Tensor(count, cs, T.Channels, random);
        using var x = new NativeFloats(count * cs);
        for (int i = 0; i < count; i++)
            for (int c = 0; c < T.Channels; c++)
                x[i * cs + c] = TPrevAct.Apply(prevZ[i * cs + c]);
        using var parameters = Parameters<T>(random);
        using var scratch = NativeFloats.Filled(SqueezeExcitationKernels.ScratchLength<T>(rows), float.NaN);
        using var y = new NativeFloats(count * cs);
        using var dy = Tensor(count, cs, T.Channels, random);
        using var gradients = NativeFloats.Filled(SqueezeExcitationKernels.ParameterLength<T>(), float.NaN);
        using var dx = NativeFloats.Filled(count * cs, float.NaN);
        SqueezeExcitationKernels.Forward<T>(pool, x.Buffer, parameters.Buffer, scratch.Buffer, y.Buffer, rows);
        SqueezeExcitationKernels.Backward<T, TPrevAct>(pool, dy.Buffer, x.Buffer, parameters.Buffer, gradients.Buffer, scratch.Buffer,
            TPrevAct.NeedsPreActivation ? prevZ.Buffer : FloatBuffer.Null, x.Buffer, dx.Buffer, rows);

        var (edw, edx) = ReferenceBackward<T>(ToDouble(x), ToDouble(parameters), ToDouble(dy), rows);
        for (int i = 0; i < count; i++)
            for (int c = 0; c < T.Channels; c++)
                edx[i * cs + c] *= Reference.Derivative(prevActivation, prevZ[i * cs + c]);
        string what = $"{typeof(T).Name} {prevActivation}";
        // The gate's gradient sums dy x over a row's pixels (up to 500 products) before the chain continues.
        for (int i = 0; i < edw.Length; i++)
            AssertClose(edw[i], gradients[i], 1e-5 * (1 + Math.Abs(edw[i])) * Math.Sqrt(Pixels<T>()), $"{what} gradient [{i}]");
        AssertParameterPaddingZero<T>(gradients, $"{what} gradients");
        AssertTensorClose(edx, dx, count, cs, T.Channels, 1e-5, $"{what} dx");
    }

    /// <summary>
    /// Loss = sum coefficient * SE(prevAct(prevZ)) in float64; the kernel gets dy = coefficient and must return
    /// dLoss/dprevZ and dLoss/d(every real parameter), checked against central differences.
    /// </summary>
    private static void FiniteDifferences<T, TPrevAct>(string prevActivation, int rows) where T : struct, ISqueezeExcitationShape where TPrevAct : struct, IActivation
    {
        int cs = T.ChannelStride, count = rows * Pixels<T>();
        var random = new Random(rows * 23 + cs);
        using var pool = new WorkerPool(2);
        using var prevZ = Tensor(count, cs, T.Channels, random);
        using var x = new NativeFloats(count * cs);
        for (int i = 0; i < count; i++)
            for (int c = 0; c < T.Channels; c++)
                x[i * cs + c] = TPrevAct.Apply(prevZ[i * cs + c]);
        using var parameters = Parameters<T>(random);
        using var scratch = new NativeFloats(SqueezeExcitationKernels.ScratchLength<T>(rows));
        using var y = new NativeFloats(count * cs);
        using var coefficients = Tensor(count, cs, T.Channels, random, 1f, 0f);
        using var gradients = new NativeFloats(SqueezeExcitationKernels.ParameterLength<T>());
        using var dx = new NativeFloats(count * cs);
        SqueezeExcitationKernels.Forward<T>(pool, x.Buffer, parameters.Buffer, scratch.Buffer, y.Buffer, rows);
        SqueezeExcitationKernels.Backward<T, TPrevAct>(pool, coefficients.Buffer, x.Buffer, parameters.Buffer, gradients.Buffer, scratch.Buffer,
            TPrevAct.NeedsPreActivation ? prevZ.Buffer : FloatBuffer.Null, x.Buffer, dx.Buffer, rows);

        var zs = ToDouble(prevZ);
        var ws = ToDouble(parameters);
        var k = ToDouble(coefficients);
        double Loss()
        {
            var input = new double[zs.Length];
            for (int i = 0; i < count; i++)
                for (int c = 0; c < T.Channels; c++)
                    input[i * cs + c] = Reference.Apply(prevActivation, zs[i * cs + c]);
            var output = ReferenceForward<T>(input, ws, rows);
            double loss = 0;
            for (int i = 0; i < output.Length; i++)
                loss += k[i] * output[i];
            return loss;
        }
        double Difference(double[] values, int at)
        {
            const double h = 1e-5;
            double keep = values[at];
            values[at] = keep + h;
            double up = Loss();
            values[at] = keep - h;
            double down = Loss();
            values[at] = keep;
            return (up - down) / (2 * h);
        }

        string what = $"{typeof(T).Name} {prevActivation} finite differences";
        var expected = new double[ws.Length];
        for (int i = 0; i < ws.Length; i++)
            if (parameters[i] != 0f)
            {
                expected[i] = Difference(ws, i);
                AssertClose(expected[i], gradients[i], 2e-5 * (1 + Math.Abs(expected[i])), $"{what} gradient [{i}]");
            }
        var edx = new double[count * cs];
        for (int i = 0; i < count; i++)
            for (int c = 0; c < T.Channels; c++)
                edx[i * cs + c] = Difference(zs, i * cs + c);
        AssertTensorClose(edx, dx, count, cs, T.Channels, 2e-5, $"{what} dx");
    }

    private static float[][] RunAll(int threads, int rows)
    {
        int cs = SeSignal64.ChannelStride, count = rows * 250;
        var random = new Random(9);
        using var pool = new WorkerPool(threads);
        using var x = Tensor(count, cs, SeSignal64.Channels, random);
        using var parameters = Parameters<SeSignal64>(random);
        using var scratch = new NativeFloats(SqueezeExcitationKernels.ScratchLength<SeSignal64>(rows));
        using var y = new NativeFloats(count * cs);
        using var dy = Tensor(count, cs, SeSignal64.Channels, random);
        using var gradients = new NativeFloats(SqueezeExcitationKernels.ParameterLength<SeSignal64>());
        using var dx = new NativeFloats(count * cs);
        SqueezeExcitationKernels.Forward<SeSignal64>(pool, x.Buffer, parameters.Buffer, scratch.Buffer, y.Buffer, rows);
        SqueezeExcitationKernels.Backward<SeSignal64, Gelu>(pool, dy.Buffer, x.Buffer, parameters.Buffer, gradients.Buffer, scratch.Buffer,
            x.Buffer, x.Buffer, dx.Buffer, rows);
        return new[] { y, scratch, gradients, dx }.Select(buffer => buffer.Span.ToArray()).ToArray();
    }
}
