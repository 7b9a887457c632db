using SoftGen;

namespace Classify;

/// <summary>The UCI digits: 8x8 images (64 pixel counts) in 10 classes, trained on label-smoothed targets.</summary>
[SoftModel(Inputs = 64, Classes = 10)]
[Dense(128, Activation.Relu)]
[Dense(10)]
[SoftmaxCrossEntropy(LabelSmoothing = 0.1f)]
public partial class DigitsMlp;

/// <summary>Fashion-MNIST: 28x28 images in 10 classes.</summary>
[SoftModel(Inputs = 784, Classes = 10)]
[Dense(512, Activation.Relu)]
[Dense(256, Activation.Relu)]
[Dense(10)]
[SoftmaxCrossEntropy(LabelSmoothing = 0.1f)]
public partial class FashionMlp;
