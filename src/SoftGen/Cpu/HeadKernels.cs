using System;

namespace SoftGen.Cpu;

/// <summary>
/// The loss heads: per row, a LogSumExp-stable (log-)softmax or sigmoid over the logits [rows, TShape.OutStride]
/// (the last layer's shape; its Out is the class count), the loss, and dLogits [rows, OutStride] (padding 0).
/// Targets and probabilities are dense [rows, Out]. Losses return the mean the attribute documents.
/// </summary>
public static unsafe class HeadKernels
{
    /// <summary>
    /// T^2 * mean_r( -sum_c y'_c log softmax(z_r / T)_c ), y' = (1 - e) y + e / C.
    /// dLogits = T (softmax(z / T) - y') / rows. 0 * log 0 = 0.
    /// </summary>
    public static float SoftmaxCrossEntropy<TShape>(float* logits, float* targets, float* dLogits, int rows, float labelSmoothing, float temperature)
        where TShape : struct, IDenseShape
        => throw new NotImplementedException();

    /// <summary>mean_r sum_c y_c (log y_c - log softmax(z_r)_c), terms with y_c = 0 are 0. dLogits = (softmax(z) - y) / rows.</summary>
    public static float KLDivergence<TShape>(float* logits, float* targets, float* dLogits, int rows)
        where TShape : struct, IDenseShape
        => throw new NotImplementedException();

    /// <summary>mean over rows x classes of max(z, 0) - z y + log(1 + exp(-|z|)). dLogits = (sigmoid(z) - y) / (rows C).</summary>
    public static float SigmoidCrossEntropy<TShape>(float* logits, float* targets, float* dLogits, int rows)
        where TShape : struct, IDenseShape
        => throw new NotImplementedException();

    /// <summary>probabilities[r, c] = softmax(z_r)_c, dense [rows, Out].</summary>
    public static void Softmax<TShape>(float* logits, float* probabilities, int rows)
        where TShape : struct, IDenseShape
        => throw new NotImplementedException();

    /// <summary>probabilities[r, c] = sigmoid(z_rc), dense [rows, Out].</summary>
    public static void Sigmoid<TShape>(float* logits, float* probabilities, int rows)
        where TShape : struct, IDenseShape
        => throw new NotImplementedException();
}
