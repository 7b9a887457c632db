using SoftGen;

// The models the end-to-end tests train. Each is declared with attributes, so its trainer is the real generated
// code; ModelCases (ModelCases.cs) pairs it with an independent description of the same network for the float64 reference.
// Together they cover every activation (None, Relu, LeakyRelu, Tanh, Sigmoid, Gelu) and every loss (softmax
// cross-entropy with and without label smoothing and temperature, KL divergence, sigmoid cross-entropy).

// These models live outside SoftGen.Tests.*: the generated file aliases `using Training = global::SoftGen.Training;`
// (and `Cpu`) at file scope, and inside any namespace under SoftGen.Tests the name `Training` binds first to the
// namespace SoftGen.Tests.Training, so the generated trainer does not compile there (see GeneratedCodeNamespaceTests).
// They can move into SoftGen.Tests.EndToEnd once the generator qualifies its references with global::.
namespace EndToEndModels;

/// <summary>Tanh and GELU hidden layers; label smoothing and a distillation temperature on the loss.</summary>
[SoftModel(Inputs = 5)]
[Dense(7, Activation.Tanh)]
[Dense(6, Activation.Gelu)]
[Dense(3)]
[SoftmaxCrossEntropy(LabelSmoothing = 0.1f, Temperature = 2f)]
public partial class SmoothTempMlp;

/// <summary>ReLU and leaky ReLU hidden layers; KL divergence over six classes (the expert-vote case).</summary>
[SoftModel(Inputs = 6)]
[Dense(9, Activation.Relu)]
[Dense(8, Activation.LeakyRelu)]
[Dense(6)]
[KLDivergence]
public partial class KlMlp;

/// <summary>A sigmoid hidden layer; multi-label sigmoid cross-entropy on four outputs.</summary>
[SoftModel(Inputs = 4)]
[Dense(10, Activation.Sigmoid)]
[Dense(4)]
[SigmoidCrossEntropy]
public partial class MultiLabelMlp;

/// <summary>One dense layer, no hidden activation: softmax regression.</summary>
[SoftModel(Inputs = 3)]
[Dense(4)]
[SoftmaxCrossEntropy]
public partial class LinearSoftmax;

/// <summary>Widths that cross the 16-float padding (19 -> 33 -> 17).</summary>
[SoftModel(Inputs = 19)]
[Dense(33, Activation.Relu)]
[Dense(17)]
[SoftmaxCrossEntropy]
public partial class PaddedMlp;

/// <summary>A wider network, several SIMD tiles in every direction.</summary>
[SoftModel(Inputs = 64)]
[Dense(48, Activation.Relu)]
[Dense(10)]
[SoftmaxCrossEntropy(LabelSmoothing = 0.05f)]
public partial class WideMlp;

/// <summary>GELU straight into a sigmoid head (pre-activation kept for the derivative on the last hidden layer).</summary>
[SoftModel(Inputs = 8)]
[Dense(16, Activation.Gelu)]
[Dense(5)]
[SigmoidCrossEntropy]
public partial class GeluMultiLabel;

// One-layer linear models for the hand-computed losses: with W = 0 the logits are the bias.

/// <summary>Plain softmax cross-entropy, two classes.</summary>
[SoftModel(Inputs = 2)]
[Dense(2)]
[SoftmaxCrossEntropy]
public partial class LinearCe2;

/// <summary>Label smoothing 0.1, two classes.</summary>
[SoftModel(Inputs = 2)]
[Dense(2)]
[SoftmaxCrossEntropy(LabelSmoothing = 0.1f)]
public partial class LinearSmooth2;

/// <summary>Temperature 2, two classes.</summary>
[SoftModel(Inputs = 2)]
[Dense(2)]
[SoftmaxCrossEntropy(Temperature = 2f)]
public partial class LinearTemp2;

/// <summary>KL divergence, three classes.</summary>
[SoftModel(Inputs = 2)]
[Dense(3)]
[KLDivergence]
public partial class LinearKl3;

/// <summary>Sigmoid cross-entropy, two outputs.</summary>
[SoftModel(Inputs = 2)]
[Dense(2)]
[SigmoidCrossEntropy]
public partial class LinearBce2;

/// <summary>An MNIST-sized network for the allocation and thread-count tests.</summary>
[SoftModel(Inputs = 784)]
[Dense(128, Activation.Relu)]
[Dense(10)]
[SoftmaxCrossEntropy]
public partial class MnistMlp;

/// <summary>A small KL model for the "training works" test.</summary>
[SoftModel(Inputs = 2)]
[Dense(16, Activation.Tanh)]
[Dense(3)]
[KLDivergence]
public partial class ToyKl;
