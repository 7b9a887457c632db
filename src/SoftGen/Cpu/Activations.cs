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

/// <summary>SiLU (swish), a = z sigmoid(z); derivative s (1 + z (1 - s)), which needs z.</summary>
public readonly struct Silu : IActivation
{
    public static bool NeedsPreActivation => true;

    // sigmoid(-SiluClamp) is 0 in float, so clamping the factor z there keeps -inf * 0 away.
    public static float Apply(float z)
    {
        var (s, _) = VectorMath.SigmoidPair(z);
        return MathF.Max(z, -VectorMath.SiluClamp) * s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Vector256<float> z)
        => Vector256.Max(z, Vector256.Create(-VectorMath.SiluClamp)) * VectorMath.SigmoidPair(z).Sigmoid;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> z)
        => Vector512.Max(z, Vector512.Create(-VectorMath.SiluClamp)) * VectorMath.SigmoidPair(z).Sigmoid;

    public static float Derivative(float z, float a)
    {
        var (s, oneMinusS) = VectorMath.SigmoidPair(z);
        return s * (1f + Math.Clamp(z, -VectorMath.SiluClamp, VectorMath.SiluClamp) * oneMinusS);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Derivative(Vector256<float> z, Vector256<float> a)
    {
        var (s, oneMinusS) = VectorMath.SigmoidPair(z);
        var zc = Vector256.Clamp(z, Vector256.Create(-VectorMath.SiluClamp), Vector256.Create(VectorMath.SiluClamp));
        return s * Vector256.FusedMultiplyAdd(zc, oneMinusS, Vector256<float>.One);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Derivative(Vector512<float> z, Vector512<float> a)
    {
        var (s, oneMinusS) = VectorMath.SigmoidPair(z);
        var zc = Vector512.Clamp(z, Vector512.Create(-VectorMath.SiluClamp), Vector512.Create(VectorMath.SiluClamp));
        return s * Vector512.FusedMultiplyAdd(zc, oneMinusS, Vector512<float>.One);
    }
}

/// <summary>ELU with alpha 1, a = z for z &gt; 0, else exp(z) - 1; derivative 1, else a + 1 (from a alone).</summary>
public readonly struct Elu : IActivation
{
    public static bool NeedsPreActivation => false;

    public static float Apply(float z) => z > 0f ? z : VectorMath.ExpMinusOne(z);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Vector256<float> z)
        => Vector256.ConditionalSelect(Vector256.GreaterThan(z, Vector256<float>.Zero), z, VectorMath.ExpMinusOne(Vector256.Min(z, Vector256<float>.Zero)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> z)
        => Vector512.ConditionalSelect(Vector512.GreaterThan(z, Vector512<float>.Zero), z, VectorMath.ExpMinusOne(Vector512.Min(z, Vector512<float>.Zero)));

    public static float Derivative(float z, float a) => a > 0f ? 1f : a + 1f;

    public static Vector256<float> Derivative(Vector256<float> z, Vector256<float> a)
        => Vector256.ConditionalSelect(Vector256.GreaterThan(a, Vector256<float>.Zero), Vector256<float>.One, a + Vector256<float>.One);

    public static Vector512<float> Derivative(Vector512<float> z, Vector512<float> a)
        => Vector512.ConditionalSelect(Vector512.GreaterThan(a, Vector512<float>.Zero), Vector512<float>.One, a + Vector512<float>.One);
}

/// <summary>Mish, a = z tanh(softplus(z)); derivative t + z sigmoid(z) (1 - t^2), t = tanh(softplus(z)), which needs z.</summary>
/// <remarks>
/// With n = exp(z) and w = n (n + 2): t = w / (w + 2), sigmoid(z) = n / (n + 1) and 1 - t^2 = 4 (w + 1) / (w + 2)^2,
/// all free of cancellation. z is clamped to [-SiluClamp, MishHigh] inside them: beyond MishHigh t is 1 and the
/// derivative's second term 0 in float, below -SiluClamp both are 0.
/// </remarks>
public readonly struct Mish : IActivation
{
    public static bool NeedsPreActivation => true;

    public static float Apply(float z)
    {
        float n = MathF.Exp(Math.Clamp(z, -VectorMath.SiluClamp, VectorMath.MishHigh));
        float w = n * (n + 2f);
        return MathF.Max(z, -VectorMath.SiluClamp) * (w / (w + 2f));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Vector256<float> z)
    {
        var n = VectorMath.Exp(Vector256.Clamp(z, Vector256.Create(-VectorMath.SiluClamp), Vector256.Create(VectorMath.MishHigh)));
        var w = n * (n + Vector256.Create(2f));
        return Vector256.Max(z, Vector256.Create(-VectorMath.SiluClamp)) * (w / (w + Vector256.Create(2f)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> z)
    {
        var n = VectorMath.Exp(Vector512.Clamp(z, Vector512.Create(-VectorMath.SiluClamp), Vector512.Create(VectorMath.MishHigh)));
        var w = n * (n + Vector512.Create(2f));
        return Vector512.Max(z, Vector512.Create(-VectorMath.SiluClamp)) * (w / (w + Vector512.Create(2f)));
    }

    public static float Derivative(float z, float a)
    {
        float zc = Math.Clamp(z, -VectorMath.SiluClamp, VectorMath.MishHigh);
        float n = MathF.Exp(zc);
        float w = n * (n + 2f), d = w + 2f;
        return w / d + zc * (n / (n + 1f)) * (4f * (w + 1f) / (d * d));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Derivative(Vector256<float> z, Vector256<float> a)
    {
        var zc = Vector256.Clamp(z, Vector256.Create(-VectorMath.SiluClamp), Vector256.Create(VectorMath.MishHigh));
        var n = VectorMath.Exp(zc);
        var w = n * (n + Vector256.Create(2f));
        var d = w + Vector256.Create(2f);
        var oneMinusT2 = Vector256.Create(4f) * (w + Vector256<float>.One) / (d * d);
        return Vector256.FusedMultiplyAdd(zc * (n / (n + Vector256<float>.One)), oneMinusT2, w / d);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Derivative(Vector512<float> z, Vector512<float> a)
    {
        var zc = Vector512.Clamp(z, Vector512.Create(-VectorMath.SiluClamp), Vector512.Create(VectorMath.MishHigh));
        var n = VectorMath.Exp(zc);
        var w = n * (n + Vector512.Create(2f));
        var d = w + Vector512.Create(2f);
        var oneMinusT2 = Vector512.Create(4f) * (w + Vector512<float>.One) / (d * d);
        return Vector512.FusedMultiplyAdd(zc * (n / (n + Vector512<float>.One)), oneMinusT2, w / d);
    }
}
