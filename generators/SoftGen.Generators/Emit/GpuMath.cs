using SoftGen.Generators.Model;

namespace SoftGen.Generators.Emit;

/// <summary>The scalar math of the GPU kernels: activations, their derivatives, and the helpers they call.</summary>
internal static class GpuMath
{
    public static string Apply(ActivationKind activation, string z) => activation switch
    {
        ActivationKind.None => z,
        ActivationKind.Relu => "(" + z + " > 0f ? " + z + " : 0f)",
        ActivationKind.LeakyRelu => "(" + z + " > 0f ? " + z + " : 0.01f * " + z + ")",
        ActivationKind.Tanh => "KMath.Tanh(" + z + ")",
        ActivationKind.Sigmoid => "Sigmoid(" + z + ")",
        _ => "Gelu(" + z + ")",
    };

    /// <summary>act'(z) written in terms of the stored output a where that suffices (GELU needs z).</summary>
    public static string Derivative(ActivationKind activation, string z, string a) => activation switch
    {
        ActivationKind.Relu => "(" + a + " > 0f ? 1f : 0f)",
        ActivationKind.LeakyRelu => "(" + a + " > 0f ? 1f : 0.01f)",
        ActivationKind.Tanh => "(1f - " + a + " * " + a + ")",
        ActivationKind.Sigmoid => "(" + a + " * (1f - " + a + "))",
        ActivationKind.Gelu => "GeluDerivative(" + z + ")",
        _ => "1f",
    };

    /// <summary>" * act'(...)", or nothing for no activation.</summary>
    public static string TimesDerivative(ActivationKind activation, string z, string a) =>
        activation == ActivationKind.None ? "" : " * " + Derivative(activation, z, a);

    public static void WriteMath(SourceWriter w, bool dropout)
    {
        w.Line("// Scalar math for the kernels, the CPU backend's formulas (SoftGen.Cpu.VectorMath) with XMath's exp.");
        w.Line("private static float Sigmoid(float z) { float e = KMath.Exp(-KMath.Abs(z)); float r = 1f / (1f + e); return z >= 0f ? r : e * r; }");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// log(1 + x) for x >= 0 to a few ulps, as SoftGen.Cpu.HeadKernels' Log1P (Goldberg's correction): u = 1 + x drops");
        w.Line("/// x's low bits, and log(u) x / (u - 1) puts them back; below half an ulp of 1, 1 + x == 1 and the answer is x.");
        w.Line("/// </summary>");
        w.Line("private static float Log1P(float x) { float u = 1f + x; return u == 1f ? x : KMath.Log(u) * (x / (u - 1f)); }");
        w.Line();
        w.Line("/// <summary>Phi(z) through erfc's Chebyshev fit (Numerical Recipes), as SoftGen.Cpu.VectorMath.NormalCdf.</summary>");
        using (w.Block("private static float NormalCdf(float z)"))
        {
            w.Line("float x = KMath.Abs(z) * 0.707106769f;");
            w.Line("float t = 1f / (1f + 0.5f * x);");
            w.Line("float p = 0.17087277f;");
            foreach (var c in new[] { "-0.82215223f", "1.48851587f", "-1.13520398f", "0.27886807f", "-0.18628806f", "0.09678418f", "0.37409196f", "1.00002368f", "-1.26551223f" })
                w.Line("p = p * t + " + c + ";");
            w.Line("float halfErfc = 0.5f * t * KMath.Exp(p - x * x);");
            w.Line("return z >= 0f ? 1f - halfErfc : halfErfc;");
        }
        w.Line();
        w.Line("private static float NormalPdf(float z) => 0.398942292f * KMath.Exp(-0.5f * z * z);");
        w.Line();
        w.Line("private static float Gelu(float z) => KMath.Max(z, -20f) * NormalCdf(z);");
        w.Line();
        w.Line("private static float GeluDerivative(float z) => NormalCdf(z) + KMath.Clamp(z, -20f, 20f) * NormalPdf(z);");
        if (!dropout) return;
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Dropout's 24-bit draw for value k of a layer's step, SoftGen.Cpu.DropoutKernels' hash: SplitMix64's finaliser of");
        w.Line("/// key + k * golden ratio, the key from DropoutKernels.Key(seed, step, layer). The same masks as the CPU backend.");
        w.Line("/// </summary>");
        using (w.Block("private static int Draw(ulong key, ulong k)"))
        {
            w.Line("ulong z = key + k * 0x9E3779B97F4A7C15UL;");
            w.Line("z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;");
            w.Line("z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;");
            w.Line("return (int)((z ^ (z >> 31)) >> 40);");
        }
    }
}
