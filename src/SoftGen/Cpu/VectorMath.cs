using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SoftGen.Cpu;

/// <summary>
/// Single-precision exp, exp - 1, tanh, sigmoid and the normal CDF for the activation epilogues, in Vector256 and Vector512
/// forms (the runtime's Vector512.Exp goes through double and is several times slower). All are finite and NaN-free
/// for every finite or infinite input; NaN inputs stay NaN. A Vector512 log serves generalised-mean pooling.
/// </summary>
internal static class VectorMath
{
    // exp: x = n ln2 + r with |r| <= ln2 / 2, ln2 split in two so that n ln2 is exact (Cephes expf);
    // exp(r) by its degree-7 minimax polynomial, 2^n applied as two halves so that n may leave the normal exponent range.
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;
    private const float ExpP0 = 1.9875691500e-4f;
    private const float ExpP1 = 1.3981999507e-3f;
    private const float ExpP2 = 8.3334519073e-3f;
    private const float ExpP3 = 4.1665795894e-2f;
    private const float ExpP4 = 1.6666665459e-1f;
    private const float ExpP5 = 5.0000001201e-1f;
    private const float ExpMin = -104f; // exp underflows to 0 below about -103.97
    private const float ExpMax = 89f;   // and overflows above about 88.72

    // log: Cephes logf's polynomial for log(1 + f) - f + f^2 / 2 = f^3 P(f), |f| < sqrt(2) - 1.
    private const float LogSqrtHalf = 0.707106781186547524f;
    private const float SmallestNormal = 1.17549435e-38f;
    private const float LogP0 = 7.0376836292e-2f;
    private const float LogP1 = -1.1514610310e-1f;
    private const float LogP2 = 1.1676998740e-1f;
    private const float LogP3 = -1.2420140846e-1f;
    private const float LogP4 = 1.4249322787e-1f;
    private const float LogP5 = -1.6668057665e-1f;
    private const float LogP6 = 2.0000714765e-1f;
    private const float LogP7 = -2.4999993993e-1f;
    private const float LogP8 = 3.3333331174e-1f;

    // tanh: Taylor series on |z| < TanhSmall (truncation < 5e-8 relative), 1 - 2 / (exp(2|z|) + 1) above it.
    private const float TanhSmall = 0.55f;
    private const float Tanh3 = -1f / 3;
    private const float Tanh5 = 2f / 15;
    private const float Tanh7 = -17f / 315;
    private const float Tanh9 = 62f / 2835;
    private const float Tanh11 = -1382f / 155925;
    private const float Tanh13 = 21844f / 6081075;
    private const float Tanh15 = -929569f / 638512875;

    // erfc(x), x >= 0: t exp(-x^2 + P(t)), t = 1 / (1 + x / 2) (Numerical Recipes' erfcc, relative error < 1.2e-7).
    private const float ErfcC0 = -1.26551223f;
    private const float ErfcC1 = 1.00002368f;
    private const float ErfcC2 = 0.37409196f;
    private const float ErfcC3 = 0.09678418f;
    private const float ErfcC4 = -0.18628806f;
    private const float ErfcC5 = 0.27886807f;
    private const float ErfcC6 = -1.13520398f;
    private const float ErfcC7 = 1.48851587f;
    private const float ErfcC8 = -0.82215223f;
    private const float ErfcC9 = 0.17087277f;
    private const float InvSqrt2 = 0.70710678118654752f;
    private const float InvSqrt2Pi = 0.39894228040143268f;

    /// <summary>|z| beyond which GELU's z Phi(z) and z phi(z) are 0 or z exactly; clamping there avoids inf * 0.</summary>
    internal const float GeluClamp = 20f;

    /// <summary>sigmoid(-SiluClamp) is 0 in float (Exp clamps its argument there), so SiLU's and Mish's factor z is clamped to it.</summary>
    internal const float SiluClamp = 104f;

    /// <summary>Beyond MishHigh, tanh(softplus(z)) is 1 and 1 - tanh^2 is below 1e-16 (and exp(z)^2 stays finite below it).</summary>
    internal const float MishHigh = 20f;

