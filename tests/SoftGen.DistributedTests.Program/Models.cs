using SoftGen;

namespace DistributedTestModels;

/// <summary>The model the distributed checks train: two hidden layers whose widths cross the 16-float padding.</summary>
[SoftModel(Inputs = 12)]
[Dense(20, Activation.Tanh)]
[Dense(17, Activation.Relu)]
[Dense(5)]
[SoftmaxCrossEntropy(LabelSmoothing = 0.05f)]
public partial class SmallMlp;
