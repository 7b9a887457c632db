using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SoftGen.Cpu;

/// <summary>No activation: a = z.</summary>
public readonly struct Identity : IActivation
{
    public static bool NeedsPreActivation => false;

    public static float Apply(float z) => z;
    public static Vector256<float> Apply(Vector256<float> z) => z;
    public static Vector512<float> Apply(Vector512<float> z) => z;

    public static float Derivative(float z, float a) => 1f;
    public static Vector256<float> Derivative(Vector256<float> z, Vector256<float> a) => Vector256<float>.One;
    public static Vector512<float> Derivative(Vector512<float> z, Vector512<float> a) => Vector512<float>.One;
}

/// <summary>a = max(z, 0); NaN stays NaN.</summary>
public readonly struct Relu : IActivation
{
    public static bool NeedsPreActivation => false;

    public static float Apply(float z) => MathF.Max(z, 0f);
    public static Vector256<float> Apply(Vector256<float> z) => Vector256.Max(z, Vector256<float>.Zero);
    public static Vector512<float> Apply(Vector512<float> z) => Vector512.Max(z, Vector512<float>.Zero);

    public static float Derivative(float z, float a) => a > 0f ? 1f : 0f;
    public static Vector256<float> Derivative(Vector256<float> z, Vector256<float> a)
        => Vector256.GreaterThan(a, Vector256<float>.Zero) & Vector256<float>.One;
    public static Vector512<float> Derivative(Vector512<float> z, Vector512<float> a)
        => Vector512.GreaterThan(a, Vector512<float>.Zero) & Vector512<float>.One;
}

/// <summary>a = z for z &gt; 0, else <see cref="Slope"/> z.</summary>
public readonly struct LeakyRelu : IActivation
{
    /// <summary>The negative-side slope (PyTorch's default).</summary>
    public const float Slope = 0.01f;

    public static bool NeedsPreActivation => false;

    public static float Apply(float z) => z > 0f ? z : Slope * z;
    public static Vector256<float> Apply(Vector256<float> z)
        => Vector256.ConditionalSelect(Vector256.GreaterThan(z, Vector256<float>.Zero), z, z * Slope);
    public static Vector512<float> Apply(Vector512<float> z)
        => Vector512.ConditionalSelect(Vector512.GreaterThan(z, Vector512<float>.Zero), z, z * Slope);

    public static float Derivative(float z, float a) => a > 0f ? 1f : Slope;
    public static Vector256<float> Derivative(Vector256<float> z, Vector256<float> a)
        => Vector256.ConditionalSelect(Vector256.GreaterThan(a, Vector256<float>.Zero), Vector256<float>.One, Vector256.Create(Slope));
    public static Vector512<float> Derivative(Vector512<float> z, Vector512<float> a)
        => Vector512.ConditionalSelect(Vector512.GreaterThan(a, Vector512<float>.Zero), Vector512<float>.One, Vector512.Create(Slope));
}

/// <summary>a = tanh(z); derivative 1 - a^2.</summary>
public readonly struct Tanh : IActivation
{
    public static bool NeedsPreActivation => false;

    public static float Apply(float z) => MathF.Tanh(z);
    public static Vector256<float> Apply(Vector256<float> z) => VectorMath.Tanh(z);
    public static Vector512<float> Apply(Vector512<float> z) => VectorMath.Tanh(z);

    public static float Derivative(float z, float a) => 1f - a * a;
    public static Vector256<float> Derivative(Vector256<float> z, Vector256<float> a) => Vector256.FusedMultiplyAdd(-a, a, Vector256<float>.One);
    public static Vector512<float> Derivative(Vector512<float> z, Vector512<float> a) => Vector512.FusedMultiplyAdd(-a, a, Vector512<float>.One);
}

/// <summary>a = 1 / (1 + exp(-z)); derivative a (1 - a).</summary>
public readonly struct Sigmoid : IActivation
{
    public static bool NeedsPreActivation => false;

    public static float Apply(float z) => VectorMath.Sigmoid(z);
    public static Vector256<float> Apply(Vector256<float> z) => VectorMath.Sigmoid(z);
    public static Vector512<float> Apply(Vector512<float> z) => VectorMath.Sigmoid(z);

    public static float Derivative(float z, float a) => a * (1f - a);
    public static Vector256<float> Derivative(Vector256<float> z, Vector256<float> a) => a * (Vector256<float>.One - a);
    public static Vector512<float> Derivative(Vector512<float> z, Vector512<float> a) => a * (Vector512<float>.One - a);
}

/// <summary>
/// GELU in its exact erf form, a = z Phi(z) = z (1 + erf(z / sqrt 2)) / 2; derivative Phi(z) + z phi(z), which needs z.
/// </summary>
public readonly struct Gelu : IActivation
{
    public static bool NeedsPreActivation => true;

    // Beyond |z| = GeluClamp, Phi(z) is 0 or 1 and phi(z) is 0 in float, so clamping the factor z keeps inf * 0 away.
    public static float Apply(float z) => MathF.Max(z, -VectorMath.GeluClamp) * VectorMath.NormalCdf(z);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Vector256<float> z)
        => Vector256.Max(z, Vector256.Create(-VectorMath.GeluClamp)) * VectorMath.NormalCdf(z);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> z)
        => Vector512.Max(z, Vector512.Create(-VectorMath.GeluClamp)) * VectorMath.NormalCdf(z);

    public static float Derivative(float z, float a)
        => VectorMath.NormalCdf(z) + Math.Clamp(z, -VectorMath.GeluClamp, VectorMath.GeluClamp) * VectorMath.NormalPdf(z);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Derivative(Vector256<float> z, Vector256<float> a)
    {
        var zc = Vector256.Clamp(z, Vector256.Create(-VectorMath.GeluClamp), Vector256.Create(VectorMath.GeluClamp));
        return Vector256.FusedMultiplyAdd(zc, VectorMath.NormalPdf(zc), VectorMath.NormalCdf(z));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Derivative(Vector512<float> z, Vector512<float> a)
    {
        var zc = Vector512.Clamp(z, Vector512.Create(-VectorMath.GeluClamp), Vector512.Create(VectorMath.GeluClamp));
        return Vector512.FusedMultiplyAdd(zc, VectorMath.NormalPdf(zc), VectorMath.NormalCdf(z));
    }
}
