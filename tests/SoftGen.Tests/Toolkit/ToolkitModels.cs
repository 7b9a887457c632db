using SoftGen;

// Generated models for the toolkit tests (calibration, ensembles, distillation targets), outside SoftGen.Tests.*
// like the end-to-end models (see EndToEnd/TestModels.cs).
namespace ToolkitModels;

/// <summary>Three classes from four features, one hidden ReLU layer.</summary>
[SoftModel(Inputs = 4)]
[Dense(16, Activation.Relu)]
[Dense(3)]
[SoftmaxCrossEntropy]
public partial class BlobMlp;

/// <summary>The same network, of another model class (an ensemble must refuse to mix the two).</summary>
[SoftModel(Inputs = 4)]
[Dense(16, Activation.Relu)]
[Dense(3)]
[KLDivergence]
public partial class BlobKl;

/// <summary>Multi-label: three sigmoid outputs from four features.</summary>
[SoftModel(Inputs = 4)]
[Dense(3)]
[SigmoidCrossEntropy]
public partial class BlobMultiLabel;
