using SoftGen;

// Signal and general-window models for the GPU agreement tests beside SignalModels: the GPU program's paths those do not reach.
namespace GpuSignalModels;

/// <summary>
/// 3 x 17 signals read where they arrive (NCHW): a strided, padded, dilated Conv1D (tanh) with no input gradient; a
/// 1-D max pool; a grouped Conv1D (GELU, so Z kept) whose input gradient has no act' (a pool before); a strided,
/// dilated, grouped Conv1D (ELU) whose input gradient goes through GELU'(Z); Dense; softmax.
/// </summary>
[SoftModel(Channels = 3, Length = 17)]
[Conv1D(4, 4, Activation.Tanh, Stride = 2, Padding = 3, Dilation = 2)]
[MaxPool1D(3)]
[Conv1D(6, 3, Activation.Gelu, Padding = 2, Groups = 2)]
[Conv1D(4, 2, Activation.Elu, Stride = 3, Padding = 1, Dilation = 3, Groups = 2)]
[Dense(3)]
[SoftmaxCrossEntropy]
public partial class GpuSignalConvNet;

/// <summary>
/// 2 x 5 x 8 images: a 3x2 kernel with padding 1x0 and dilation 2 on the input; a block of a grouped convolution with
/// stride 1x2 (SiLU) and a grouped 1x3 convolution without bias, whose batch norm ends the block, the shortcut a 1x1
/// projection with stride 1x2 (the block's input needs a gradient: a Join through ReLU'); GAP; Dense; sigmoid.
/// </summary>
[SoftModel(Channels = 2, Height = 5, Width = 8)]
[Conv2D(4, 3, Activation.Relu, KernelWidth = 2, PaddingHeight = 1, Dilation = 2)]
[Residual]
[Conv2D(6, 3, Activation.Silu, StrideWidth = 2, Padding = 1, Groups = 2)]
[Conv2D(6, 1, KernelWidth = 3, PaddingWidth = 1, Groups = 3, Bias = false)]
[BatchNorm]
[EndResidual(Activation.Relu)]
[GlobalAveragePool]
[Dense(3)]
[SigmoidCrossEntropy]
public partial class GpuRectConvNet;
