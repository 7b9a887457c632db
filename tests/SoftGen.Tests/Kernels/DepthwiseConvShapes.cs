using SoftGen.Cpu;

namespace SoftGen.Tests.Kernels;

// Depthwise convolution shapes for the kernel tests (output sizes by PyTorch's formula, worked out by hand).

/// <summary>The signal case of the issue: 64 channels of 250 samples, kernel 1 x 7, padding 0 x 3 (output 250).</summary>
internal readonly struct DwSignalK7 : IDepthwiseConvShape
{
    public static int Channels => 64; public static int ChannelStride => 64;
    public static int InHeight => 1; public static int InWidth => 250; public static int OutHeight => 1; public static int OutWidth => 250;
    public static int KernelHeight => 1; public static int KernelWidth => 7; public static int StrideHeight => 1; public static int StrideWidth => 1;
    public static int PaddingHeight => 0; public static int PaddingWidth => 3; public static int DilationHeight => 1; public static int DilationWidth => 1;
}

/// <summary>A signal of odd length, kernel 1 x 5, stride 1 x 2, padding 0 x 2: (37 + 4 - 4 - 1) / 2 + 1 = 19.</summary>
internal readonly struct DwSignalK5S2 : IDepthwiseConvShape
{
    public static int Channels => 20; public static int ChannelStride => 32;
    public static int InHeight => 1; public static int InWidth => 37; public static int OutHeight => 1; public static int OutWidth => 19;
    public static int KernelHeight => 1; public static int KernelWidth => 5; public static int StrideHeight => 1; public static int StrideWidth => 2;
    public static int PaddingHeight => 0; public static int PaddingWidth => 2; public static int DilationHeight => 1; public static int DilationWidth => 1;
}

/// <summary>A dilated signal, kernel 1 x 3, dilation 1 x 4, padding 0 x 4: 23 samples in and out.</summary>
internal readonly struct DwSignalDilated : IDepthwiseConvShape
{
    public static int Channels => 16; public static int ChannelStride => 16;
    public static int InHeight => 1; public static int InWidth => 23; public static int OutHeight => 1; public static int OutWidth => 23;
    public static int KernelHeight => 1; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
    public static int PaddingHeight => 0; public static int PaddingWidth => 4; public static int DilationHeight => 1; public static int DilationWidth => 4;
}

/// <summary>3 x 3, stride 1, padding 1 on a 9 x 11 image of 19 channels.</summary>
internal readonly struct DwImage3x3 : IDepthwiseConvShape
{
    public static int Channels => 19; public static int ChannelStride => 32;
    public static int InHeight => 9; public static int InWidth => 11; public static int OutHeight => 9; public static int OutWidth => 11;
    public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
    public static int PaddingHeight => 1; public static int PaddingWidth => 1; public static int DilationHeight => 1; public static int DilationWidth => 1;
}

/// <summary>3 x 3, stride 2, padding 1 on 9 x 10: (9 + 2 - 2 - 1) / 2 + 1 = 5 and (10 + 2 - 2 - 1) / 2 + 1 = 5.</summary>
internal readonly struct DwImageStride2 : IDepthwiseConvShape
{
    public static int Channels => 32; public static int ChannelStride => 32;
    public static int InHeight => 9; public static int InWidth => 10; public static int OutHeight => 5; public static int OutWidth => 5;
    public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 2; public static int StrideWidth => 2;
    public static int PaddingHeight => 1; public static int PaddingWidth => 1; public static int DilationHeight => 1; public static int DilationWidth => 1;
}

/// <summary>3 x 3, dilation 2, padding 2 on 8 x 9 (same size out).</summary>
internal readonly struct DwImageDilated : IDepthwiseConvShape
{
    public static int Channels => 17; public static int ChannelStride => 32;
    public static int InHeight => 8; public static int InWidth => 9; public static int OutHeight => 8; public static int OutWidth => 9;
    public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
    public static int PaddingHeight => 2; public static int PaddingWidth => 2; public static int DilationHeight => 2; public static int DilationWidth => 2;
}

/// <summary>
/// Everything uneven: kernel 3 x 2, stride 2 x 1, padding 2 x 1, dilation 2 x 3 on 5 x 6:
/// (5 + 4 - 4 - 1) / 2 + 1 = 3 and (6 + 2 - 3 - 1) / 1 + 1 = 5.
/// </summary>
internal readonly struct DwOdd : IDepthwiseConvShape
{
    public static int Channels => 5; public static int ChannelStride => 16;
    public static int InHeight => 5; public static int InWidth => 6; public static int OutHeight => 3; public static int OutWidth => 5;
    public static int KernelHeight => 3; public static int KernelWidth => 2; public static int StrideHeight => 2; public static int StrideWidth => 1;
    public static int PaddingHeight => 2; public static int PaddingWidth => 1; public static int DilationHeight => 2; public static int DilationWidth => 3;
}

/// <summary>Kernel 1 x 1 with padding 1 on 3 x 4 (out 5 x 6): the border outputs read only padding (the bias alone).</summary>
internal readonly struct DwPaddingOnly : IDepthwiseConvShape
{
    public static int Channels => 3; public static int ChannelStride => 16;
    public static int InHeight => 3; public static int InWidth => 4; public static int OutHeight => 5; public static int OutWidth => 6;
    public static int KernelHeight => 1; public static int KernelWidth => 1; public static int StrideHeight => 1; public static int StrideWidth => 1;
    public static int PaddingHeight => 1; public static int PaddingWidth => 1; public static int DilationHeight => 1; public static int DilationWidth => 1;
}

/// <summary>Kernel 2 x 2, stride 3 on 7 x 8 (out 2 x 3): the stride skips inputs, whose gradient is 0.</summary>
internal readonly struct DwSkipping : IDepthwiseConvShape
{
    public static int Channels => 33; public static int ChannelStride => 48;
    public static int InHeight => 7; public static int InWidth => 8; public static int OutHeight => 2; public static int OutWidth => 3;
    public static int KernelHeight => 2; public static int KernelWidth => 2; public static int StrideHeight => 3; public static int StrideWidth => 3;
    public static int PaddingHeight => 0; public static int PaddingWidth => 0; public static int DilationHeight => 1; public static int DilationWidth => 1;
}

/// <summary>The shape's sizes as values, for the float64 references.</summary>
internal sealed record DwGeometry(int Channels, int Stride, int InHeight, int InWidth, int OutHeight, int OutWidth,
    int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth, int PaddingHeight, int PaddingWidth, int DilationHeight, int DilationWidth)
{
    public static DwGeometry Of<T>() where T : struct, IDepthwiseConvShape
        => new(T.Channels, T.ChannelStride, T.InHeight, T.InWidth, T.OutHeight, T.OutWidth, T.KernelHeight, T.KernelWidth,
            T.StrideHeight, T.StrideWidth, T.PaddingHeight, T.PaddingWidth, T.DilationHeight, T.DilationWidth);

    public int Taps => KernelHeight * KernelWidth;
    public int InPixels => InHeight * InWidth;
    public int OutPixels => OutHeight * OutWidth;
}
