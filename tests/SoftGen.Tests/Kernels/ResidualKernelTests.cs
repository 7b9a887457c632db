using System;
using SoftGen.Cpu;
using Xunit;
using static SoftGen.Tests.Kernels.NormReference;

namespace SoftGen.Tests.Kernels;

/// <summary>ResidualKernels against float64 references written here.</summary>
public unsafe class ResidualKernelTests
{
    [Fact]
    public void AddMatchesFloat64()
    {
        Add<Image3At5x7, Sigmoid>(nameof(Sigmoid), rows: 2, keepZ: true); // act(0) = 1/2: the padding must be masked
        Add<Image20At3x3, Relu>(nameof(Relu), rows: 3, keepZ: false);
        Add<Flat10, Mish>(nameof(Mish), rows: 5, keepZ: true);
    }

    [Fact]
    public void GradientsMatchFloat64()
    {
        Gradients<Image3At5x7, Silu>(nameof(Silu), rows: 2);
        Gradients<Image20At3x3, Tanh>(nameof(Tanh), rows: 3);
        Gradients<Flat10, Elu>(nameof(Elu), rows: 4);
        Gradients<Flat40, Gelu>(nameof(Gelu), rows: 3);
    }

    private static void Add<TShape, TAct>(string activation, int rows, bool keepZ) where TShape : struct, ISpatialShape where TAct : struct, IActivation
    {
        int cs = TShape.ChannelStride, channels = TShape.Channels, count = rows * TShape.Height * TShape.Width;
        var random = new Random(count + channels);
        using var pool = new WorkerPool(2);
        using var block = Tensor(count, cs, channels, random);
        using var shortcut = Tensor(count, cs, channels, random);
        using var z = NativeFloats.Filled(count * cs, float.NaN);
        using var a = NativeFloats.Filled(count * cs, float.NaN);
        ResidualKernels.Add<TShape, TAct>(pool, block.Buffer, shortcut.Buffer, keepZ ? z.Buffer : FloatBuffer.Null, a.Buffer, rows);

        var sum = new double[count * cs];
        for (int i = 0; i < sum.Length; i++)
            sum[i] = (double)block[i] + shortcut[i];
        string what = $"{typeof(TShape).Name} {activation}";
        AssertTensorClose(Apply(activation, sum, count, cs, channels), a, count, cs, channels, 1e-6, $"{what} a");
        if (keepZ)
            AssertTensorClose(sum, z, count, cs, channels, 1e-7, $"{what} z");
        else
            Assert.True(float.IsNaN(z[0]), "z was written although Null was passed");
    }

    private static void Gradients<TShape, TAct>(string activation, int rows) where TShape : struct, ISpatialShape where TAct : struct, IActivation
    {
        int cs = TShape.ChannelStride, channels = TShape.Channels, count = rows * TShape.Height * TShape.Width;
        var random = new Random(count * 5 + channels);
        using var pool = new WorkerPool(2);
        using var z = Tensor(count, cs, channels, random, 2f);
        using var a = new NativeFloats(count * cs);
        for (int i = 0; i < count; i++)
            for (int c = 0; c < channels; c++)
                a[i * cs + c] = TAct.Apply(z[i * cs + c]);
        using var dOut = Tensor(count, cs, channels, random);
        using var shortcutGradient = Tensor(count, cs, channels, random);
        var dOutValues = ToDouble(dOut);
        using var dIn = NativeFloats.Filled(count * cs, float.NaN);
        FloatBuffer zIfNeeded = TAct.NeedsPreActivation ? z.Buffer : FloatBuffer.Null;

        ResidualKernels.ActivationBackward<TShape, TAct>(pool, dOut.Buffer, zIfNeeded, a.Buffer, dIn.Buffer, rows);
        var expected = new double[count * cs];
        for (int i = 0; i < count; i++)
            for (int c = 0; c < channels; c++)
                expected[i * cs + c] = dOutValues[i * cs + c] * Reference.Derivative(activation, z[i * cs + c]);
        string what = $"{typeof(TShape).Name} {activation}";
        AssertTensorClose(expected, dIn, count, cs, channels, 1e-5, $"{what} activation backward");

        // In place (dIn = dOut): the same values.
        ResidualKernels.ActivationBackward<TShape, TAct>(pool, dOut.Buffer, zIfNeeded, a.Buffer, dOut.Buffer, rows);
        Assert.True(dOut.Span.SequenceEqual(dIn.Span), $"{what}: in place differs");

        // The two paths into a block's input: dz = (dz + shortcut gradient) act'.
        using var dz = new NativeFloats(count * cs);
        for (int i = 0; i < dz.Length; i++)
            dz[i] = (float)dOutValues[i];
        ResidualKernels.AddGradient<TShape, TAct>(pool, dz.Buffer, shortcutGradient.Buffer, zIfNeeded, a.Buffer, rows);
        for (int i = 0; i < count; i++)
            for (int c = 0; c < channels; c++)
                expected[i * cs + c] = (dOutValues[i * cs + c] + shortcutGradient[i * cs + c]) * Reference.Derivative(activation, z[i * cs + c]);
        AssertTensorClose(expected, dz, count, cs, channels, 1e-5, $"{what} add gradient");
    }
}
