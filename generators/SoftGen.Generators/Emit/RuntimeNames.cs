using System;
using System.Globalization;
using SoftGen.Generators.Model;

namespace SoftGen.Generators.Emit;

/// <summary>
/// The runtime names the emitted code uses for the spec's enums, and the initialisation gains: every place where the
/// generator and the runtime agree on a name. RuntimeNamesTests resolves each name against the SoftGen assembly.
/// </summary>
internal static class RuntimeNames
{
    private const string Cpu = "global::SoftGen.Cpu.";
    private const string Training = "global::SoftGen.Training.";

    /// <summary>The runtime struct implementing SoftGen.Cpu.IActivation.</summary>
    public static string ActivationType(ActivationKind activation) => activation switch
    {
        ActivationKind.None => Cpu + "Identity",
        ActivationKind.Relu => Cpu + "Relu",
        ActivationKind.LeakyRelu => Cpu + "LeakyRelu",
        ActivationKind.Tanh => Cpu + "Tanh",
        ActivationKind.Sigmoid => Cpu + "Sigmoid",
        ActivationKind.Gelu => Cpu + "Gelu",
        ActivationKind.Silu => Cpu + "Silu",
        ActivationKind.Elu => Cpu + "Elu",
        ActivationKind.Mish => Cpu + "Mish",
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };

    /// <summary>The SoftGen.Training.LossKind member.</summary>
    public static string LossKind(LossKindSpec loss) => loss switch
    {
        LossKindSpec.SoftmaxCrossEntropy => Training + "LossKind.SoftmaxCrossEntropy",
        LossKindSpec.KLDivergence => Training + "LossKind.KLDivergence",
        LossKindSpec.SigmoidCrossEntropy => Training + "LossKind.SigmoidCrossEntropy",
        _ => throw new ArgumentOutOfRangeException(nameof(loss), loss, null),
    };

    /// <summary>The SoftGen.Activation member (the same names and values, TwinEnumTests).</summary>
    public static string Activation(ActivationKind activation) => activation switch
    {
        ActivationKind.None or ActivationKind.Relu or ActivationKind.LeakyRelu or ActivationKind.Tanh or ActivationKind.Sigmoid
            or ActivationKind.Gelu or ActivationKind.Silu or ActivationKind.Elu or ActivationKind.Mish => "global::SoftGen.Activation." + activation,
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };

    /// <summary>The SoftGen.Training.LayerKind member: the 2-D and 1-D attributes share one.</summary>
    public static string LayerKind(Model.LayerKind kind) => kind switch
    {
        Model.LayerKind.Dense => Training + "LayerKind.Dense",
        Model.LayerKind.Conv2D => Training + "LayerKind.Conv",
        Model.LayerKind.MaxPool2D => Training + "LayerKind.MaxPool",
        Model.LayerKind.AvgPool2D => Training + "LayerKind.AvgPool",
        Model.LayerKind.GlobalAveragePool => Training + "LayerKind.GlobalAveragePool",
        Model.LayerKind.Dropout => Training + "LayerKind.Dropout",
        Model.LayerKind.BatchNorm => Training + "LayerKind.BatchNorm",
        Model.LayerKind.LayerNorm => Training + "LayerKind.LayerNorm",
        Model.LayerKind.ResidualEnd => Training + "LayerKind.ResidualEnd",
        Model.LayerKind.SqueezeExcitation => Training + "LayerKind.SqueezeExcitation",
        Model.LayerKind.GemPool => Training + "LayerKind.GemPool",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>The SoftGen.Training.ParameterInit member.</summary>
    public static string ParameterInit(ParameterInitSpec init) => init switch
    {
        ParameterInitSpec.Zeros => Training + "ParameterInit.Zeros",
        ParameterInitSpec.KaimingUniform => Training + "ParameterInit.KaimingUniform",
        ParameterInitSpec.GlorotUniform => Training + "ParameterInit.GlorotUniform",
        ParameterInitSpec.Ones => Training + "ParameterInit.Ones",
        ParameterInitSpec.Constant => Training + "ParameterInit.Constant",
        _ => throw new ArgumentOutOfRangeException(nameof(init), init, null),
    };

    // Gains of PyTorch's torch.nn.init.calculate_gain: He (Kaiming) before rectifiers, Glorot before saturating or
    // linear outputs. GELU, SiLU, ELU and Mish,
    // smooth rectifiers that calculate_gain does not list, take ReLU's gain.

    /// <summary>calculate_gain("relu") = sqrt(2).</summary>
    public static readonly double ReluGain = Math.Sqrt(2.0);

    /// <summary>calculate_gain("leaky_relu", 0.01) = sqrt(2 / (1 + 0.01^2)), with PyTorch's default negative slope.</summary>
    public static readonly double LeakyReluGain = Math.Sqrt(2.0 / (1.0 + 0.01 * 0.01));

    /// <summary>calculate_gain("tanh") = 5 / 3.</summary>
    public static readonly double TanhGain = 5.0 / 3.0;

    /// <summary>calculate_gain("linear") and ("sigmoid") = 1.</summary>
    public static readonly double LinearGain = 1.0;

    /// <summary>The initialisation of a weight before <paramref name="activation"/>.</summary>
    public static (ParameterInitSpec Init, double Gain) Initialization(ActivationKind activation) => activation switch
    {
        ActivationKind.Relu or ActivationKind.Gelu or ActivationKind.Silu or ActivationKind.Elu or ActivationKind.Mish => (ParameterInitSpec.KaimingUniform, ReluGain),
        ActivationKind.LeakyRelu => (ParameterInitSpec.KaimingUniform, LeakyReluGain),
        ActivationKind.Tanh => (ParameterInitSpec.GlorotUniform, TanhGain),
        _ => (ParameterInitSpec.GlorotUniform, LinearGain),
    };

    /// <summary>A gain as a float literal: nine significant digits round-trip every float ("1.41421354f").</summary>
    public static string Gain(double gain) => ((float)gain).ToString("G9", CultureInfo.InvariantCulture) + "f";
}
