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
    EquatableArray<DenseLayerSpec> Layers,
    LossSpec Loss)
{
    public int Classes => Layers[Layers.Count - 1].Width;

    public string FullName => (Namespace is null ? "" : Namespace + ".")
        + string.Concat(System.Linq.Enumerable.Select(ContainingTypes, t => t.Name + ".")) + ClassName;
}

/// <summary>A type the model class is nested in, e.g. "partial class Outer".</summary>
internal sealed record ContainingTypeSpec(string Keyword, string Name);

/// <summary>Activation names, the same members as SoftGen.Activation.</summary>
internal enum ActivationKind
{
    None = 0,
    Relu = 1,
    LeakyRelu = 2,
    Tanh = 3,
    Sigmoid = 4,
    Gelu = 5,
}

internal sealed record DenseLayerSpec(int Width, ActivationKind Activation);

internal enum LossKindSpec
{
    SoftmaxCrossEntropy,
    KLDivergence,
    SigmoidCrossEntropy,
}

internal sealed record LossSpec(LossKindSpec Kind, float LabelSmoothing, float Temperature);
