using SoftGen;

namespace PackagingModels;

/// <summary>
/// The same declaration as examples/AotTrainer/DigitsModel.cs (so the same declaration hash): the tests load the
/// native executable's weights into it.
/// </summary>
[SoftModel(Inputs = 64, Classes = 10)]
[Dense(128, Activation.Relu)]
[Dense(10)]
[SoftmaxCrossEntropy(LabelSmoothing = 0.1f)]
public partial class DigitsTwin;
