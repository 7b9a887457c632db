namespace SoftGen.Gpu.Kernels;

/// <summary>
/// A Conv2D layer's geometry and where its parameters sit in the flat parameter buffer, as constants of a struct type
/// the generated program declares per layer (see <see cref="IDenseLayer"/> for why a type). Images are stored
/// [rows, pixels, channel stride] (NHWC, padding channels 0), except the model's input when it has more than one
/// channel, which the first layer reads where it arrives, the user's NCHW rows.
/// </summary>
public interface IConvLayer
{
    /// <summary>Real input channels (the GEMM depth is Kernel x Kernel x InChannels).</summary>
    int InChannels { get; }

    /// <summary>Floats per stored input pixel (InChannels rounded up; the padding channels' weight rows are 0 and skipped).</summary>
    int InStride { get; }

    int InHeight { get; }
    int InWidth { get; }

    /// <summary>True when the input is the user's NCHW image of more than one channel (the first layer).</summary>
    bool ReadsNchw { get; }

    /// <summary>The square kernel's side.</summary>
    int Kernel { get; }

    int Stride { get; }
    int Padding { get; }
    int OutHeight { get; }
    int OutWidth { get; }

    /// <summary>Output channels: the GEMM's N.</summary>
    int Filters { get; }

    /// <summary>Floats per stored output pixel, and per row of Wt.</summary>
    int OutStride { get; }

    /// <summary>Where Wt ([Kernel x Kernel x InStride, OutStride]: kernel position, input channel, filter) starts.</summary>
    int WeightOffset { get; }

    int BiasOffset { get; }
}
