using SoftGen;

namespace SoftGen.CnnBenchmark;

/// <summary>The Fashion-MNIST CNN, the same declaration as examples/Classify's FashionCnn.</summary>
[SoftModel(Channels = 1, Height = 28, Width = 28, Classes = 10)]
[Conv2D(32, 3, Activation.Relu, Padding = 1)]
[MaxPool2D(2)]
[Conv2D(64, 3, Activation.Relu, Padding = 1)]
[MaxPool2D(2)]
[Dense(128, Activation.Relu)]
[Dense(10)]
[SoftmaxCrossEntropy(LabelSmoothing = 0.1f)]
public partial class FashionCnn;

/// <summary>The small ResNet, the same declaration as examples/Classify's FashionResNet.</summary>
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
