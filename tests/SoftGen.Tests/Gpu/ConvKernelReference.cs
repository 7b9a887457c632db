using System;
using SoftGen.Gpu.Kernels;
using Xunit;

namespace SoftGen.Tests.Gpu;

/// <summary>
/// A convolution re-derived in float64 from PyTorch's definition, for the GPU conv kernels' tests: weight
/// w[f, c within the group, ky, kx], input and output [rows, pixels, stride] (NHWC), output pixel (oy, ox) reading input
/// (oy sh - ph + ky dh, ox sw - pw + kx dw), 0 outside. The backward scatters each output gradient back along the same
/// taps (the kernels gather), and reports each value's magnitude (the sum of its terms' absolute values) for the
/// tolerance.
/// </summary>
internal sealed class ConvKernelReference
{
    private readonly IConvLayer _l;

    public ConvKernelReference(IConvLayer layer) => _l = layer;

    public int InPixels => _l.InHeight * _l.InWidth;
    public int OutPixels => _l.OutHeight * _l.OutWidth;
    public int Taps => _l.KernelHeight * _l.KernelWidth;
    public int GroupIn => _l.InChannels / _l.Groups;
    public int GroupOut => _l.Filters / _l.Groups;

    /// <summary>Input channel ci (within its group) of filter f as a channel of the image.</summary>
    public int Channel(int f, int ci) => f / GroupOut * GroupIn + ci;

    /// <summary>PyTorch's weight [Filters, InChannels / Groups, KernelHeight, KernelWidth], in [-0.5, 0.5).</summary>
    public double[] Weights(Random random)
    {
        var w = new double[_l.Filters * GroupIn * Taps];
        for (int i = 0; i < w.Length; i++) w[i] = (float)(random.NextDouble() - 0.5);
        return w;
    }

    public double W(double[] w, int f, int ci, int tap) => w[(f * GroupIn + ci) * Taps + tap];

    /// <summary>The input pixel tap reads for output pixel o, or -1 outside the image.</summary>
    public int Source(int o, int tap)
    {
        int iy = o / _l.OutWidth * _l.StrideHeight - _l.PaddingHeight + tap / _l.KernelWidth * _l.DilationHeight;
        int ix = o % _l.OutWidth * _l.StrideWidth - _l.PaddingWidth + tap % _l.KernelWidth * _l.DilationWidth;
        return iy >= 0 && iy < _l.InHeight && ix >= 0 && ix < _l.InWidth ? iy * _l.InWidth + ix : -1;
    }

    /// <summary>Z [rows, OutPixels, Filters] (dense) = conv(x, w) + b.</summary>
    public double[] Forward(float[] x, double[] w, double[] b, int rows)
    {
        var z = new double[rows * OutPixels * _l.Filters];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < OutPixels; o++)
                for (int f = 0; f < _l.Filters; f++)
                {
                    double sum = b[f];
                    for (int tap = 0; tap < Taps; tap++)
                    {
                        int i = Source(o, tap);
                        if (i < 0) continue;
                        for (int ci = 0; ci < GroupIn; ci++) sum += W(w, f, ci, tap) * x[(r * InPixels + i) * _l.InStride + Channel(f, ci)];
                    }
                    z[(r * OutPixels + o) * _l.Filters + f] = sum;
                }
        return z;
    }

    /// <summary>dW (as PyTorch's weight), db and dX (dense [rows, InPixels, InChannels]) for dZ stored [rows, OutPixels, OutStride], with magnitudes.</summary>
    public (double[] Dw, double[] DwSize, double[] Db, double[] DbSize, double[] Dx, double[] DxSize) Backward(float[] x, double[] w, float[] dz, int rows)
    {
        int n = _l.Filters * GroupIn * Taps, inputs = rows * InPixels * _l.InChannels;
        double[] dw = new double[n], dwSize = new double[n], db = new double[_l.Filters], dbSize = new double[_l.Filters];
        double[] dx = new double[inputs], dxSize = new double[inputs];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < OutPixels; o++)
                for (int f = 0; f < _l.Filters; f++)
                {
                    double g = dz[(r * OutPixels + o) * _l.OutStride + f];
                    db[f] += g;
                    dbSize[f] += Math.Abs(g);
                    for (int tap = 0; tap < Taps; tap++)
                    {
                        int i = Source(o, tap);
                        if (i < 0) continue;
                        for (int ci = 0; ci < GroupIn; ci++)
                        {
                            int c = Channel(f, ci), wi = (f * GroupIn + ci) * Taps + tap, xi = (r * InPixels + i) * _l.InChannels + c;
                            double v = x[(r * InPixels + i) * _l.InStride + c];
                            dw[wi] += g * v;
                            dwSize[wi] += Math.Abs(g * v);
                            dx[xi] += g * w[wi];
                            dxSize[xi] += Math.Abs(g * w[wi]);
                        }
                    }
                }
        return (dw, dwSize, db, dbSize, dx, dxSize);
    }

    /// <summary>Values in [-0.9, 0.9] on the real channels of a [rows, pixels, stride] image, 0 on the padding.</summary>
    public static float[] Image(Random random, int rows, int pixels, int channels, int stride)
    {
        var v = new float[rows * pixels * stride];
        for (int e = 0; e < v.Length; e++) v[e] = e % stride < channels ? (float)(random.NextDouble() * 1.8 - 0.9) : 0f;
        return v;
    }

    public static void Near(double expected, double magnitude, float actual, string what)
    {
        double tolerance = 1e-5 * (1 + magnitude);
        Assert.True(Math.Abs(actual - expected) <= tolerance, $"{what}: expected {expected:R}, got {actual:R}");
    }
}
