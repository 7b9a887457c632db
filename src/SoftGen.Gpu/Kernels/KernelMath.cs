using ILGPU.Algorithms;

namespace SoftGen.Gpu.Kernels;

/// <summary>
/// Scalar math for the GPU kernels (runtime and generated): the CPU backend's formulas (SoftGen.Cpu.VectorMath,
/// HeadKernels, DropoutKernels) with XMath's exp and log, so that both backends compute the same functions.
/// </summary>
public static class KernelMath
{
    /// <summary>sigmoid(-SiluClamp) is 0 in float, so SiLU's and Mish's factor z is clamped there (no -inf * 0).</summary>
    private const float SiluClamp = 104f;

    /// <summary>Beyond MishHigh, tanh(softplus(z)) is 1 in float and 1 - tanh^2 below 1e-16 (exp(z)^2 stays finite).</summary>
    private const float MishHigh = 20f;

    // exp(z) - 1 by its Taylor series to z^10 on |z| < Expm1Small, exp(z) - 1 beyond (as SoftGen.Cpu.VectorMath).
    private const float Expm1Small = 0.5f;

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

    /// <summary>exp(z) - 1, accurate near 0 (SoftGen.Cpu.VectorMath.ExpMinusOne).</summary>
    public static float ExpMinusOne(float z)
    {
        if (!(XMath.Abs(z) < Expm1Small)) return XMath.Exp(z) - 1f;
        float p = 1f / 3628800;
        p = p * z + 1f / 362880;
        p = p * z + 1f / 40320;
        p = p * z + 1f / 5040;
        p = p * z + 1f / 720;
        p = p * z + 1f / 120;
        p = p * z + 1f / 24;
        p = p * z + 1f / 6;
        p = p * z + 1f / 2;
        return p * z * z + z;
    }

    /// <summary>SiLU, z sigmoid(z).</summary>
    public static float Silu(float z) => XMath.Max(z, -SiluClamp) * Sigmoid(z);

    /// <summary>SiLU', s (1 + z (1 - s)) with s = sigmoid(z) and 1 - s = sigmoid(-z) (no cancellation).</summary>
    public static float SiluDerivative(float z)
    {
        float e = XMath.Exp(-XMath.Abs(z));
        float r = 1f / (1f + e);
        float s = z >= 0f ? r : e * r, oneMinusS = z >= 0f ? e * r : r;
        return s * (1f + XMath.Clamp(z, -SiluClamp, SiluClamp) * oneMinusS);
    }

    /// <summary>ELU with alpha 1.</summary>
    public static float Elu(float z) => z > 0f ? z : ExpMinusOne(z);

    /// <summary>
    /// Mish, z tanh(softplus(z)) = z w / (w + 2) with n = exp(z), w = n (n + 2), free of cancellation
    /// (SoftGen.Cpu.Mish).
    /// </summary>
    public static float Mish(float z)
    {
        float n = XMath.Exp(XMath.Clamp(z, -SiluClamp, MishHigh));
        float w = n * (n + 2f);
        return XMath.Max(z, -SiluClamp) * (w / (w + 2f));
    }

    /// <summary>Mish', t + z sigmoid(z) (1 - t^2) with t = w / (w + 2), sigmoid(z) = n / (n + 1), 1 - t^2 = 4 (w + 1) / (w + 2)^2.</summary>
    public static float MishDerivative(float z)
    {
        float zc = XMath.Clamp(z, -SiluClamp, MishHigh);
        float n = XMath.Exp(zc);
        float w = n * (n + 2f), d = w + 2f;
        return w / d + zc * (n / (n + 1f)) * (4f * (w + 1f) / (d * d));
    }

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
