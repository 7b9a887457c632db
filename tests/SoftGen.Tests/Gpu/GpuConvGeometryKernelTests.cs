using System;
using ILGPU;
using ILGPU.Runtime;
using SoftGen.Gpu.Kernels;
using Xunit;

namespace SoftGen.Tests.Gpu;

/// <summary>
/// Conv2DForward and Conv2DBackward with the general window, on ILGPU's CPU accelerator in groups of 256, against
/// <see cref="ConvKernelReference"/> (float64): a grouped convolution with a rectangular kernel, different strides,
/// paddings and dilations along the two axes (its block-diagonal Wt: the entries outside the groups stored 0, their
/// gradients exactly 0), and a signal's Conv1D (a height-1 image, kernel 1 x 3, stride 2, padding 1, dilation 2).
/// </summary>
public sealed class GpuConvGeometryKernelTests
{
    /// <summary>4 channels of 5 x 6 -> 6 filters in 2 groups, kernel 2 x 3, stride 2 x 1, padding 1 x 2, dilation 2 x 1: 3 x 8.</summary>
    public readonly struct GroupedLayer : IConvLayer
    {
        public int InChannels => 4;
        public int InStride => 16;
        public int InHeight => 5;
        public int InWidth => 6;
        public bool ReadsNchw => false;
        public int KernelHeight => 2;
        public int KernelWidth => 3;
        public int StrideHeight => 2;
        public int StrideWidth => 1;
        public int PaddingHeight => 1;
        public int PaddingWidth => 2;
        public int DilationHeight => 2;
        public int DilationWidth => 1;
        public int Groups => 2;
        public int OutHeight => 3;
        public int OutWidth => 8;
        public int Filters => 6;
        public int OutStride => 16;
        public int WeightOffset => 16;
        public int BiasOffset => 16 + 6 * 16 * 16;
    }

    /// <summary>A signal of 3 channels x 11 -> 5 filters, kernel 3, stride 2, padding 1, dilation 2: length 5.</summary>
    public readonly struct SignalLayer : IConvLayer
    {
        public int InChannels => 3;
        public int InStride => 16;
        public int InHeight => 1;
        public int InWidth => 11;
        public bool ReadsNchw => false;
        public int KernelHeight => 1;
        public int KernelWidth => 3;
        public int StrideHeight => 1;
        public int StrideWidth => 2;
        public int PaddingHeight => 0;
        public int PaddingWidth => 1;
        public int DilationHeight => 1;
        public int DilationWidth => 2;
        public int Groups => 1;
        public int OutHeight => 1;
        public int OutWidth => 5;
        public int Filters => 5;
        public int OutStride => 16;
        public int WeightOffset => 0;
        public int BiasOffset => 3 * 16 * 16;
    }

    private const int Rows = 3;

    [Fact]
    public void Grouped_rectangular_dilated_forward_matches_float64() => Forward<GroupedLayer>(1);

    [Fact]
    public void Signal_forward_matches_float64() => Forward<SignalLayer>(2);

    [Fact]
    public void Grouped_rectangular_dilated_backward_matches_float64_and_leaves_the_entries_outside_the_groups_0() => Backward<GroupedLayer>(3);

    [Fact]
    public void Signal_backward_matches_float64() => Backward<SignalLayer>(4);

    /// <summary>The flat parameters: PyTorch's weight packed into Wt (block-diagonal), and the bias.</summary>
    private static float[] Pack<TLayer>(ConvKernelReference reference, double[] w, double[] b) where TLayer : struct, IConvLayer
    {
        var l = default(TLayer);
        var p = new float[l.BiasOffset + 2 * l.OutStride];
        for (int f = 0; f < l.Filters; f++)
        {
            p[l.BiasOffset + f] = (float)b[f];
            for (int tap = 0; tap < reference.Taps; tap++)
                for (int ci = 0; ci < reference.GroupIn; ci++)
                    p[l.WeightOffset + (tap * l.InStride + reference.Channel(f, ci)) * l.OutStride + f] = (float)reference.W(w, f, ci, tap);
        }
        return p;
    }

