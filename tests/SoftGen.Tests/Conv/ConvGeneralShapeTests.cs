using System;
using System.Linq;
using SoftGen.Cpu;
using SoftGen.Tests.Kernels;
using Xunit;

namespace SoftGen.Tests.Conv;

/// <summary>
/// ConvKernels on general shapes (see ConvGeneralShapes.cs) against a float64 convolution written here from PyTorch's
/// definition: out[o, oy, ox] = b[o] + the sum over the input channels c of o's group and the kernel positions of
/// x[c, oy sy - py + ky dy, ox sx - px + kx dx] w[o, c, ky, kx]. Forward (bias, ReLU, padding channels 0), weight and
/// bias gradients (the entries outside a grouped convolution's block diagonal exactly 0), and the input gradient with
/// the previous tanh's derivative fused (padding channels 0), each element within 1e-5 of the sum of its terms'
/// magnitudes; and the same bits from 1 and 2 worker threads.
/// </summary>
public unsafe class ConvGeneralShapeTests
{
    [Fact]
    public void Rectangular_kernels_and_per_axis_strides_match_float64()
    {
        CheckAll<Rect3x5>(3);
        CheckAll<Rect3x5>(40); // two weight-gradient partitions
        CheckAll<Tall5x1Stride2x1>(3);
        CheckAll<Stride2x3>(4);
    }

    [Fact]
    public void Signals_match_float64()
    {
        CheckAll<Signal1x7Stride2>(5);
        CheckAll<Signal1x7Stride2>(120); // two weight-gradient partitions
        CheckAll<SignalDilated2>(3);
        CheckAll<SignalDilated3>(4);
        CheckAll<Signal1x5>(3);
        CheckAll<Signal1x5>(70); // blocks that end at the ends of the lines, two partitions
        CheckAll<Signal1x1Stride3>(4);
        CheckAll<Signal1x4Stride3>(5);
        CheckAll<Signal8Channels>(3, inputGradient: false);
        CheckAll<Signal8Channels>(90, inputGradient: false);
    }

    [Fact]
    public void Dilations_match_float64()
    {
        CheckAll<Dilated2>(3);
        CheckAll<DirectDilatedHeight>(2, inputGradient: false);
        CheckAll<DirectDilatedHeight>(30, inputGradient: false);
    }

    [Fact]
    public void Groups_match_float64_with_the_off_diagonal_gradient_exactly_0()
    {
        CheckAll<Groups2>(3);
        CheckAll<Groups4Signal>(5);
        CheckAll<Groups2Signal>(6);
        CheckAll<Groups4Padded>(4);
    }

    [Fact]
    public void Max_pool_fusion_with_a_1x2_window_matches_float64()
    {
        foreach (int rows in new[] { 1, 9 })
            foreach (int threads in new[] { 1, 2 })
                CheckMaxPool(rows, threads);
    }

    /// <summary>Every pass on 1 and 2 threads: against float64 on each, and the two bit-equal.</summary>
    private static void CheckAll<T>(int rows, bool inputGradient = true) where T : struct, IConvShape
    {
        var one = Check<T>(rows, 1, inputGradient);
        var two = Check<T>(rows, 2, inputGradient);
        Assert.True(one.Select(BitConverter.SingleToInt32Bits).SequenceEqual(two.Select(BitConverter.SingleToInt32Bits)),
            $"{typeof(T).Name} rows {rows}: 2 threads give other bits than 1");
    }

