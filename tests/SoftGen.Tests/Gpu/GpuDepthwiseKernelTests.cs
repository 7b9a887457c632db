using System;
using ILGPU;
using ILGPU.Runtime;
using SoftGen.Gpu.Kernels;
using Xunit;

namespace SoftGen.Tests.Gpu;

/// <summary>
/// DepthwiseConv on ILGPU's CPU accelerator against <see cref="ConvKernelReference"/> (float64): 5 channels of 4 x 5,
/// kernel 3 x 2, stride 1 x 2, padding 1 x 1, dilation 1 x 2 (4 x 3 outputs), compact weights [6 taps, 16]; 24 rows,
/// so that the weight gradient is reduced over two chunks of output positions.
/// </summary>
public sealed class GpuDepthwiseKernelTests
{
    public readonly struct Layer : IConvLayer
    {
        public int InChannels => 5;
        public int InStride => 16;
        public int InHeight => 4;
        public int InWidth => 5;
        public bool ReadsNchw => false;
        public int KernelHeight => 3;
        public int KernelWidth => 2;
        public int StrideHeight => 1;
        public int StrideWidth => 2;
        public int PaddingHeight => 1;
        public int PaddingWidth => 1;
        public int DilationHeight => 1;
        public int DilationWidth => 2;
        public int Groups => 5;
        public int OutHeight => 4;
        public int OutWidth => 3;
        public int Filters => 5;
        public int OutStride => 16;
        public int WeightOffset => 16;
        public int BiasOffset => 16 + 6 * 16;
    }

    private const int Rows = 24;
    private static readonly Layer L = default;
    private static readonly ConvKernelReference Reference = new(L);

    private static float[] Pack(double[] w, double[] b)
    {
        var p = new float[L.BiasOffset + 2 * L.OutStride];
        for (int f = 0; f < L.Filters; f++)
        {
            p[L.BiasOffset + f] = (float)b[f];
            for (int tap = 0; tap < Reference.Taps; tap++) p[L.WeightOffset + tap * L.OutStride + f] = (float)Reference.W(w, f, 0, tap);
        }
        return p;
    }

    [Fact]
    public void Chunks_cover_the_output_positions()
    {
        Assert.Equal(2, DepthwiseConv.Chunks<Layer>(Rows)); // 288 positions
        Assert.Equal(2 * 7 * 5, DepthwiseConv.PartialsLength<Layer>(Rows));
    }

    [Fact]
    public void Forward_keeping_z_matches_float64_and_clears_the_padding_channels()
    {
        var random = new Random(5);
        double[] w = Reference.Weights(random), b = Reference.Weights(random)[..L.Filters];
        var x = ConvKernelReference.Image(random, Rows, Reference.InPixels, L.InChannels, L.InStride);
        var expected = Reference.Forward(x, w, b, Rows);

        using var h = new GpuKernelHarness();
        using var xs = h.Upload(x);
        using var ps = h.Upload(Pack(w, b));
        int n = DepthwiseConv.OutputThreads<Layer>(Rows);
        using var z = h.Filled(n);
        using var a = h.Filled(n);
        h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(DepthwiseConv.ForwardKeepingZ<Layer, SiluActivation>)(
            h.For(n), xs.View, ps.View, z.View, a.View, Rows);
        float[] zs = z.GetAsArray1D(), actual = a.GetAsArray1D();
        for (int e = 0; e < n; e++)
        {
            int c = e % L.OutStride, q = e / L.OutStride;
            if (c >= L.Filters) { Assert.True(zs[e] == 0f && actual[e] == 0f, $"padding {e}: {zs[e]}, {actual[e]}"); continue; }
            double expectedZ = expected[q * L.Filters + c];
            ConvKernelReference.Near(expectedZ, 1, zs[e], $"z[{q}, {c}]");
            ConvKernelReference.Near(Float64Activations.Silu(expectedZ), 1, actual[e], $"a[{q}, {c}]");
        }
    }

    [Fact]
    public void Backward_matches_float64()
    {
        var random = new Random(6);
        double[] w = Reference.Weights(random), b = new double[L.Filters];
        var x = ConvKernelReference.Image(random, Rows, Reference.InPixels, L.InChannels, L.InStride); // A_prev of a tanh layer
        var dz = ConvKernelReference.Image(random, Rows, Reference.OutPixels, L.Filters, L.OutStride);
        var (dw, dwSize, db, dbSize, dx, dxSize) = Reference.Backward(x, w, dz, Rows);

        using var h = new GpuKernelHarness();
        var packed = Pack(w, b);
        using var xs = h.Upload(x);
        using var ps = h.Upload(packed);
        using var dzs = h.Upload(dz);
        using var partials = h.Filled(DepthwiseConv.PartialsLength<Layer>(Rows));
        using var g = h.Filled(packed.Length);
        int inputs = DepthwiseConv.InputThreads<Layer>(Rows);
        using var dzPrev = h.Filled(inputs);
        h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(DepthwiseConv.WeightChunks<Layer>)(
            h.For(DepthwiseConv.WeightChunkThreads<Layer>(Rows)), xs.View, dzs.View, partials.View, Rows);
        h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(DepthwiseConv.SumWeights<Layer>)(
            h.For(DepthwiseConv.WeightThreads<Layer>()), partials.View, g.View, Rows);
        h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(DepthwiseConv.InputGradient<Layer, TanhActivation>)(
            h.For(inputs), ps.View, dzs.View, xs.View, dzPrev.View, Rows);

        var gradients = g.GetAsArray1D();
        for (int c = 0; c < L.OutStride; c++)
        {
            bool real = c < L.Filters;
            if (real) ConvKernelReference.Near(db[c], dbSize[c], gradients[L.BiasOffset + c], $"db[{c}]");
            else Assert.True(gradients[L.BiasOffset + c] == 0f, $"db padding {c}");
            for (int tap = 0; tap < Reference.Taps; tap++)
            {
                float actual = gradients[L.WeightOffset + tap * L.OutStride + c];
                if (real) ConvKernelReference.Near(dw[c * Reference.Taps + tap], dwSize[c * Reference.Taps + tap], actual, $"dW[{c}, tap {tap}]");
                else Assert.True(actual == 0f, $"dW padding [{tap}, {c}]");
            }
        }
        var input = dzPrev.GetAsArray1D();
        for (int e = 0; e < inputs; e++)
        {
            int c = e % L.InStride, q = e / L.InStride;
            if (c >= L.InChannels) { Assert.True(input[e] == 0f, $"dZprev padding {e}"); continue; }
            int i = q * L.InChannels + c;
            ConvKernelReference.Near(dx[i] * (1 - (double)x[e] * x[e]), dxSize[i], input[e], $"dZprev[{q}, {c}]");
        }
    }
}
