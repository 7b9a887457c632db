using System;
using ILGPU;
using ILGPU.Runtime;
using SoftGen.Gpu.Kernels;
using Xunit;

namespace SoftGen.Tests.Gpu;

/// <summary>
/// GemPool's kernels on ILGPU's CPU accelerator against GeM in float64, out[r, c] = (mean over the pixels of
/// max(x, eps)^p)^(1/p), its gradients by central differences of that float64 function: 5 channels in a stride of 16,
/// 6 pixels, 4 rows, after a ReLU (about a fifth of the inputs 0, so clamped at eps), p learnable (2.7) or fixed (3).
/// </summary>
public sealed class GpuGemPoolKernelTests
{
    public readonly struct LearnableP : IGemPoolLayer
    {
        public int Channels => 5;
        public int Stride => 16;
        public int Pixels => 6;
        public bool Learnable => true;
        public float P => 99f; // unused: p is read from the parameters
        public int POffset => 3;
        public float Epsilon => 1e-6f;
        public bool ReadsNchw => false;
    }

    public readonly struct FixedP : IGemPoolLayer
    {
        public int Channels => 5;
        public int Stride => 16;
        public int Pixels => 6;
        public bool Learnable => false;
        public float P => 3f;
        public int POffset => -1;
        public float Epsilon => 1e-6f;
        public bool ReadsNchw => false;
    }

    /// <summary>Fixed p = 3 on the user's NCHW rows [rows, 5, 6] (a first layer): the forward only (a first layer has no input gradient).</summary>
    public readonly struct NchwP : IGemPoolLayer
    {
        public int Channels => 5;
        public int Stride => 5;
        public int Pixels => 6;
        public bool Learnable => false;
        public float P => 3f;
        public int POffset => -1;
        public float Epsilon => 1e-6f;
        public bool ReadsNchw => true;
    }

    [Fact]
    public void Forward_reads_a_first_layers_NCHW_rows()
    {
        var x = Inputs(11);
        var nchw = new float[Rows * C * N];
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < C; c++)
                for (int q = 0; q < N; q++) nchw[(r * C + c) * N + q] = x[(r * N + q) * 16 + c];
        var xd = Array.ConvertAll(x, v => (double)v);
        using var h = new GpuKernelHarness();
        using var xs = h.Upload(nchw);
        using var ps = h.Upload(new float[16]);
        using var a = h.Filled(Rows * C);
        using var m = h.Filled(Rows * C);
        h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(GemPool.Forward<NchwP>)(
            h.For(Rows * C), xs.View, ps.View, a.View, m.View, Rows);
        var outputs = a.GetAsArray1D();
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < C; c++) Near(Gem(xd, r, c, 3, 1e-6f), outputs[r * C + c], 1e-5, $"out[{r}, {c}]");
    }

    private const int Rows = 4, C = 5, N = 6, Elements = Rows * N * 16;
    private const float LearnedP = 2.7f;

    private static float[] Inputs(int seed)
    {
        var random = new Random(seed);
        var x = new float[Elements];
        for (int e = 0; e < Elements; e++) x[e] = e % 16 < C ? Math.Max(0f, (float)(random.NextDouble() * 2.5 - 0.5)) : 0f;
        return x;
    }

    private static double Gem(double[] x, int r, int c, double p, double eps)
    {
        double sum = 0;
        for (int q = 0; q < N; q++) sum += Math.Pow(Math.Max(x[(r * N + q) * 16 + c], eps), p);
        return Math.Pow(sum / N, 1 / p);
    }

    /// <summary>L = sum over (r, c) of dy[r, c] out[r, c].</summary>
    private static double Loss(double[] x, float[] dy, double p, double eps)
    {
        double loss = 0;
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < C; c++) loss += dy[r * C + c] * Gem(x, r, c, p, eps);
        return loss;
    }

    private static void Near(double expected, float actual, double tolerance, string what) =>
        Assert.True(Math.Abs(actual - expected) <= tolerance * (1 + Math.Abs(expected)), $"{what}: expected {expected:R}, got {actual:R}");

    [Fact]
    public void Learnable_p_forward_and_gradients_match_float64() => Check<LearnableP>(9, LearnedP);

    [Fact]
    public void Fixed_p_forward_and_input_gradient_match_float64() => Check<FixedP>(10, 3f);

    private static void Check<TLayer>(int seed, float p) where TLayer : struct, IGemPoolLayer
    {
        var l = default(TLayer);
        var x = Inputs(seed);
        var random = new Random(seed + 100);
        var dy = new float[Rows * C];
        for (int i = 0; i < dy.Length; i++) dy[i] = (float)(random.NextDouble() * 2 - 1);
        var parameters = new float[16];
        if (l.Learnable) parameters[l.POffset] = p;
        double eps = l.Epsilon;
        var xd = Array.ConvertAll(x, v => (double)v);

        using var h = new GpuKernelHarness();
        using var xs = h.Upload(x);
        using var ps = h.Upload(parameters);
        using var dys = h.Upload(dy);
        using var a = h.Filled(Rows * C);
        using var m = h.Filled(Rows * C);
        using var dzPrev = h.Filled(Elements);
        h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(GemPool.Forward<TLayer>)(
            h.For(Rows * C), xs.View, ps.View, a.View, m.View, Rows);
        h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(
            GemPool.InputGradient<TLayer, ReluActivation>)(h.For(Elements), xs.View, ps.View, dys.View, a.View, m.View, dzPrev.View, Rows);

        var outputs = a.GetAsArray1D();
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < C; c++) Near(Gem(xd, r, c, p, eps), outputs[r * C + c], 1e-5, $"out[{r}, {c}]");

        var input = dzPrev.GetAsArray1D();
        for (int e = 0; e < Elements; e++)
        {
            if (e % 16 >= C || x[e] <= 0f) { Assert.True(input[e] == 0f, $"dZprev[{e}] (padding, or ReLU's 0): {input[e]}"); continue; }
            double step = 1e-6 * Math.Max(1, xd[e]), keep = xd[e];
            xd[e] = keep + step;
            double up = Loss(xd, dy, p, eps);
            xd[e] = keep - step;
            double down = Loss(xd, dy, p, eps);
            xd[e] = keep;
            Near((up - down) / (2 * step), input[e], 1e-4, $"dZprev[{e}]");
        }

        if (!l.Learnable) return;
        using var terms = h.Filled(Rows * C);
        using var g = h.Filled(16);
        h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(
            GemPool.ExponentTerms<TLayer>)(h.For(Rows * C), xs.View, ps.View, dys.View, a.View, m.View, terms.View, Rows);
        h.Accelerator.LoadStreamKernel<ArrayView<float>, int>(GemPool.ExponentChannelSums<TLayer>)(h.For(C), terms.View, Rows);
        h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>>(GemPool.ExponentGradient<TLayer>)(h.For(1), terms.View, g.View);
        double dp = (Loss(xd, dy, p + 1e-6, eps) - Loss(xd, dy, p - 1e-6, eps)) / 2e-6;
        Near(dp, g.GetAsArray1D()[l.POffset], 1e-4, "dL/dp");
    }
}
