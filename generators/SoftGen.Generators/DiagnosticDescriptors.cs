using Microsoft.CodeAnalysis;

namespace SoftGen.Generators;

/// <summary>
/// Every diagnostic SoftGen reports. Ids are stable; the README's table lists them, and each has a test.
/// All are errors: an invalid declaration must not compile into a trainer that cannot work.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "SoftGen";
    private const string HelpLink = "https://github.com/softgen/softgen#diagnostics";

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true,
            helpLinkUri: HelpLink, customTags: WellKnownDiagnosticTags.NotConfigurable);

    public static readonly DiagnosticDescriptor ClassNotPartial = Error("SG0001",
        "Model class must be partial",
        "Model class '{0}' must be declared 'partial' so that SoftGen can add its trainer");

    public static readonly DiagnosticDescriptor InputsNotPositive = Error("SG0002",
        "Inputs must be positive",
        "[SoftModel] needs Inputs = the number of features per row, at least 1; found {0}");

    public static readonly DiagnosticDescriptor NoLayers = Error("SG0003",
        "Model has no layers",
        "Model '{0}' declares no layers; add at least one [Dense(width)], the last with one unit per class");

    public static readonly DiagnosticDescriptor WidthNotPositive = Error("SG0004",
        "Layer width must be positive",
        "Dense layer {0} has width {1}; a layer needs at least 1 unit");

    public static readonly DiagnosticDescriptor NoLoss = Error("SG0005",
        "Model has no loss",
        "Model '{0}' declares no loss; add one of [SoftmaxCrossEntropy], [KLDivergence] or [SigmoidCrossEntropy]");

    public static readonly DiagnosticDescriptor MultipleLosses = Error("SG0006",
        "Model has more than one loss",
        "Model '{0}' declares a second loss [{1}] after [{2}]; keep exactly one loss attribute");

    public static readonly DiagnosticDescriptor ClassCountMismatch = Error("SG0007",
        "Last layer width differs from the class count",
        "The last {2} {0}, but [SoftModel] says Classes = {1}; the last layer needs one unit per class");

    public static readonly DiagnosticDescriptor LabelSmoothingOutOfRange = Error("SG0008",
        "Label smoothing out of range",
        "LabelSmoothing must be in [0, 1); found {0}");

    public static readonly DiagnosticDescriptor TemperatureNotPositive = Error("SG0009",
        "Temperature must be positive",
        "Temperature must be a positive, finite number (1 = no distillation temperature); found {0}");

    public static readonly DiagnosticDescriptor ActivationBeforeLoss = Error("SG0010",
        "Activation on the logits",
        "The last {3} layer has Activation.{0}, but [{1}] applies its own {2} to the logits; use Activation.None on the last layer");

    public static readonly DiagnosticDescriptor TooFewClasses = Error("SG0011",
        "Softmax over one class",
        "[{0}] needs at least 2 classes, but the last {1} 1; use [SigmoidCrossEntropy] for one binary output");

    public static readonly DiagnosticDescriptor GenericModel = Error("SG0012",
        "Model class must not be generic",
        "Model class '{0}' is generic; a model's shapes are fixed at compile time, so declare it without type parameters");

    public static readonly DiagnosticDescriptor ContainingTypeNotPartial = Error("SG0013",
        "Containing type must be partial",
        "Model class '{0}' is nested in '{1}', which must also be declared 'partial'");

    public static readonly DiagnosticDescriptor UnknownActivation = Error("SG0014",
        "Unknown activation",
        "Activation value {0} is not a member of SoftGen.Activation; use None, Relu, LeakyRelu, Tanh, Sigmoid, Gelu, Silu, Elu or Mish");

    public static readonly DiagnosticDescriptor LayerWithoutModel = Error("SG0015",
        "Layer or loss without [SoftModel]",
        "'{0}' has [{1}] but no [SoftModel]; add [SoftModel(Inputs = ...)] to declare the model");

    public static readonly DiagnosticDescriptor ModelTooLarge = Error("SG0016",
        "Model too large",
        "Model '{0}' needs {1} floats of parameter storage, more than the limit of 2^31 - 64; make the layers narrower");

    public static readonly DiagnosticDescriptor ImageShapeNotPositive = Error("SG0017",
        "Image shape must be positive",
        "[SoftModel] declares an image model, which needs Channels, Height and Width of at least 1 each; found Channels = {0}, Height = {1}, Width = {2}");

    public static readonly DiagnosticDescriptor InputsAndImageShape = Error("SG0018",
        "Inputs and image shape both given",
        "[SoftModel] gives both Inputs = {0} and an image shape; give Inputs for rows of features, or Channels, Height and Width for images, not both");

    public static readonly DiagnosticDescriptor ConvArgumentOutOfRange = Error("SG0019",
        "Convolution argument out of range",
        "{0} layer {1} has {2} = {3}; {4}");

    public static readonly DiagnosticDescriptor KernelLargerThanInput = Error("SG0020",
        "Kernel larger than its input",
        "{0} layer {1} has a kernel spanning {2}, larger than its {3} input with its padding of {4}; use a smaller kernel, less dilation or more padding");

    public static readonly DiagnosticDescriptor PoolSizeInvalid = Error("SG0021",
        "Pool size does not divide the input",
        "{0} layer {1} has size {2}; the size must be at least 1 and divide the input's {3} ({4})");

    public static readonly DiagnosticDescriptor SpatialLayerOnFlatInput = Error("SG0022",
        "Spatial layer on a flat input",
        "{0} layer {1} needs an image or a signal, but its input is a row of {2} features; convolution, pooling and squeeze-excitation layers come before any Dense, GlobalAveragePool or GemPool, in a model declared with [SoftModel(Channels = c, Height = h, Width = w)] or [SoftModel(Channels = c, Length = n)]");

    public static readonly DiagnosticDescriptor DropoutRateOutOfRange = Error("SG0023",
        "Dropout rate out of range",
        "Dropout layer {0} has rate {1}; the rate must be in [0, 1)");

    public static readonly DiagnosticDescriptor LastLayerWithoutParameters = Error("SG0024",
        "Last layer does not compute logits",
        "The last layer is [{0}]; the logits must come from a Dense or Conv2D layer, so end the model with one");

    public static readonly DiagnosticDescriptor BatchNormPlacement = Error("SG0025",
        "BatchNorm after a layer it cannot normalise",
        "BatchNorm layer {0} follows {1}; put [BatchNorm] right after a Conv2D (per channel, BatchNorm2d) or a Dense layer (per feature, BatchNorm1d)");

    public static readonly DiagnosticDescriptor LayerNormPlacement = Error("SG0026",
        "LayerNorm after a layer it cannot normalise",
        "LayerNorm layer {0} follows {1}; put [LayerNorm] right after a Dense layer, whose features it normalises");

    public static readonly DiagnosticDescriptor NormArgumentOutOfRange = Error("SG0027",
        "Normalisation argument out of range",
        "{0} layer {1} has {2} = {3}; {4}");

    public static readonly DiagnosticDescriptor ResidualNested = Error("SG0028",
        "Residual blocks do not nest",
        "[Residual] before layer {0} opens a block inside the block opened before layer {1}; close that one with [EndResidual] first");

    public static readonly DiagnosticDescriptor EndResidualWithoutResidual = Error("SG0029",
        "EndResidual without Residual",
        "[EndResidual] after layer {0} closes no block; open one with [Residual] before the block's first layer");

    public static readonly DiagnosticDescriptor ResidualEmpty = Error("SG0030",
        "Empty residual block",
        "[EndResidual] at layer {0} closes a block with no layers; put the block's layers between [Residual] and [EndResidual]");

    public static readonly DiagnosticDescriptor ResidualShortcutMismatch = Error("SG0031",
        "Residual shortcut cannot match the block",
        "The residual block of layers {0} to {1} cannot be added to its shortcut: {2}");

    public static readonly DiagnosticDescriptor ResidualNotClosed = Error("SG0032",
        "Residual block not closed",
        "[Residual] before layer {0} opens a block that no [EndResidual] closes; add [EndResidual] after the block's last layer");

    public static readonly DiagnosticDescriptor SignalShapeInvalid = Error("SG0033",
        "Signal shape invalid",
        "[SoftModel] declares a signal model with Channels = {0} and Length = {1}; {2}");

    public static readonly DiagnosticDescriptor LayerDimensionMismatch = Error("SG0034",
        "1-D and 2-D layers mixed",
        "{0} layer {1} works on {2}, but {3}; use {4} instead");

    public static readonly DiagnosticDescriptor GroupsInvalid = Error("SG0035",
        "Groups do not divide the channels",
        "{0} layer {1} has Groups = {2}; the groups must be at least 1 and divide both its {3} input channels and its {4} filters");

    public static readonly DiagnosticDescriptor SqueezeExcitationReductionInvalid = Error("SG0036",
        "Squeeze-excitation reduction out of range",
        "SqueezeExcitation layer {0} has reduction {1} on {2} channels; the reduction must be at least 1 and at most the channel count, so that the squeeze keeps at least one channel");

    public static readonly DiagnosticDescriptor GemPoolArgumentOutOfRange = Error("SG0037",
        "GemPool argument out of range",
        "GemPool layer {0} has {1} = {2}; it must be a positive, finite number");

    public static readonly DiagnosticDescriptor ChannelLayerOnInput = Error("SG0038",
        "Channel layer on the model's input",
        "{0} layer {1} would read the model's input as it arrives; put a convolution (or a Dense layer) before it, whose output it then works on");
}
