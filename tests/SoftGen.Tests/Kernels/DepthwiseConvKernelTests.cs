using System;
using System.Linq;
using SoftGen.Cpu;
using Xunit;
using static SoftGen.Tests.Kernels.NormReference;

namespace SoftGen.Tests.Kernels;

/// <summary>DepthwiseConvKernels against float64 references written here and finite differences.</summary>
public unsafe class DepthwiseConvKernelTests
{
    [Fact]
    public void ForwardMatchesFloat64()
    {
        Forward<DwSignalK7, Silu>(nameof(Silu), rows: 3, withBias: true);
        Forward<DwSignalK5S2, Sigmoid>(nameof(Sigmoid), rows: 2, withBias: true); // act(0) = 1/2: the padding must be masked
        Forward<DwSignalDilated, Relu>(nameof(Relu), rows: 2, withBias: false);
        Forward<DwImage3x3, Gelu>(nameof(Gelu), rows: 2, withBias: true);
        Forward<DwImageStride2, Identity>(nameof(Identity), rows: 3, withBias: true);
        Forward<DwImageDilated, Tanh>(nameof(Tanh), rows: 2, withBias: true);
        Forward<DwOdd, Sigmoid>(nameof(Sigmoid), rows: 3, withBias: true);
        Forward<DwPaddingOnly, Elu>(nameof(Elu), rows: 2, withBias: true);
        Forward<DwSkipping, Mish>(nameof(Mish), rows: 2, withBias: true);
    }

    [Fact]
    public void GradientsMatchFloat64()
    {
        Gradients<DwSignalK7, Identity>(nameof(Identity), rows: 9); // two weight partitions
        Gradients<DwSignalK5S2, Tanh>(nameof(Tanh), rows: 3);
        Gradients<DwSignalDilated, Elu>(nameof(Elu), rows: 2);
        Gradients<DwImage3x3, Silu>(nameof(Silu), rows: 2);
        Gradients<DwImageStride2, Gelu>(nameof(Gelu), rows: 2);
        Gradients<DwImageDilated, Relu>(nameof(Relu), rows: 2);
        Gradients<DwOdd, Sigmoid>(nameof(Sigmoid), rows: 3);
        Gradients<DwPaddingOnly, Mish>(nameof(Mish), rows: 2);
        Gradients<DwSkipping, LeakyRelu>(nameof(LeakyRelu), rows: 2);
    }

    [Fact]
    public void BackwardMatchesFiniteDifferences()
    {
        FiniteDifferences<DwSignalK5S2, Tanh>(nameof(Tanh), rows: 2);
        FiniteDifferences<DwImageStride2, Silu>(nameof(Silu), rows: 1);
        FiniteDifferences<DwOdd, Gelu>(nameof(Gelu), rows: 2);
        FiniteDifferences<DwSkipping, Sigmoid>(nameof(Sigmoid), rows: 1);
    }

    [Fact]
    public void ResultsAreBitwiseTheSameForAnyThreadCount()
    {
        Assert.Equal(15 * 8 * 64, DepthwiseConvKernels.WeightPartialsLength<DwSignalK7>(64)); // 16,000 pixels: 15 partitions
        Compare<DwSignalK7>(rows: 64);
        Compare<DwImageStride2>(rows: 50);

        static void Compare<T>(int rows) where T : struct, IDepthwiseConvShape
        {
            var one = RunAll<T>(threads: 1, rows);
            foreach (int threads in new[] { 2, 3 })
            {
                var other = RunAll<T>(threads, rows);
                for (int k = 0; k < one.Length; k++)
                    Assert.True(one[k].AsSpan().SequenceEqual(other[k]), $"{typeof(T).Name} output {k} differs between 1 and {threads} threads");
            }
        }
    }

