using SoftGen;

namespace Signals;

/// <summary>
/// A small 1-D EfficientNet-style network for 8-channel, 2,000-sample EEG windows in the six classes of the HMS
/// contest: a strided Conv1D stem, a residual block of two convolutions with squeeze-excitation, a strided
/// convolution, a depthwise-separable residual block with squeeze-excitation, generalised-mean pooling and one Dense
/// layer, trained on vote fractions with the KL loss. examples/Signals trains it; benchmarks/SoftGen.CnnBenchmark
/// (--model signals) compiles this same file, and benchmarks/pytorch_signals.py is its PyTorch twin.
/// </summary>
[SoftModel(Channels = 8, Length = 2000)]
[Conv1D(32, 7, Stride = 2, Padding = 3, Bias = false)]     // layers.0        8x2000 -> 32x1000
[BatchNorm(Activation.Silu)]                                // layers.1
[MaxPool1D(2)]                                              //                  -> 32x500
[Residual]
[Conv1D(32, 5, Padding = 2, Bias = false)]                  // layers.2
[BatchNorm(Activation.Silu)]                                // layers.3
[Conv1D(32, 5, Padding = 4, Dilation = 2, Bias = false)]    // layers.4
[BatchNorm]                                                 // layers.5
[SqueezeExcitation(4)]                                      // layers.6.reduce.*, layers.6.expand.*  (32 -> 8 -> 32)
[EndResidual(Activation.Silu)]
[Conv1D(64, 5, Stride = 2, Padding = 2, Bias = false)]      // layers.7         -> 64x250
[BatchNorm(Activation.Silu)]                                // layers.8
[Residual]
[Conv1D(64, 7, Padding = 3, Groups = 64, Bias = false)]     // layers.9  depthwise
[BatchNorm(Activation.Silu)]                                // layers.10
[Conv1D(64, 1, Bias = false)]                               // layers.11 pointwise
[BatchNorm]                                                 // layers.12
[SqueezeExcitation(4)]                                      // layers.13 (64 -> 16 -> 64)
[EndResidual(Activation.Silu)]
[GemPool]                                                   // layers.14.p  (p = 3, learnable)
[Dense(6)]                                                  // layers.15
[KLDivergence]
public partial class EegNet;
