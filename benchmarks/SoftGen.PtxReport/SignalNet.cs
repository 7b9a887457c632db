using SoftGen;

namespace PtxReport;

/// <summary>
/// An EEG-style signal classifier for the PTX report's signals option (the issue-14 layers at realistic sizes): 8 x 512
/// signals; a strided Conv1D stem with batch norm; a residual block of a dilated Conv1D, a depthwise Conv1D and
/// squeeze-excitation; a strided grouped Conv1D with a 1x1 projection shortcut; learnable GeM; Dense.
/// </summary>
[SoftModel(Channels = 8, Length = 512)]
[Conv1D(32, 7, Stride = 2, Padding = 3, Bias = false)]
[BatchNorm(Activation.Silu)]
[Residual]
[Conv1D(32, 5, Padding = 4, Dilation = 2, Bias = false)]
[BatchNorm(Activation.Silu)]
[Conv1D(32, 5, Activation.Silu, Padding = 2, Groups = 32)]
[SqueezeExcitation(4)]
[EndResidual(Activation.Silu)]
[Residual]
[Conv1D(64, 3, Stride = 2, Padding = 1, Groups = 4, Bias = false)]
[BatchNorm]
[EndResidual(Activation.Relu)]
[GemPool]
[Dense(5)]
[SoftmaxCrossEntropy]
public partial class SignalNet;
