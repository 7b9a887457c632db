using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace SoftGen.Cpu;

/// <summary>
/// The compile-time shape of an image tensor: one row of the batch is [Height, Width, ChannelStride] floats
/// (channels-last), the first <see cref="Channels"/> of each pixel real and the rest kept 0.
/// </summary>
public interface ISpatialShape
{
    static abstract int Channels { get; }

    /// <summary>Floats per pixel: Channels for the model's input image, else Channels rounded up to a multiple of 16.</summary>
    static abstract int ChannelStride { get; }

    static abstract int Height { get; }

    static abstract int Width { get; }
}

/// <summary>
/// A pooling layer: its input's shape and the window, SizeHeight x SizeWidth (also the stride), each dividing its side
/// (a 1-D pool over a signal is a 1 x size window over a height-1 image).
/// </summary>
public interface IPoolShape : ISpatialShape
{
    static abstract int SizeHeight { get; }
    static abstract int SizeWidth { get; }
}

/// <summary>
/// The compile-time shape of a Conv2D layer. The generator emits one struct per layer; the CPU kernels are generic
/// over it, so the JIT compiles each with these sizes as constants.
/// </summary>
/// <remarks>
/// Storage, inside pinned buffers: input X [rows, InHeight, InWidth, InChannelStride] and output Z, A and their
/// gradients [rows, OutHeight, OutWidth, OutChannelStride] (channels-last, padding channels kept 0);
/// weights Wt [KernelHeight * KernelWidth * InChannelStride, OutChannelStride]: row (ky * KernelWidth + kx) * InChannelStride + c,
/// column o holds PyTorch's weight[o, c, ky, kx] (rows of padding channels and columns past OutChannels are 0);
/// bias b [OutChannelStride]. Output sizes follow PyTorch, per axis:
/// (in + 2 padding - dilation (kernel - 1) - 1) / stride + 1, rounded down. With 1 &lt; Groups the weights are
/// block-diagonal: entry (c, o) is 0 unless c / (InChannels / Groups) == o / (OutChannels / Groups). A Conv1D is a
/// height-1 image with kernel 1 x k, stride 1 x s, padding 0 x p and dilation 1 x d.
/// </remarks>
public interface IConvShape : IConvWindow
{
    static abstract int InChannels { get; }
    static abstract int InChannelStride { get; }
    static abstract int OutChannels { get; }

    /// <summary>OutChannels rounded up to a multiple of 16.</summary>
    static abstract int OutChannelStride { get; }

    /// <summary>Channel groups (1: a plain convolution); divides InChannels and OutChannels.</summary>
    static abstract int Groups { get; }
}

/// <summary>
/// The sides and the window of a convolution, shared by <see cref="IConvShape"/> and
/// <see cref="IDepthwiseConvShape"/>: input and output height and width, and per axis the kernel, stride, zero padding
/// and dilation. Output sizes follow PyTorch: (in + 2 padding - dilation (kernel - 1) - 1) / stride + 1, rounded down.
/// </summary>
public interface IConvWindow
{
    static abstract int InHeight { get; }
    static abstract int InWidth { get; }
    static abstract int OutHeight { get; }
    static abstract int OutWidth { get; }
    static abstract int KernelHeight { get; }
    static abstract int KernelWidth { get; }
    static abstract int StrideHeight { get; }
    static abstract int StrideWidth { get; }
    static abstract int PaddingHeight { get; }
    static abstract int PaddingWidth { get; }
    static abstract int DilationHeight { get; }
    static abstract int DilationWidth { get; }
}

/// <summary>The layout rules the spatial kernels rely on, checked at no cost (the sizes are JIT-time constants).</summary>
internal static class SpatialShape
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ValidateConv<T>() where T : struct, IConvShape
    {
        if (T.InChannels < 1 || T.InChannelStride < T.InChannels
            || T.OutChannels < 1 || T.OutChannelStride < T.OutChannels || T.OutChannelStride % 16 != 0
            || T.Groups < 1 || T.InChannels % T.Groups != 0 || T.OutChannels % T.Groups != 0
            || !IsValidWindow<T>())
            ThrowConv<T>();
    }

    /// <summary>
    /// Positive sides, kernels, strides and dilations, padding at least 0, and PyTorch's output size (at least 1) on
    /// each axis.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsValidWindow<T>() where T : struct, IConvWindow =>
        T.InHeight >= 1 && T.InWidth >= 1
        && T.KernelHeight >= 1 && T.KernelWidth >= 1 && T.StrideHeight >= 1 && T.StrideWidth >= 1
        && T.PaddingHeight >= 0 && T.PaddingWidth >= 0 && T.DilationHeight >= 1 && T.DilationWidth >= 1
        && T.OutHeight >= 1 && T.OutWidth >= 1
        && T.OutHeight == OutSize(T.InHeight, T.KernelHeight, T.StrideHeight, T.PaddingHeight, T.DilationHeight)
        && T.OutWidth == OutSize(T.InWidth, T.KernelWidth, T.StrideWidth, T.PaddingWidth, T.DilationWidth);

    /// <summary>PyTorch's output size of one axis; 0 where the dilated kernel does not fit the padded input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int OutSize(int size, int kernel, int stride, int padding, int dilation)
    {
        int span = size + 2 * padding - dilation * (kernel - 1) - 1;
        return span < 0 ? 0 : span / stride + 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Validate<T>() where T : struct, ISpatialShape
    {
        if (T.Channels < 1 || T.ChannelStride < T.Channels || T.Height < 1 || T.Width < 1)
            Throw<T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ValidatePool<T>() where T : struct, IPoolShape
    {
        Validate<T>();
        if (T.SizeHeight < 1 || T.SizeWidth < 1 || T.Height % T.SizeHeight != 0 || T.Width % T.SizeWidth != 0)
            Throw<T>();
    }

    [DoesNotReturn]
    private static void ThrowConv<T>() where T : struct, IConvShape
        => throw new NotSupportedException(
            $"{typeof(T).Name} is not a valid Conv2D shape (in {T.InChannels}/{T.InChannelStride} x {T.InHeight} x {T.InWidth}, "
            + $"out {T.OutChannels}/{T.OutChannelStride} x {T.OutHeight} x {T.OutWidth}, kernel {T.KernelHeight} x {T.KernelWidth}, "
            + $"stride {T.StrideHeight} x {T.StrideWidth}, padding {T.PaddingHeight} x {T.PaddingWidth}, dilation {T.DilationHeight} x {T.DilationWidth}, groups {T.Groups}): "
            + "the kernels need positive sizes, channel strides at least the channels (the output's a multiple of 16), groups dividing both channel counts and PyTorch's output size.");

    [DoesNotReturn]
    private static void Throw<T>() where T : struct, ISpatialShape
        => throw new NotSupportedException(
            $"{typeof(T).Name} is not a valid image shape ({T.Channels}/{T.ChannelStride} x {T.Height} x {T.Width}"
            + (typeof(IPoolShape).IsAssignableFrom(typeof(T)) ? ", a pool window whose sides divide the image's" : "") + ").");
}
