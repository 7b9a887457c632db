using SoftGen;

// Depthwise convolutions, squeeze-excitation and GeM pooling for the GPU agreement tests beside SignalModels.
namespace GpuChannelModels;

/// <summary>
/// 2 x 12 signals: a Conv1D to 16 channels (GELU); a dilated depthwise Conv1D (SiLU, Z kept) whose input gradient goes
/// through GELU'(Z); squeeze-excitation (its input gradient through SiLU'(Z)); a 1-D max pool; a strided grouped Conv1D
/// (sigmoid); learnable GeM (its input gradient through sigmoid'); Dense; softmax.
/// </summary>
[SoftModel(Channels = 2, Length = 12)]
[Conv1D(16, 3, Activation.Gelu, Padding = 1)]
[Conv1D(16, 5, Activation.Silu, Padding = 4, Dilation = 2, Groups = 16)]
[SqueezeExcitation(4)]
[MaxPool1D(2)]
[Conv1D(6, 3, Activation.Sigmoid, Stride = 2, Groups = 2)]
[GemPool(3f)]
[Dense(3)]
[SoftmaxCrossEntropy]
public partial class GpuChannelEdgeNet;

/// <summary>
/// 16 x 5 x 4 images: a depthwise 3x3 convolution (ELU, stride 2x1, padding 1) first, reading the user's NCHW rows; a
/// 2x1 convolution (GELU) whose input gradient goes through ELU'; fixed-exponent GeM whose input gradient goes through
/// GELU'(Z); Dense; sigmoid.
/// </summary>
[SoftModel(Channels = 16, Height = 5, Width = 4)]
[Conv2D(16, 3, Activation.Elu, Padding = 1, StrideHeight = 2, Groups = 16)]
[Conv2D(5, 1, Activation.Gelu, KernelHeight = 2)]
[GemPool(2f, Learnable = false)]
[Dense(2)]
[SigmoidCrossEntropy]
public partial class GpuDepthwiseFirstNet;

