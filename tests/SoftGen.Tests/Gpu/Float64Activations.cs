using System;

namespace SoftGen.Tests.Gpu;

/// <summary>The activations and their derivatives in float64, from their definitions, as references for the GPU kernels' float math.</summary>
internal static class Float64Activations
{
    public static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

    public static double Softplus(double z) => z > 0 ? z + Math.Log(1 + Math.Exp(-z)) : Math.Log(1 + Math.Exp(z));

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
