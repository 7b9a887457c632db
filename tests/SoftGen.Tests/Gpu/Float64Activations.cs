using System;

namespace SoftGen.Tests.Gpu;

/// <summary>The activations and their derivatives in float64, from their definitions, as references for the GPU kernels' float math.</summary>
internal static class Float64Activations
{
    public static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

    /// <summary>log(1 + e^z) without overflow, and without losing e^z where it is below double's resolution next to 1.</summary>
    public static double Softplus(double z) => z > 0 ? z + Log1P(Math.Exp(-z)) : Log1P(Math.Exp(z));

    /// <summary>log(1 + x) for x >= 0: the series x - x^2 / 2 + x^3 / 3 below 1e-5 (error under 1e-20 relative).</summary>
    private static double Log1P(double x) => x < 1e-5 ? x * (1 - x * (0.5 - x / 3)) : Math.Log(1 + x);

    public static double Silu(double z) => z * Sigmoid(z);

    public static double SiluDerivative(double z) => Sigmoid(z) * (1 + z * (1 - Sigmoid(z)));

    public static double Elu(double z) => z > 0 ? z : Math.Exp(z) - 1;

    public static double EluDerivative(double z) => z > 0 ? 1 : Math.Exp(z);

    public static double Mish(double z) => z * Math.Tanh(Softplus(z));

    /// <summary>d/dz z tanh(softplus z) = tanh(sp) + z (1 - tanh(sp)^2) sigmoid(z).</summary>
    public static double MishDerivative(double z)
    {
        double t = Math.Tanh(Softplus(z));
        return t + z * (1 - t * t) * Sigmoid(z);
    }
}