    /// <summary>Runs the passes, checks them against float64 and returns every output, concatenated.</summary>
    private static float[] Check<T>(int rows, int threads, bool inputGradient) where T : struct, IConvShape
    {
        var random = new Random(rows * 1000 + T.KernelHeight * 100 + T.KernelWidth * 10 + T.InChannels);
        using var pool = new WorkerPool(threads);
        int depth = Depth<T>(), ocs = T.OutChannelStride, ics = T.InChannelStride;
        int outLength = rows * T.OutHeight * T.OutWidth * ocs, inLength = rows * T.InHeight * T.InWidth * ics;
        using var x = NativeFloats.Random(rows * T.InHeight * T.InWidth, ics, T.InChannels, random);
        using var wt = RandomWeights<T>(random);
        using var bias = NativeFloats.Random(1, ocs, T.OutChannels, random, 0.5f);
        using var dz = NativeFloats.Random(rows * T.OutHeight * T.OutWidth, ocs, T.OutChannels, random);
        using var prevA = NativeFloats.Random(rows * T.InHeight * T.InWidth, ics, T.InChannels, random, 0.9f);
        using var z = NativeFloats.Filled(outLength, float.NaN);
        using var a = NativeFloats.Filled(outLength, float.NaN);
        using var dwt = NativeFloats.Filled(depth * ocs, float.NaN);
        using var db = NativeFloats.Filled(ocs, float.NaN);
        using var partials = new NativeFloats(ConvKernels.WeightPartialsLength<T>(rows));
        using var wScratch = new NativeFloats(depth * ocs);
        using var dx = NativeFloats.Filled(inLength, float.NaN);

        ConvKernels.Forward<T, Relu>(pool, x.Pointer, wt.Pointer, bias.Pointer, z.Pointer, a.Pointer, rows);
        ConvKernels.BackwardWeights<T>(pool, x.Pointer, dz.Pointer, dwt.Pointer, db.Pointer, partials.Pointer, rows);
        if (inputGradient)
            ConvKernels.BackwardInputs<T, Tanh>(pool, dz.Pointer, wt.Pointer, wScratch.Pointer, null, prevA.Pointer, dx.Pointer, rows);

        string name = $"{typeof(T).Name} rows {rows} threads {threads}";
        var expected = new Expected(depth * ocs, ocs, inLength);
        Reference<T>(rows, x, wt, bias, dz, expected);
        for (int k = 0; k < outLength; k++)
        {
            int o = k % ocs;
            if (o >= T.OutChannels)
            {
                Assert.True(z[k] == 0f && a[k] == 0f, $"{name}: padding channel {o} of Z/A[{k / ocs}] is {z[k]}, {a[k]}");
                continue;
            }
            Near(z[k], expected.Z[k], expected.ZMagnitude[k], $"{name}: Z[{k / ocs}, {o}]");
            Assert.Equal(Math.Max(z[k], 0f), a[k]);
        }
        for (int k = 0; k < depth * ocs; k++)
        {
            if (!Connected<T>(k / ocs % ics, k % ocs))
                Assert.True(dwt[k] == 0f, $"{name}: dWt[{k / ocs}, {k % ocs}] is structurally 0 but {dwt[k]:R}");
            else
                Near(dwt[k], expected.DW[k], expected.DWMagnitude[k], $"{name}: dWt[{k / ocs}, {k % ocs}]");
        }
        for (int o = 0; o < ocs; o++)
            Near(db[o], expected.DB[o], expected.DBMagnitude[o], $"{name}: db[{o}]");
        if (!inputGradient)
            return z.Span.ToArray().Concat(a.Span.ToArray()).Concat(dwt.Span.ToArray()).Concat(db.Span.ToArray()).ToArray();
        for (int k = 0; k < inLength; k++)
        {
            int c = k % ics;
            if (c >= T.InChannels)
            {
                Assert.True(dx[k] == 0f, $"{name}: padding channel {c} of dX[{k / ics}] is {dx[k]}");
                continue;
            }
            double derivative = 1 - (double)prevA[k] * prevA[k];
            Near(dx[k], expected.DX[k] * derivative, expected.DXMagnitude[k] * Math.Abs(derivative), $"{name}: dX[{k / ics}, {c}]");
        }
        return z.Span.ToArray().Concat(a.Span.ToArray()).Concat(dwt.Span.ToArray()).Concat(db.Span.ToArray()).Concat(dx.Span.ToArray()).ToArray();
    }

