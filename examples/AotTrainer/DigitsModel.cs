using SoftGen;

namespace AotTrainer;

/// <summary>The UCI digits (8x8 images, 64 pixel counts, 10 classes), trained on label-smoothed targets.</summary>
[SoftModel(Inputs = 64, Classes = 10)]
[Dense(128, Activation.Relu)]
[Dense(10)]
[SoftmaxCrossEntropy(LabelSmoothing = 0.1f)]
public partial class DigitsModel;
