using SoftGen;

// The residual models the tests train, declared with attributes so that their trainers are the real generated code;
// ResidualCases pairs each with an independent float64 description (ResidualReference). Odd sizes throughout.
namespace ResidualModels;

/// <summary>
/// 3x5x7 images: a bias-free stem with batch norm; an identity block (ReLU); a stride-2 block to 6 channels whose
/// shortcut is a 1x1 projection with batch norm (SiLU inside, Mish after the add); global average pooling; Dense.
/// </summary>
[SoftModel(Channels = 3, Height = 5, Width = 7)]
[Conv2D(4, 3, Padding = 1, Bias = false)]
[BatchNorm(Activation.Relu)]
[Residual]
[Conv2D(4, 3, Padding = 1, Bias = false)]
[BatchNorm(Activation.Relu)]
[Conv2D(4, 3, Padding = 1, Bias = false)]
[BatchNorm]
[EndResidual(Activation.Relu)]
[Residual]
[Conv2D(6, 3, Stride = 2, Padding = 1, Bias = false)]
[BatchNorm(Activation.Silu)]
[Conv2D(6, 3, Padding = 1, Bias = false)]
[BatchNorm]
[EndResidual(Activation.Mish)]
[GlobalAveragePool]
[Dense(3)]
[SoftmaxCrossEntropy(LabelSmoothing = 0.1f)]
public partial class TinyResNet;

/// <summary>
/// Rows of 6 features: a bias-free Dense with batch norm (ELU, momentum 0.2); a block of Dense, layer norm (GELU) and a
/// tanh Dense, closed with SiLU; a softmax head.
/// </summary>
[SoftModel(Inputs = 6)]
[Dense(10, Bias = false)]
[BatchNorm(Activation.Elu, Momentum = 0.2f)]
[Residual]
[Dense(10)]
[LayerNorm(Activation.Gelu)]
[Dense(10, Activation.Tanh)]
[EndResidual(Activation.Silu)]
[Dense(4)]
[SoftmaxCrossEntropy]
public partial class NormMlp;

/// <summary>
/// A batch norm after an activated convolution (not folded); a block whose max pool halves the size, its shortcut a
/// stride-2 projection, its last convolution without batch norm; batch norm after an activated Dense.
/// </summary>
[SoftModel(Channels = 2, Height = 6, Width = 6)]
[Conv2D(5, 3, Activation.Relu, Padding = 1)]
[BatchNorm(Epsilon = 1e-3f)]
[Residual]
[Conv2D(5, 3, Activation.LeakyRelu, Padding = 1)]
[MaxPool2D(2)]
[Conv2D(7, 1)]
[EndResidual]
[GlobalAveragePool]
[Dense(8, Activation.Relu)]
[BatchNorm(Activation.Tanh)]
[Dense(3)]
[SoftmaxCrossEntropy]
public partial class ConvBnNet;