    private sealed class Expected(int weights, int ocs, int inputs)
    {
        public double[] Z = Array.Empty<double>(), ZMagnitude = Array.Empty<double>();
        public readonly double[] DW = new double[weights], DWMagnitude = new double[weights];
        public readonly double[] DB = new double[ocs], DBMagnitude = new double[ocs];
        public readonly double[] DX = new double[inputs], DXMagnitude = new double[inputs];
    }

    /// <summary>The float64 convolution and its gradients, by PyTorch's definition, over the real channels only.</summary>
    private static void Reference<T>(int rows, NativeFloats x, NativeFloats wt, NativeFloats bias, NativeFloats dz, Expected e) where T : struct, IConvShape
    {
        int ocs = T.OutChannelStride, ics = T.InChannelStride;
        int inPerGroup = T.InChannels / T.Groups, outPerGroup = T.OutChannels / T.Groups;
        e.Z = new double[rows * T.OutHeight * T.OutWidth * ocs];
        e.ZMagnitude = new double[e.Z.Length];
        for (int r = 0; r < rows; r++)
            for (int oy = 0; oy < T.OutHeight; oy++)
                for (int ox = 0; ox < T.OutWidth; ox++)
                {
                    int pixel = (r * T.OutHeight + oy) * T.OutWidth + ox;
                    for (int o = 0; o < T.OutChannels; o++)
                    {
                        double sum = bias[o], magnitude = Math.Abs(sum), g = dz[pixel * ocs + o];
                        e.DB[o] += g;
                        e.DBMagnitude[o] += Math.Abs(g);
                        int group = o / outPerGroup;
                        for (int ky = 0; ky < T.KernelHeight; ky++)
                            for (int kx = 0; kx < T.KernelWidth; kx++)
                            {
                                int iy = oy * T.StrideHeight - T.PaddingHeight + ky * T.DilationHeight;
                                int ix = ox * T.StrideWidth - T.PaddingWidth + kx * T.DilationWidth;
                                if (iy < 0 || ix < 0 || iy >= T.InHeight || ix >= T.InWidth)
                                    continue;
                                for (int c = group * inPerGroup; c < (group + 1) * inPerGroup; c++)
                                {
                                    int at = ((r * T.InHeight + iy) * T.InWidth + ix) * ics + c;
                                    int p = (ky * T.KernelWidth + kx) * ics + c;
                                    double input = x[at], weight = wt[p * ocs + o];
                                    sum += input * weight;
                                    magnitude += Math.Abs(input * weight);
                                    e.DW[p * ocs + o] += input * g;
                                    e.DWMagnitude[p * ocs + o] += Math.Abs(input * g);
                                    e.DX[at] += g * weight;
                                    e.DXMagnitude[at] += Math.Abs(g * weight);
                                }
                            }
                        e.Z[pixel * ocs + o] = sum;
                        e.ZMagnitude[pixel * ocs + o] = magnitude;
                    }
                }
    }

