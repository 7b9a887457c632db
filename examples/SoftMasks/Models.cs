using SoftGen;

namespace SoftMasks;

/// <summary>
/// A fully convolutional model: three 3x3 convolutions (a 7x7 receptive field) and a 1x1 head that gives, at every
/// pixel of a 28x28 image, a distribution over {background, garment}. The loss is KL at each pixel.
/// </summary>
[SoftModel(Channels = 1, Height = 28, Width = 28)]
[Conv2D(16, 3, Activation.Relu, Padding = 1)]
[Conv2D(16, 3, Activation.Relu, Padding = 1)]
[Conv2D(16, 3, Activation.Relu, Padding = 1)]
[Conv2D(2, 1)]
[KLDivergence]
public partial class MaskNet;
