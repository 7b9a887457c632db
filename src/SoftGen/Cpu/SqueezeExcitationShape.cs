using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace SoftGen.Cpu;

/// <summary>
/// A squeeze-excitation block: its input's shape (also its output's) and the width of its bottleneck, Channels /
/// reduction. Parameters, consecutively: reduce.weight transposed [ChannelStride, SqueezeStride] (row c, column j =
/// PyTorch's reduce.weight[j, c]), reduce.bias [SqueezeStride], expand.weight transposed [SqueezeStride, ChannelStride]
/// (row j, column c = expand.weight[c, j]), expand.bias [ChannelStride]; padding entries 0.
/// </summary>
public interface ISqueezeExcitationShape : ISpatialShape
{
    /// <summary>The bottleneck's width, Channels / reduction.</summary>
    static abstract int Squeeze { get; }

    /// <summary>Squeeze rounded up to a multiple of 16.</summary>
    static abstract int SqueezeStride { get; }
}

/// <summary>The layout rules of <see cref="SqueezeExcitationKernels"/>, checked at no cost (JIT-time constants).</summary>
internal static class SqueezeExcitationShape
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Validate<T>() where T : struct, ISqueezeExcitationShape
    {
        NormShape.Validate<T>();
        if (T.Squeeze < 1 || T.SqueezeStride < T.Squeeze || T.SqueezeStride % 16 != 0)
            Throw<T>();
    }

    [DoesNotReturn]
    private static void Throw<T>() where T : struct, ISqueezeExcitationShape
        => throw new NotSupportedException(
            $"{typeof(T).Name} squeezes to {T.Squeeze}/{T.SqueezeStride}: squeeze-excitation needs a positive width and a stride that is a multiple of 16 and at least it.");
}
