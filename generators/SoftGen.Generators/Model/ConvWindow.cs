namespace SoftGen.Generators.Model;

/// <summary>
/// The window of a convolution or a pool along each axis: kernel, stride, zero padding and dilation (PyTorch's
/// Conv2d arguments), and the channel groups of a convolution. A signal model's layers have height 1 (kernel 1, stride
/// 1, padding 0); a pool's window is its own stride with no padding.
/// </summary>
internal sealed record ConvWindow(int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth,
    int PaddingHeight, int PaddingWidth, int DilationHeight = 1, int DilationWidth = 1, int Groups = 1)
{
    public static ConvWindow Square(int kernel, int stride, int padding) => new(kernel, kernel, stride, stride, padding, padding);

    /// <summary>A non-overlapping pool window (stride = size).</summary>
    public static ConvWindow Pool(int height, int width) => new(height, width, height, width, 0, 0);

    public int Taps => KernelHeight * KernelWidth;

    /// <summary>Pixels a dilated kernel spans along each axis: dilation (kernel - 1) + 1.</summary>
    public int SpanHeight => DilationHeight * (KernelHeight - 1) + 1;

    public int SpanWidth => DilationWidth * (KernelWidth - 1) + 1;

    /// <summary>True for the plain square window the older kernels were written for: same sizes both ways, no dilation, no groups.</summary>
    public bool IsSquare => KernelHeight == KernelWidth && StrideHeight == StrideWidth && PaddingHeight == PaddingWidth
        && DilationHeight == 1 && DilationWidth == 1 && Groups == 1;

    public int OutHeight(int height) => Shapes.ConvOutput(height, SpanHeight, StrideHeight, PaddingHeight);

    public int OutWidth(int width) => Shapes.ConvOutput(width, SpanWidth, StrideWidth, PaddingWidth);
}
