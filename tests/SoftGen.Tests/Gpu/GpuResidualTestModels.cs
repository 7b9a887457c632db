using SoftGen;

// A residual model for the GPU agreement tests beside ResidualModels: the paths of the GPU program those do not reach.
namespace GpuResidualModels;

/// <summary>
/// A max pool on the user's two-channel NCHW rows, then a block whose projection sends no gradient (the pool's output
/// needs none), its batch norm ending the block after a GELU convolution; a bias-free GELU convolution whose batch
/// norm (Mish) takes the input gradient through act'(Z); an identity block on that Mish output (the Join through
/// Mish'(Z)) whose last batch norm has an activation (a separate add, the block end's act' applied by its own launch);
/// a GELU Dense before a layer norm (ELU), whose input gradient goes through GELU'(Z).
/// </summary>
[SoftModel(Channels = 2, Height = 4, Width = 6)]
[MaxPool2D(2)]
[Residual]
[Conv2D(3, 3, Activation.Gelu, Padding = 1)]
[BatchNorm]
[EndResidual(Activation.Silu)]
[Conv2D(4, 3, Activation.Gelu, Padding = 1, Bias = false)]
[BatchNorm(Activation.Mish, Momentum = 0.3f)]
[Residual]
[Conv2D(4, 3, Padding = 1)]
[BatchNorm(Activation.Relu)]
[EndResidual]
[GlobalAveragePool]
[Dense(6, Activation.Gelu)]
[LayerNorm(Activation.Elu)]
[Dense(3)]
[SoftmaxCrossEntropy]
public partial class GpuResidualEdgeNet;
