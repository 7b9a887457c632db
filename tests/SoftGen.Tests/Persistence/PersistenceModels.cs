using SoftGen;

// Models for the persistence tests: pairs that share names and shapes but not their declaration, or differ in one
// shape or one layer, so that every kind of mismatch between a file and a model can be produced.
namespace PersistenceModels;

/// <summary>6 -> 9 (ReLU) -> 4, softmax cross-entropy: 103 parameters, a 0.9 KB file (small enough to fuzz quickly).</summary>
[SoftModel(Inputs = 6)]
[Dense(9, Activation.Relu)]
[Dense(4)]
[SoftmaxCrossEntropy]
public partial class SmallMlp;

/// <summary>The same names and shapes as <see cref="SmallMlp"/>, another activation: another declaration hash.</summary>
[SoftModel(Inputs = 6)]
[Dense(9, Activation.Tanh)]
[Dense(4)]
[SoftmaxCrossEntropy]
public partial class SmallTanhMlp;

/// <summary>A wider hidden layer than <see cref="SmallMlp"/>: two shapes differ.</summary>
[SoftModel(Inputs = 6)]
[Dense(12, Activation.Relu)]
[Dense(4)]
[SoftmaxCrossEntropy]
public partial class WideSmallMlp;

/// <summary>One more layer than <see cref="SmallMlp"/>: layers.2.* are extra.</summary>
[SoftModel(Inputs = 6)]
[Dense(9, Activation.Relu)]
[Dense(9, Activation.Relu)]
[Dense(4)]
[SoftmaxCrossEntropy]
public partial class DeepSmallMlp;

/// <summary>2 -> 3 softmax regression: its file is small enough to write out by hand.</summary>
[SoftModel(Inputs = 2)]
[Dense(3)]
[SoftmaxCrossEntropy]
public partial class TinyLinear;

/// <summary>
/// For resuming: 82,000 floats of storage, over the optimizer's parallel threshold (65,536), widths that cross the
/// 16-float padding, and KL divergence on soft targets.
/// </summary>
[SoftModel(Inputs = 20)]
[Dense(300, Activation.Relu)]
[Dense(240, Activation.Tanh)]
[Dense(7)]
[KLDivergence]
public partial class ResumeMlp;

/// <summary>A convolution ([out, in, k, k] weights in the file), pooling and dropout (masks from the seed and step).</summary>
[SoftModel(Channels = 2, Height = 6, Width = 6, Classes = 3)]
[Conv2D(4, 3, Activation.Relu, Padding = 1)]
[MaxPool2D(2)]
[Dropout(0.25f)]
[Dense(8, Activation.Relu)]
[Dense(3)]
[SoftmaxCrossEntropy]
public partial class SmallCnn;
