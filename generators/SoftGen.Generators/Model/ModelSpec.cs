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

/// <summary>An image input: [Channels, Height, Width] per row (NCHW).</summary>
internal sealed record ImageSpec(int Channels, int Height, int Width);

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
}

/// <summary>
/// One declared layer. Units: the Dense width or the Conv2D filter count (0 for the others). Kernel: the Conv2D
/// kernel size or the pool size. Rate: the dropout rate. Bias: false for a Dense or Conv2D declared Bias = false.
/// Momentum and Epsilon: a norm layer's. BlockStart: for [EndResidual], the index of the block's first layer.
/// </summary>
internal sealed record LayerSpec(LayerKind Kind, int Units, ActivationKind Activation, int Kernel = 0, int Stride = 1, int Padding = 0, float Rate = 0f,
    bool Bias = true, float Momentum = 0f, float Epsilon = 0f, int BlockStart = -1)
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