    /// <summary>The fused 8-channel signal convolution and 1x2 max pool: pooled output and gradients against float64.</summary>
    private static void CheckMaxPool(int rows, int threads)
    {
        var random = new Random(rows + 17 * threads);
        using var pool = new WorkerPool(threads);
        int depth = Depth<Signal8Channels>(), ocs = Signal8Channels.OutChannelStride, ics = Signal8Channels.InChannelStride;
        int width = Signal8Channels.OutWidth, windows = width / 2;
        using var x = NativeFloats.Random(rows * Signal8Channels.InWidth, ics, Signal8Channels.InChannels, random);
        using var wt = RandomWeights<Signal8Channels>(random);
        using var bias = NativeFloats.Random(1, ocs, Signal8Channels.OutChannels, random, 0.5f);
        using var y = NativeFloats.Filled(rows * windows * ocs, float.NaN);
        using var dy = NativeFloats.Random(rows * windows, ocs, Signal8Channels.OutChannels, random);
        using var dwt = NativeFloats.Filled(depth * ocs, float.NaN);
        using var db = NativeFloats.Filled(ocs, float.NaN);
        using var partials = new NativeFloats(ConvKernels.WeightPartialsLength<Signal8Channels>(rows));
        ConvKernels.ForwardMaxPool<Signal8Channels, Signal8Pool, Tanh>(pool, x.Pointer, wt.Pointer, bias.Pointer, y.Pointer, rows);
        ConvKernels.BackwardWeightsMaxPool<Signal8Channels, Signal8Pool, Tanh>(pool, x.Pointer, wt.Pointer, bias.Pointer, y.Pointer, dy.Pointer,
            dwt.Pointer, db.Pointer, partials.Pointer, rows);

        // The float64 convolution: the pooled tanh is the max of the window's two; its gradient goes to the larger one
        // (random inputs, so no ties), through tanh's derivative there.
        using var none = new NativeFloats(rows * width * ocs);
        var e = new Expected(depth * ocs, ocs, rows * Signal8Channels.InWidth * ics);
        Reference<Signal8Channels>(rows, x, wt, bias, none, e);
        var dzRouted = new NativeFloats(rows * width * ocs);
        using var _ = dzRouted;
        string name = $"fused 1x2 max pool rows {rows} threads {threads}";
        for (int r = 0; r < rows; r++)
            for (int w = 0; w < windows; w++)
                for (int o = 0; o < ocs; o++)
                {
                    int pooled = (r * windows + w) * ocs + o;
                    if (o >= Signal8Channels.OutChannels)
                    {
                        Assert.True(y[pooled] == 0f, $"{name}: padding channel {o} of Y is {y[pooled]}");
                        continue;
                    }
                    int left = (r * width + 2 * w) * ocs + o, right = left + ocs;
                    double a0 = Math.Tanh(e.Z[left]), a1 = Math.Tanh(e.Z[right]);
                    int taken = a1 > a0 ? right : left;
                    double best = Math.Max(a0, a1);
                    Assert.True(Math.Abs(y[pooled] - best) <= 1e-5 * (e.ZMagnitude[taken] + 1), $"{name}: Y[{pooled / ocs}, {o}] = {y[pooled]:R}, float64 {best:R}");
                    dzRouted[taken] = (float)(dy[pooled] * (1 - best * best));
                }
        var routed = new Expected(depth * ocs, ocs, rows * Signal8Channels.InWidth * ics);
        Reference<Signal8Channels>(rows, x, wt, bias, dzRouted, routed);
        for (int k = 0; k < depth * ocs; k++)
            Near(dwt[k], routed.DW[k], routed.DWMagnitude[k] + 1e-3, $"{name}: dWt[{k / ocs}, {k % ocs}]");
        for (int o = 0; o < ocs; o++)
            Near(db[o], routed.DB[o], routed.DBMagnitude[o] + 1e-3, $"{name}: db[{o}]");
    }

    private static void Near(float actual, double expected, double magnitude, string what)
        => Assert.True(Math.Abs(actual - expected) <= 1e-5 * magnitude + 1e-30, $"{what} = {actual:R}, float64 {expected:R}");

    private static int Depth<T>() where T : struct, IConvShape => T.KernelHeight * T.KernelWidth * T.InChannelStride;

    /// <summary>Whether weight entry (input channel c, output channel o) is a real one: both real and in the same group.</summary>
    private static bool Connected<T>(int c, int o) where T : struct, IConvShape
        => c < T.InChannels && o < T.OutChannels && c / (T.InChannels / T.Groups) == o / (T.OutChannels / T.Groups);

    /// <summary>Weights in [-1, 1) at the real entries, 0 at the padding and the structural zeros of groups.</summary>
    private static NativeFloats RandomWeights<T>(Random random) where T : struct, IConvShape
    {
        int depth = Depth<T>(), ocs = T.OutChannelStride;
        var wt = new NativeFloats(depth * ocs);
        for (int p = 0; p < depth; p++)
            for (int o = 0; o < ocs; o++)
                if (Connected<T>(p % T.InChannelStride, o))
                    wt[p * ocs + o] = (float)(random.NextDouble() * 2 - 1);
        return wt;
    }
}
