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

    public static TheoryData<string> NewActivations() => new("Silu", "Elu", "Mish");

    private static readonly float[] Float64Points =
        [-1e4f, -200f, -104f, -50f, -20f, -10f, -4f, -1.5f, -0.7f, -0.49f, -0.3f, -1e-2f, -1e-4f, 0f, 1e-4f, 1e-2f, 0.3f, 0.49f, 0.7f, 1.5f, 4f, 10f, 19f, 21f, 50f, 200f, 1e4f];

    /// <summary>SiLU, ELU and Mish against their float64 definitions, value and derivative, finite everywhere (no NaN at +-1e4).</summary>
    [Theory]
    [MemberData(nameof(NewActivations))]
    public void SiLU_ELU_and_Mish_match_float64(string name)
    {
        IGpuActivation gpu = name switch { "Silu" => new SiluActivation(), "Elu" => new EluActivation(), _ => new MishActivation() };
        Func<double, double> f = name switch { "Silu" => Float64Activations.Silu, "Elu" => Float64Activations.Elu, _ => Float64Activations.Mish };
        Func<double, double> df = name switch { "Silu" => Float64Activations.SiluDerivative, "Elu" => Float64Activations.EluDerivative, _ => Float64Activations.MishDerivative };
        foreach (var z in Float64Points)
        {
            float a = gpu.Apply(z);
            float d = gpu is IGpuActivationFromOutput fromOutput ? fromOutput.DerivativeFromOutput(a) : ((IGpuActivationFromInput)gpu).Derivative(z);
            Assert.True(float.IsFinite(a) && float.IsFinite(d), $"{name}({z}) = {a}, derivative {d}");
            Assert.True(Math.Abs(a - f(z)) <= 4e-7 * Math.Max(Math.Abs(f(z)), 1e-30) + 1e-38, $"{name}({z}): {a:R}, float64 {f(z):R}");
            // ELU's derivative comes from a = e^z - 1, which carries e^z only to float's resolution next to -1.
            double absolute = gpu is IGpuActivationFromOutput ? 1.2e-7 : 1e-12;
            Assert.True(Math.Abs(d - df(z)) <= 1e-6 * Math.Abs(df(z)) + absolute, $"{name}'({z}): {d:R}, float64 {df(z):R}");
        }
    }

    public static TheoryData<Activation> Activations() => new(Enum.GetValues<Activation>());

    private static bool Close(float x, float y) => Math.Abs(x - y) <= 2e-6f * Math.Max(1f, Math.Abs(y));
}
