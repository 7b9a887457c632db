namespace SoftGen.Training;

/// <summary>What a declared layer does (<see cref="LayerInfo.Kind"/>); Conv and the pools cover the 1-D attributes too.</summary>
public enum LayerKind
{
    /// <summary>torch.nn.Linear. On an image or signal it reads the row flattened in PyTorch's C, H, W order (nn.Flatten).</summary>
    Dense,
    /// <summary>torch.nn.Conv2d, or Conv1d on a signal.</summary>
    Conv,
    /// <summary>torch.nn.MaxPool2d(size) (MaxPool1d on a signal): non-overlapping windows; the size divides the input.</summary>
    MaxPool,
    /// <summary>torch.nn.AvgPool2d(size) (AvgPool1d on a signal): non-overlapping windows; the size divides the input.</summary>
    AvgPool,
    /// <summary>Each channel's mean over all positions: an image or signal [C, ...] to a flat row [C].</summary>
    GlobalAveragePool,
    /// <summary>Inverted dropout (torch.nn.Dropout): identity in prediction.</summary>
    Dropout,
    /// <summary>BatchNorm2d after a Conv (BatchNorm1d after a Dense or on a signal), then the layer's activation.</summary>
    BatchNorm,
    /// <summary>LayerNorm(width) of a flat row (it always follows a Dense): over its features, biased variance, then the activation.</summary>
    LayerNorm,
    /// <summary>act(block(x) + shortcut(x)): x is the input of layer <see cref="LayerInfo.BlockStart"/>, this layer's input is block(x).</summary>
    ResidualEnd,
    /// <summary>
    /// s = each channel's mean over the positions, g = sigmoid(expand(silu(reduce(s)))), out = x g per channel;
    /// reduce = Linear(C, Squeeze) and expand = Linear(Squeeze, C), parameters "{prefix}.reduce.weight" and so on.
    /// </summary>
    SqueezeExcitation,
    /// <summary>out_c = (mean over positions of max(x, Epsilon)^p)^(1/p): an image or signal [C, ...] to a flat row [C].</summary>
    GemPool,
}

/// <summary>
/// A tensor of one row: a flat row (Spatial false: Channels = its width, Height = Width = 1), an image [C, H, W]
/// (PyTorch NCHW order, Spatial true) or a signal [C, L] (Spatial and Signal true, Height 1, Width = L).
/// </summary>
public readonly record struct TensorShape(int Channels, int Height, int Width, bool Spatial, bool Signal)
{
    /// <summary>A flat row of <paramref name="width"/> values.</summary>
    public static TensorShape Flat(int width) => new(width, 1, 1, false, false);

    /// <summary>An image [channels, height, width].</summary>
    public static TensorShape Image(int channels, int height, int width) => new(channels, height, width, true, false);

    /// <summary>A signal [channels, length].</summary>
    public static TensorShape Sequence(int channels, int length) => new(channels, 1, length, true, true);

    /// <summary>Values per row: PyTorch's numel per sample.</summary>
    public int Length => Channels * Height * Width;
}

/// <summary>
/// A convolution's or pool's window, per axis (a signal's height values are 1 / 0): PyTorch's kernel_size, stride,
/// padding (zeros, both sides), dilation and groups. A pool's stride is its size and its padding 0.
/// </summary>
public sealed record LayerWindow(int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth, int PaddingHeight, int PaddingWidth,
    int DilationHeight = 1, int DilationWidth = 1, int Groups = 1);

/// <summary>
/// One declared layer, in declaration order (Index 0, 1, ...; a [Residual] marker is not a layer). Output is the
/// next layer's Input, except that a ResidualEnd's Input and Output are both its block's output shape. Layer 0's
/// Input is the model's declared input (also when it is a Dense that reads an image or signal row as it is, flattened).
/// </summary>
/// <remarks>
/// Activation: the activation the layer applies after its own operation (Dense, Conv, BatchNorm, LayerNorm: after the
/// norm; ResidualEnd: after the add), <see cref="SoftGen.Activation.None"/> otherwise. A Conv's output size per axis is
/// (in + 2 pad - dilation (kernel - 1) - 1) / stride + 1, rounded down.
/// </remarks>
public sealed record LayerInfo(int Index, LayerKind Kind, SoftGen.Activation Activation, TensorShape Input, TensorShape Output)
{
    /// <summary>
    /// "layers.{Index}": a name unique among the layers. It is NOT the state_dict prefix when a layer without
    /// parameters comes earlier: see <see cref="ParameterPrefix"/>.
    /// </summary>
    public string Name => "layers." + Index;

    /// <summary>
    /// i of the state_dict names "layers.{i}.weight" etc.: the layers with parameters (Dense, Conv, BatchNorm, LayerNorm,
    /// SqueezeExcitation, a learnable GemPool, a projecting ResidualEnd) numbered in order; -1 for the others. A
    /// projecting ResidualEnd takes two: its 1x1 Conv's (this) and its BatchNorm's (this + 1, with the running buffers).
    /// </summary>
    public int ParameterIndex { get; init; } = -1;

    /// <summary>"layers.{ParameterIndex}", the prefix of the layer's tensors in ModelInfo.Parameters and Buffers; null without parameters.</summary>
    public string? ParameterPrefix => ParameterIndex >= 0 ? "layers." + ParameterIndex : null;

    /// <summary>Conv, MaxPool, AvgPool: the window; a grouped Conv's Groups (depthwise when Groups = in = out channels).</summary>
    public LayerWindow? Window { get; init; }

    /// <summary>Dense, Conv: false when declared Bias = false (then there is no "{prefix}.bias" parameter).</summary>
    public bool Bias { get; init; } = true;

    /// <summary>Dropout: the probability of zeroing a value.</summary>
    public float Rate { get; init; }

    /// <summary>
    /// BatchNorm, LayerNorm: added to the (biased) variance inside the square root; GemPool: the floor max(x, Epsilon)
    /// before the power.
    /// </summary>
    public float Epsilon { get; init; }

    /// <summary>BatchNorm: PyTorch's momentum of the running statistics.</summary>
    public float Momentum { get; init; }

    /// <summary>ResidualEnd: the block's first layer; the shortcut is that layer's input.</summary>
    public int BlockStart { get; init; } = -1;

    /// <summary>
    /// ResidualEnd: the shortcut's 1x1 conv window (its stride, the product of the block's strides) when it projects,
    /// null for identity. The projection is torchvision's downsample: Conv (no bias, "{prefix}.weight") then
    /// BatchNorm (momentum 0.1, epsilon 1e-5, "layers.{ParameterIndex + 1}.*"), no activation before the add.
    /// </summary>
    public LayerWindow? Projection { get; init; }

    /// <summary>SqueezeExcitation: the reduced width (channels / reduction, rounded down).</summary>
    public int Squeeze { get; init; }

    /// <summary>GemPool: p's declared start value (a learnable p is the parameter "{prefix}.p", shape [1]).</summary>
    public float P { get; init; }

    /// <summary>GemPool: true when p is a parameter; otherwise p stays <see cref="P"/>.</summary>
    public bool Learnable { get; init; }
}
