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

/// <summary>Fashion-MNIST as images: two 3x3 convolutions with max pooling, then two dense layers.</summary>
[SoftModel(Channels = 1, Height = 28, Width = 28, Classes = 10)]
[Conv2D(32, 3, Activation.Relu, Padding = 1)]
[MaxPool2D(2)]
[Conv2D(64, 3, Activation.Relu, Padding = 1)]
[MaxPool2D(2)]
[Dense(128, Activation.Relu)]
[Dense(10)]
[SoftmaxCrossEntropy(LabelSmoothing = 0.1f)]
public partial class FashionCnn;
