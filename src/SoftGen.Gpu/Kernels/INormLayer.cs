namespace SoftGen.Gpu.Kernels;

/// <summary>
/// Where an element-wise layer's tensor lies, as constants of a struct type the generated program declares per layer
/// (see <see cref="IDenseLayer"/> for why a type): [rows, Pixels, Stride] floats, the first Channels of each pixel real
/// and the rest padding that the kernels keep 0. An image: Pixels = height x width, Stride = its channel stride; a
/// flat row (a Dense output, stored dense on the GPU): Pixels = 1, Stride = Channels.
/// </summary>
public interface ITensorLayout
{
    /// <summary>Real channels per pixel (features of a flat row).</summary>
    int Channels { get; }

    /// <summary>Floats per stored pixel.</summary>
    int Stride { get; }

    /// <summary>Pixels per row (1 for a flat row).</summary>
    int Pixels { get; }
}

/// <summary>A BatchNorm's or LayerNorm's tensor and where its gamma and beta sit in the flat parameter buffer (and their gradients in the gradient buffer).</summary>
public interface INormLayer : ITensorLayout
{
    /// <summary>Where gamma ([Channels], the layer's "weight") starts.</summary>
    int GammaOffset { get; }

    /// <summary>Where beta ([Channels], the layer's "bias") starts.</summary>
    int BetaOffset { get; }

    /// <summary>Added to the variance before its square root.</summary>
    float Epsilon { get; }
}

/// <summary>A BatchNorm's constants: its norm layer's, the running statistics' momentum and where they sit in the state buffer.</summary>
public interface IBatchNormLayer : INormLayer
{
    /// <summary>PyTorch's momentum m: running = (1 - m) running + m batch statistic.</summary>
    float Momentum { get; }

    /// <summary>Where running_mean ([Channels]) starts in the state buffer.</summary>
    int MeanOffset { get; }

    /// <summary>Where running_var ([Channels]) starts in the state buffer.</summary>
    int VarianceOffset { get; }
}
