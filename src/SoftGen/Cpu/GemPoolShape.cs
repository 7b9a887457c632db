using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace SoftGen.Cpu;

/// <summary>
/// A generalised-mean pool: its input's shape and the clamp epsilon. The output is a flat row [ChannelStride], one
/// value per channel (padding 0).
/// </summary>
public interface IGemPoolShape : ISpatialShape
{
    /// <summary>Inputs below it count as it (PyTorch's x.clamp(min = eps)); positive.</summary>
    static abstract float Epsilon { get; }
}

/// <summary>The layout rules of <see cref="GemPoolKernels"/>, checked at no cost (JIT-time constants).</summary>
internal static class GemPoolShape
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Validate<T>() where T : struct, IGemPoolShape
    {
        NormShape.Validate<T>();
        if (!(T.Epsilon > 0f) || float.IsInfinity(T.Epsilon))
            Throw<T>();
    }

    [DoesNotReturn]
    private static void Throw<T>() where T : struct, IGemPoolShape
        => throw new NotSupportedException($"{typeof(T).Name} has epsilon {T.Epsilon}: GeM pooling needs a positive finite epsilon.");
}
