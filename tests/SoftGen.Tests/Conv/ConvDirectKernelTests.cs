using System;
using System.Linq;
using SoftGen.Cpu;
using SoftGen.Tests.Kernels;
using Xunit;

namespace SoftGen.Tests.Conv;

// Few-channel inputs (InChannelStride < 16), which take ConvKernels' direct path: odd sizes, kernels 1, 3 and 5,
// strides 1 and 2, paddings 0 to 2, output channels that fill one vector, two, and two plus one (40 -> 48).
internal readonly struct DirectFashion : IConvShape
{
    public static int InChannels => 1; public static int InChannelStride => 1; public static int InHeight => 28; public static int InWidth => 28;
    public static int OutChannels => 32; public static int OutChannelStride => 32; public static int OutHeight => 28; public static int OutWidth => 28;
    public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
    public static int PaddingHeight => 1; public static int PaddingWidth => 1; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 1;
}

internal readonly struct DirectRgb5x5 : IConvShape
{
    public static int InChannels => 3; public static int InChannelStride => 3; public static int InHeight => 9; public static int InWidth => 11;
    public static int OutChannels => 40; public static int OutChannelStride => 48; public static int OutHeight => 5; public static int OutWidth => 6;
    public static int KernelHeight => 5; public static int KernelWidth => 5; public static int StrideHeight => 2; public static int StrideWidth => 2;
    public static int PaddingHeight => 2; public static int PaddingWidth => 2; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 1;
}

internal readonly struct DirectPointwise : IConvShape
{
    public static int InChannels => 2; public static int InChannelStride => 2; public static int InHeight => 4; public static int InWidth => 7;
    public static int OutChannels => 5; public static int OutChannelStride => 16; public static int OutHeight => 4; public static int OutWidth => 7;
    public static int KernelHeight => 1; public static int KernelWidth => 1; public static int StrideHeight => 1; public static int StrideWidth => 1;
    public static int PaddingHeight => 0; public static int PaddingWidth => 0; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 1;
}

internal readonly struct DirectStride2 : IConvShape
{
    public static int InChannels => 1; public static int InChannelStride => 1; public static int InHeight => 8; public static int InWidth => 9;
    public static int OutChannels => 17; public static int OutChannelStride => 32; public static int OutHeight => 3; public static int OutWidth => 4;
    public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 2; public static int StrideWidth => 2;
    public static int PaddingHeight => 0; public static int PaddingWidth => 0; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 1;
}

/// <summary>
/// The direct convolution kernels against float64 loops over NHWC images: forward (bias and activation fused, padding
/// channels 0), weight and bias gradients (summed over images that span several partitions), each element within
/// 1e-5 of the sum of its terms' magnitudes, and bit-identical results for 1, 2 and 3 threads.
/// </summary>
public unsafe class ConvDirectKernelTests
{
    [Fact]
    public void Forward_and_weight_gradients_match_float64()
    {
        foreach (int rows in new[] { 1, 3, 5 })
            Check<DirectFashion>(rows, 2);
        foreach (int rows in new[] { 1, 4, 70 })
        {
            Check<DirectRgb5x5>(rows, 2);
            Check<DirectPointwise>(rows, 3);
            Check<DirectStride2>(rows, 1);
        }
    }

    [Fact]
    public void Results_do_not_depend_on_the_thread_count()
    {
        AssertSameForAnyThreadCount<DirectFashion>(7);
        AssertSameForAnyThreadCount<DirectRgb5x5>(75);
    }

