using System;
using ILGPU;
using ILGPU.Runtime;
using SoftGen.Gpu.Kernels;
using Xunit;
using static SoftGen.Tests.Gpu.Float64Activations;

namespace SoftGen.Tests.Gpu;

/// <summary>
/// SqueezeExcitation's kernels on ILGPU's CPU accelerator against the layer re-derived in float64 from PyTorch's
/// definition (reduce = Linear(6, 3) + SiLU, expand = Linear(3, 6) + sigmoid, out = x * gate): 6 channels in a stride
/// of 16, 7 pixels, 5 rows; the backward after a SiLU layer (its act' from Z_prev).
/// </summary>
public sealed class GpuSqueezeExcitationKernelTests
{
    public readonly struct Layer : ISqueezeExcitationLayer
    {
        public int Channels => 6;
        public int Stride => 16;
        public int Pixels => 7;
        public int Squeeze => 3;
        public int SqueezeStride => 16;
        public int Offset => 16;
        public bool ReadsNchw => false;
    }

    /// <summary>The same layer reading the user's NCHW rows [rows, 6, 7] (a first layer); its output is stored as Layer's.</summary>
    public readonly struct NchwLayer : ISqueezeExcitationLayer
    {
        public int Channels => 6;
        public int Stride => 16;
        public int Pixels => 7;
        public int Squeeze => 3;
        public int SqueezeStride => 16;
        public int Offset => 16;
        public bool ReadsNchw => true;
    }

