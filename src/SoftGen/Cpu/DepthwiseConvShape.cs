using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace SoftGen.Cpu;

/// <summary>
/// The compile-time shape of a depthwise convolution (Groups = in channels = out channels): each channel is convolved
/// with its own kernel. The generator emits one struct per layer; a Conv1D is the case InHeight = 1, KernelHeight = 1.
/// </summary>
/// <remarks>
/// Storage: input X [rows, InHeight, InWidth, ChannelStride] and output Z, A and their gradients [rows, OutHeight,
/// OutWidth, ChannelStride] (channels-last, padding channels kept 0); weights W [KernelHeight * KernelWidth,
/// ChannelStride]: row ky * KernelWidth + kx, column c holds PyTorch's weight[c, 0, ky, kx]; bias b [ChannelStride].
/// Output size per axis as PyTorch: (in + 2 padding - dilation (kernel - 1) - 1) / stride + 1, rounded down.
/// </remarks>
public interface IDepthwiseConvShape : IConvWindow
{
    static abstract int Channels { get; }

    /// <summary>Floats per pixel of the input and of the output: Channels rounded up to a multiple of 16.</summary>
    static abstract int ChannelStride { get; }
}

/// <summary>The layout rules the depthwise kernels rely on, checked at no cost (the sizes are JIT-time constants).</summary>
internal static class DepthwiseConvShape
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Validate<T>() where T : struct, IDepthwiseConvShape
    {
        if (T.Channels < 1 || T.ChannelStride < T.Channels || T.ChannelStride % 16 != 0 || !SpatialShape.IsValidWindow<T>())
            Throw<T>();
    }

    [DoesNotReturn]
    private static void Throw<T>() where T : struct, IDepthwiseConvShape
        => throw new NotSupportedException(
            $"{typeof(T).Name} is not a valid depthwise convolution shape ({T.Channels}/{T.ChannelStride} channels, in {T.InHeight} x {T.InWidth}, "
            + $"out {T.OutHeight} x {T.OutWidth}, kernel {T.KernelHeight} x {T.KernelWidth}, stride {T.StrideHeight} x {T.StrideWidth}, "
            + $"padding {T.PaddingHeight} x {T.PaddingWidth}, dilation {T.DilationHeight} x {T.DilationWidth}): the kernels need positive sizes, "
            + "a channel stride that is a multiple of 16 and at least the channels, and PyTorch's output size.");
}
