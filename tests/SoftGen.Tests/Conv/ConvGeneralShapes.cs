using SoftGen.Cpu;

namespace SoftGen.Tests.Conv;

// Convolution shapes beyond square kernels: rectangular kernels, per-axis strides and paddings, dilations, groups and
// height-1 signals (a Conv1D), over the direct path (InChannelStride < 16, or 16 with an undilated width) and the GEMM
// path. Output sizes are PyTorch's: (in + 2 padding - dilation (kernel - 1) - 1) / stride + 1.

/// <summary>3x5 kernel, padding 1x2, 16 channels: the direct path.</summary>
internal readonly struct Rect3x5 : IConvShape
{
    public static int InChannels => 16; public static int InChannelStride => 16; public static int InHeight => 7; public static int InWidth => 9;
    public static int OutChannels => 20; public static int OutChannelStride => 32; public static int OutHeight => 7; public static int OutWidth => 9;
    public static int KernelHeight => 3; public static int KernelWidth => 5; public static int StrideHeight => 1; public static int StrideWidth => 1;
    public static int PaddingHeight => 1; public static int PaddingWidth => 2; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 1;
}

/// <summary>5x1 kernel, stride 2x1, padding 2x0, 33 of 48 channels: the GEMM path and the strided input gradient.</summary>
internal readonly struct Tall5x1Stride2x1 : IConvShape
{
    public static int InChannels => 33; public static int InChannelStride => 48; public static int InHeight => 11; public static int InWidth => 6;
    public static int OutChannels => 17; public static int OutChannelStride => 32; public static int OutHeight => 6; public static int OutWidth => 6;
    public static int KernelHeight => 5; public static int KernelWidth => 1; public static int StrideHeight => 2; public static int StrideWidth => 1;
    public static int PaddingHeight => 2; public static int PaddingWidth => 0; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 1;
}

/// <summary>A signal of odd length: 1x7 kernel, stride 1x2, padding 0x3, 32 channels.</summary>
internal readonly struct Signal1x7Stride2 : IConvShape
{
    public static int InChannels => 32; public static int InChannelStride => 32; public static int InHeight => 1; public static int InWidth => 37;
    public static int OutChannels => 40; public static int OutChannelStride => 48; public static int OutHeight => 1; public static int OutWidth => 19;
    public static int KernelHeight => 1; public static int KernelWidth => 7; public static int StrideHeight => 1; public static int StrideWidth => 2;
    public static int PaddingHeight => 0; public static int PaddingWidth => 3; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 1;
}

/// <summary>3x3 kernel, stride 2x3, padding 1x0, 16 channels: the direct path with unequal strides.</summary>
internal readonly struct Stride2x3 : IConvShape
{
    public static int InChannels => 16; public static int InChannelStride => 16; public static int InHeight => 9; public static int InWidth => 13;
    public static int OutChannels => 16; public static int OutChannelStride => 16; public static int OutHeight => 5; public static int OutWidth => 4;
    public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 2; public static int StrideWidth => 3;
    public static int PaddingHeight => 1; public static int PaddingWidth => 0; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 1;
}

/// <summary>3x3 kernel, dilation 2, padding 2, 48 channels.</summary>
internal readonly struct Dilated2 : IConvShape
{
    public static int InChannels => 48; public static int InChannelStride => 48; public static int InHeight => 8; public static int InWidth => 9;
    public static int OutChannels => 32; public static int OutChannelStride => 32; public static int OutHeight => 8; public static int OutWidth => 9;
    public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
    public static int PaddingHeight => 2; public static int PaddingWidth => 2; public static int DilationHeight => 2; public static int DilationWidth => 2; public static int Groups => 1;
}

/// <summary>A signal: 1x5 kernel, dilation 1x3, stride 1x2, padding 0x6, 16 channels (dilated, so the GEMM path).</summary>
internal readonly struct SignalDilated3 : IConvShape
{
    public static int InChannels => 16; public static int InChannelStride => 16; public static int InHeight => 1; public static int InWidth => 41;
    public static int OutChannels => 24; public static int OutChannelStride => 32; public static int OutHeight => 1; public static int OutWidth => 21;
    public static int KernelHeight => 1; public static int KernelWidth => 5; public static int StrideHeight => 1; public static int StrideWidth => 2;
    public static int PaddingHeight => 0; public static int PaddingWidth => 6; public static int DilationHeight => 1; public static int DilationWidth => 3; public static int Groups => 1;
}

/// <summary>A signal: 1x5 kernel, dilation 1x2, padding 0x4, 32 channels, stride 1 (the shape of the layer (c)).</summary>
internal readonly struct SignalDilated2 : IConvShape
{
    public static int InChannels => 32; public static int InChannelStride => 32; public static int InHeight => 1; public static int InWidth => 29;
    public static int OutChannels => 32; public static int OutChannelStride => 32; public static int OutHeight => 1; public static int OutWidth => 29;
    public static int KernelHeight => 1; public static int KernelWidth => 5; public static int StrideHeight => 1; public static int StrideWidth => 1;
    public static int PaddingHeight => 0; public static int PaddingWidth => 4; public static int DilationHeight => 1; public static int DilationWidth => 2; public static int Groups => 1;
}

/// <summary>3x3 kernel, dilation 2x1, padding 2x1, 3 channels in stride 8: the direct path with a dilated height.</summary>
internal readonly struct DirectDilatedHeight : IConvShape
{
    public static int InChannels => 3; public static int InChannelStride => 8; public static int InHeight => 9; public static int InWidth => 10;
    public static int OutChannels => 20; public static int OutChannelStride => 32; public static int OutHeight => 9; public static int OutWidth => 10;
    public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
    public static int PaddingHeight => 2; public static int PaddingWidth => 1; public static int DilationHeight => 2; public static int DilationWidth => 1; public static int Groups => 1;
}

