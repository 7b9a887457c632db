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

    /// <summary>
    /// Signal models: samples per channel. Input rows are [Channels, Length] row-major (PyTorch's NCL); the layers are
    /// the 1-D ones (<see cref="Conv1DAttribute"/>, <see cref="MaxPool1DAttribute"/>, <see cref="AvgPool1DAttribute"/>).
    /// </summary>
    public int Length { get; set; }

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

    /// <summary>False: no bias (torch.nn.Linear(..., bias=False)), as before a <see cref="BatchNormAttribute"/> that has its own shift.</summary>
    public bool Bias { get; set; } = true;
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

    /// <summary>False: no bias (torch.nn.Conv2d(..., bias=False)), as before a <see cref="BatchNormAttribute"/> that has its own shift.</summary>
    public bool Bias { get; set; } = true;

    /// <summary>Kernel height when it differs from the width (time-frequency images); 0 means kernelSize.</summary>
    public int KernelHeight { get; set; }

    /// <summary>Kernel width when it differs from the height; 0 means kernelSize.</summary>
    public int KernelWidth { get; set; }

    /// <summary>Vertical step between kernel positions; 0 means <see cref="Stride"/>.</summary>
    public int StrideHeight { get; set; }

    /// <summary>Horizontal step between kernel positions; 0 means <see cref="Stride"/>.</summary>
    public int StrideWidth { get; set; }

    /// <summary>Zero rows added above and below; -1 means <see cref="Padding"/>.</summary>
    public int PaddingHeight { get; set; } = -1;

    /// <summary>Zero columns added left and right; -1 means <see cref="Padding"/>.</summary>
    public int PaddingWidth { get; set; } = -1;

    /// <summary>Spacing between kernel taps, on both axes (at least 1): a kernel of k taps spans Dilation (k - 1) + 1 pixels.</summary>
    public int Dilation { get; set; } = 1;

    /// <summary>
    /// Channel groups (torch.nn.Conv2d's groups): each filter sees Channels / Groups input channels, weight
    /// [filters, channels / Groups, kh, kw]. Groups equal to the input channels and to the filters is a depthwise
    /// convolution. Groups must divide both the input channels and the filters.
    /// </summary>
    public int Groups { get; set; } = 1;
}

/// <summary>
/// A 1-D convolution over a signal: <c>filters</c> kernels of <c>kernelSize</c> samples, then the activation, as
/// torch.nn.Conv1d (weight [filters, channels / Groups, kernelSize], cross-correlation, zero padding).
/// Output length: (length + 2 Padding - Dilation (kernelSize - 1) - 1) / Stride + 1, rounded down.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class Conv1DAttribute : Attribute
{
    public Conv1DAttribute(int filters, int kernelSize, Activation activation = Activation.None)
    {
        Filters = filters;
        KernelSize = kernelSize;
        Activation = activation;
    }

    /// <summary>Output channels.</summary>
    public int Filters { get; }

    /// <summary>Kernel length in samples.</summary>
    public int KernelSize { get; }

    public Activation Activation { get; }

    /// <summary>Step between kernel positions, in samples (at least 1).</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Zero samples added at each end (at least 0).</summary>
    public int Padding { get; set; }

    /// <summary>Spacing between kernel taps (at least 1), as in WaveNet-style dilated stacks.</summary>
    public int Dilation { get; set; } = 1;

    /// <summary>Channel groups, as on <see cref="Conv2DAttribute.Groups"/>: depthwise when it equals the channels and the filters.</summary>
    public int Groups { get; set; } = 1;

    /// <summary>False: no bias (torch.nn.Conv1d(..., bias=False)).</summary>
    public bool Bias { get; set; } = true;
}

/// <summary>
/// Batch normalisation, then the activation, as torch.nn.BatchNorm2d after a <see cref="Conv2DAttribute"/> (statistics
/// per channel over the batch and the pixels) or BatchNorm1d after a <see cref="DenseAttribute"/> (per feature over the
/// batch). Training steps normalise with the batch's mean and biased variance and update the running statistics;
/// prediction, evaluation and calibration normalise with the running statistics.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class BatchNormAttribute : Attribute
{
    public BatchNormAttribute(Activation activation = Activation.None) => Activation = activation;

    public Activation Activation { get; }

    /// <summary>PyTorch's momentum: running = (1 - Momentum) running + Momentum batch statistic, in (0, 1].</summary>
    public float Momentum { get; set; } = 0.1f;

    /// <summary>Added to the variance before the square root, positive.</summary>
    public float Epsilon { get; set; } = 1e-5f;
}

