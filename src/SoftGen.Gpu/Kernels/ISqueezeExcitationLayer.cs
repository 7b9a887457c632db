namespace SoftGen.Gpu.Kernels;

/// <summary>
/// A squeeze-excitation layer's image ([rows, Pixels, Stride], in and out) and where its four tensors sit in the flat
/// parameter buffer, consecutively from <see cref="Offset"/>: reduce.weight transposed [Stride, SqueezeStride] (row c,
/// column j), reduce.bias [SqueezeStride], expand.weight transposed [SqueezeStride, Stride] (row j, column c),
/// expand.bias [Stride]; padding entries 0.
/// </summary>
public interface ISqueezeExcitationLayer : ITensorLayout
{
    /// <summary>The squeeze width, Channels / reduction.</summary>
    int Squeeze { get; }

    /// <summary>Squeeze rounded up to 16.</summary>
    int SqueezeStride { get; }

    /// <summary>Where reduce.weight starts.</summary>
    int Offset { get; }

    /// <summary>True when the input is the user's NCHW image of more than one channel (the first layer); the output is stored [rows, Pixels, Stride] all the same.</summary>
    bool ReadsNchw { get; }
}