/// <summary>The model's 8-channel input signal (stride 8): 1x7 kernel, stride 1x2, padding 0x3, odd length.</summary>
internal readonly struct Signal8Channels : IConvShape
{
    public static int InChannels => 8; public static int InChannelStride => 8; public static int InHeight => 1; public static int InWidth => 51;
    public static int OutChannels => 32; public static int OutChannelStride => 32; public static int OutHeight => 1; public static int OutWidth => 26;
    public static int KernelHeight => 1; public static int KernelWidth => 7; public static int StrideHeight => 1; public static int StrideWidth => 2;
    public static int PaddingHeight => 0; public static int PaddingWidth => 3; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 1;
}

/// <summary>Groups 2, 3x3 kernel, padding 1, 32 to 48 channels.</summary>
internal readonly struct Groups2 : IConvShape
{
    public static int InChannels => 32; public static int InChannelStride => 32; public static int InHeight => 5; public static int InWidth => 6;
    public static int OutChannels => 48; public static int OutChannelStride => 48; public static int OutHeight => 5; public static int OutWidth => 6;
    public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
    public static int PaddingHeight => 1; public static int PaddingWidth => 1; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 2;
}

/// <summary>Groups 4 over a signal, 1x5 kernel, stride 1x2, padding 0x2, 16 to 32 channels: the direct path.</summary>
internal readonly struct Groups4Signal : IConvShape
{
    public static int InChannels => 16; public static int InChannelStride => 16; public static int InHeight => 1; public static int InWidth => 23;
    public static int OutChannels => 32; public static int OutChannelStride => 32; public static int OutHeight => 1; public static int OutWidth => 12;
    public static int KernelHeight => 1; public static int KernelWidth => 5; public static int StrideHeight => 1; public static int StrideWidth => 2;
    public static int PaddingHeight => 0; public static int PaddingWidth => 2; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 4;
}

/// <summary>Groups 4 with padding channels (24 of 32 in, 36 of 48 out), 3x2 kernel, padding 1, stride 2x1.</summary>
internal readonly struct Groups4Padded : IConvShape
{
    public static int InChannels => 24; public static int InChannelStride => 32; public static int InHeight => 5; public static int InWidth => 5;
    public static int OutChannels => 36; public static int OutChannelStride => 48; public static int OutHeight => 3; public static int OutWidth => 6;
    public static int KernelHeight => 3; public static int KernelWidth => 2; public static int StrideHeight => 2; public static int StrideWidth => 1;
    public static int PaddingHeight => 1; public static int PaddingWidth => 1; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 4;
}

/// <summary>The 8-channel signal's 32-channel output, 1x26, under a 1x2 max pool.</summary>
internal readonly struct Signal8Pool : IPoolShape
{
    public static int Channels => 32; public static int ChannelStride => 32; public static int Height => 1; public static int Width => 26; public static int SizeHeight => 1; public static int SizeWidth => 2;
}

/// <summary>A signal of odd length, 1x5 kernel, padding 0x2, stride 1, 48 channels: the line path.</summary>
internal readonly struct Signal1x5 : IConvShape
{
    public static int InChannels => 48; public static int InChannelStride => 48; public static int InHeight => 1; public static int InWidth => 31;
    public static int OutChannels => 33; public static int OutChannelStride => 48; public static int OutHeight => 1; public static int OutWidth => 31;
    public static int KernelHeight => 1; public static int KernelWidth => 5; public static int StrideHeight => 1; public static int StrideWidth => 1;
    public static int PaddingHeight => 0; public static int PaddingWidth => 2; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 1;
}

/// <summary>A 1x1 kernel with stride 1x3 and padding 0x1: input pixels that no window sees get a 0 gradient.</summary>
internal readonly struct Signal1x1Stride3 : IConvShape
{
    public static int InChannels => 16; public static int InChannelStride => 16; public static int InHeight => 1; public static int InWidth => 20;
    public static int OutChannels => 16; public static int OutChannelStride => 16; public static int OutHeight => 1; public static int OutWidth => 8;
    public static int KernelHeight => 1; public static int KernelWidth => 1; public static int StrideHeight => 1; public static int StrideWidth => 3;
    public static int PaddingHeight => 0; public static int PaddingWidth => 1; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 1;
}

/// <summary>Groups 2 over a signal, 1x3 kernel, padding 0x1, 32 channels: the line path with masked gradients.</summary>
internal readonly struct Groups2Signal : IConvShape
{
    public static int InChannels => 32; public static int InChannelStride => 32; public static int InHeight => 1; public static int InWidth => 17;
    public static int OutChannels => 32; public static int OutChannelStride => 32; public static int OutHeight => 1; public static int OutWidth => 17;
    public static int KernelHeight => 1; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
    public static int PaddingHeight => 0; public static int PaddingWidth => 1; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 2;
}

/// <summary>A 1x4 kernel with stride 1x3, padding 0x5 (past the kernel): classes of one and two kernel positions.</summary>
internal readonly struct Signal1x4Stride3 : IConvShape
{
    public static int InChannels => 20; public static int InChannelStride => 32; public static int InHeight => 1; public static int InWidth => 25;
    public static int OutChannels => 16; public static int OutChannelStride => 16; public static int OutHeight => 1; public static int OutWidth => 11;
    public static int KernelHeight => 1; public static int KernelWidth => 4; public static int StrideHeight => 1; public static int StrideWidth => 3;
    public static int PaddingHeight => 0; public static int PaddingWidth => 5; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 1;
}
