using SoftGen.Generators.Model;

namespace SoftGen.Generators.Emit;

/// <summary>
/// The scalar math of the generated GPU kernels: activations and their derivatives as expressions. The functions they
/// call (sigmoid, GELU, log1p, dropout's draw) are SoftGen.Gpu.Kernels.KernelMath's, which the runtime GEMMs use too.
/// </summary>
internal static class GpuMath
{
    public const string KernelMath = "global::SoftGen.Gpu.Kernels.KernelMath.";

    public static string Apply(ActivationKind activation, string z) => activation switch
    {
        ActivationKind.None => z,
        ActivationKind.Relu => "(" + z + " > 0f ? " + z + " : 0f)",
        ActivationKind.LeakyRelu => "(" + z + " > 0f ? " + z + " : 0.01f * " + z + ")",
        ActivationKind.Tanh => "global::ILGPU.Algorithms.XMath.Tanh(" + z + ")",
        ActivationKind.Sigmoid => KernelMath + "Sigmoid(" + z + ")",
        ActivationKind.Silu => KernelMath + "Silu(" + z + ")",
        ActivationKind.Elu => KernelMath + "Elu(" + z + ")",
        ActivationKind.Mish => KernelMath + "Mish(" + z + ")",
        _ => KernelMath + "Gelu(" + z + ")",
    };

    /// <summary>act'(z) written in terms of the stored output a where that suffices (GELU, SiLU and Mish need z).</summary>
    public static string Derivative(ActivationKind activation, string z, string a) => activation switch
    {
        ActivationKind.Relu => "(" + a + " > 0f ? 1f : 0f)",
        ActivationKind.LeakyRelu => "(" + a + " > 0f ? 1f : 0.01f)",
        ActivationKind.Tanh => "(1f - " + a + " * " + a + ")",
        ActivationKind.Sigmoid => "(" + a + " * (1f - " + a + "))",
        ActivationKind.Elu => "(" + a + " > 0f ? 1f : " + a + " + 1f)",
        ActivationKind.Gelu => KernelMath + "GeluDerivative(" + z + ")",
        ActivationKind.Silu => KernelMath + "SiluDerivative(" + z + ")",
        ActivationKind.Mish => KernelMath + "MishDerivative(" + z + ")",
        _ => "1f",
    };

    /// <summary>" * act'(...)", or nothing for no activation.</summary>
    public static string TimesDerivative(ActivationKind activation, string z, string a) =>
        activation == ActivationKind.None ? "" : " * " + Derivative(activation, z, a);
}
