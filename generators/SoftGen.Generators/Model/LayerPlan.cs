namespace SoftGen.Generators.Model;

/// <summary>Everything the emitters need to know about one layer, derived from the spec (see <see cref="ModelPlan"/>).</summary>
/// <param name="Index">Position among all layers.</param>
/// <param name="ParameterIndex">
/// i in "layers.{i}.weight", counting the layers with parameters; -1 for the others. A residual block's projection
/// shortcut has two: its Conv2D's (this one) and its batch norm's (the next).
/// </param>
/// <param name="WeightOffset">Dense and Conv2D: the stored weight; BatchNorm and LayerNorm: gamma.</param>
/// <param name="BiasOffset">Dense and Conv2D: the bias (kept at 0 when the layer has none); norms: beta.</param>
/// <param name="StateOffset">BatchNorm: running_mean in the state storage, running_var one channel stride after it.</param>
/// <param name="Window">Conv2D and pools: the window (a pool's: its size, also its stride); null for the other layers.</param>
internal sealed record LayerPlan(int Index, LayerKind Kind, TensorPlan Input, TensorPlan Output, ActivationKind Activation,
    int ParameterIndex, int WeightOffset, int BiasOffset, ConvWindow? Window, float Rate)
{
    public bool HasParameters => ParameterIndex >= 0;

    /// <summary>The window's side, for the kernels written for square windows; only valid when <see cref="ConvWindow.IsSquare"/>.</summary>
    public int Kernel => SquareWindow.KernelWidth;

    /// <summary>The square window's stride (see <see cref="Kernel"/>).</summary>
    public int Stride => SquareWindow.StrideWidth;

    /// <summary>The square window's padding (see <see cref="Kernel"/>).</summary>
    public int Padding => SquareWindow.PaddingWidth;

    private ConvWindow SquareWindow => Window is { IsSquare: true } w
        ? w
        : throw new System.InvalidOperationException("Layer " + Index + " (" + Kind + ") has no square window: read Window instead.");

    /// <summary>
    /// A Conv2D whose every filter sees one input channel of its own (groups = in channels = filters), on a stored
    /// input whose channel stride is a whole number of vectors: it runs as a direct depthwise kernel over a compact
    /// weight [taps, OutStride] instead of a GEMM.
    /// </summary>
    public bool IsDepthwise => Kind == LayerKind.Conv2D && Window is { Groups: > 1 } w && w.Groups == Input.Channels
        && Output.Channels == Input.Channels && Input.ChannelStride == Output.ChannelStride && Input.ChannelStride % Shapes.Lanes == 0;

    /// <summary>Squeeze-excitation: the squeeze width (channels / reduction).</summary>
    public int Squeeze { get; init; }

    /// <summary>Squeeze-excitation: the squeeze width padded to a whole number of vectors.</summary>
    public int SqueezeStride => Shapes.Padded(Squeeze);

    /// <summary>GeM: the initial (or fixed) exponent.</summary>
    public float P { get; init; }

    /// <summary>GeM: true when p is a parameter.</summary>
    public bool Learnable { get; init; }

    /// <summary>Dense and Conv2D: false when declared Bias = false (the bias storage then stays 0 and is not a parameter).</summary>
    public bool Bias { get; init; } = true;

    /// <summary>BatchNorm: the momentum of the running statistics.</summary>
    public float Momentum { get; init; }

    /// <summary>BatchNorm and LayerNorm: the epsilon added to the variance.</summary>
    public float Epsilon { get; init; }

    public int StateOffset { get; init; } = -1;

    /// <summary>ResidualEnd: the index of the block's first layer (its input is the shortcut's input).</summary>
    public int BlockStart { get; init; } = -1;

    /// <summary>ResidualEnd whose block changes the shape: the 1x1 Conv2D and batch norm on the shortcut; null otherwise.</summary>
    public ProjectionPlan? Projection { get; init; }

    /// <summary>
    /// True for a Dense or Conv2D that a BatchNorm follows directly while the layer applies no activation itself: in
    /// prediction the batch norm is folded into its weights and the two run as one GEMM.
    /// </summary>
    public bool FoldsNext { get; init; }

    /// <summary>
    /// True for a BatchNorm without activation that ends a residual block: in training its pass adds the shortcut and
    /// applies the block's activation, writing the block's output (the ResidualEnd runs no pass of its own).
    /// </summary>
    public bool AddsResidual { get; init; }

    /// <summary>True for the last layer of a residual block (the next layer is its ResidualEnd).</summary>
    public bool EndsBlock { get; init; }

    public bool IsNorm => Kind is LayerKind.BatchNorm or LayerKind.LayerNorm;

    /// <summary>True for the layers that apply a declared activation.</summary>
    public bool HasActivation => Kind is LayerKind.Dense or LayerKind.Conv2D or LayerKind.BatchNorm or LayerKind.LayerNorm or LayerKind.ResidualEnd;

    /// <summary>True for a pooling window (max or average), whose Window is its size.</summary>
    public bool IsPool => Kind is LayerKind.MaxPool2D or LayerKind.AvgPool2D;

    /// <summary>The activation the layer applies: none for the layers without one (pools, dropout).</summary>
    public ActivationKind AppliedActivation => HasActivation ? Activation : ActivationKind.None;

    /// <summary>
    /// True when both backends keep the pre-activation Z for the backward pass: GELU's, SiLU's and Mish's derivatives
    /// need Z, the other activations' derivatives are computed from their output A.
    /// </summary>
    public bool KeepsPreActivation => NeedsPreActivation(AppliedActivation);

    /// <summary>True for an activation whose derivative is computed from Z rather than from A (GELU, SiLU, Mish).</summary>
    public static bool NeedsPreActivation(ActivationKind activation) =>
        activation is ActivationKind.Gelu or ActivationKind.Silu or ActivationKind.Mish;

    /// <summary>Dense: the GEMM depth (real inputs of a flat row; the whole stored row after an image).</summary>
    public int In => Kind == LayerKind.Dense && !Input.Spatial ? Input.Channels : Input.RowLength;

    public int InStride => Input.RowLength;

    public int Out => Output.Channels;

    public int OutStride => Output.ChannelStride;

    /// <summary>Conv2D and pools: kernel (window) positions.</summary>
    public int Taps => Window?.Taps ?? 1;

    /// <summary>Conv2D: the channel groups (1 for a plain convolution).</summary>
    public int Groups => Window?.Groups ?? 1;

    /// <summary>Rows of the stored (transposed) weight: the GEMM depth; a depthwise convolution's taps.</summary>
    public int Depth => Kind == LayerKind.Conv2D ? (IsDepthwise ? Taps : Taps * Input.ChannelStride) : In;

    public int WeightLength => Depth * OutStride;

    /// <summary>PyTorch's weight shape [out, in] or [out, in / groups, kh, kw] in its fan-in: the columns of the weight.</summary>
    public int FanIn => Kind == LayerKind.Conv2D ? Input.Channels / Groups * Taps : Input.Real;

    /// <summary>Squeeze-excitation: floats of its four tensors (reduce weight and bias, expand weight and bias).</summary>
    public int SqueezeExcitationLength => 2 * Input.ChannelStride * SqueezeStride + SqueezeStride + Input.ChannelStride;

    /// <summary>Trainable values (PyTorch's numel), the projection shortcut's included.</summary>
    public int ParameterCount => Kind switch
    {
        LayerKind.Dense or LayerKind.Conv2D => Out * FanIn + (Bias ? Out : 0),
        LayerKind.BatchNorm or LayerKind.LayerNorm => 2 * Out,
        LayerKind.ResidualEnd when Projection is { } p => Out * p.Input.Channels + 2 * Out,
        LayerKind.SqueezeExcitation => 2 * Out * Squeeze + Squeeze + Out,
        LayerKind.GemPool => Learnable ? 1 : 0,
        _ => 0,
    };

    /// <summary>Floats of parameter storage (weight then bias; gamma then beta), in long so that an oversized model can be rejected.</summary>
    public long StorageLength => Kind switch
    {
        LayerKind.Dense or LayerKind.Conv2D => (long)Depth * OutStride + OutStride,
        LayerKind.BatchNorm or LayerKind.LayerNorm => 2L * OutStride,
        LayerKind.ResidualEnd when Projection is { } p => (long)p.Input.ChannelStride * OutStride + 3L * OutStride,
        LayerKind.SqueezeExcitation => SqueezeExcitationLength,
        LayerKind.GemPool => Learnable ? Shapes.Lanes : 0,
        _ => 0,
    };

    /// <summary>Floats of running-statistics storage: a BatchNorm's (or a projection's) running mean and variance.</summary>
    public int StateLength => Kind == LayerKind.BatchNorm || Projection is not null ? 2 * OutStride : 0;
}

