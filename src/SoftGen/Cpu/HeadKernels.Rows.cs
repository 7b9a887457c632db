using System;
using System.Runtime.CompilerServices;

namespace SoftGen.Cpu;

/// <summary>
/// The math of one row of logits, stated once for the per-row heads of this class and the per-pixel heads of
/// <see cref="ConvHeadKernels"/>: <c>z</c> and <c>g</c> hold <c>classes</c> contiguous values followed by padding up to
/// <c>stride</c> (cleared in g); targets and probabilities step by <c>step</c>: 1 in a dense [rows, classes] row, the pixel
/// count in an NCHW image. Each loss returns <c>loss</c> plus the row's terms, so that a caller can sum a row on its own
/// (dense heads pass 0) or straight into its running total (per-pixel heads), whichever order it always used.
/// </summary>
public static unsafe partial class HeadKernels
{
    /// <summary>Adds -sum_c y'_c log softmax(z / T)_c, y' = keep y + spread, to <paramref name="loss"/>; g = gradScale (softmax(z / T) - y').</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double SoftmaxCrossEntropyRow(float* z, float* y, nint step, float* g, int classes, int stride,
        float invT, float keep, float spread, float gradScale, double loss)
    {
        // g holds exp(z / T - max) until the sum is known.
        double sum = ShiftedExp(z, g, classes, invT, out double logSum);
        for (int c = 0; c < classes; c++)
        {
            float target = keep * y[c * step] + spread;
            if (target != 0f)
                loss -= target * (z[c] * invT - logSum);
            g[c] = gradScale * (float)(g[c] / sum - target);
        }
        new Span<float>(g + classes, stride - classes).Clear();
        return loss;
    }

    /// <summary>Adds sum_c y_c (log y_c - log softmax(z)_c), terms with y_c = 0 being 0, to <paramref name="loss"/>; g = gradScale (softmax(z) - y).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double KLDivergenceRow(float* z, float* y, nint step, float* g, int classes, int stride, float gradScale, double loss)
    {
        double sum = ShiftedExp(z, g, classes, 1f, out double logSum);
        for (int c = 0; c < classes; c++)
        {
            float target = y[c * step];
            if (target != 0f)
                loss += target * (Math.Log(target) - (z[c] - logSum));
            g[c] = gradScale * (float)(g[c] / sum - target);
        }
        new Span<float>(g + classes, stride - classes).Clear();
        return loss;
    }

    /// <summary>Adds sum_c max(z, 0) - z y + log(1 + exp(-|z|)) to <paramref name="loss"/>; g = gradScale (sigmoid(z) - y).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double SigmoidCrossEntropyRow(float* z, float* y, nint step, float* g, int classes, int stride, float gradScale, double loss)
    {
        for (int c = 0; c < classes; c++)
        {
            float target = y[c * step];
            float e = MathF.Exp(-MathF.Abs(z[c]));
            loss += Math.Max(z[c], 0.0) - (double)z[c] * target + Log1P(e);
            float p = z[c] >= 0f ? 1f / (1f + e) : e / (1f + e);
            g[c] = gradScale * (p - target);
        }
        new Span<float>(g + classes, stride - classes).Clear();
        return loss;
    }

    /// <summary>The factor on row r's dLogits: <paramref name="gradScale"/>, times s_r when there are weights.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float RowScale(float gradScale, float* weights, int r) => weights == null ? gradScale : gradScale * weights[r];

    /// <summary>p[c step] = softmax(z)_c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void SoftmaxRow(float* z, float* p, nint step, int classes)
    {
        float max = float.NegativeInfinity;
        for (int c = 0; c < classes; c++)
            max = MathF.Max(max, z[c]);
        double sum = 0;
        for (int c = 0; c < classes; c++)
            sum += p[c * step] = MathF.Exp(z[c] - max);
        float scale = (float)(1 / sum);
        for (int c = 0; c < classes; c++)
            p[c * step] *= scale;
    }

    /// <summary>p[c step] = sigmoid(z_c).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void SigmoidRow(float* z, float* p, nint step, int classes)
    {
        for (int c = 0; c < classes; c++)
            p[c * step] = VectorMath.Sigmoid(z[c]);
    }

    /// <summary>e[c] = exp(z_c scale - max) with max the largest z_c scale; returns sum_c e[c], and log sum_c exp(z_c scale) in <paramref name="logSum"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ShiftedExp(float* z, float* e, int classes, float scale, out double logSum)
    {
        float max = float.NegativeInfinity;
        for (int c = 0; c < classes; c++)
            max = MathF.Max(max, z[c] * scale);
        double sum = 0;
        for (int c = 0; c < classes; c++)
            sum += e[c] = MathF.Exp(z[c] * scale - max);
        logSum = max + Math.Log(sum);
        return sum;
    }

    /// <summary>log(1 + x) without the cancellation of Math.Log(1 + x) for small x (Goldberg's correction).</summary>
    private static double Log1P(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : Math.Log(u) * x / (u - 1);
    }
}
