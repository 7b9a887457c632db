namespace SoftGen.Generators.Model;

// The spec is what the emitters see: plain, equatable records with no Roslyn symbols, so that the
// incremental pipeline re-emits only when a declaration really changes. They must stay immutable.

/// <summary>One declared model, valid (the parser reports diagnostics instead of producing an invalid spec).</summary>
internal sealed record ModelSpec(
    string? Namespace,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    string ClassName,
    string Accessibility,
    int Inputs,
    ImageSpec? Image,
    EquatableArray<LayerSpec> Layers,
    LossSpec Loss)
{
    /// <summary>The class count: the last layer's width (Dense) or filter count (Conv2D).</summary>
    public int Classes => Layers[Layers.Count - 1].Units;

    /// <summary>True when the last layer is a Conv2D: the loss applies at every pixel of its output.</summary>
    public bool PerPixel => Layers[Layers.Count - 1].Kind == LayerKind.Conv2D;

    /// <summary>True when a Dropout layer makes training and prediction differ.</summary>
    public bool HasDropout => System.Linq.Enumerable.Any(Layers, l => l.Kind == LayerKind.Dropout);


    public string FullName => (Namespace is null ? "" : Namespace + ".")
        + string.Concat(System.Linq.Enumerable.Select(ContainingTypes, t => t.Name + ".")) + ClassName;
}

/// <summary>A type the model class is nested in, e.g. "partial class Outer".</summary>
internal sealed record ContainingTypeSpec(string Keyword, string Name);

/// <summary>Activation names, the same members and values as SoftGen.Activation (TwinEnumTests).</summary>
internal enum ActivationKind
{
    None = 0,
    Relu = 1,
    LeakyRelu = 2,
    Tanh = 3,
    Sigmoid = 4,
    Gelu = 5,
    Silu = 6,
    Elu = 7,
    Mish = 8,
}

/// <summary>
/// An image input: [Channels, Height, Width] per row (NCHW); or a signal, [Channels, Length] per row (NCL), held as an
/// image of height 1 (Signal true, Width = Length).
/// </summary>
internal sealed record ImageSpec(int Channels, int Height, int Width, bool Signal = false);

internal enum LayerKind
{
    Dense,
    Conv2D,
    MaxPool2D,
    AvgPool2D,
    GlobalAveragePool,
    Dropout,
    BatchNorm,
    LayerNorm,
    /// <summary>[EndResidual]: act(block(x) + shortcut(x)), the block being the layers from BlockStart on.</summary>
    ResidualEnd,
    /// <summary>x * sigmoid(expand(silu(reduce(mean of x over positions)))) per channel.</summary>
    SqueezeExcitation,
    /// <summary>(mean over positions of max(x, eps)^p)^(1/p) per channel: an image or signal to a row.</summary>
    GemPool,
}

/// <summary>
/// One declared layer. Units: the Dense width, the Conv2D (or Conv1D) filter count, a norm's or squeeze-excitation's
/// channels (0 for the others). Window: a convolution's or pool's window (a Conv1D's and 1-D pool's with height 1).
/// Rate: the dropout rate. Bias: false for a Dense or Conv2D declared Bias = false. Momentum and Epsilon: a norm
/// layer's (Epsilon also GeM's floor). BlockStart: for [EndResidual], the index of the block's first layer.
/// Reduction: squeeze-excitation's. P and Learnable: GeM's exponent and whether it trains.
/// </summary>
internal sealed record LayerSpec(LayerKind Kind, int Units, ActivationKind Activation, ConvWindow? Window = null, float Rate = 0f,
    bool Bias = true, float Momentum = 0f, float Epsilon = 0f, int BlockStart = -1, int Reduction = 0, float P = 0f, bool Learnable = false)
{
    /// <summary>True for the layers whose output can be the logits (and that a BatchNorm can follow).</summary>
    public bool IsAffine => Kind is LayerKind.Dense or LayerKind.Conv2D;

    public static LayerSpec Dense(int width, ActivationKind activation) => new(LayerKind.Dense, width, activation);
}

/// <summary>The loss, the same members and values as SoftGen.Training.LossKind, one per loss attribute (TwinEnumTests).</summary>
internal enum LossKindSpec
{
    SoftmaxCrossEntropy,
    KLDivergence,
    SigmoidCrossEntropy,
}

internal sealed record LossSpec(LossKindSpec Kind, float LabelSmoothing, float Temperature);
