using System;

namespace SoftGen;

/// <summary>
/// Marks a partial class as a SoftGen model. The layers follow as <see cref="DenseAttribute"/>s in the
/// order they are written, then exactly one loss attribute. The source generator emits the trainer.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class SoftModelAttribute : Attribute
{
    /// <summary>Width of one input row (features per sample).</summary>
    public int Inputs { get; set; }

    /// <summary>Optional: the number of classes, checked against the last layer's width at compile time.</summary>
    public int Classes { get; set; }
}

/// <summary>A fully connected layer: Z = X W^T + b, then the activation.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute : Attribute
{
    public DenseAttribute(int width, Activation activation = Activation.None)
    {
        Width = width;
        Activation = activation;
    }

    /// <summary>Number of outputs of the layer.</summary>
    public int Width { get; }

    public Activation Activation { get; }
}

/// <summary>Element-wise activation applied after a dense layer.</summary>
public enum Activation
{
    /// <summary>Identity: the layer's output is Z itself.</summary>
    None = 0,
    /// <summary>max(z, 0).</summary>
    Relu = 1,
    /// <summary>z for z &gt; 0, 0.01 z otherwise (PyTorch's default negative slope).</summary>
    LeakyRelu = 2,
    Tanh = 3,
    /// <summary>1 / (1 + exp(-z)).</summary>
    Sigmoid = 4,
    /// <summary>z * Phi(z), Phi the standard normal CDF (the exact erf form, not the tanh approximation).</summary>
    Gelu = 5,
}

/// <summary>
/// Softmax cross-entropy against probability targets: -sum_c y_c log softmax(z)_c, averaged over the batch.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class SoftmaxCrossEntropyAttribute : Attribute
{
    /// <summary>e in [0, 1): the target becomes (1 - e) y + e / C, as PyTorch's label_smoothing.</summary>
    public float LabelSmoothing { get; set; }

    /// <summary>Distillation temperature T &gt; 0: loss = T^2 * CE(y, softmax(z / T)). Predictions use T = 1.</summary>
    public float Temperature { get; set; } = 1f;
}

/// <summary>KL(target || softmax(z)), summed over classes and averaged over the batch (PyTorch's 'batchmean').</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class KLDivergenceAttribute : Attribute
{
}

/// <summary>
/// Per-class sigmoid binary cross-entropy with soft targets in [0, 1], averaged over every element
/// (batch x classes), as BCEWithLogitsLoss.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class SigmoidCrossEntropyAttribute : Attribute
{
}
