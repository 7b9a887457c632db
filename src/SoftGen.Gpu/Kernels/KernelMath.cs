using ILGPU.Algorithms;

namespace SoftGen.Gpu.Kernels;

/// <summary>
/// Scalar math for the GPU kernels (runtime and generated): the CPU backend's formulas (SoftGen.Cpu.VectorMath,
/// HeadKernels, DropoutKernels) with XMath's exp and log, so that both backends compute the same functions.
/// </summary>
public static class KernelMath
{
    public static float Sigmoid(float z)
    {
        float e = XMath.Exp(-XMath.Abs(z));
        float r = 1f / (1f + e);
        return z >= 0f ? r : e * r;
    }

    /// <summary>
    /// log(1 + x) for x >= 0 to a few ulps, as SoftGen.Cpu.HeadKernels' Log1P (Goldberg's correction): u = 1 + x drops
    /// x's low bits, and log(u) x / (u - 1) puts them back; below half an ulp of 1, 1 + x == 1 and the answer is x.
    /// </summary>
    public static float Log1P(float x)
    {
        float u = 1f + x;
        return u == 1f ? x : XMath.Log(u) * (x / (u - 1f));
    }

    /// <summary>Phi(z) through erfc's Chebyshev fit (Numerical Recipes), as SoftGen.Cpu.VectorMath.NormalCdf.</summary>
    public static float NormalCdf(float z)
    {
        float x = XMath.Abs(z) * 0.707106769f;
        float t = 1f / (1f + 0.5f * x);
        float p = 0.17087277f;
        p = p * t + -0.82215223f;
        p = p * t + 1.48851587f;
        p = p * t + -1.13520398f;
        p = p * t + 0.27886807f;
        p = p * t + -0.18628806f;
        p = p * t + 0.09678418f;
        p = p * t + 0.37409196f;
        p = p * t + 1.00002368f;
        p = p * t + -1.26551223f;
        float halfErfc = 0.5f * t * XMath.Exp(p - x * x);
        return z >= 0f ? 1f - halfErfc : halfErfc;
    }

    public static float NormalPdf(float z) => 0.398942292f * XMath.Exp(-0.5f * z * z);

    public static float Gelu(float z) => XMath.Max(z, -20f) * NormalCdf(z);

    public static float GeluDerivative(float z) => NormalCdf(z) + XMath.Clamp(z, -20f, 20f) * NormalPdf(z);

    /// <summary>
    /// Dropout's 24-bit draw for value k of a layer's step, SoftGen.Cpu.DropoutKernels' hash: SplitMix64's finaliser of
    /// key + k * golden ratio, the key from DropoutKernels.Key(seed, step, layer). The same masks as the CPU backend.
    /// </summary>
    public static int Draw(ulong key, ulong k)
    {
        ulong z = key + k * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) >> 40);
    }
}
