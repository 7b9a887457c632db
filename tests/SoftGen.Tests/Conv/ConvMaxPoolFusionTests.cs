using System;
using System.Linq;
using SoftGen.Cpu;
using SoftGen.Tests.Kernels;
using Xunit;

namespace SoftGen.Tests.Conv;

internal readonly struct FashionPool : IPoolShape
{
    public static int Channels => 32; public static int ChannelStride => 32; public static int Height => 28; public static int Width => 28; public static int SizeHeight => 2; public static int SizeWidth => 2;
}

/// <summary>Two channels, 20 outputs (padded to 32) on a 6 x 9 image, for a 3 x 3 pool.</summary>
internal readonly struct DirectTwoChannels : IConvShape
{
    public static int InChannels => 2; public static int InChannelStride => 2; public static int InHeight => 6; public static int InWidth => 9;
    public static int OutChannels => 20; public static int OutChannelStride => 32; public static int OutHeight => 6; public static int OutWidth => 9;
    public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
    public static int PaddingHeight => 1; public static int PaddingWidth => 1; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 1;
}

internal readonly struct TwoChannelsPool : IPoolShape
{
    public static int Channels => 20; public static int ChannelStride => 32; public static int Height => 6; public static int Width => 9; public static int SizeHeight => 3; public static int SizeWidth => 3;
}

/// <summary>
/// The fused few-channel convolution and max pool against the unfused kernels it replaces (ConvKernels.Forward,
/// PoolKernels.MaxForward and MaxBackward, ConvKernels.BackwardWeights, each checked against float64 on its own):
/// the pooled output and the weight and bias gradients equal theirs bit for bit, ties in the windows (ReLU's zeros)
/// included, for activations that need Z (GELU) and those that do not, on 1 to 3 threads.
/// </summary>
public unsafe class ConvMaxPoolFusionTests
{
    [Fact]
    public void Fused_kernels_equal_the_unfused_ones_bit_for_bit()
    {
        foreach (int threads in new[] { 1, 2, 3 })
        {
            foreach (int rows in new[] { 1, 7 })
            {
                Compare<DirectFashion, FashionPool, Relu>(rows, threads);
                Compare<DirectFashion, FashionPool, Tanh>(rows, threads);
            }
            foreach (int rows in new[] { 2, 45 })
            {
                Compare<DirectTwoChannels, TwoChannelsPool, Gelu>(rows, threads);
                Compare<DirectTwoChannels, TwoChannelsPool, LeakyRelu>(rows, threads);
            }
        }
    }

    [Fact]
    public void Shapes_that_do_not_chain_are_rejected()
    {
        using var pool = new WorkerPool(1);
        var error = Assert.Throws<NotSupportedException>(() => ConvKernels.ForwardMaxPool<DirectTwoChannels, FashionPool, Relu>(pool, null, null, null, null, 1));
        Assert.Contains("cannot be fused", error.Message);
    }

    private static void Compare<TConv, TPool, TAct>(int rows, int threads)
        where TConv : struct, IConvShape where TPool : struct, IPoolShape where TAct : struct, IActivation
    {
        var random = new Random(rows * 31 + threads);
        using var pool = new WorkerPool(threads);
        int ocs = TConv.OutChannelStride, depth = TConv.KernelHeight * TConv.KernelWidth * TConv.InChannelStride;
        int convLength = rows * TConv.OutHeight * TConv.OutWidth * ocs, pooledLength = convLength / (TPool.SizeHeight * TPool.SizeWidth);
        using var x = NativeFloats.Random(rows * TConv.InHeight * TConv.InWidth, TConv.InChannelStride, TConv.InChannels, random);
        using var wt = new NativeFloats(depth * ocs);
        for (int p = 0; p < depth; p++)
            for (int o = 0; o < TConv.OutChannels; o++)
                wt[p * ocs + o] = (float)(random.NextDouble() * 2 - 1);
        using var bias = NativeFloats.Random(1, ocs, TConv.OutChannels, random, 0.5f);
        using var dy = NativeFloats.Random(pooledLength / ocs, ocs, TConv.OutChannels, random);

        // Unfused: Z and A of the convolution stored, the pool, its backward into dZ, then dW and db.
        using var z = new NativeFloats(convLength);
        using var a = new NativeFloats(convLength);
        using var y = new NativeFloats(pooledLength);
        using var dz = new NativeFloats(convLength);
        using var dwt = new NativeFloats(depth * ocs);
        using var db = new NativeFloats(ocs);
        using var partials = new NativeFloats(ConvKernels.WeightPartialsLength<TConv>(rows));
        float* zOrNull = TAct.NeedsPreActivation ? z.Pointer : null;
        ConvKernels.Forward<TConv, TAct>(pool, x.Pointer, wt.Pointer, bias.Pointer, zOrNull, a.Pointer, rows);
        PoolKernels.MaxForward<TPool>(pool, a.Pointer, y.Pointer, rows);
        PoolKernels.MaxBackward<TPool, TAct>(pool, dy.Pointer, y.Pointer, zOrNull, a.Pointer, dz.Pointer, rows);
        ConvKernels.BackwardWeights<TConv>(pool, x.Pointer, dz.Pointer, dwt.Pointer, db.Pointer, partials.Pointer, rows);

        using var fusedY = NativeFloats.Filled(pooledLength, float.NaN);
        using var fusedDwt = NativeFloats.Filled(depth * ocs, float.NaN);
        using var fusedDb = NativeFloats.Filled(ocs, float.NaN);
        using var fusedPartials = NativeFloats.Filled(ConvKernels.WeightPartialsLength<TConv>(rows), float.NaN);
        ConvKernels.ForwardMaxPool<TConv, TPool, TAct>(pool, x.Pointer, wt.Pointer, bias.Pointer, fusedY.Pointer, rows);
        ConvKernels.BackwardWeightsMaxPool<TConv, TPool, TAct>(pool, x.Pointer, wt.Pointer, bias.Pointer, fusedY.Pointer, dy.Pointer,
            fusedDwt.Pointer, fusedDb.Pointer, fusedPartials.Pointer, rows);

        string name = $"{typeof(TConv).Name} + {typeof(TPool).Name}, {typeof(TAct).Name}, rows {rows}, {threads} threads";
        AssertBitEqual(y, fusedY, name + ": pooled output");
        AssertBitEqual(dwt, fusedDwt, name + ": dWt");
        AssertBitEqual(db, fusedDb, name + ": db");
        if (typeof(TAct) == typeof(Relu))
            Assert.True(Enumerable.Range(0, convLength).Count(k => a[k] == 0f && k % ocs < TConv.OutChannels) > convLength / 10, name + ": too few ReLU zeros to test ties");
    }

    private static void AssertBitEqual(NativeFloats expected, NativeFloats actual, string what)
    {
        for (int k = 0; k < expected.Length; k++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[k]) == BitConverter.SingleToInt32Bits(actual[k]),
                $"{what}: element {k} is {actual[k]:R}, the unfused kernels give {expected[k]:R}");
    }
}