    // exp(z) - 1: Taylor series to z^10 on |z| < Expm1Small (truncation < 2e-11 relative), exp(z) - 1 beyond it
    // (where the result is at least 0.39 in magnitude, so the subtraction loses under a bit).
    private const float Expm1Small = 0.5f;
    private const float Inv2 = 1f / 2, Inv6 = 1f / 6, Inv24 = 1f / 24, Inv120 = 1f / 120, Inv720 = 1f / 720;
    private const float Inv5040 = 1f / 5040, Inv40320 = 1f / 40320, Inv362880 = 1f / 362880, Inv3628800 = 1f / 3628800;

    // ---- scalar ----

    public static float Sigmoid(float z)
    {
        float e = MathF.Exp(-MathF.Abs(z));
        float r = 1f / (1f + e);
        return z >= 0 ? r : e * r;
    }

    /// <summary>sigmoid(z) and 1 - sigmoid(z) = sigmoid(-z), each without cancellation.</summary>
    public static (float Sigmoid, float OneMinus) SigmoidPair(float z)
    {
        float e = MathF.Exp(-MathF.Abs(z));
        float r = 1f / (1f + e);
        return z >= 0 ? (r, e * r) : (e * r, r);
    }

    /// <summary>exp(z) - 1, accurate near 0.</summary>
    public static float ExpMinusOne(float z)
    {
        if (!(MathF.Abs(z) < Expm1Small))
            return MathF.Exp(z) - 1f;
        float p = Inv3628800;
        p = p * z + Inv362880;
        p = p * z + Inv40320;
        p = p * z + Inv5040;
        p = p * z + Inv720;
        p = p * z + Inv120;
        p = p * z + Inv24;
        p = p * z + Inv6;
        p = p * z + Inv2;
        return p * z * z + z;
    }

    /// <summary>Phi(z), the standard normal CDF.</summary>
    public static float NormalCdf(float z)
    {
        float x = MathF.Abs(z) * InvSqrt2;
        float t = 1f / (1f + 0.5f * x);
        float p = ErfcC9;
        p = p * t + ErfcC8;
        p = p * t + ErfcC7;
        p = p * t + ErfcC6;
        p = p * t + ErfcC5;
        p = p * t + ErfcC4;
        p = p * t + ErfcC3;
        p = p * t + ErfcC2;
        p = p * t + ErfcC1;
        p = p * t + ErfcC0;
        float halfErfc = 0.5f * t * MathF.Exp(p - x * x);
        return z >= 0 ? 1f - halfErfc : halfErfc;
    }

    /// <summary>phi(z), the standard normal density.</summary>
    public static float NormalPdf(float z) => InvSqrt2Pi * MathF.Exp(-0.5f * z * z);