    [Fact]
    public void KernelsAllocateNothing()
    {
        const int rows = 4;
        var g = DwGeometry.Of<DwImageStride2>();
        var random = new Random(4);
        using var pool = new WorkerPool(1);
        using var x = Tensor(rows * g.InPixels, g.Stride, g.Channels, random);
        using var w = Tensor(g.Taps, g.Stride, g.Channels, random);
        using var b = Tensor(1, g.Stride, g.Channels, random);
        using var z = new NativeFloats(rows * g.OutPixels * g.Stride);
        using var a = new NativeFloats(rows * g.OutPixels * g.Stride);
        using var dw = new NativeFloats(g.Taps * g.Stride);
        using var db = new NativeFloats(g.Stride);
        using var dx = new NativeFloats(rows * g.InPixels * g.Stride);
        using var partials = new NativeFloats(DepthwiseConvKernels.WeightPartialsLength<DwImageStride2>(rows));

        void All()
        {
            DepthwiseConvKernels.Forward<DwImageStride2, Silu>(pool, x.Buffer, w.Buffer, b.Buffer, z.Buffer, a.Buffer, rows);
            DepthwiseConvKernels.BackwardWeights<DwImageStride2>(pool, x.Buffer, a.Buffer, dw.Buffer, db.Buffer, partials.Buffer, rows);
            DepthwiseConvKernels.BackwardInputs<DwImageStride2, Silu>(pool, a.Buffer, w.Buffer, x.Buffer, x.Buffer, dx.Buffer, rows);
        }

        All();
        long before = GC.GetAllocatedBytesForCurrentThread();
        All();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    // ---- float64 references ----

    /// <summary>z[r, oy, ox, c] = b[c] + the sum over the taps inside the input of x * w.</summary>
    private static double[] ReferenceForward(DwGeometry g, double[] x, double[] w, double[] b, int rows)
    {
        var z = new double[rows * g.OutPixels * g.Stride];
        for (int r = 0; r < rows; r++)
            for (int oy = 0; oy < g.OutHeight; oy++)
                for (int ox = 0; ox < g.OutWidth; ox++)
                    for (int c = 0; c < g.Channels; c++)
                    {
                        double sum = b[c];
                        for (int ky = 0; ky < g.KernelHeight; ky++)
                            for (int kx = 0; kx < g.KernelWidth; kx++)
                            {
                                int iy = oy * g.StrideHeight - g.PaddingHeight + ky * g.DilationHeight;
                                int ix = ox * g.StrideWidth - g.PaddingWidth + kx * g.DilationWidth;
                                if (iy >= 0 && iy < g.InHeight && ix >= 0 && ix < g.InWidth)
                                    sum += x[((r * g.InHeight + iy) * g.InWidth + ix) * g.Stride + c] * w[(ky * g.KernelWidth + kx) * g.Stride + c];
                            }
                        z[((r * g.OutHeight + oy) * g.OutWidth + ox) * g.Stride + c] = sum;
                    }
        return z;
    }

    /// <summary>dw, db and dx (before any activation derivative) of the loss sum dz * z, by scattering each output's dz over its taps.</summary>
    private static (double[] Dw, double[] Db, double[] Dx) ReferenceBackward(DwGeometry g, double[] x, double[] w, double[] dz, int rows)
    {
        var dw = new double[g.Taps * g.Stride];
        var db = new double[g.Stride];
        var dx = new double[rows * g.InPixels * g.Stride];
        for (int r = 0; r < rows; r++)
            for (int oy = 0; oy < g.OutHeight; oy++)
                for (int ox = 0; ox < g.OutWidth; ox++)
                    for (int c = 0; c < g.Channels; c++)
                    {
                        double d = dz[((r * g.OutHeight + oy) * g.OutWidth + ox) * g.Stride + c];
                        db[c] += d;
                        for (int ky = 0; ky < g.KernelHeight; ky++)
                            for (int kx = 0; kx < g.KernelWidth; kx++)
                            {
                                int iy = oy * g.StrideHeight - g.PaddingHeight + ky * g.DilationHeight;
                                int ix = ox * g.StrideWidth - g.PaddingWidth + kx * g.DilationWidth;
                                if (iy < 0 || iy >= g.InHeight || ix < 0 || ix >= g.InWidth)
                                    continue;
                                int at = ((r * g.InHeight + iy) * g.InWidth + ix) * g.Stride + c, tap = (ky * g.KernelWidth + kx) * g.Stride + c;
                                dw[tap] += d * x[at];
                                dx[at] += d * w[tap];
                            }
                    }
        return (dw, db, dx);
    }

    // ---- cases ----

    private static void Forward<TShape, TAct>(string activation, int rows, bool withBias) where TShape : struct, IDepthwiseConvShape where TAct : struct, IActivation
    {
        var g = DwGeometry.Of<TShape>();
        var random = new Random(rows * 13 + g.Channels + g.InWidth);
        using var pool = new WorkerPool(2);
        using var x = Tensor(rows * g.InPixels, g.Stride, g.Channels, random);
        using var w = Tensor(g.Taps, g.Stride, g.Channels, random, 0.5f, 0.1f);
        using var b = Tensor(1, g.Stride, g.Channels, random, 0.5f);
        int outCount = rows * g.OutPixels;
        using var z = NativeFloats.Filled(outCount * g.Stride, float.NaN);
        using var a = NativeFloats.Filled(outCount * g.Stride, float.NaN);
        DepthwiseConvKernels.Forward<TShape, TAct>(pool, x.Buffer, w.Buffer, withBias ? b.Buffer : FloatBuffer.Null, z.Buffer, a.Buffer, rows);

        var expected = ReferenceForward(g, ToDouble(x), ToDouble(w), withBias ? ToDouble(b) : new double[g.Stride], rows);
        string what = $"{typeof(TShape).Name} {activation}";
        AssertTensorClose(expected, z, outCount, g.Stride, g.Channels, 2e-6, $"{what} z");
        AssertTensorClose(Apply(activation, expected, outCount, g.Stride, g.Channels), a, outCount, g.Stride, g.Channels, 2e-6, $"{what} a");

        // Without z: the same a, and z untouched.
        using var a2 = NativeFloats.Filled(outCount * g.Stride, float.NaN);
        using var untouched = NativeFloats.Filled(outCount * g.Stride, float.NaN);
        DepthwiseConvKernels.Forward<TShape, TAct>(pool, x.Buffer, w.Buffer, withBias ? b.Buffer : FloatBuffer.Null, FloatBuffer.Null, a2.Buffer, rows);
        Assert.True(a.Span.SequenceEqual(a2.Span), $"{what}: a differs without z");
    }

    /// <summary>Random dz and weights: dw, db and dx (times the previous activation's derivative) against the float64 scatter.</summary>
    private static void Gradients<TShape, TPrevAct>(string prevActivation, int rows) where TShape : struct, IDepthwiseConvShape where TPrevAct : struct, IActivation
    {
        var g = DwGeometry.Of<TShape>();
        var random = new Random(rows * 29 + g.Channels + g.InWidth);
        using var pool = new WorkerPool(2);
        int inCount = rows * g.InPixels, outCount = rows * g.OutPixels;
        using var prevZ = Tensor(inCount, g.Stride, g.Channels, random);
        using var x = new NativeFloats(inCount * g.Stride);
        for (int i = 0; i < inCount; i++)
            for (int c = 0; c < g.Channels; c++)
                x[i * g.Stride + c] = TPrevAct.Apply(prevZ[i * g.Stride + c]);
        using var w = Tensor(g.Taps, g.Stride, g.Channels, random, 0.5f, 0.1f);
        using var dz = Tensor(outCount, g.Stride, g.Channels, random);
        using var dw = NativeFloats.Filled(g.Taps * g.Stride, float.NaN);
        using var db = NativeFloats.Filled(g.Stride, float.NaN);
        using var dx = NativeFloats.Filled(inCount * g.Stride, float.NaN);
        using var partials = NativeFloats.Filled(DepthwiseConvKernels.WeightPartialsLength<TShape>(rows), float.NaN);
        DepthwiseConvKernels.BackwardWeights<TShape>(pool, x.Buffer, dz.Buffer, dw.Buffer, db.Buffer, partials.Buffer, rows);
        DepthwiseConvKernels.BackwardInputs<TShape, TPrevAct>(pool, dz.Buffer, w.Buffer,
            TPrevAct.NeedsPreActivation ? prevZ.Buffer : FloatBuffer.Null, x.Buffer, dx.Buffer, rows);

        var (edw, edb, edx) = ReferenceBackward(g, ToDouble(x), ToDouble(w), ToDouble(dz), rows);
        for (int i = 0; i < inCount; i++)
            for (int c = 0; c < g.Channels; c++)
                edx[i * g.Stride + c] *= Reference.Derivative(prevActivation, prevZ[i * g.Stride + c]);
        string what = $"{typeof(TShape).Name} {prevActivation}";
        // Weight sums run over up to a few thousand products.
        AssertTensorClose(edw, dw, g.Taps, g.Stride, g.Channels, 2e-5, $"{what} dw");
        AssertTensorClose(edb, db, 1, g.Stride, g.Channels, 2e-5, $"{what} db");
        AssertTensorClose(edx, dx, inCount, g.Stride, g.Channels, 2e-6, $"{what} dx");

        // Without db: dw the same, db untouched.
        using var dw2 = NativeFloats.Filled(g.Taps * g.Stride, float.NaN);
        DepthwiseConvKernels.BackwardWeights<TShape>(pool, x.Buffer, dz.Buffer, dw2.Buffer, FloatBuffer.Null, partials.Buffer, rows);
        Assert.True(dw.Span.SequenceEqual(dw2.Span), $"{what}: dw differs without db");
    }

    /// <summary>
    /// Loss = sum coefficient * conv(prevAct(prevZ), w) + b in float64; the kernels get dz = coefficient and must return
    /// dLoss/dprevZ, dLoss/dw and dLoss/db, checked against central differences of that loss.
    /// </summary>
    private static void FiniteDifferences<TShape, TPrevAct>(string prevActivation, int rows) where TShape : struct, IDepthwiseConvShape where TPrevAct : struct, IActivation
    {
        var g = DwGeometry.Of<TShape>();
        var random = new Random(rows * 41 + g.Channels);
        using var pool = new WorkerPool(2);
        int inCount = rows * g.InPixels, outCount = rows * g.OutPixels;
        using var prevZ = Tensor(inCount, g.Stride, g.Channels, random);
        using var x = new NativeFloats(inCount * g.Stride);
        for (int i = 0; i < inCount; i++)
            for (int c = 0; c < g.Channels; c++)
                x[i * g.Stride + c] = TPrevAct.Apply(prevZ[i * g.Stride + c]);
        using var w = Tensor(g.Taps, g.Stride, g.Channels, random, 0.5f, 0.1f);
        using var b = Tensor(1, g.Stride, g.Channels, random, 0.5f);
        using var coefficients = Tensor(outCount, g.Stride, g.Channels, random, 1f, 0f);
        using var dw = new NativeFloats(g.Taps * g.Stride);
        using var db = new NativeFloats(g.Stride);
        using var dx = new NativeFloats(inCount * g.Stride);
        using var partials = new NativeFloats(DepthwiseConvKernels.WeightPartialsLength<TShape>(rows));
        DepthwiseConvKernels.BackwardWeights<TShape>(pool, x.Buffer, coefficients.Buffer, dw.Buffer, db.Buffer, partials.Buffer, rows);
        DepthwiseConvKernels.BackwardInputs<TShape, TPrevAct>(pool, coefficients.Buffer, w.Buffer,
            TPrevAct.NeedsPreActivation ? prevZ.Buffer : FloatBuffer.Null, x.Buffer, dx.Buffer, rows);

        var zs = ToDouble(prevZ);
        var ws = ToDouble(w);
        var bs = ToDouble(b);
        var cs = ToDouble(coefficients);
        double Loss()
        {
            var input = new double[zs.Length];
            for (int i = 0; i < inCount; i++)
                for (int c = 0; c < g.Channels; c++)
                    input[i * g.Stride + c] = Reference.Apply(prevActivation, zs[i * g.Stride + c]);
            var z = ReferenceForward(g, input, ws, bs, rows);
            double loss = 0;
            for (int i = 0; i < z.Length; i++)
                loss += cs[i] * z[i];
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

        string what = $"{typeof(TShape).Name} {prevActivation} finite differences";
        var edw = new double[g.Taps * g.Stride];
        for (int t = 0; t < g.Taps; t++)
            for (int c = 0; c < g.Channels; c++)
                edw[t * g.Stride + c] = Difference(ws, t * g.Stride + c);
        var edb = new double[g.Stride];
        for (int c = 0; c < g.Channels; c++)
            edb[c] = Difference(bs, c);
        var edx = new double[inCount * g.Stride];
        for (int i = 0; i < inCount; i++)
            for (int c = 0; c < g.Channels; c++)
                edx[i * g.Stride + c] = Difference(zs, i * g.Stride + c);
        AssertTensorClose(edw, dw, g.Taps, g.Stride, g.Channels, 1e-5, $"{what} dw");
        AssertTensorClose(edb, db, 1, g.Stride, g.Channels, 1e-5, $"{what} db");
        AssertTensorClose(edx, dx, inCount, g.Stride, g.Channels, 1e-5, $"{what} dx");
    }

    /// <summary>Forward, weight and input gradients with <paramref name="threads"/> threads; every output, for a bitwise comparison.</summary>
    private static float[][] RunAll<T>(int threads, int rows) where T : struct, IDepthwiseConvShape
    {
        var g = DwGeometry.Of<T>();
        var random = new Random(6);
        using var pool = new WorkerPool(threads);
        using var x = Tensor(rows * g.InPixels, g.Stride, g.Channels, random);
        using var w = Tensor(g.Taps, g.Stride, g.Channels, random);
        using var b = Tensor(1, g.Stride, g.Channels, random);
        using var z = new NativeFloats(rows * g.OutPixels * g.Stride);
        using var a = new NativeFloats(rows * g.OutPixels * g.Stride);
        using var dw = new NativeFloats(g.Taps * g.Stride);
        using var db = new NativeFloats(g.Stride);
        using var dx = new NativeFloats(rows * g.InPixels * g.Stride);
        using var partials = new NativeFloats(DepthwiseConvKernels.WeightPartialsLength<T>(rows));
        DepthwiseConvKernels.Forward<T, Gelu>(pool, x.Buffer, w.Buffer, b.Buffer, z.Buffer, a.Buffer, rows);
        DepthwiseConvKernels.BackwardWeights<T>(pool, x.Buffer, a.Buffer, dw.Buffer, db.Buffer, partials.Buffer, rows);
        DepthwiseConvKernels.BackwardInputs<T, Gelu>(pool, a.Buffer, w.Buffer, x.Buffer, x.Buffer, dx.Buffer, rows);
        return new[] { z, a, dw, db, dx }.Select(buffer => buffer.Span.ToArray()).ToArray();
    }
}