    private static void Check<T>(int rows, int threads) where T : struct, IConvShape
    {
        var random = new Random(rows * 100 + T.KernelWidth * 10 + T.InChannels);
        using var pool = new WorkerPool(threads);
        var operands = Operands<T>(rows, random);
        using var x = operands.X;
        using var wt = operands.Wt;
        using var bias = operands.Bias;
        using var dz = operands.DZ;
        int depth = T.KernelHeight * T.KernelWidth * T.InChannelStride, ocs = T.OutChannelStride, pixels = T.OutHeight * T.OutWidth;
        using var z = new NativeFloats(rows * pixels * ocs);
        using var a = new NativeFloats(rows * pixels * ocs);
        using var dwt = NativeFloats.Filled(depth * ocs, float.NaN);
        using var db = NativeFloats.Filled(ocs, float.NaN);
        using var partials = new NativeFloats(ConvKernels.WeightPartialsLength<T>(rows));
        ConvKernels.Forward<T, Relu>(pool, x.Pointer, wt.Pointer, bias.Pointer, z.Pointer, a.Pointer, rows);
        ConvKernels.BackwardWeights<T>(pool, x.Pointer, dz.Pointer, dwt.Pointer, db.Pointer, partials.Pointer, rows);

        string name = $"{typeof(T).Name} rows {rows}";
        var dwExpected = new double[depth * ocs];
        var dwMagnitude = new double[depth * ocs];
        var dbExpected = new double[ocs];
        var dbMagnitude = new double[ocs];
        for (int r = 0; r < rows; r++)
            for (int oy = 0; oy < T.OutHeight; oy++)
                for (int ox = 0; ox < T.OutWidth; ox++)
                {
                    int pixel = (r * T.OutHeight + oy) * T.OutWidth + ox;
                    for (int o = 0; o < ocs; o++)
                    {
                        double sum = o < T.OutChannels ? bias[o] : 0, magnitude = Math.Abs(sum);
                        double g = dz[pixel * ocs + o];
                        dbExpected[o] += g;
                        dbMagnitude[o] += Math.Abs(g);
                        for (int ky = 0; ky < T.KernelHeight; ky++)
                            for (int kx = 0; kx < T.KernelWidth; kx++)
                            {
                                int iy = oy * T.StrideHeight - T.PaddingHeight + ky, ix = ox * T.StrideWidth - T.PaddingWidth + kx;
                                if (iy < 0 || ix < 0 || iy >= T.InHeight || ix >= T.InWidth)
                                    continue;
                                for (int c = 0; c < T.InChannels; c++)
                                {
                                    double input = x[((r * T.InHeight + iy) * T.InWidth + ix) * T.InChannelStride + c];
                                    int p = (ky * T.KernelWidth + kx) * T.InChannelStride + c;
                                    double term = input * wt[p * ocs + o];
                                    sum += term;
                                    magnitude += Math.Abs(term);
                                    dwExpected[p * ocs + o] += input * g;
                                    dwMagnitude[p * ocs + o] += Math.Abs(input * g);
                                }
                            }
                        float zk = z[pixel * ocs + o], ak = a[pixel * ocs + o];
                        if (o >= T.OutChannels)
                        {
                            Assert.True(zk == 0f && ak == 0f, $"{name}: padding channel {o} of pixel {pixel} is {zk}, {ak}, not 0");
                            continue;
                        }
                        Assert.True(Math.Abs(zk - sum) <= 1e-5 * magnitude + 1e-30, $"{name}: Z[{pixel}, {o}] = {zk:R}, float64 {sum:R}");
                        Assert.Equal(Math.Max(zk, 0f), ak);
                    }
                }
        for (int k = 0; k < depth * ocs; k++)
            Assert.True(Math.Abs(dwt[k] - dwExpected[k]) <= 1e-5 * dwMagnitude[k] + 1e-30, $"{name}: dWt[{k / ocs}, {k % ocs}] = {dwt[k]:R}, float64 {dwExpected[k]:R}");
        for (int o = 0; o < ocs; o++)
            Assert.True(Math.Abs(db[o] - dbExpected[o]) <= 1e-5 * dbMagnitude[o] + 1e-30, $"{name}: db[{o}] = {db[o]:R}, float64 {dbExpected[o]:R}");
    }

    private static void AssertSameForAnyThreadCount<T>(int rows) where T : struct, IConvShape
    {
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var pool = new WorkerPool(threads);
            var operands = Operands<T>(rows, new Random(9));
            using var x = operands.X;
            using var wt = operands.Wt;
            using var bias = operands.Bias;
            using var dz = operands.DZ;
            int ocs = T.OutChannelStride, depth = T.KernelHeight * T.KernelWidth * T.InChannelStride;
            using var a = new NativeFloats(rows * T.OutHeight * T.OutWidth * ocs);
            using var dwt = new NativeFloats(depth * ocs);
            using var db = new NativeFloats(ocs);
            using var partials = new NativeFloats(ConvKernels.WeightPartialsLength<T>(rows));
            ConvKernels.Forward<T, Tanh>(pool, x.Pointer, wt.Pointer, bias.Pointer, null, a.Pointer, rows);
            ConvKernels.BackwardWeights<T>(pool, x.Pointer, dz.Pointer, dwt.Pointer, db.Pointer, partials.Pointer, rows);
            var all = a.Span.ToArray().Concat(dwt.Span.ToArray()).Concat(db.Span.ToArray()).ToArray();
            if (first is null) first = all;
            else Assert.True(first.Select(BitConverter.SingleToInt32Bits).SequenceEqual(all.Select(BitConverter.SingleToInt32Bits)), $"{typeof(T).Name}: {threads} threads differ from 1");
        }
    }

    /// <summary>Inputs, weights (0 in padding rows and columns), bias and output gradients (0 in padding channels).</summary>
    private static (NativeFloats X, NativeFloats Wt, NativeFloats Bias, NativeFloats DZ) Operands<T>(int rows, Random random) where T : struct, IConvShape
    {
        int depth = T.KernelHeight * T.KernelWidth * T.InChannelStride, ocs = T.OutChannelStride;
        var x = NativeFloats.Random(rows * T.InHeight * T.InWidth, T.InChannelStride, T.InChannels, random);
        var wt = new NativeFloats(depth * ocs);
        for (int p = 0; p < depth; p++)
            if (p % T.InChannelStride < T.InChannels)
                for (int o = 0; o < T.OutChannels; o++)
                    wt[p * ocs + o] = (float)(random.NextDouble() * 2 - 1);
        var bias = NativeFloats.Random(1, ocs, T.OutChannels, random, 0.5f);
        var dz = NativeFloats.Random(rows * T.OutHeight * T.OutWidth, ocs, T.OutChannels, random);
        return (x, wt, bias, dz);
    }
}
