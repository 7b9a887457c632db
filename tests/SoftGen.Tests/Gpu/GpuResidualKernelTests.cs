using System;
using ILGPU;
using ILGPU.Runtime;
using SoftGen.Gpu.Kernels;
using Xunit;
using static SoftGen.Tests.Gpu.Float64Activations;

namespace SoftGen.Tests.Gpu;

using Residual = SoftGen.Gpu.Kernels.Residual; // not the test namespace SoftGen.Tests.Residual

/// <summary>
/// The residual join's kernels on ILGPU's CPU accelerator against their float64 formulas: a = act(block + shortcut),
/// the gradient at the sum, and the block input's two gradients joined before its act', over an image of 3 real
/// channels in a stride of 16 (padding written 0, whatever was in the buffer) and 5 x 7 pixels.
/// </summary>
public sealed class GpuResidualKernelTests
{
    public readonly struct Image : ITensorLayout
    {
        public int Channels => 3;
        public int Stride => 16;
        public int Pixels => 35;
    }

    private const int Rows = 2, Elements = Rows * 35 * 16;

    private static bool Real(int e) => e % 16 < 3;

    /// <summary>Values in [-3, 3] on the real channels, 5 (which must not leak into any result) on the padding.</summary>
    private static float[] Values(int seed)
    {
        var random = new Random(seed);
        var v = new float[Elements];
        for (int e = 0; e < v.Length; e++) v[e] = Real(e) ? (float)(random.NextDouble() * 6 - 3) : 5f;
        return v;
    }

    private static void Check(float[] actual, Func<int, double> expected, string what)
    {
        for (int e = 0; e < actual.Length; e++)
        {
            if (!Real(e)) { Assert.True(actual[e] == 0f, $"{what}[{e}] (padding) = {actual[e]}"); continue; }
            double x = expected(e);
            Assert.True(Math.Abs(actual[e] - x) <= 2e-6 * (1 + Math.Abs(x)), $"{what}[{e}]: expected {x:R}, got {actual[e]:R}");
        }
    }

    [Fact]
    public void Add_applies_ELU_to_the_sum()
    {
        using var h = new GpuKernelHarness();
        float[] block = Values(1), shortcut = Values(2);
        using var b = h.Upload(block);
        using var s = h.Upload(shortcut);
        using var a = h.Filled(Elements);
        h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(Residual.Add<Image, EluActivation>)(
            h.For(Elements), b.View, s.View, a.View, Rows);
        Check(a.GetAsArray1D(), e => Elu((double)block[e] + shortcut[e]), "a");
    }

    [Fact]
    public void Add_keeping_z_applies_Mish()
    {
        using var h = new GpuKernelHarness();
        float[] block = Values(3), shortcut = Values(4);
        using var b = h.Upload(block);
        using var s = h.Upload(shortcut);
        using var z = h.Filled(Elements);
        using var a = h.Filled(Elements);
        h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(Residual.AddKeepingZ<Image, MishActivation>)(
            h.For(Elements), b.View, s.View, z.View, a.View, Rows);
        Check(z.GetAsArray1D(), e => (double)block[e] + shortcut[e], "z");
        Check(a.GetAsArray1D(), e => Mish((double)block[e] + shortcut[e]), "a");
    }

    [Fact]
    public void Backward_multiplies_by_the_activations_derivative_from_a_or_z()
    {
        using var h = new GpuKernelHarness();
        float[] dOut = Values(5), z = Values(6);
        var a = Array.ConvertAll(z, v => (float)Elu(v));
        using var d = h.Upload(dOut);
        using var ab = h.Upload(a);
        using var zb = h.Upload(z);
        using var dIn = h.Filled(Elements);
        h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(Residual.Backward<Image, EluActivation>)(
            h.For(Elements), d.View, ab.View, dIn.View, Rows);
        Check(dIn.GetAsArray1D(), e => dOut[e] * EluDerivative(z[e]), "dIn (ELU)");

        h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(Residual.BackwardAfterPreActivation<Image, SiluActivation>)(
            h.For(Elements), d.View, zb.View, dIn.View, Rows);
        Check(dIn.GetAsArray1D(), e => dOut[e] * SiluDerivative(z[e]), "dIn (SiLU)");
    }

    [Fact]
    public void Join_adds_the_shortcut_gradient_before_the_derivative()
    {
        using var h = new GpuKernelHarness();
        float[] dz = Values(7), shortcut = Values(8), z = Values(9);
        var a = Array.ConvertAll(z, v => (float)Math.Tanh(v));
        using var s = h.Upload(shortcut);
        using var ab = h.Upload(a);
        using var zb = h.Upload(z);
        using (var d = h.Upload(dz))
        {
            h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(Residual.Join<Image, TanhActivation>)(
                h.For(Elements), d.View, s.View, ab.View, Rows);
            Check(d.GetAsArray1D(), e => ((double)dz[e] + shortcut[e]) * (1 - (double)a[e] * a[e]), "dz (tanh)");
        }
        using (var d = h.Upload(dz))
        {
            h.Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(Residual.JoinAfterPreActivation<Image, MishActivation>)(
                h.For(Elements), d.View, s.View, zb.View, Rows);
            Check(d.GetAsArray1D(), e => ((double)dz[e] + shortcut[e]) * MishDerivative(z[e]), "dz (Mish)");
        }
    }
}
