using System;

namespace SoftGen.Cpu;

/// <summary>
/// The loss heads of a per-pixel (Conv2D) output: the logits are channels-last [rows, Height, Width, ChannelStride]
/// with Channels classes per pixel; targets, probabilities and the logits handed out are PyTorch's NCHW
/// [rows, Channels, Height, Width]. Softmax cross-entropy and KL normalise over the classes at each pixel and average
/// over rows and pixels; sigmoid cross-entropy averages over every element. Same numerics as <see cref="HeadKernels"/>:
/// exponentials of arguments at most 0, logarithms and sums in double.
/// </summary>
public static unsafe class ConvHeadKernels
{
    /// <summary>
    /// T^2 * mean over rows and pixels of -sum_c y'_c log softmax(z / T)_c, y' = (1 - e) y + e / C;
    /// dLogits = T (softmax(z / T) - y') / (rows pixels), padding channels 0.
    /// </summary>
    public static float SoftmaxCrossEntropy<TShape>(float* logits, float* targets, float* dLogits, int rows, float labelSmoothing, float temperature)
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
            for (int p = 0; p < pixels; p++)
            {
                float* z = logits + ((nint)r * pixels + p) * TShape.ChannelStride;
                float* y = targets + (nint)r * classes * pixels + p;
                float* g = dLogits + ((nint)r * pixels + p) * TShape.ChannelStride;
                float max = float.NegativeInfinity;
                for (int c = 0; c < classes; c++)
                    max = MathF.Max(max, z[c] * invT);
                double sum = 0;
                for (int c = 0; c < classes; c++)
                    sum += g[c] = MathF.Exp(z[c] * invT - max);
                double logSum = max + Math.Log(sum);
                for (int c = 0; c < classes; c++)
                {
                    float target = keep * y[(nint)c * pixels] + spread;
                    if (target != 0f)
                        total -= target * (z[c] * invT - logSum);
                    g[c] = gradScale * (float)(g[c] / sum - target);
                }
                new Span<float>(g + classes, TShape.ChannelStride - classes).Clear();
            }
        return (float)(temperature * temperature * total / ((double)rows * pixels));
    }

    /// <summary>Mean over rows and pixels of sum_c y_c (log y_c - log softmax(z)_c); dLogits = (softmax(z) - y) / (rows pixels).</summary>
    public static float KLDivergence<TShape>(float* logits, float* targets, float* dLogits, int rows)
        where TShape : struct, ISpatialShape
    {
        SpatialShape.Validate<TShape>();
        if (rows <= 0)
            return 0f;
        int classes = TShape.Channels, pixels = TShape.Height * TShape.Width;
        float gradScale = (float)(1.0 / ((double)rows * pixels));
        double total = 0;
        for (int r = 0; r < rows; r++)
            for (int p = 0; p < pixels; p++)
            {
                float* z = logits + ((nint)r * pixels + p) * TShape.ChannelStride;
                float* y = targets + (nint)r * classes * pixels + p;
                float* g = dLogits + ((nint)r * pixels + p) * TShape.ChannelStride;
                float max = float.NegativeInfinity;
                for (int c = 0; c < classes; c++)
                    max = MathF.Max(max, z[c]);
                double sum = 0;
                for (int c = 0; c < classes; c++)
                    sum += g[c] = MathF.Exp(z[c] - max);
                double logSum = max + Math.Log(sum);
                for (int c = 0; c < classes; c++)
                {
                    float target = y[(nint)c * pixels];
                    if (target != 0f)
                        total += target * (Math.Log(target) - (z[c] - logSum));
                    g[c] = gradScale * (float)(g[c] / sum - target);
                }
                new Span<float>(g + classes, TShape.ChannelStride - classes).Clear();
            }
        return (float)(total / ((double)rows * pixels));
    }

    /// <summary>Mean over rows, classes and pixels of max(z, 0) - z y + log(1 + exp(-|z|)); dLogits = (sigmoid(z) - y) / (rows C pixels).</summary>
    public static float SigmoidCrossEntropy<TShape>(float* logits, float* targets, float* dLogits, int rows)
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
            for (int p = 0; p < pixels; p++)
            {
                float* z = logits + ((nint)r * pixels + p) * TShape.ChannelStride;
                float* y = targets + (nint)r * classes * pixels + p;
                float* g = dLogits + ((nint)r * pixels + p) * TShape.ChannelStride;
                for (int c = 0; c < classes; c++)
                {
                    float target = y[(nint)c * pixels];
                    float e = MathF.Exp(-MathF.Abs(z[c]));
                    total += Math.Max(z[c], 0.0) - (double)z[c] * target + Log1P(e);
                    float q = z[c] >= 0f ? 1f / (1f + e) : e / (1f + e);
                    g[c] = gradScale * (q - target);
                }
                new Span<float>(g + classes, TShape.ChannelStride - classes).Clear();
            }
        return (float)(total / count);
    }

    /// <summary>probabilities[r, c, y, x] = softmax over c of the logits at pixel (y, x).</summary>
    public static void Softmax<TShape>(float* logits, float* probabilities, int rows) where TShape : struct, ISpatialShape
    {
        SpatialShape.Validate<TShape>();
        int classes = TShape.Channels, pixels = TShape.Height * TShape.Width;
        for (int r = 0; r < rows; r++)
            for (int p = 0; p < pixels; p++)
            {
                float* z = logits + ((nint)r * pixels + p) * TShape.ChannelStride;
                float* q = probabilities + (nint)r * classes * pixels + p;
                float max = float.NegativeInfinity;
                for (int c = 0; c < classes; c++)
                    max = MathF.Max(max, z[c]);
                double sum = 0;
                for (int c = 0; c < classes; c++)
                    sum += q[(nint)c * pixels] = MathF.Exp(z[c] - max);
                float scale = (float)(1 / sum);
                for (int c = 0; c < classes; c++)
                    q[(nint)c * pixels] *= scale;
            }
    }

    /// <summary>probabilities[r, c, y, x] = sigmoid of the logit.</summary>
    public static void Sigmoid<TShape>(float* logits, float* probabilities, int rows) where TShape : struct, ISpatialShape
    {
        SpatialShape.Validate<TShape>();
        int classes = TShape.Channels, pixels = TShape.Height * TShape.Width;
        for (int r = 0; r < rows; r++)
            for (int p = 0; p < pixels; p++)
            {
                float* z = logits + ((nint)r * pixels + p) * TShape.ChannelStride;
                for (int c = 0; c < classes; c++)
                    probabilities[((nint)r * classes + c) * pixels + p] = VectorMath.Sigmoid(z[c]);
            }
    }

    /// <summary>logitsOut[r, c, y, x]: the logits in NCHW, without the padding channels.</summary>
    public static void CopyLogits<TShape>(float* logits, float* logitsOut, int rows) where TShape : struct, ISpatialShape
    {
        SpatialShape.Validate<TShape>();
        int classes = TShape.Channels, pixels = TShape.Height * TShape.Width;
        for (int r = 0; r < rows; r++)
            for (int p = 0; p < pixels; p++)
            {
                float* z = logits + ((nint)r * pixels + p) * TShape.ChannelStride;
                for (int c = 0; c < classes; c++)
                    logitsOut[((nint)r * classes + c) * pixels + p] = z[c];
            }
    }

    /// <inheritdoc cref="SoftmaxCrossEntropy{TShape}(float*, float*, float*, int, float, float)"/>
    public static float SoftmaxCrossEntropy<TShape>(FloatBuffer logits, FloatBuffer targets, FloatBuffer dLogits, int rows, float labelSmoothing, float temperature)
        where TShape : struct, ISpatialShape
        => SoftmaxCrossEntropy<TShape>(logits.Pointer, targets.Pointer, dLogits.Pointer, rows, labelSmoothing, temperature);

    /// <inheritdoc cref="KLDivergence{TShape}(float*, float*, float*, int)"/>
    public static float KLDivergence<TShape>(FloatBuffer logits, FloatBuffer targets, FloatBuffer dLogits, int rows)
        where TShape : struct, ISpatialShape
        => KLDivergence<TShape>(logits.Pointer, targets.Pointer, dLogits.Pointer, rows);

    /// <inheritdoc cref="SigmoidCrossEntropy{TShape}(float*, float*, float*, int)"/>
    public static float SigmoidCrossEntropy<TShape>(FloatBuffer logits, FloatBuffer targets, FloatBuffer dLogits, int rows)
        where TShape : struct, ISpatialShape
        => SigmoidCrossEntropy<TShape>(logits.Pointer, targets.Pointer, dLogits.Pointer, rows);

    /// <inheritdoc cref="Softmax{TShape}(float*, float*, int)"/>
    public static void Softmax<TShape>(FloatBuffer logits, FloatBuffer probabilities, int rows) where TShape : struct, ISpatialShape
        => Softmax<TShape>(logits.Pointer, probabilities.Pointer, rows);

    /// <inheritdoc cref="Sigmoid{TShape}(float*, float*, int)"/>
    public static void Sigmoid<TShape>(FloatBuffer logits, FloatBuffer probabilities, int rows) where TShape : struct, ISpatialShape
        => Sigmoid<TShape>(logits.Pointer, probabilities.Pointer, rows);

    /// <inheritdoc cref="CopyLogits{TShape}(float*, float*, int)"/>
    public static void CopyLogits<TShape>(FloatBuffer logits, FloatBuffer logitsOut, int rows) where TShape : struct, ISpatialShape
        => CopyLogits<TShape>(logits.Pointer, logitsOut.Pointer, rows);

    private static double Log1P(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : Math.Log(u) * x / (u - 1);
    }
}
