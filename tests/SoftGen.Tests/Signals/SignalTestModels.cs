using SoftGen;

// The issue-14 layers in test models, declared with attributes so that their trainers are the real generated code;
// SignalCases pairs each with an independent float64 description (ResidualReference). Odd sizes throughout.
namespace SignalModels;

/// <summary>
/// 3 x 23 signals: a strided Conv1D stem with batch norm and a max pool; an identity block with a dilated conv, a
/// depthwise conv and squeeze-excitation; a strided grouped block whose shortcut is a 1x1 Conv1D projection; learnable
/// GeM pooling; Dense; KL divergence.
/// </summary>
[SoftModel(Channels = 3, Length = 23)]
[Conv1D(6, 5, Stride = 2, Padding = 2, Bias = false)]
[BatchNorm(Activation.Silu)]
[MaxPool1D(2)]
[Residual]
[Conv1D(6, 3, Padding = 2, Dilation = 2, Bias = false)]
[BatchNorm(Activation.Silu)]
[Conv1D(6, 3, Padding = 1, Groups = 6)]
[SqueezeExcitation(2)]
[EndResidual(Activation.Silu)]
[Residual]
[Conv1D(8, 3, Stride = 2, Padding = 1, Groups = 2, Bias = false)]
[BatchNorm]
[EndResidual(Activation.Relu)]
[GemPool]
[Dense(4)]
[KLDivergence]
public partial class TinyEegNet;

/// <summary>
/// 2 x 7 x 9 images: a 3x5 kernel with stride 1x2 and padding 0x2 on the input image; a dilated depthwise 3x3 with
/// batch norm (Mish) and squeeze-excitation; a grouped 1x1 convolution (ELU); fixed-exponent GeM; Dense.
/// </summary>
[SoftModel(Channels = 2, Height = 7, Width = 9)]
[Conv2D(4, 3, Activation.Relu, KernelWidth = 5, StrideWidth = 2, PaddingWidth = 2)]
[Conv2D(4, 3, Padding = 2, Dilation = 2, Groups = 4, Bias = false)]
[BatchNorm(Activation.Mish)]
[SqueezeExcitation(2)]
[Conv2D(6, 1, Activation.Elu, Groups = 2)]
[GemPool(2.5f, Learnable = false)]
[Dense(3)]
[SoftmaxCrossEntropy(LabelSmoothing = 0.05f)]
public partial class RectNet;

/// <summary>2 x 10 signals with a per-position head: Conv1D (GELU), average pool, a dilated Conv1D of 3 classes per position.</summary>
[SoftModel(Channels = 2, Length = 10)]
[Conv1D(5, 3, Activation.Gelu, Padding = 1)]
[AvgPool1D(2)]
[Conv1D(3, 3, Padding = 2, Dilation = 2)]
[KLDivergence]
public partial class PositionNet;
