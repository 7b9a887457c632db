using System;

namespace SoftGen.Cpu;

/// <summary>
/// The loss heads: per row, a LogSumExp-stable (log-)softmax or sigmoid over the logits [rows, TShape.OutStride]
/// (the last layer's shape; its Out is the class count), the loss, and dLogits [rows, OutStride] (padding 0).
/// Targets and probabilities are dense [rows, Out]. Losses return the mean the attribute documents.
/// </summary>
/// <remarks>
/// <para>
/// Sample weights: <c>weights</c> is null (unweighted) or holds s_r for each row, the trainer's weights normalised to
/// a mean of 1 (s_r = w_r rows / sum w). Row r's loss l_r (its classes' sum, or for sigmoid their sum over C) enters
/// the mean as s_r l_r and its dLogits are scaled by s_r, so the loss is sum w_r l_r / sum w_r. Null computes exactly
/// what the unweighted head always has (no multiplication by 1).
/// </para>
/// <para>
/// Exponentials are taken in float of arguments at most 0 (shifted by the row's maximum, or -|z|); logarithms and the
/// sums run in double. rows &lt;= 0 gives a loss of 0. The <see cref="FloatBuffer"/> overloads are for generated code,
/// which has no unsafe context (<see cref="FloatBuffer.Null"/> for no weights).
/// </para>
/// </remarks>
public static unsafe partial class HeadKernels
{
    /// <summary>
    /// T^2 * mean_r( s_r * -sum_c y'_c log softmax(z_r / T)_c ), y' = (1 - e) y + e / C.
    /// dLogits = s_r T (softmax(z / T) - y') / rows. 0 * log 0 = 0.
    /// </summary>
    public static float SoftmaxCrossEntropy<TShape>(float* logits, float* targets, float* weights, float* dLogits, int rows, float labelSmoothing, float temperature)
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
            double loss = SoftmaxCrossEntropyRow(logits + (nint)r * TShape.OutStride, targets + (nint)r * classes, 1,
                dLogits + (nint)r * TShape.OutStride, classes, TShape.OutStride, invT, keep, spread, RowScale(gradScale, weights, r), 0);
            total += weights == null ? loss : weights[r] * loss;
        }
        return (float)(temperature * temperature * total / rows);
    }

    /// <summary>mean_r s_r sum_c y_c (log y_c - log softmax(z_r)_c), terms with y_c = 0 are 0. dLogits = s_r (softmax(z) - y) / rows.</summary>
    public static float KLDivergence<TShape>(float* logits, float* targets, float* weights, float* dLogits, int rows)
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
            double loss = KLDivergenceRow(logits + (nint)r * TShape.OutStride, targets + (nint)r * classes, 1,
                dLogits + (nint)r * TShape.OutStride, classes, TShape.OutStride, RowScale(gradScale, weights, r), 0);
            total += weights == null ? loss : weights[r] * loss;
        }
        return (float)(total / rows);
    }

    /// <summary>
    /// mean over rows x classes of s_r (max(z, 0) - z y + log(1 + exp(-|z|))). dLogits = s_r (sigmoid(z) - y) / (rows C).
    /// </summary>
    public static float SigmoidCrossEntropy<TShape>(float* logits, float* targets, float* weights, float* dLogits, int rows)
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
            float* z = logits + (nint)r * TShape.OutStride, y = targets + (nint)r * classes, g = dLogits + (nint)r * TShape.OutStride;
            // Unweighted, the classes add straight into the running total, as they always have.
            if (weights == null)
                total = SigmoidCrossEntropyRow(z, y, 1, g, classes, TShape.OutStride, gradScale, total);
            else
                total += weights[r] * SigmoidCrossEntropyRow(z, y, 1, g, classes, TShape.OutStride, gradScale * weights[r], 0);
        }
        return (float)(total / ((double)rows * classes));
    }

    /// <summary>probabilities[r, c] = softmax(z_r)_c, dense [rows, Out].</summary>
    public static void Softmax<TShape>(float* logits, float* probabilities, int rows)
        where TShape : struct, IDenseShape
    {
        DenseShape.Validate<TShape>();
        for (int r = 0; r < rows; r++)
            SoftmaxRow(logits + (nint)r * TShape.OutStride, probabilities + (nint)r * TShape.Out, 1, TShape.Out);
    }

    /// <summary>probabilities[r, c] = sigmoid(z_rc), dense [rows, Out].</summary>
    public static void Sigmoid<TShape>(float* logits, float* probabilities, int rows)
        where TShape : struct, IDenseShape
    {
        DenseShape.Validate<TShape>();
        for (int r = 0; r < rows; r++)
            SigmoidRow(logits + (nint)r * TShape.OutStride, probabilities + (nint)r * TShape.Out, 1, TShape.Out);
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

    /// <inheritdoc cref="SoftmaxCrossEntropy{TShape}(float*, float*, float*, float*, int, float, float)"/>
    public static float SoftmaxCrossEntropy<TShape>(FloatBuffer logits, FloatBuffer targets, FloatBuffer weights, FloatBuffer dLogits, int rows, float labelSmoothing, float temperature)
        where TShape : struct, IDenseShape
        => SoftmaxCrossEntropy<TShape>(logits.Pointer, targets.Pointer, weights.Pointer, dLogits.Pointer, rows, labelSmoothing, temperature);

    /// <inheritdoc cref="KLDivergence{TShape}(float*, float*, float*, float*, int)"/>
    public static float KLDivergence<TShape>(FloatBuffer logits, FloatBuffer targets, FloatBuffer weights, FloatBuffer dLogits, int rows)
        where TShape : struct, IDenseShape
        => KLDivergence<TShape>(logits.Pointer, targets.Pointer, weights.Pointer, dLogits.Pointer, rows);

    /// <inheritdoc cref="SigmoidCrossEntropy{TShape}(float*, float*, float*, float*, int)"/>
    public static float SigmoidCrossEntropy<TShape>(FloatBuffer logits, FloatBuffer targets, FloatBuffer weights, FloatBuffer dLogits, int rows)
        where TShape : struct, IDenseShape
        => SigmoidCrossEntropy<TShape>(logits.Pointer, targets.Pointer, weights.Pointer, dLogits.Pointer, rows);

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
}
