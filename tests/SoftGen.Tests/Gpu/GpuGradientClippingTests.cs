using System;
using System.Linq;
using EndToEndModels;
using SoftGen.Gpu;
using SoftGen.Tests.Training;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Gpu;

/// <summary>
/// Gradient clipping on the device (ILGPU's CPU accelerator) against the CPU backend, itself checked against float64
/// in GradientClippingTests: the norm (taken on the device, only it copied back), the clamped gradients and the
/// weights after clipped steps, for SGD with momentum and Adam; and the device's norm against a float64 sum over its
/// own gradients.
/// </summary>
public sealed class GpuGradientClippingTests
{
    private const int Rows = 24;

    /// <remarks>
    /// Adam runs with epsilon 1e-3: clipping shrinks the gradients, and where a scaled gradient is near Adam's default
    /// 1e-8 the first update g / (|g| + eps) turns the last-bit differences of a gradient that is a cancellation (the
    /// backends add in different orders) into weight differences past the tolerance by the next step.
    /// </remarks>
    [Theory]
    [InlineData("Sgd", 0.05f, null)]
    [InlineData("Sgd", 0.05f, 0.02f)]
    [InlineData("Adam", 0.05f, 0.02f)]
    [InlineData("Adam", null, 0.02f)]
    public void Clipped_steps_agree_with_the_CPU_backend(string optimizer, float? maxNorm, float? clipValue)
    {
        var o = optimizer == "Sgd" ? Optimizer.Sgd(0.1f, momentum: 0.9f) : Optimizer.Adam(0.01f, epsilon: 1e-3f);
        var options = new TrainerOptions
        {
            Backend = Backend.Cpu, BatchSize = Rows, ThreadCount = 1, Seed = 7, Optimizer = o,
            ClipGradientNorm = maxNorm, ClipGradientValue = clipValue,
        };
        using var cpu = WideMlp.CreateTrainer(options);
        WideMlp.Trainer gpu;
        using (GpuTesting.UseCpuAccelerator())
            gpu = WideMlp.CreateTrainer(options with { Backend = Backend.Gpu });
        using var _ = gpu;
        Assert.Equal(Backend.Gpu, gpu.Backend);

        var random = new Random(12);
        for (int step = 1; step <= 3; step++)
        {
            var (x, y) = GpuAgreementTests.Batch(cpu.Model, random, Rows);
            cpu.TrainStep(x, y, Rows);
            gpu.TrainStep(x, y, Rows);
            GradientClippingTests.AssertClose(cpu.GradientNorm, gpu.GradientNorm, 1e-5, $"norm at step {step}");
            if (maxNorm is { } m) Assert.True(cpu.GradientNorm > 2 * m, $"norm {cpu.GradientNorm}: max_norm {m} should clip");
            GradientClippingTests.AssertClose(Float64Norm(gpu), gpu.GradientNorm, 1e-12, $"device norm at step {step}");
            foreach (var p in cpu.Model.Parameters)
            {
                var g = GpuAgreementTests.Read(gpu.GetGradient, p);
                if (clipValue is { } v) Assert.All(g, e => Assert.True(Math.Abs(e) <= v, $"{p.Name}: gradient {e} past the clip value {v}"));
                Close(GpuAgreementTests.Read(cpu.GetGradient, p), g, $"gradient of {p.Name} at step {step}");
                Close(GpuAgreementTests.Read(cpu.GetParameter, p), GpuAgreementTests.Read(gpu.GetParameter, p), $"{p.Name} after step {step}");
            }
        }
        if (clipValue is { } c)
            Assert.Contains(cpu.Model.Parameters, p => GpuAgreementTests.Read(cpu.GetGradient, p).Any(g => Math.Abs(g) == c));
    }

    [Fact]
    public void Without_clipping_the_norm_is_measured_on_the_device_when_read()
    {
        var options = new TrainerOptions { BatchSize = Rows, ThreadCount = 1, Seed = 3, Optimizer = Optimizer.Adam(0.01f) };
        using var cpu = KlMlp.CreateTrainer(options);
        KlMlp.Trainer gpu;
        using (GpuTesting.UseCpuAccelerator())
            gpu = KlMlp.CreateTrainer(options with { Backend = Backend.Gpu });
        using var _ = gpu;
        Assert.True(double.IsNaN(gpu.GradientNorm));
        var (x, y) = GpuAgreementTests.Batch(cpu.Model, new Random(4), Rows);
        cpu.TrainStep(x, y, Rows);
        gpu.TrainStep(x, y, Rows);
        GradientClippingTests.AssertClose(Float64Norm(gpu), gpu.GradientNorm, 1e-12, "device norm");
        GradientClippingTests.AssertClose(cpu.GradientNorm, gpu.GradientNorm, 1e-5, "norm");
    }

    /// <summary>
    /// GpuAgreementTests.Close with its floor at 5% of the tensor's largest magnitude instead of 1%: value clipping caps
    /// that largest magnitude at the clip value, so a gradient element that is a cancellation of terms larger than the
    /// cap carries their absolute error against a smaller scale.
    /// </summary>
    private static void Close(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float scale = expected.Max(MathF.Abs);
        for (int i = 0; i < expected.Length; i++)
        {
            float tolerance = 1e-4f * MathF.Max(MathF.Abs(expected[i]), 0.05f * scale) + 1e-7f;
            if (!(MathF.Abs(expected[i] - actual[i]) <= tolerance))
                Assert.Fail($"{what}[{i}]: CPU {expected[i]:R}, GPU kernels {actual[i]:R} (tolerance {tolerance:R})");
        }
    }

    private static double Float64Norm(TrainerBase t) =>
        Math.Sqrt(t.Model.Parameters.Sum(p => GpuAgreementTests.Read(t.GetGradient, p).Sum(g => (double)g * g)));
}
