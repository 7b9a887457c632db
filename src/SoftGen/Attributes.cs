using System;

namespace SoftGen;

/// <summary>
/// Marks a partial class as a SoftGen model. The layers follow as <see cref="DenseAttribute"/>s (and, for image
/// models, <see cref="Conv2DAttribute"/>, pooling and <see cref="DropoutAttribute"/>s) in the order they are written,
/// then exactly one loss attribute. The source generator emits the trainer.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class SoftModelAttribute : Attribute
{
    /// <summary>Width of one input row (features per sample). Image models give Channels, Height and Width instead.</summary>
    public int Inputs { get; set; }

    /// <summary>Image models: channels of an input image. Input rows are [Channels, Height, Width] row-major (PyTorch's NCHW).</summary>
    public int Channels { get; set; }

    /// <summary>Image models: height of an input image in pixels.</summary>
    public int Height { get; set; }

    /// <summary>Image models: width of an input image in pixels.</summary>
    public int Width { get; set; }

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

/// <summary>
/// A 2-D convolution over an image: <c>filters</c> square kernels of <c>kernelSize</c> pixels, then the activation,
/// as torch.nn.Conv2d (weight [filters, channels, kernelSize, kernelSize], cross-correlation, zero padding).
/// Output size: (size + 2 Padding - kernelSize) / Stride + 1, rounded down.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class Conv2DAttribute : Attribute
{
    public Conv2DAttribute(int filters, int kernelSize, Activation activation = Activation.None)
    {
        Filters = filters;
        KernelSize = kernelSize;
        Activation = activation;
    }

    /// <summary>Output channels.</summary>
    public int Filters { get; }

    /// <summary>Kernel height and width in pixels.</summary>
    public int KernelSize { get; }

    public Activation Activation { get; }

    /// <summary>Step between kernel positions, in pixels (at least 1).</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Zero pixels added on each side of the input (at least 0).</summary>
    public int Padding { get; set; }
}

/// <summary>Max pooling over non-overlapping <c>size</c> x <c>size</c> windows (stride = size), as torch.nn.MaxPool2d(size).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxPool2DAttribute : Attribute
{
    public MaxPool2DAttribute(int size) => Size = size;

    /// <summary>Window height and width; it must divide the input's height and width.</summary>
    public int Size { get; }
}

/// <summary>Average pooling over non-overlapping <c>size</c> x <c>size</c> windows (stride = size), as torch.nn.AvgPool2d(size).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AvgPool2DAttribute : Attribute
{
    public AvgPool2DAttribute(int size) => Size = size;

    /// <summary>Window height and width; it must divide the input's height and width.</summary>
    public int Size { get; }
}

/// <summary>The mean of each channel over all pixels: [channels, h, w] becomes [channels] (AdaptiveAvgPool2d(1), then Flatten).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GlobalAveragePoolAttribute : Attribute
{
}

/// <summary>
/// Inverted dropout: in training steps each value is zeroed with probability <c>rate</c> and the rest are scaled by
/// 1 / (1 - rate); prediction and evaluation pass values through. Masks are drawn from the trainer's seed and step.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DropoutAttribute : Attribute
{
    public DropoutAttribute(float rate) => Rate = rate;

    /// <summary>Probability of zeroing a value, in [0, 1).</summary>
    public float Rate { get; }
}

/// <summary>Element-wise activation applied after a dense or convolutional layer.</summary>
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
