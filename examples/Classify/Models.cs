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

/// <summary>
/// Fashion-MNIST with a small ResNet: a 3x3 stem with batch norm, then three stages of one basic block each (two 3x3
/// convolutions with batch norm, ReLU between and after the add) at 16, 32 and 64 filters, the last two with stride 2
/// and a 1x1 projection shortcut; global average pooling; one Dense layer.
/// </summary>
[SoftModel(Channels = 1, Height = 28, Width = 28, Classes = 10)]
[Conv2D(16, 3, Padding = 1, Bias = false)]
[BatchNorm(Activation.Relu)]
[Residual]
[Conv2D(16, 3, Padding = 1, Bias = false)]
[BatchNorm(Activation.Relu)]
[Conv2D(16, 3, Padding = 1, Bias = false)]
[BatchNorm]
[EndResidual(Activation.Relu)]
[Residual]
[Conv2D(32, 3, Stride = 2, Padding = 1, Bias = false)]
[BatchNorm(Activation.Relu)]
[Conv2D(32, 3, Padding = 1, Bias = false)]
[BatchNorm]
[EndResidual(Activation.Relu)]
[Residual]
[Conv2D(64, 3, Stride = 2, Padding = 1, Bias = false)]
[BatchNorm(Activation.Relu)]
[Conv2D(64, 3, Padding = 1, Bias = false)]
[BatchNorm]
[EndResidual(Activation.Relu)]
[GlobalAveragePool]
[Dense(10)]
[SoftmaxCrossEntropy(LabelSmoothing = 0.1f)]
public partial class FashionResNet;
