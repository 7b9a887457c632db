using System;
using SoftGen.Cpu;
using Xunit;
using static SoftGen.Tests.Kernels.NormReference;

namespace SoftGen.Tests.Kernels;

/// <summary>LayerNormKernels against float64 references written here and finite differences.</summary>
public unsafe class LayerNormKernelTests
{
    private const float Epsilon = 1e-5f;

    [Fact]
    public void ForwardMatchesFloat64()
    {
        Forward<Flat10, Silu>(nameof(Silu), rows: 7);
        Forward<Flat40, Sigmoid>(nameof(Sigmoid), rows: 5);
        Forward<Flat16, Identity>(nameof(Identity), rows: 3);
    }

    [Fact]
    public void BackwardMatchesFiniteDifferences()
    {
        Backward<Flat10, Tanh>(nameof(Tanh), rows: 20); // two partitions
        Backward<Flat40, Gelu>(nameof(Gelu), rows: 3);
        Backward<Flat16, Identity>(nameof(Identity), rows: 9);
    }

    [Fact]
    public void ResultsAreBitwiseTheSameForAnyThreadCount()
    {
        const int rows = 100; // twelve partitions
        var one = RunAll(1, rows);
        foreach (int threads in new[] { 2, 3 })
        {
            var other = RunAll(threads, rows);
            for (int k = 0; k < one.Length; k++)
                Assert.True(one[k].AsSpan().SequenceEqual(other[k]), $"output {k} differs between 1 and {threads} threads");
        }
    }

    [Fact]
    public void ImagesAreRejected()
    {
        using var pool = new WorkerPool(1);
        Assert.Throws<NotSupportedException>(() => LayerNormKernels.Forward<Image3At5x7, Identity>(pool, FloatBuffer.Null, FloatBuffer.Null,
            FloatBuffer.Null, Epsilon, FloatBuffer.Null, FloatBuffer.Null, FloatBuffer.Null, FloatBuffer.Null, 1));
    }

    private static void Forward<TShape, TAct>(string activation, int rows) where TShape : struct, ISpatialShape where TAct : struct, IActivation
    {
        int cs = TShape.ChannelStride, features = TShape.Channels;
        var random = new Random(rows + features);
        using var pool = new WorkerPool(2);
        using var x = Tensor(rows, cs, features, random, 2f, 1.3f);
        using var gamma = Channels(cs, features, random, 0.5, 1.5);
        using var beta = Channels(cs, features, random, -0.5, 0.5);
        using var mean = NativeFloats.Filled(rows, float.NaN);
        using var invStd = NativeFloats.Filled(rows, float.NaN);
        using var z = NativeFloats.Filled(rows * cs, float.NaN);
        using var a = NativeFloats.Filled(rows * cs, float.NaN);
        LayerNormKernels.Forward<TShape, TAct>(pool, x.Buffer, gamma.Buffer, beta.Buffer, Epsilon, mean.Buffer, invStd.Buffer, z.Buffer, a.Buffer, rows);

        var xs = ToDouble(x);
        var y = LayerNorm(xs, rows, cs, features, ToDouble(gamma), ToDouble(beta), Epsilon);
        string what = $"{typeof(TShape).Name} {activation}";
        AssertTensorClose(y, z, rows, cs, features, 1e-5, $"{what} z");
        AssertTensorClose(Apply(activation, y, rows, cs, features), a, rows, cs, features, 1e-5, $"{what} a");
        for (int r = 0; r < rows; r++)
        {
            double m = 0, squares = 0;
            for (int c = 0; c < features; c++)
                m += xs[r * cs + c] / features;
            for (int c = 0; c < features; c++)
                squares += (xs[r * cs + c] - m) * (xs[r * cs + c] - m) / features;
            AssertClose(m, mean[r], 1e-6 * (1 + Math.Abs(m)), $"{what} mean[{r}]");
            double expected = 1 / Math.Sqrt(squares + Epsilon);
            AssertClose(expected, invStd[r], 1e-5 * expected, $"{what} invStd[{r}]");
        }
    }