/// <summary>
/// The shortcut of a residual block whose output differs from its input in channels or size: a 1x1 Conv2D with the
/// block's total stride and no bias (its bias storage stays 0), then a batch norm with PyTorch's default momentum and
/// epsilon (torchvision's downsample).
/// </summary>
/// <param name="Input">The block's input.</param>
/// <param name="Output">The shortcut's output: the block's output shape.</param>
/// <param name="WeightOffset">The Conv2D's weight [InChannelStride, OutStride]; its (zero) bias at BiasOffset.</param>
/// <param name="NormWeightOffset">The batch norm's gamma; beta at NormBiasOffset.</param>
/// <param name="StateOffset">The batch norm's running mean; the running variance one channel stride after it.</param>
internal sealed record ProjectionPlan(TensorPlan Input, TensorPlan Output, int StrideHeight, int StrideWidth, int WeightOffset, int BiasOffset,
    int NormWeightOffset, int NormBiasOffset, int StateOffset)
{
    /// <summary>The 1x1 convolution's window.</summary>
    public ConvWindow Window => new(1, 1, StrideHeight, StrideWidth, 0, 0);

    /// <summary>"2" for the same stride both ways (and for signals, which have one axis), "1x2" otherwise.</summary>
    public string StrideText => StrideHeight == StrideWidth || Input.Signal ? StrideWidth.ToString(System.Globalization.CultureInfo.InvariantCulture) : StrideHeight + "x" + StrideWidth;

    public const float Momentum = 0.1f;
    public const float Epsilon = 1e-5f;
}
