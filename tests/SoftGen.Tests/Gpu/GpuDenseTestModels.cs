using SoftGen;

namespace GpuDenseModels;

/// <summary>
/// Widths past one tile in every GEMM dimension, for both tile shapes: 70 inputs (k-tiles of 16 and 32, the last
/// partial), 67 and 40 outputs (a partial second or third column tile of 64 or 32), dW over 71 x 67 inputs-plus-bias.
/// </summary>
[SoftModel(Inputs = 70)]
[Dense(67, Activation.Relu)]
[Dense(40, Activation.Tanh)]
[Dense(5)]
[KLDivergence]
public partial class WideGpuMlp;