    private static void Forward<TLayer>(int seed) where TLayer : struct, IConvLayer
    {
        var l = default(TLayer);
        var reference = new ConvKernelReference(l);
        var random = new Random(seed);
        double[] w = reference.Weights(random), b = reference.Weights(random)[..l.Filters];
        var x = ConvKernelReference.Image(random, Rows, reference.InPixels, l.InChannels, l.InStride);
        var expected = reference.Forward(x, w, b, Rows);

        using var h = new GpuKernelHarness(GemmTiles.Threads);
        using var xs = h.Upload(x);
        using var ps = h.Upload(Pack<TLayer>(reference, w, b));
        using var a = h.Filled(Rows * reference.OutPixels * l.OutStride);
        int groups = GemmTiles.Tiles(Rows * reference.OutPixels, GemmTiles.LargeTile) * GemmTiles.Tiles(l.Filters, GemmTiles.LargeTile);
        h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(Conv2DForward.Run<TLayer, TanhActivation>)(
            new KernelConfig(groups, GemmTiles.Threads), xs.View, ps.View, a.View, Rows);
        var actual = a.GetAsArray1D();
        for (int q = 0; q < Rows * reference.OutPixels; q++)
            for (int f = 0; f < l.Filters; f++)
            {
                double z = expected[q * l.Filters + f];
                ConvKernelReference.Near(Math.Tanh(z), 1, actual[q * l.OutStride + f], $"a[{q}, {f}]");
            }
    }

    private static void Backward<TLayer>(int seed) where TLayer : struct, IConvLayer
    {
        const int Slices = 2;
        var l = default(TLayer);
        var reference = new ConvKernelReference(l);
        var random = new Random(seed);
        double[] w = reference.Weights(random), b = new double[l.Filters];
        var x = ConvKernelReference.Image(random, Rows, reference.InPixels, l.InChannels, l.InStride); // A_prev of a tanh layer
        var dz = ConvKernelReference.Image(random, Rows, reference.OutPixels, l.Filters, l.OutStride);
        var (dw, dwSize, db, dbSize, dx, dxSize) = reference.Backward(x, w, dz, Rows);

        using var h = new GpuKernelHarness(GemmTiles.Threads);
        var packed = Pack<TLayer>(reference, w, b);
        using var xs = h.Upload(x);
        using var ps = h.Upload(packed);
        using var dzs = h.Upload(dz);
        int depth = reference.Taps * l.InChannels;
        using var partials = h.Filled(Slices * (depth + 1) * l.Filters);
        using var dzPrev = h.Filled(Rows * reference.InPixels * l.InStride);
        using var g = h.Filled(packed.Length);
        int groups = Conv2DBackward.WeightTiles<TLayer>() * Slices
            + GemmTiles.Tiles(Rows * reference.InPixels, GemmTiles.LargeTile) * GemmTiles.Tiles(l.InChannels, GemmTiles.LargeTile);
        h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(
            Conv2DBackward.WithInput<TLayer, TanhActivation>)(new KernelConfig(groups, GemmTiles.Threads), xs.View, ps.View, dzs.View, partials.View, dzPrev.View, Rows, Slices);
        h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(Conv2DBackward.SumWeights<TLayer>)(
            new KernelConfig(GemmTiles.Tiles((depth + 1) * l.Filters, GemmTiles.Threads), GemmTiles.Threads), partials.View, g.View, Slices);

        var gradients = g.GetAsArray1D();
        for (int f = 0; f < l.Filters; f++)
        {
            ConvKernelReference.Near(db[f], dbSize[f], gradients[l.BiasOffset + f], $"db[{f}]");
            for (int tap = 0; tap < reference.Taps; tap++)
                for (int c = 0; c < l.InChannels; c++)
                {
                    float actual = gradients[l.WeightOffset + (tap * l.InStride + c) * l.OutStride + f];
                    int ci = c - reference.Channel(f, 0);
                    if (ci < 0 || ci >= reference.GroupIn) Assert.True(actual == 0f, $"dW[{f}, channel {c}, tap {tap}] outside the group: {actual:R}");
                    else
                    {
                        int wi = (f * reference.GroupIn + ci) * reference.Taps + tap;
                        ConvKernelReference.Near(dw[wi], dwSize[wi], actual, $"dW[{f}, {ci}, tap {tap}]");
                    }
                }
        }
        var input = dzPrev.GetAsArray1D();
        for (int q = 0; q < Rows * reference.InPixels; q++)
            for (int c = 0; c < l.InChannels; c++)
            {
                double derivative = 1 - (double)x[q * l.InStride + c] * x[q * l.InStride + c];
                int i = q * l.InChannels + c;
                ConvKernelReference.Near(dx[i] * derivative, dxSize[i], input[q * l.InStride + c], $"dZprev[{q}, {c}]");
            }
    }
}