    /// <summary>x [rows, 7, 16] (NHWC, padding 0) as the user's NCHW rows [rows, 6, 7].</summary>
    private static float[] Nchw(float[] x)
    {
        var nchw = new float[Rows * C * N];
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < C; c++)
                for (int q = 0; q < N; q++) nchw[(r * C + c) * N + q] = x[(r * N + q) * 16 + c];
        return nchw;
    }

    private const int Rows = 5, C = 6, S = 3, N = 7, Elements = Rows * N * 16;
    private static readonly Layer L = default;

    /// <summary>PyTorch's tensors: reduce.weight [S, C], reduce.bias [S], expand.weight [C, S], expand.bias [C].</summary>
    private sealed class Parameters
    {
        public readonly double[,] ReduceW = new double[S, C], ExpandW = new double[C, S];
        public readonly double[] ReduceB = new double[S], ExpandB = new double[C];

        public Parameters(Random random)
        {
            double Next() => (float)(random.NextDouble() * 1.6 - 0.8);
            for (int j = 0; j < S; j++)
            {
                ReduceB[j] = Next();
                for (int c = 0; c < C; c++) ReduceW[j, c] = Next();
            }
            for (int c = 0; c < C; c++)
            {
                ExpandB[c] = Next();
                for (int j = 0; j < S; j++) ExpandW[c, j] = Next();
            }
        }

        /// <summary>The shared layout: reduce.weight transposed [16, 16], reduce.bias [16], expand.weight transposed [16, 16], expand.bias [16].</summary>
        public float[] Pack()
        {
            var p = new float[L.Offset + SqueezeExcitation.ParameterLength<Layer>() + 16];
            int reduceBias = L.Offset + 256, expandWeight = reduceBias + 16, expandBias = expandWeight + 256;
            for (int j = 0; j < S; j++)
            {
                p[reduceBias + j] = (float)ReduceB[j];
                for (int c = 0; c < C; c++)
                {
                    p[L.Offset + c * 16 + j] = (float)ReduceW[j, c];
                    p[expandWeight + j * 16 + c] = (float)ExpandW[c, j];
                }
            }
            for (int c = 0; c < C; c++) p[expandBias + c] = (float)ExpandB[c];
            return p;
        }
    }

    /// <summary>Per row: s, zh, h, gate.</summary>
    private static (double[,] S, double[,] Zh, double[,] H, double[,] G) Excite(float[] x, Parameters w)
    {
        double[,] s = new double[Rows, C], zh = new double[Rows, S], h = new double[Rows, S], g = new double[Rows, C];
        for (int r = 0; r < Rows; r++)
        {
            for (int c = 0; c < C; c++)
            {
                for (int q = 0; q < N; q++) s[r, c] += x[(r * N + q) * 16 + c];
                s[r, c] /= N;
            }
            for (int j = 0; j < S; j++)
            {
                zh[r, j] = w.ReduceB[j];
                for (int c = 0; c < C; c++) zh[r, j] += w.ReduceW[j, c] * s[r, c];
                h[r, j] = Silu(zh[r, j]);
            }
            for (int c = 0; c < C; c++)
            {
                double z = w.ExpandB[c];
                for (int j = 0; j < S; j++) z += w.ExpandW[c, j] * h[r, j];
                g[r, c] = Sigmoid(z);
            }
        }
        return (s, zh, h, g);
    }

    private static void Near(double expected, float actual, string what) =>
        Assert.True(Math.Abs(actual - expected) <= 2e-5 * (1 + Math.Abs(expected)), $"{what}: expected {expected:R}, got {actual:R}");

    private static void Forward<TLayer>(GpuKernelHarness h, MemoryBuffer1D<float, Stride1D.Dense> x, MemoryBuffer1D<float, Stride1D.Dense> p,
        MemoryBuffer1D<float, Stride1D.Dense> state, MemoryBuffer1D<float, Stride1D.Dense> a) where TLayer : struct, ISqueezeExcitationLayer
    {
        var squeeze = h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(SqueezeExcitation.Squeeze<TLayer>);
        var reduce = h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(SqueezeExcitation.Reduce<TLayer>);
        var expand = h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(SqueezeExcitation.Expand<TLayer>);
        var scale = h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(SqueezeExcitation.Scale<TLayer>);
        squeeze(h.For(Rows * C), x.View, state.View, Rows);
        reduce(h.For(Rows * S), p.View, state.View, Rows);
        expand(h.For(Rows * C), p.View, state.View, Rows);
        scale(h.For(Elements), x.View, state.View, a.View, Rows);
    }

    [Fact]
    public void Forward_scales_each_channel_by_its_gate() => ForwardScales<Layer>(7);

    [Fact]
    public void Forward_reads_a_first_layers_NCHW_rows() => ForwardScales<NchwLayer>(17);

    private static void ForwardScales<TLayer>(int seed) where TLayer : struct, ISqueezeExcitationLayer
    {
        var random = new Random(seed);
        var w = new Parameters(random);
        var x = ConvKernelReference.Image(random, Rows, N, C, 16);
        var (_, _, _, g) = Excite(x, w);

        using var h = new GpuKernelHarness();
        using var xs = h.Upload(default(TLayer).ReadsNchw ? Nchw(x) : x);
        using var ps = h.Upload(w.Pack());
        using var state = h.Filled(Rows * SqueezeExcitation.StateLength<Layer>());
        using var a = h.Filled(Elements);
        Forward<TLayer>(h, xs, ps, state, a);
        var actual = a.GetAsArray1D();
        for (int e = 0; e < Elements; e++)
        {
            int c = e % 16, r = e / 16 / N;
            if (c >= C) Assert.True(actual[e] == 0f, $"padding {e}");
            else Near(x[e] * g[r, c], actual[e], $"out[{e}]");
        }
    }

    [Fact]
    public void Backward_matches_float64()
    {
        var random = new Random(8);
        var w = new Parameters(random);
        var x = ConvKernelReference.Image(random, Rows, N, C, 16);
        var zPrev = ConvKernelReference.Image(random, Rows, N, C, 16); // the SiLU layer before: x stands for silu(zPrev), only its act' is read
        var dy = ConvKernelReference.Image(random, Rows, N, C, 16);
        var (s, zh, hidden, g) = Excite(x, w);

        // Float64: the gradients at expand's output (dzg), at reduce's output (dzh) and at s (ds), then the parameters'.
        double[,] dzg = new double[Rows, C], dzh = new double[Rows, S], ds = new double[Rows, C];
        for (int r = 0; r < Rows; r++)
        {
            for (int c = 0; c < C; c++)
            {
                double dg = 0;
                for (int q = 0; q < N; q++) dg += dy[(r * N + q) * 16 + c] * x[(r * N + q) * 16 + c];
                dzg[r, c] = dg * g[r, c] * (1 - g[r, c]);
            }
            for (int j = 0; j < S; j++)
            {
                double dh = 0;
                for (int c = 0; c < C; c++) dh += w.ExpandW[c, j] * dzg[r, c];
                dzh[r, j] = dh * SiluDerivative(zh[r, j]);
            }
            for (int c = 0; c < C; c++)
                for (int j = 0; j < S; j++) ds[r, c] += w.ReduceW[j, c] * dzh[r, j];
        }

        using var h = new GpuKernelHarness();
        var packed = w.Pack();
        using var xs = h.Upload(x);
        using var zs = h.Upload(zPrev);
        using var dys = h.Upload(dy);
        using var ps = h.Upload(packed);
        using var state = h.Filled(Rows * SqueezeExcitation.StateLength<Layer>());
        using var a = h.Filled(Elements);
        using var gradients = h.Filled(Rows * SqueezeExcitation.GradientStateLength<Layer>());
        using var dzPrev = h.Filled(Elements);
        using var gs = h.Filled(packed.Length);
        Forward<Layer>(h, xs, ps, state, a);
        h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(SqueezeExcitation.GateGradient<Layer>)(
            h.For(Rows * C), dys.View, xs.View, state.View, gradients.View, Rows);
        h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(SqueezeExcitation.HiddenGradient<Layer>)(
            h.For(Rows * S), ps.View, state.View, gradients.View, Rows);
        h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(SqueezeExcitation.SqueezeGradient<Layer>)(
            h.For(Rows * C), ps.View, gradients.View, Rows);
        h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(
            SqueezeExcitation.InputGradientAfterPreActivation<Layer, SiluActivation>)(h.For(Elements), dys.View, state.View, gradients.View, zs.View, dzPrev.View, Rows);
        h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(SqueezeExcitation.ParameterGradients<Layer>)(
            h.For(SqueezeExcitation.ParameterLength<Layer>()), state.View, gradients.View, gs.View, Rows);

        var input = dzPrev.GetAsArray1D();
        for (int e = 0; e < Elements; e++)
        {
            int c = e % 16, r = e / 16 / N;
            if (c >= C) { Assert.True(input[e] == 0f, $"dZprev padding {e}"); continue; }
            Near((dy[e] * g[r, c] + ds[r, c] / N) * SiluDerivative(zPrev[e]), input[e], $"dZprev[{e}]");
        }

        var actual = gs.GetAsArray1D();
        int reduceBias = L.Offset + 256, expandWeight = reduceBias + 16, expandBias = expandWeight + 256;
        for (int j = 0; j < 16; j++)
        {
            double dReduceB = 0;
            for (int r = 0; r < Rows && j < S; r++) dReduceB += dzh[r, j];
            Near(dReduceB, actual[reduceBias + j], $"d reduce.bias[{j}]");
            for (int c = 0; c < 16; c++)
            {
                double dReduceW = 0, dExpandW = 0;
                for (int r = 0; r < Rows && j < S && c < C; r++)
                {
                    dReduceW += s[r, c] * dzh[r, j];
                    dExpandW += hidden[r, j] * dzg[r, c];
                }
                Near(dReduceW, actual[L.Offset + c * 16 + j], $"d reduce.weight[{j}, {c}]");
                Near(dExpandW, actual[expandWeight + j * 16 + c], $"d expand.weight[{c}, {j}]");
            }
        }
        for (int c = 0; c < 16; c++)
        {
            double dExpandB = 0;
            for (int r = 0; r < Rows && c < C; r++) dExpandB += dzg[r, c];
            Near(dExpandB, actual[expandBias + c], $"d expand.bias[{c}]");
        }
    }
}
