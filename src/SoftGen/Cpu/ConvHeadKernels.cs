using System;
using System.Runtime.CompilerServices;

namespace SoftGen.Cpu;

/// <summary>
/// The loss heads of a per-pixel (Conv2D) output: the logits are channels-last [rows, Height, Width, ChannelStride]
/// with Channels classes per pixel; targets, probabilities and the logits handed out are PyTorch's NCHW
/// [rows, Channels, Height, Width]. Softmax cross-entropy and KL normalise over the classes at each pixel and average
/// over rows and pixels; sigmoid cross-entropy averages over every element. Each pixel is one row of
/// <see cref="HeadKernels"/>' row math (exponentials of arguments at most 0, logarithms and sums in double), its targets
/// and probabilities read and written a plane (Height x Width floats) apart. Sample weights are per row (image), as in
/// <see cref="HeadKernels"/>: row r's mean over its pixels enters the mean times s_r, and its pixels' dLogits are scaled by s_r.
/// </summary>
public static unsafe class ConvHeadKernels
{
    /// <summary>
    /// T^2 * mean over rows and pixels of s_r * -sum_c y'_c log softmax(z / T)_c, y' = (1 - e) y + e / C;
    /// dLogits = s_r T (softmax(z / T) - y') / (rows pixels), padding channels 0.
    /// </summary>
    public static float SoftmaxCrossEntropy<TShape>(float* logits, float* targets, float* weights, float* dLogits, int rows, float labelSmoothing, float temperature)
        where TShape : struct, ISpatialShape
    {
        SpatialShape.Validate<TShape>();
        if (rows <= 0)
            return 0f;
        int classes = TShape.Channels, pixels = TShape.Height * TShape.Width;
        float invT = 1f / temperature, keep = 1f - labelSmoothing, spread = labelSmoothing / classes;
        float gradScale = (float)(temperature / ((double)rows * pixels));
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            float rowScale = HeadKernels.RowScale(gradScale, weights, r);
            double sum = weights == null ? total : 0; // unweighted, the pixels add straight into the running total
            for (int p = 0; p < pixels; p++)
                sum = HeadKernels.SoftmaxCrossEntropyRow(ChannelsLast<TShape>(logits, r, p), Nchw<TShape>(targets, r, p), pixels,
                    ChannelsLast<TShape>(dLogits, r, p), classes, TShape.ChannelStride, invT, keep, spread, rowScale, sum);
            total = weights == null ? sum : total + weights[r] * sum;
        }
        return (float)(temperature * temperature * total / ((double)rows * pixels));
    }

    /// <summary>Mean over rows and pixels of s_r sum_c y_c (log y_c - log softmax(z)_c); dLogits = s_r (softmax(z) - y) / (rows pixels).</summary>
    public static float KLDivergence<TShape>(float* logits, float* targets, float* weights, float* dLogits, int rows)
        where TShape : struct, ISpatialShape
    {
        SpatialShape.Validate<TShape>();
        if (rows <= 0)
            return 0f;
        int classes = TShape.Channels, pixels = TShape.Height * TShape.Width;
        float gradScale = (float)(1.0 / ((double)rows * pixels));
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            float rowScale = HeadKernels.RowScale(gradScale, weights, r);
            double sum = weights == null ? total : 0;
            for (int p = 0; p < pixels; p++)
                sum = HeadKernels.KLDivergenceRow(ChannelsLast<TShape>(logits, r, p), Nchw<TShape>(targets, r, p), pixels,
                    ChannelsLast<TShape>(dLogits, r, p), classes, TShape.ChannelStride, rowScale, sum);
            total = weights == null ? sum : total + weights[r] * sum;
        }
        return (float)(total / ((double)rows * pixels));
    }

    /// <summary>
    /// Mean over rows, classes and pixels of s_r (max(z, 0) - z y + log(1 + exp(-|z|))); dLogits = s_r (sigmoid(z) - y) / (rows C pixels).
    /// </summary>
    public static float SigmoidCrossEntropy<TShape>(float* logits, float* targets, float* weights, float* dLogits, int rows)
        where TShape : struct, ISpatialShape
    {
        SpatialShape.Validate<TShape>();
        if (rows <= 0)
            return 0f;
        int classes = TShape.Channels, pixels = TShape.Height * TShape.Width;
        double count = (double)rows * pixels * classes;
        float gradScale = (float)(1.0 / count);
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            float rowScale = HeadKernels.RowScale(gradScale, weights, r);
            double sum = weights == null ? total : 0;
            for (int p = 0; p < pixels; p++)
                sum = HeadKernels.SigmoidCrossEntropyRow(ChannelsLast<TShape>(logits, r, p), Nchw<TShape>(targets, r, p), pixels,
                    ChannelsLast<TShape>(dLogits, r, p), classes, TShape.ChannelStride, rowScale, sum);
            total = weights == null ? sum : total + weights[r] * sum;
        }
        return (float)(total / count);
    }

    /// <summary>probabilities[r, c, y, x] = softmax over c of the logits at pixel (y, x).</summary>
    public static void Softmax<TShape>(float* logits, float* probabilities, int rows) where TShape : struct, ISpatialShape
    {
        SpatialShape.Validate<TShape>();
        int pixels = TShape.Height * TShape.Width;
        for (int r = 0; r < rows; r++)
            for (int p = 0; p < pixels; p++)
                HeadKernels.SoftmaxRow(ChannelsLast<TShape>(logits, r, p), Nchw<TShape>(probabilities, r, p), pixels, TShape.Channels);
    }

    /// <summary>probabilities[r, c, y, x] = sigmoid of the logit.</summary>
    public static void Sigmoid<TShape>(float* logits, float* probabilities, int rows) where TShape : struct, ISpatialShape
    {
        SpatialShape.Validate<TShape>();
        int pixels = TShape.Height * TShape.Width;
        for (int r = 0; r < rows; r++)
            for (int p = 0; p < pixels; p++)
                HeadKernels.SigmoidRow(ChannelsLast<TShape>(logits, r, p), Nchw<TShape>(probabilities, r, p), pixels, TShape.Channels);
    }

    /// <summary>logitsOut[r, c, y, x]: the logits in NCHW, without the padding channels.</summary>
    public static void CopyLogits<TShape>(float* logits, float* logitsOut, int rows) where TShape : struct, ISpatialShape
    {
        SpatialShape.Validate<TShape>();
        int pixels = TShape.Height * TShape.Width;
        for (int r = 0; r < rows; r++)
            for (int p = 0; p < pixels; p++)
            {
                float* z = ChannelsLast<TShape>(logits, r, p), q = Nchw<TShape>(logitsOut, r, p);
                for (int c = 0; c < TShape.Channels; c++)
                    q[(nint)c * pixels] = z[c];
            }
    }

    /// <inheritdoc cref="SoftmaxCrossEntropy{TShape}(float*, float*, float*, float*, int, float, float)"/>
    public static float SoftmaxCrossEntropy<TShape>(FloatBuffer logits, FloatBuffer targets, FloatBuffer weights, FloatBuffer dLogits, int rows, float labelSmoothing, float temperature)
        where TShape : struct, ISpatialShape
        => SoftmaxCrossEntropy<TShape>(logits.Pointer, targets.Pointer, weights.Pointer, dLogits.Pointer, rows, labelSmoothing, temperature);

    /// <inheritdoc cref="KLDivergence{TShape}(float*, float*, float*, float*, int)"/>
    public static float KLDivergence<TShape>(FloatBuffer logits, FloatBuffer targets, FloatBuffer weights, FloatBuffer dLogits, int rows)
        where TShape : struct, ISpatialShape
        => KLDivergence<TShape>(logits.Pointer, targets.Pointer, weights.Pointer, dLogits.Pointer, rows);

    /// <inheritdoc cref="SigmoidCrossEntropy{TShape}(float*, float*, float*, float*, int)"/>
    public static float SigmoidCrossEntropy<TShape>(FloatBuffer logits, FloatBuffer targets, FloatBuffer weights, FloatBuffer dLogits, int rows)
        where TShape : struct, ISpatialShape
        => SigmoidCrossEntropy<TShape>(logits.Pointer, targets.Pointer, weights.Pointer, dLogits.Pointer, rows);

    /// <inheritdoc cref="Softmax{TShape}(float*, float*, int)"/>
    public static void Softmax<TShape>(FloatBuffer logits, FloatBuffer probabilities, int rows) where TShape : struct, ISpatialShape
        => Softmax<TShape>(logits.Pointer, probabilities.Pointer, rows);

    /// <inheritdoc cref="Sigmoid{TShape}(float*, float*, int)"/>
    public static void Sigmoid<TShape>(FloatBuffer logits, FloatBuffer probabilities, int rows) where TShape : struct, ISpatialShape
        => Sigmoid<TShape>(logits.Pointer, probabilities.Pointer, rows);

    /// <inheritdoc cref="CopyLogits{TShape}(float*, float*, int)"/>
    public static void CopyLogits<TShape>(FloatBuffer logits, FloatBuffer logitsOut, int rows) where TShape : struct, ISpatialShape
        => CopyLogits<TShape>(logits.Pointer, logitsOut.Pointer, rows);

    /// <summary>The channels-last logits (or their gradient) at pixel p of image r.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* ChannelsLast<TShape>(float* tensor, int r, int p) where TShape : struct, ISpatialShape
        => tensor + ((nint)r * TShape.Height * TShape.Width + p) * TShape.ChannelStride;

    /// <summary>Class 0 of pixel p of image r in an NCHW tensor (targets, probabilities); class c is pixels further on per c.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* Nchw<TShape>(float* nchw, int r, int p) where TShape : struct, ISpatialShape
        => nchw + (nint)r * TShape.Channels * TShape.Height * TShape.Width + p;
}
