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
