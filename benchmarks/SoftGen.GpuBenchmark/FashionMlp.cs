using SoftGen;

namespace GpuBenchmark;

/// <summary>The Fashion-MNIST-shaped MLP of the issue: 784-512-256-10, ReLU, soft-target cross-entropy.</summary>
[SoftModel(Inputs = 784)]
[Dense(512, Activation.Relu)]
[Dense(256, Activation.Relu)]
[Dense(10)]
[SoftmaxCrossEntropy]
public partial class FashionMlp;
