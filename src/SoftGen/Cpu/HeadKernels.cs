using System;

namespace SoftGen.Cpu;

/// <summary>
/// The loss heads: per row, a LogSumExp-stable (log-)softmax or sigmoid over the logits [rows, TShape.OutStride]
/// (the last layer's shape; its Out is the class count), the loss, and dLogits [rows, OutStride] (padding 0).
/// Targets and probabilities are dense [rows, Out]. Losses return the mean the attribute documents.
/// </summary>
/// <remarks>
/// Exponentials are taken in float of arguments at most 0 (shifted by the row's maximum, or -|z|); logarithms and the
/// sums run in double. rows &lt;= 0 gives a loss of 0. The <see cref="FloatBuffer"/> overloads are for generated code,
/// which has no unsafe context.
/// </remarks>
public static unsafe class HeadKernels
{
    /// <summary>
    /// T^2 * mean_r( -sum_c y'_c log softmax(z_r / T)_c ), y' = (1 - e) y + e / C.
    /// dLogits = T (softmax(z / T) - y') / rows. 0 * log 0 = 0.
    /// </summary>
    public static float SoftmaxCrossEntropy<TShape>(float* logits, float* targets, float* dLogits, int rows, float labelSmoothing, float temperature)
        where TShape : struct, IDenseShape
    {
        DenseShape.Validate<TShape>();
        if (rows <= 0)
            return 0f;
        int classes = TShape.Out;
        float invT = 1f / temperature;
        float keep = 1f - labelSmoothing;
        float spread = labelSmoothing / classes;
        float gradScale = temperature / rows;
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            float* z = logits + (nint)r * TShape.OutStride;
            float* y = targets + (nint)r * classes;
            float* g = dLogits + (nint)r * TShape.OutStride;
            float max = float.NegativeInfinity;
            for (int c = 0; c < classes; c++)
                max = MathF.Max(max, z[c] * invT);
            // g holds exp(z / T - max) until the sum is known.
            double sum = 0;
            for (int c = 0; c < classes; c++)
                sum += g[c] = MathF.Exp(z[c] * invT - max);
            double logSum = max + Math.Log(sum);
            double loss = 0;
            for (int c = 0; c < classes; c++)
            {
                float target = keep * y[c] + spread;
                if (target != 0f)
                    loss -= target * (z[c] * invT - logSum);
                g[c] = gradScale * (float)(g[c] / sum - target);
            }
            new Span<float>(g + classes, TShape.OutStride - classes).Clear();
            total += loss;
        }
        return (float)(temperature * temperature * total / rows);
    }

    /// <summary>mean_r sum_c y_c (log y_c - log softmax(z_r)_c), terms with y_c = 0 are 0. dLogits = (softmax(z) - y) / rows.</summary>
    public static float KLDivergence<TShape>(float* logits, float* targets, float* dLogits, int rows)
        where TShape : struct, IDenseShape
    {
        DenseShape.Validate<TShape>();
        if (rows <= 0)
            return 0f;
        int classes = TShape.Out;
        float gradScale = 1f / rows;
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            float* z = logits + (nint)r * TShape.OutStride;
            float* y = targets + (nint)r * classes;
            float* g = dLogits + (nint)r * TShape.OutStride;
            float max = RowMax(z, classes);
            double sum = 0;
            for (int c = 0; c < classes; c++)
                sum += g[c] = MathF.Exp(z[c] - max);
            double logSum = max + Math.Log(sum);
            double loss = 0;
            for (int c = 0; c < classes; c++)
            {
                if (y[c] != 0f)
                    loss += y[c] * (Math.Log(y[c]) - (z[c] - logSum));
                g[c] = gradScale * (float)(g[c] / sum - y[c]);
            }
            new Span<float>(g + classes, TShape.OutStride - classes).Clear();
            total += loss;
        }
        return (float)(total / rows);
    }

    /// <summary>mean over rows x classes of max(z, 0) - z y + log(1 + exp(-|z|)). dLogits = (sigmoid(z) - y) / (rows C).</summary>
    public static float SigmoidCrossEntropy<TShape>(float* logits, float* targets, float* dLogits, int rows)
        where TShape : struct, IDenseShape
    {
        DenseShape.Validate<TShape>();
        if (rows <= 0)
            return 0f;
        int classes = TShape.Out;
        float gradScale = 1f / ((float)rows * classes);
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            float* z = logits + (nint)r * TShape.OutStride;
            float* y = targets + (nint)r * classes;
            float* g = dLogits + (nint)r * TShape.OutStride;
            for (int c = 0; c < classes; c++)
            {
                float e = MathF.Exp(-MathF.Abs(z[c]));
                total += Math.Max(z[c], 0.0) - (double)z[c] * y[c] + Log1P(e);
                float p = z[c] >= 0f ? 1f / (1f + e) : e / (1f + e);
                g[c] = gradScale * (p - y[c]);
            }
            new Span<float>(g + classes, TShape.OutStride - classes).Clear();
        }
        return (float)(total / ((double)rows * classes));
    }

    /// <summary>probabilities[r, c] = softmax(z_r)_c, dense [rows, Out].</summary>
    public static void Softmax<TShape>(float* logits, float* probabilities, int rows)
        where TShape : struct, IDenseShape
    {
        DenseShape.Validate<TShape>();
        int classes = TShape.Out;
        for (int r = 0; r < rows; r++)
        {
            float* z = logits + (nint)r * TShape.OutStride;
            float* p = probabilities + (nint)r * classes;
            float max = RowMax(z, classes);
            double sum = 0;
            for (int c = 0; c < classes; c++)
                sum += p[c] = MathF.Exp(z[c] - max);
            float scale = (float)(1 / sum);
            for (int c = 0; c < classes; c++)
                p[c] *= scale;
        }
    }

    /// <summary>probabilities[r, c] = sigmoid(z_rc), dense [rows, Out].</summary>
    public static void Sigmoid<TShape>(float* logits, float* probabilities, int rows)
        where TShape : struct, IDenseShape
    {
        DenseShape.Validate<TShape>();
        int classes = TShape.Out;
        for (int r = 0; r < rows; r++)
        {
            float* z = logits + (nint)r * TShape.OutStride;
            float* p = probabilities + (nint)r * classes;
            for (int c = 0; c < classes; c++)
                p[c] = VectorMath.Sigmoid(z[c]);
        }
    }

    /// <summary>logitsOut[r, c] = z[r, c]: the logits, dense [rows, Out], without the padding columns.</summary>
    public static void CopyLogits<TShape>(float* logits, float* logitsOut, int rows)
        where TShape : struct, IDenseShape
    {
        DenseShape.Validate<TShape>();
        for (int r = 0; r < rows; r++)
            new ReadOnlySpan<float>(logits + (nint)r * TShape.OutStride, TShape.Out)
                .CopyTo(new Span<float>(logitsOut + (nint)r * TShape.Out, TShape.Out));
    }

    /// <inheritdoc cref="SoftmaxCrossEntropy{TShape}(float*, float*, float*, int, float, float)"/>
    public static float SoftmaxCrossEntropy<TShape>(FloatBuffer logits, FloatBuffer targets, FloatBuffer dLogits, int rows, float labelSmoothing, float temperature)
        where TShape : struct, IDenseShape
        => SoftmaxCrossEntropy<TShape>(logits.Pointer, targets.Pointer, dLogits.Pointer, rows, labelSmoothing, temperature);

    /// <inheritdoc cref="KLDivergence{TShape}(float*, float*, float*, int)"/>
    public static float KLDivergence<TShape>(FloatBuffer logits, FloatBuffer targets, FloatBuffer dLogits, int rows)
        where TShape : struct, IDenseShape
        => KLDivergence<TShape>(logits.Pointer, targets.Pointer, dLogits.Pointer, rows);

    /// <inheritdoc cref="SigmoidCrossEntropy{TShape}(float*, float*, float*, int)"/>
    public static float SigmoidCrossEntropy<TShape>(FloatBuffer logits, FloatBuffer targets, FloatBuffer dLogits, int rows)
        where TShape : struct, IDenseShape
        => SigmoidCrossEntropy<TShape>(logits.Pointer, targets.Pointer, dLogits.Pointer, rows);

    /// <inheritdoc cref="Softmax{TShape}(float*, float*, int)"/>
    public static void Softmax<TShape>(FloatBuffer logits, FloatBuffer probabilities, int rows)
        where TShape : struct, IDenseShape
        => Softmax<TShape>(logits.Pointer, probabilities.Pointer, rows);

    /// <inheritdoc cref="Sigmoid{TShape}(float*, float*, int)"/>
    public static void Sigmoid<TShape>(FloatBuffer logits, FloatBuffer probabilities, int rows)
        where TShape : struct, IDenseShape
        => Sigmoid<TShape>(logits.Pointer, probabilities.Pointer, rows);

    /// <inheritdoc cref="CopyLogits{TShape}(float*, float*, int)"/>
    public static void CopyLogits<TShape>(FloatBuffer logits, FloatBuffer logitsOut, int rows)
        where TShape : struct, IDenseShape
        => CopyLogits<TShape>(logits.Pointer, logitsOut.Pointer, rows);

    private static float RowMax(float* z, int count)
    {
        float max = float.NegativeInfinity;
        for (int c = 0; c < count; c++)
            max = MathF.Max(max, z[c]);
        return max;
    }

    /// <summary>log(1 + x) without the cancellation of Math.Log(1 + x) for small x (Goldberg's correction).</summary>
    private static double Log1P(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : Math.Log(u) * x / (u - 1);
    }
}
