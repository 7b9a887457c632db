namespace SoftGen.Generators.Model;

/// <summary>Everything the emitters need to know about one layer, derived from the spec (see <see cref="ModelPlan"/>).</summary>
/// <param name="Index">Position among all layers.</param>
/// <param name="ParameterIndex">i in "layers.{i}.weight", counting the layers with parameters; -1 for the others.</param>
internal sealed record LayerPlan(int Index, LayerKind Kind, TensorPlan Input, TensorPlan Output, ActivationKind Activation,
    int ParameterIndex, int WeightOffset, int BiasOffset, int Kernel, int Stride, int Padding, float Rate)
{
    public bool HasParameters => ParameterIndex >= 0;

    /// <summary>The activation the layer applies: none for the layers without parameters.</summary>
    public ActivationKind AppliedActivation => HasParameters ? Activation : ActivationKind.None;

    /// <summary>
    /// True when both backends keep the pre-activation Z for the backward pass: GELU's derivative needs Z, the other
    /// activations' derivatives are computed from their output A.
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

    /// <summary>Conv2D: kernel positions.</summary>
    public int Taps => Kernel * Kernel;

    /// <summary>Rows of the stored (transposed) weight: the GEMM depth.</summary>
    public int Depth => Kind == LayerKind.Conv2D ? Taps * Input.ChannelStride : In;

    public int WeightLength => Depth * OutStride;

    /// <summary>PyTorch's weight shape [out, in] or [out, in, k, k] in its fan-in: the columns of the weight.</summary>
    public int FanIn => Kind == LayerKind.Conv2D ? Input.Channels * Taps : Input.Real;

    public int ParameterCount => HasParameters ? Out * FanIn + Out : 0;

    /// <summary>Floats of parameter storage (the weight, then the bias), in long so that an oversized model can be rejected.</summary>
    public long StorageLength => HasParameters
        ? (Kind == LayerKind.Conv2D ? (long)Kernel * Kernel * Input.ChannelStride : In) * OutStride + OutStride
        : 0;
}