/// <summary>
/// Layer normalisation over the features of each row, with a per-feature scale and shift, then the activation, as
/// torch.nn.LayerNorm(width) after a <see cref="DenseAttribute"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LayerNormAttribute : Attribute
{
    public LayerNormAttribute(Activation activation = Activation.None) => Activation = activation;

    public Activation Activation { get; }

    /// <summary>Added to the variance before the square root, positive.</summary>
    public float Epsilon { get; set; } = 1e-5f;
}

/// <summary>
/// Opens a residual block: the layers up to the matching <see cref="EndResidualAttribute"/> form block(x), and the
/// block's output is act(block(x) + shortcut(x)).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ResidualAttribute : Attribute
{
}

/// <summary>
/// Closes the residual block opened by the last <see cref="ResidualAttribute"/>: out = act(block(x) + shortcut(x)).
/// The shortcut is x itself when the block keeps its shape; in an image block that changes the channels or the size it
/// is a 1x1 Conv2D with the block's total stride and no bias, then a batch norm (torchvision's downsample).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class EndResidualAttribute : Attribute
{
    public EndResidualAttribute(Activation activation = Activation.None) => Activation = activation;

    public Activation Activation { get; }
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

/// <summary>Max pooling of a signal over non-overlapping windows of <c>size</c> samples (stride = size), as torch.nn.MaxPool1d(size).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxPool1DAttribute : Attribute
{
    public MaxPool1DAttribute(int size) => Size = size;

    /// <summary>Window length; it must divide the input's length.</summary>
    public int Size { get; }
}

/// <summary>Average pooling of a signal over non-overlapping windows of <c>size</c> samples (stride = size), as torch.nn.AvgPool1d(size).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AvgPool1DAttribute : Attribute
{
    public AvgPool1DAttribute(int size) => Size = size;

    /// <summary>Window length; it must divide the input's length.</summary>
    public int Size { get; }
}

/// <summary>
/// Squeeze-and-excitation over the channels of an image or signal: s = the mean of each channel over all positions,
/// g = sigmoid(expand(silu(reduce(s)))), out = x g per channel. reduce is torch.nn.Linear(c, c / reduction) and
/// expand torch.nn.Linear(c / reduction, c), named <c>layers.{i}.reduce.weight</c>, <c>.reduce.bias</c>,
/// <c>layers.{i}.expand.weight</c> and <c>.expand.bias</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SqueezeExcitationAttribute : Attribute
{
    public SqueezeExcitationAttribute(int reduction = 4) => Reduction = reduction;

    /// <summary>The squeeze width is the channels divided by this, rounded down; it must leave at least 1.</summary>
    public int Reduction { get; }
}

/// <summary>
/// Generalised-mean pooling over all positions: out_c = (mean over positions of max(x, Epsilon)^p)^(1 / p), turning
/// [channels, ...] into [channels]. p = 1 is average pooling, large p approaches max pooling. When
/// <see cref="Learnable"/>, p is a parameter named <c>layers.{i}.p</c> (shape [1]) that training adjusts.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GemPoolAttribute : Attribute
{
    public GemPoolAttribute(float p = 3f) => P = p;

    /// <summary>The initial (or, when not learnable, fixed) exponent, positive.</summary>
    public float P { get; }

    public bool Learnable { get; set; } = true;

    /// <summary>The floor applied to every value before the power, positive.</summary>
    public float Epsilon { get; set; } = 1e-6f;
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
    /// <summary>z * sigmoid(z) (SiLU, also called swish).</summary>
    Silu = 6,
    /// <summary>z for z &gt; 0, exp(z) - 1 otherwise (alpha 1).</summary>
    Elu = 7,
    /// <summary>z * tanh(softplus(z)).</summary>
    Mish = 8,
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
