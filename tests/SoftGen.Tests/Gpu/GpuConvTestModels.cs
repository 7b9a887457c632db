using SoftGen;

// Image models for the GPU agreement tests beside ConvModels: the shapes those do not reach.
namespace GpuConvModels;

/// <summary>
/// Dropout and pooling first, reading the user's two-channel NCHW rows directly; a 1x1 convolution to 70 channels
/// (two column tiles, GELU) whose input gradient has 70 channels in the next layer's transposed convolution; a
/// per-pixel sigmoid head.
/// </summary>
[SoftModel(Channels = 2, Height = 6, Width = 4)]
[Dropout(0.25f)]
[AvgPool2D(2)]
[Conv2D(70, 1, Activation.Gelu)]
[Conv2D(3, 3, Padding = 1)]
[SigmoidCrossEntropy]
public partial class WideGpuNet;

/// <summary>
/// Dropout on the input image, then one Dense layer: with one row, the weight gradient is dLogits x (input x mask), so
/// the mask of every input value can be read back from the gradients.
/// </summary>
[SoftModel(Channels = 2, Height = 3, Width = 4)]
[Dropout(0.4f)]
[Dense(2)]
[SigmoidCrossEntropy]
public partial class DropoutProbe;

/// <summary>Max pooling first, on three NCHW channels; the first convolution (no input gradient) after it; GAP.</summary>
[SoftModel(Channels = 3, Height = 4, Width = 6)]
[MaxPool2D(2)]
[Conv2D(5, 3, Activation.Tanh, Padding = 1)]
[GlobalAveragePool]
[Dense(3)]
[SoftmaxCrossEntropy]
public partial class PoolFirstNet;

/// <summary>Global average pooling first, on two NCHW channels, then one Dense layer.</summary>
[SoftModel(Channels = 2, Height = 3, Width = 5)]
[GlobalAveragePool]
[Dense(3)]
[KLDivergence]
public partial class GapFirstNet;
