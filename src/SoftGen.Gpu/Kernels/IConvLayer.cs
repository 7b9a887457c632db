namespace SoftGen.Gpu.Kernels;

/// <summary>
/// A Conv2D (or Conv1D: an image of height 1) layer's geometry and where its parameters sit in the flat parameter buffer, as constants of a struct type
/// the generated program declares per layer (see <see cref="IDenseLayer"/> for why a type). Images are stored
/// [rows, pixels, channel stride] (NHWC, padding channels 0), except the model's input when it has more than one
/// channel, which the first layer reads where it arrives, the user's NCHW rows.
/// </summary>
public interface IConvLayer
{
    /// <summary>Real input channels (the GEMM depth is KernelHeight x KernelWidth x InChannels).</summary>
    int InChannels { get; }

    /// <summary>Floats per stored input pixel (InChannels rounded up; the padding channels' weight rows are 0 and skipped).</summary>
    int InStride { get; }

    int InHeight { get; }
    int InWidth { get; }

    /// <summary>True when the input is the user's NCHW image of more than one channel (the first layer).</summary>
    bool ReadsNchw { get; }

    /// <summary>Kernel rows (1 for a signal's Conv1D).</summary>
    int KernelHeight { get; }

    /// <summary>Kernel columns.</summary>
    int KernelWidth { get; }

    int StrideHeight { get; }
    int StrideWidth { get; }
    int PaddingHeight { get; }
    int PaddingWidth { get; }

    /// <summary>Rows between consecutive kernel rows in the input (1: adjacent).</summary>
    int DilationHeight { get; }

    /// <summary>Columns between consecutive kernel columns in the input (1: adjacent).</summary>
    int DilationWidth { get; }

    /// <summary>
    /// Channel groups: input channel c feeds filter f only when c / (InChannels / Groups) == f / (Filters / Groups).
    /// Conv2DForward/Backward keep the full Wt, block-diagonal (the other entries 0, their gradients written 0);
    /// DepthwiseConv (Groups == InChannels == Filters) keeps the compact [KernelHeight x KernelWidth, OutStride].
    /// </summary>
    int Groups { get; }

    int OutHeight { get; }
    int OutWidth { get; }

    /// <summary>Output channels: the GEMM's N.</summary>
    int Filters { get; }

    /// <summary>Floats per stored output pixel, and per row of Wt.</summary>
    int OutStride { get; }

    /// <summary>Where Wt ([KernelHeight x KernelWidth x InStride, OutStride]: kernel position, input channel, filter) starts.</summary>
    int WeightOffset { get; }

    int BiasOffset { get; }
}
