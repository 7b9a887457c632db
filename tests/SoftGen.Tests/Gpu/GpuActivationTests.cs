using System;
using System.Linq;
using SoftGen.Gpu.Kernels;
using Xunit;

namespace SoftGen.Tests.Gpu;

/// <summary>
/// The GEMM epilogues' activations (SoftGen.Gpu.Kernels, which the generated GPU program names as
/// "{Activation}Activation", None as Identity): one per member of <see cref="Activation"/> and no other, each computing
/// the CPU backend's function and derivative (SoftGen.Cpu's activation of the same name), run here on the host.
/// </summary>
public sealed class GpuActivationTests
{
    private static readonly float[] Points = [-25f, -6f, -2.5f, -1f, -0.3f, -1e-3f, 0f, 1e-3f, 0.3f, 1f, 2.5f, 6f, 25f];

    private static string Name(Activation activation) => activation == Activation.None ? "Identity" : activation.ToString();

    private static Type GpuType(Activation activation) =>
        typeof(IGpuActivation).Assembly.GetType("SoftGen.Gpu.Kernels." + Name(activation) + "Activation")
        ?? throw new Xunit.Sdk.XunitException("No SoftGen.Gpu.Kernels." + Name(activation) + "Activation for Activation." + activation);

    private static Type CpuType(Activation activation) => typeof(SoftGen.Cpu.IActivation).Assembly.GetType("SoftGen.Cpu." + Name(activation))!;

    [Fact]
    public void Every_activation_has_a_GPU_struct_and_every_GPU_struct_an_activation()
    {
        var expected = Enum.GetValues<Activation>().Select(GpuType).ToHashSet();
        var actual = typeof(IGpuActivation).Assembly.GetTypes().Where(t => t.IsValueType && typeof(IGpuActivation).IsAssignableFrom(t)).ToHashSet();
        Assert.Equal(expected.Select(t => t.Name).Order(), actual.Select(t => t.Name).Order());
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void The_GPU_struct_computes_the_CPU_function_and_derivative(Activation activation)
    {
        var gpu = (IGpuActivation)Activator.CreateInstance(GpuType(activation))!;
        var cpu = CpuType(activation);
        var apply = cpu.GetMethod("Apply", [typeof(float)])!;
        var derivative = cpu.GetMethod("Derivative", [typeof(float), typeof(float)])!;
        bool needsZ = (bool)cpu.GetProperty("NeedsPreActivation")!.GetValue(null)!;
        Assert.Equal(needsZ, gpu is not IGpuActivationFromOutput);
        Assert.Equal(needsZ, gpu is IGpuActivationFromInput);
        foreach (var z in Points)
        {
            float a = (float)apply.Invoke(null, [z])!;
            Assert.True(Close(gpu.Apply(z), a), $"{activation}({z}): GPU {gpu.Apply(z)}, CPU {a}");
            float d = (float)derivative.Invoke(null, [z, a])!;
            float gpuDerivative = gpu is IGpuActivationFromOutput fromOutput ? fromOutput.DerivativeFromOutput(a) : ((IGpuActivationFromInput)gpu).Derivative(z);
            Assert.True(Close(gpuDerivative, d), $"{activation}'({z}): GPU {gpuDerivative}, CPU {d}");
        }
    }

    public static TheoryData<Activation> Activations() => new(Enum.GetValues<Activation>());

    private static bool Close(float x, float y) => Math.Abs(x - y) <= 2e-6f * Math.Max(1f, Math.Abs(y));
}
