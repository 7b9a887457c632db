namespace SoftGen.Benchmarks;

// The benchmark's workload, 784-512-256-10, and the two other widths of the hidden-width sweep (the second hidden
// layer is always half the first). All use PyTorch's nn.CrossEntropyLoss(label_smoothing=0.1).

/// <summary>Fashion-MNIST MLP, hidden width 512 (the benchmark's main workload).</summary>
[SoftModel(Inputs = 784, Classes = 10)]
[Dense(512, Activation.Relu)]
[Dense(256, Activation.Relu)]
[Dense(10)]
[SoftmaxCrossEntropy(LabelSmoothing = 0.1f)]
public partial class Mlp512;

/// <summary>Hidden width 128: 784-128-64-10.</summary>
[SoftModel(Inputs = 784, Classes = 10)]
[Dense(128, Activation.Relu)]
[Dense(64, Activation.Relu)]
[Dense(10)]
[SoftmaxCrossEntropy(LabelSmoothing = 0.1f)]
public partial class Mlp128;

/// <summary>Hidden width 1024: 784-1024-512-10.</summary>
[SoftModel(Inputs = 784, Classes = 10)]
[Dense(1024, Activation.Relu)]
[Dense(512, Activation.Relu)]
[Dense(10)]
[SoftmaxCrossEntropy(LabelSmoothing = 0.1f)]
public partial class Mlp1024;