    /// <summary>Loss = sum w LN(prevAct(prevZ)) in float64; dy = w, and the gradients against central differences.</summary>
    private static void Backward<TShape, TPrevAct>(string prevActivation, int rows) where TShape : struct, ISpatialShape where TPrevAct : struct, IActivation
    {
        int cs = TShape.ChannelStride, features = TShape.Channels;
        var random = new Random(rows * 3 + features);
        using var pool = new WorkerPool(2);
        using var prevZ = Tensor(rows, cs, features, random);
        using var x = new NativeFloats(rows * cs);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < features; c++)
                x[r * cs + c] = TPrevAct.Apply(prevZ[r * cs + c]);
        using var w = Tensor(rows, cs, features, random, 1f, 0f);
        using var gamma = Channels(cs, features, random, 0.5, 1.5);
        using var beta = Channels(cs, features, random, -0.5, 0.5);
        using var mean = new NativeFloats(rows);
        using var invStd = new NativeFloats(rows);
        using var a = new NativeFloats(rows * cs);
        using var partials = new NativeFloats(LayerNormKernels.PartialsLength<TShape>(rows));
        using var dGamma = NativeFloats.Filled(cs, float.NaN);
        using var dBeta = NativeFloats.Filled(cs, float.NaN);
        using var dx = NativeFloats.Filled(rows * cs, float.NaN);
        LayerNormKernels.Forward<TShape, Identity>(pool, x.Buffer, gamma.Buffer, beta.Buffer, Epsilon, mean.Buffer, invStd.Buffer, FloatBuffer.Null, a.Buffer, rows);
        LayerNormKernels.Backward<TShape, TPrevAct>(pool, w.Buffer, x.Buffer, mean.Buffer, invStd.Buffer, gamma.Buffer, dGamma.Buffer, dBeta.Buffer,
            partials.Buffer, TPrevAct.NeedsPreActivation ? prevZ.Buffer : FloatBuffer.Null, dx.Buffer, rows);

        var zs = ToDouble(prevZ);
        var g = ToDouble(gamma);
        var b = ToDouble(beta);
        var ws = ToDouble(w);
        double Loss()
        {
            var input = new double[zs.Length];
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < features; c++)
                    input[r * cs + c] = Reference.Apply(prevActivation, zs[r * cs + c]);
            var y = LayerNorm(input, rows, cs, features, g, b, Epsilon);
            double loss = 0;
            for (int i = 0; i < y.Length; i++)
                loss += ws[i] * y[i];
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

        string what = $"{typeof(TShape).Name} {prevActivation}";
        for (int c = 0; c < features; c++)
        {
            AssertClose(Difference(g, c), dGamma[c], 1e-4, $"{what} dGamma[{c}]");
            AssertClose(Difference(b, c), dBeta[c], 1e-4, $"{what} dBeta[{c}]");
        }
        for (int c = features; c < cs; c++)
            Assert.Equal((0f, 0f), (dGamma[c], dBeta[c]));
        var expected = new double[rows * cs];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < features; c++)
                expected[r * cs + c] = Difference(zs, r * cs + c);
        AssertTensorClose(expected, dx, rows, cs, features, 1e-4, $"{what} dx");

        // Without dxOut: the same parameter gradients.
        using var dGamma2 = new NativeFloats(cs);
        using var dBeta2 = new NativeFloats(cs);
        LayerNormKernels.Backward<TShape, TPrevAct>(pool, w.Buffer, x.Buffer, mean.Buffer, invStd.Buffer, gamma.Buffer, dGamma2.Buffer, dBeta2.Buffer,
            partials.Buffer, prevZ.Buffer, FloatBuffer.Null, rows);
        Assert.True(dGamma.Span.SequenceEqual(dGamma2.Span) && dBeta.Span.SequenceEqual(dBeta2.Span));
    }

    private static float[][] RunAll(int threads, int rows)
    {
        int cs = Flat40.ChannelStride, features = Flat40.Channels;
        var random = new Random(8);
        using var pool = new WorkerPool(threads);
        using var x = Tensor(rows, cs, features, random);
        using var dy = Tensor(rows, cs, features, random);
        using var gamma = Channels(cs, features, random, 0.5, 1.5);
        using var beta = Channels(cs, features, random, -0.5, 0.5);
        using var mean = new NativeFloats(rows);
        using var invStd = new NativeFloats(rows);
        using var z = new NativeFloats(rows * cs);
        using var a = new NativeFloats(rows * cs);
        using var partials = new NativeFloats(LayerNormKernels.PartialsLength<Flat40>(rows));
        using var dGamma = new NativeFloats(cs);
        using var dBeta = new NativeFloats(cs);
        using var dx = new NativeFloats(rows * cs);
        LayerNormKernels.Forward<Flat40, Mish>(pool, x.Buffer, gamma.Buffer, beta.Buffer, Epsilon, mean.Buffer, invStd.Buffer, z.Buffer, a.Buffer, rows);
        LayerNormKernels.Backward<Flat40, Mish>(pool, dy.Buffer, a.Buffer, mean.Buffer, invStd.Buffer, gamma.Buffer, dGamma.Buffer, dBeta.Buffer,
            partials.Buffer, z.Buffer, dx.Buffer, rows);
        return new[] { mean.Span.ToArray(), invStd.Span.ToArray(), z.Span.ToArray(), a.Span.ToArray(), dGamma.Span.ToArray(), dBeta.Span.ToArray(), dx.Span.ToArray() };
    }
}