    // ---- Vector512 ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var xc = Vector512.MinNative(Vector512.MaxNative(x, Vector512.Create(ExpMin)), Vector512.Create(ExpMax));
        var n = Vector512.Round(xc * Log2E);
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), xc);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(ExpP0), r, Vector512.Create(ExpP1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(ExpP2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(ExpP3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(ExpP4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(ExpP5));
        p = Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);
        var ni = Vector512.ConvertToInt32Native(n);
        var n1 = ni >> 1;
        var s1 = ((n1 + Vector512.Create(127)) << 23).AsSingle();
        var s2 = ((ni - n1 + Vector512.Create(127)) << 23).AsSingle();
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), p * s1 * s2, x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sigmoid(Vector512<float> z)
    {
        var e = Exp(-Vector512.Abs(z));
        var r = Vector512<float>.One / (Vector512<float>.One + e);
        return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(z, Vector512<float>.Zero), r, e * r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<float> Sigmoid, Vector512<float> OneMinus) SigmoidPair(Vector512<float> z)
    {
        var e = Exp(-Vector512.Abs(z));
        var r = Vector512<float>.One / (Vector512<float>.One + e);
        var er = e * r;
        var positive = Vector512.GreaterThanOrEqual(z, Vector512<float>.Zero);
        return (Vector512.ConditionalSelect(positive, r, er), Vector512.ConditionalSelect(positive, er, r));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ExpMinusOne(Vector512<float> z)
    {
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(Inv3628800), z, Vector512.Create(Inv362880));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(Inv40320));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(Inv5040));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(Inv720));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(Inv120));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(Inv24));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(Inv6));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(Inv2));
        var small = Vector512.FusedMultiplyAdd(p * z, z, z);
        var large = Exp(z) - Vector512<float>.One;
        return Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(z), Vector512.Create(Expm1Small)), small, large);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> z)
    {
        var az = Vector512.Abs(z);
        var large = Vector512<float>.One - Vector512.Create(2f) / (Exp(az + az) + Vector512<float>.One);
        var z2 = az * az;
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(Tanh15), z2, Vector512.Create(Tanh13));
        p = Vector512.FusedMultiplyAdd(p, z2, Vector512.Create(Tanh11));
        p = Vector512.FusedMultiplyAdd(p, z2, Vector512.Create(Tanh9));
        p = Vector512.FusedMultiplyAdd(p, z2, Vector512.Create(Tanh7));
        p = Vector512.FusedMultiplyAdd(p, z2, Vector512.Create(Tanh5));
        p = Vector512.FusedMultiplyAdd(p, z2, Vector512.Create(Tanh3));
        var small = Vector512.FusedMultiplyAdd(az * z2, p, az);
        var t = Vector512.ConditionalSelect(Vector512.LessThan(az, Vector512.Create(TanhSmall)), small, large);
        return Vector512.CopySign(t, z);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> NormalCdf(Vector512<float> z)
    {
        var x = Vector512.Abs(z) * InvSqrt2;
        var t = Vector512<float>.One / Vector512.FusedMultiplyAdd(x, Vector512.Create(0.5f), Vector512<float>.One);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(ErfcC9), t, Vector512.Create(ErfcC8));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(ErfcC7));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(ErfcC6));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(ErfcC5));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(ErfcC4));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(ErfcC3));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(ErfcC2));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(ErfcC1));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(ErfcC0));
        var halfErfc = Vector512.Create(0.5f) * t * Exp(p - x * x);
        return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(z, Vector512<float>.Zero), Vector512<float>.One - halfErfc, halfErfc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> NormalPdf(Vector512<float> z) => Vector512.Create(InvSqrt2Pi) * Exp(Vector512.Create(-0.5f) * z * z);

    /// <summary>
    /// The natural log of a positive finite x (Cephes logf, about 1 ulp): x = m 2^e with m in [sqrt(1/2), sqrt(2)),
    /// log x = e ln2 + log m, log m by its minimax polynomial in m - 1. Inputs below the smallest normal float are
    /// taken as that float (0 and negatives included), so the result is always finite.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Log(Vector512<float> x)
    {
        var bits = Vector512.Max(x, Vector512.Create(SmallestNormal)).AsInt32();
        var e = (bits >> 23) - Vector512.Create(126);
        var m = ((bits & Vector512.Create(0x007FFFFF)) | Vector512.Create(0x3F000000)).AsSingle(); // in [1/2, 1)
        var small = Vector512.LessThan(m, Vector512.Create(LogSqrtHalf));
        var exponent = Vector512.ConvertToSingle(e + small.AsInt32()); // the mask is -1 where m doubles
        m = Vector512.ConditionalSelect(small, m + m, m) - Vector512<float>.One;
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(LogP0), m, Vector512.Create(LogP1));
        p = Vector512.FusedMultiplyAdd(p, m, Vector512.Create(LogP2));
        p = Vector512.FusedMultiplyAdd(p, m, Vector512.Create(LogP3));
        p = Vector512.FusedMultiplyAdd(p, m, Vector512.Create(LogP4));
        p = Vector512.FusedMultiplyAdd(p, m, Vector512.Create(LogP5));
        p = Vector512.FusedMultiplyAdd(p, m, Vector512.Create(LogP6));
        p = Vector512.FusedMultiplyAdd(p, m, Vector512.Create(LogP7));
        p = Vector512.FusedMultiplyAdd(p, m, Vector512.Create(LogP8));
        var z = m * m;
        var y = p * m * z;
        y = Vector512.FusedMultiplyAdd(exponent, Vector512.Create(Ln2Lo), y);
        y = Vector512.FusedMultiplyAdd(z, Vector512.Create(-0.5f), y);
        return Vector512.FusedMultiplyAdd(exponent, Vector512.Create(Ln2Hi), m + y);
    }

    // ---- Vector256 (the same algorithms) ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var xc = Vector256.MinNative(Vector256.MaxNative(x, Vector256.Create(ExpMin)), Vector256.Create(ExpMax));
        var n = Vector256.Round(xc * Log2E);
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), xc);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(ExpP0), r, Vector256.Create(ExpP1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(ExpP2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(ExpP3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(ExpP4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(ExpP5));
        p = Vector256.FusedMultiplyAdd(p, r * r, r + Vector256<float>.One);
        var ni = Vector256.ConvertToInt32Native(n);
        var n1 = ni >> 1;
        var s1 = ((n1 + Vector256.Create(127)) << 23).AsSingle();
        var s2 = ((ni - n1 + Vector256.Create(127)) << 23).AsSingle();
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), p * s1 * s2, x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> z)
    {
        var e = Exp(-Vector256.Abs(z));
        var r = Vector256<float>.One / (Vector256<float>.One + e);
        return Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(z, Vector256<float>.Zero), r, e * r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<float> Sigmoid, Vector256<float> OneMinus) SigmoidPair(Vector256<float> z)
    {
        var e = Exp(-Vector256.Abs(z));
        var r = Vector256<float>.One / (Vector256<float>.One + e);
        var er = e * r;
        var positive = Vector256.GreaterThanOrEqual(z, Vector256<float>.Zero);
        return (Vector256.ConditionalSelect(positive, r, er), Vector256.ConditionalSelect(positive, er, r));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ExpMinusOne(Vector256<float> z)
    {
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(Inv3628800), z, Vector256.Create(Inv362880));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(Inv40320));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(Inv5040));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(Inv720));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(Inv120));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(Inv24));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(Inv6));
        p = Vector256.FusedMultiplyAdd(p, z, Vector256.Create(Inv2));
        var small = Vector256.FusedMultiplyAdd(p * z, z, z);
        var large = Exp(z) - Vector256<float>.One;
        return Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(z), Vector256.Create(Expm1Small)), small, large);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> z)
    {
        var az = Vector256.Abs(z);
        var large = Vector256<float>.One - Vector256.Create(2f) / (Exp(az + az) + Vector256<float>.One);
        var z2 = az * az;
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(Tanh15), z2, Vector256.Create(Tanh13));
        p = Vector256.FusedMultiplyAdd(p, z2, Vector256.Create(Tanh11));
        p = Vector256.FusedMultiplyAdd(p, z2, Vector256.Create(Tanh9));
        p = Vector256.FusedMultiplyAdd(p, z2, Vector256.Create(Tanh7));
        p = Vector256.FusedMultiplyAdd(p, z2, Vector256.Create(Tanh5));
        p = Vector256.FusedMultiplyAdd(p, z2, Vector256.Create(Tanh3));
        var small = Vector256.FusedMultiplyAdd(az * z2, p, az);
        var t = Vector256.ConditionalSelect(Vector256.LessThan(az, Vector256.Create(TanhSmall)), small, large);
        return Vector256.CopySign(t, z);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> NormalCdf(Vector256<float> z)
    {
        var x = Vector256.Abs(z) * InvSqrt2;
        var t = Vector256<float>.One / Vector256.FusedMultiplyAdd(x, Vector256.Create(0.5f), Vector256<float>.One);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(ErfcC9), t, Vector256.Create(ErfcC8));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(ErfcC7));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(ErfcC6));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(ErfcC5));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(ErfcC4));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(ErfcC3));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(ErfcC2));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(ErfcC1));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(ErfcC0));
        var halfErfc = Vector256.Create(0.5f) * t * Exp(p - x * x);
        return Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(z, Vector256<float>.Zero), Vector256<float>.One - halfErfc, halfErfc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> NormalPdf(Vector256<float> z) => Vector256.Create(InvSqrt2Pi) * Exp(Vector256.Create(-0.5f) * z * z);
}
