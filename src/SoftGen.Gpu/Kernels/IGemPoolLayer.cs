namespace SoftGen.Gpu.Kernels;

/// <summary>
/// A GeM pooling layer: its input image ([rows, Pixels, Stride]; the output is flat and dense, [rows, Channels]) and
/// its exponent p, a trainable float at <see cref="POffset"/> in the parameter buffer when <see cref="Learnable"/>,
/// else the constant <see cref="P"/>.
/// </summary>
public interface IGemPoolLayer : ITensorLayout
{
    bool Learnable { get; }

    /// <summary>The fixed exponent (unused when learnable).</summary>
    float P { get; }

    /// <summary>Where the learnable p sits (unused when fixed).</summary>
    int POffset { get; }

    /// <summary>The clamp floor: inputs below it count as Epsilon (and pass no gradient).</summary>
    float Epsilon { get; }

    /// <summary>True when the input is the user's NCHW image of more than one channel (the first layer).</summary>
    bool ReadsNchw { get; }
}
