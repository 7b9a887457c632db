using SoftGen;

// The image models the convolution tests train, declared with attributes so that their trainers are the real
// generated code; ConvCases pairs each with an independent float64 description (RefNet). Odd sizes throughout:
// 5x7 and 7x5 images, 3 and 2 input channels, channel counts that cross the 16-float padding (17), kernels 1 and 3,
// padding 0 and 1, stride 1 and 2.
namespace ConvModels;

/// <summary>Three input channels (transposed to channels-last), padding 1 then stride 2 without padding, label smoothing.</summary>
[SoftModel(Channels = 3, Height = 5, Width = 7)]
[Conv2D(4, 3, Activation.Relu, Padding = 1)]
[Conv2D(5, 3, Activation.Tanh, Stride = 2)]
[Dense(3)]
[SoftmaxCrossEntropy(LabelSmoothing = 0.1f)]
public partial class OddConvNet;

/// <summary>Max pooling, a 1x1 convolution to 17 channels (padded to 32) with GELU, average pooling, KL.</summary>
[SoftModel(Channels = 2, Height = 6, Width = 6)]
[Conv2D(3, 3, Activation.LeakyRelu, Padding = 1)]
[MaxPool2D(2)]
[Conv2D(17, 1, Activation.Gelu)]
[AvgPool2D(3)]
[Dense(4)]
[KLDivergence]
public partial class PoolNet;

/// <summary>Stride 2 with padding 1 on a 7x5 image, sigmoid, global average pooling, a multi-label head.</summary>
[SoftModel(Channels = 1, Height = 7, Width = 5)]
[Conv2D(6, 3, Activation.Sigmoid, Stride = 2, Padding = 1)]
[GlobalAveragePool]
[Dense(3)]
[SigmoidCrossEntropy]
public partial class GapNet;

/// <summary>Dropout after a convolution and after a dense layer; stride 2 into the second convolution.</summary>
[SoftModel(Channels = 1, Height = 6, Width = 6)]
[Conv2D(4, 3, Activation.Relu, Padding = 1)]
[Dropout(0.3f)]
[Conv2D(18, 3, Activation.Relu, Stride = 2, Padding = 1)]
[MaxPool2D(3)]
[Dense(8, Activation.Tanh)]
[Dropout(0.5f)]
[Dense(3)]
[SoftmaxCrossEntropy]
public partial class DropoutNet;

/// <summary>A per-pixel head: KL at every pixel of a 5x7 image, three classes from a 1x1 convolution.</summary>
[SoftModel(Channels = 2, Height = 5, Width = 7)]
[Conv2D(8, 3, Activation.Relu, Padding = 1)]
[Conv2D(3, 1)]
[KLDivergence]
public partial class PixelKl;

/// <summary>A per-pixel softmax head from a 3x3 convolution, with label smoothing and a temperature.</summary>
[SoftModel(Channels = 1, Height = 4, Width = 6)]
[Conv2D(5, 3, Activation.Tanh, Padding = 1)]
[Conv2D(2, 3, Padding = 1)]
[SoftmaxCrossEntropy(LabelSmoothing = 0.2f, Temperature = 2f)]
public partial class PixelSoftmax;

/// <summary>Per-pixel sigmoid: a stride-2 convolution before a 1x1 head.</summary>
[SoftModel(Channels = 1, Height = 7, Width = 5)]
[Conv2D(4, 3, Activation.Gelu, Stride = 2)]
[Conv2D(2, 1)]
[SigmoidCrossEntropy]
public partial class PixelSigmoid;

/// <summary>An MNIST-sized network for the allocation and thread-count tests.</summary>
[SoftModel(Channels = 1, Height = 28, Width = 28)]
[Conv2D(8, 3, Activation.Relu, Padding = 1)]
[MaxPool2D(2)]
[Conv2D(16, 3, Activation.Relu, Padding = 1)]
[MaxPool2D(2)]
[Dropout(0.25f)]
[Dense(10)]
[SoftmaxCrossEntropy]
public partial class MnistCnn;
