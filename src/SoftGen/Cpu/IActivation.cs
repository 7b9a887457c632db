using System.Runtime.Intrinsics;

namespace SoftGen.Cpu;

/// <summary>An element-wise activation and its derivative, in scalar and vector forms, for the fused epilogues.</summary>
public interface IActivation
{
    /// <summary>True when the derivative needs the pre-activation Z (GELU); otherwise it is computed from A alone.</summary>
    static abstract bool NeedsPreActivation { get; }

    static abstract float Apply(float z);
    static abstract Vector256<float> Apply(Vector256<float> z);
    static abstract Vector512<float> Apply(Vector512<float> z);

    /// <summary>d act / d z, given z (only meaningful when NeedsPreActivation) and a = act(z).</summary>
    static abstract float Derivative(float z, float a);
    static abstract Vector256<float> Derivative(Vector256<float> z, Vector256<float> a);
    static abstract Vector512<float> Derivative(Vector512<float> z, Vector512<float> a);
}
