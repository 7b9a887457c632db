using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SoftGen.Cpu;

/// <summary>
/// What the batch norm, layer norm and residual kernels share: the layout check and the masks and sizes of a tensor
/// [rows * pixels, ChannelStride] (pixels = 1 after a Dense), all JIT-time constants.
/// </summary>
internal static class NormShape
{
    /// <summary>Floats one block of a reduction covers (its pixels stay in L1 while every channel vector sums them).</summary>
    private const int BlockFloats = 4096;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Pixels<T>() where T : struct, ISpatialShape => T.Height * T.Width;

    /// <summary>The channel vectors holding real channels; the rest of the stride is padding, always 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int RealFloats<T>() where T : struct, ISpatialShape => (T.Channels + 15) & ~15;

    /// <summary>Pixels per block of a reduction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int BlockPixels<T>() where T : struct, ISpatialShape => Math.Max(4, BlockFloats / T.ChannelStride);

    /// <summary>Lanes of the channel vector at <paramref name="channel"/> that hold real channels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> RealLanes<T>(int channel) where T : struct, ISpatialShape
        => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(T.Channels - channel)).AsSingle();

    /// <summary>True when the channel vector at <paramref name="channel"/> holds padding lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool HasPadding<T>(int channel) where T : struct, ISpatialShape => channel + 16 > T.Channels;

    /// <summary>Partition <paramref name="part"/> of <paramref name="parts"/> over [0, count): its first and last + 1 index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (int First, int Last) Partition(int part, int parts, int count)
        => ((int)((long)part * count / parts), (int)((long)(part + 1) * count / parts));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Validate<T>() where T : struct, ISpatialShape
    {
        SpatialShape.Validate<T>();
        if (T.ChannelStride % 16 != 0)
            Throw<T>();
    }

    [DoesNotReturn]
    private static void Throw<T>() where T : struct, ISpatialShape
        => throw new NotSupportedException(
            $"{typeof(T).Name} has {T.ChannelStride} floats per pixel: the normalization and residual kernels need a multiple of 16 (a Conv2D or Dense output).");
}
