using System.Runtime.CompilerServices;
using ILGPU;

namespace SoftGen.Gpu.Kernels;

/// <summary>
/// The index arithmetic of a convolution's implicit GEMMs, for one <see cref="IConvLayer"/>: the patch matrix (never
/// stored: its values are read from the input as the tiles are staged) and its transposed counterpart. Every size is
/// a constant of the layer type, so ILGPU folds the branches on padding, stride and layout away.
/// </summary>
internal static class ConvGeometry
{
    public static int InPixels<TLayer>() where TLayer : struct, IConvLayer => default(TLayer).InHeight * default(TLayer).InWidth;

    public static int OutPixels<TLayer>() where TLayer : struct, IConvLayer => default(TLayer).OutHeight * default(TLayer).OutWidth;

    /// <summary>Kernel positions (taps).</summary>
    public static int Taps<TLayer>() where TLayer : struct, IConvLayer => default(TLayer).KernelHeight * default(TLayer).KernelWidth;

    /// <summary>The forward GEMM's depth: kernel positions x real input channels.</summary>
    public static int Depth<TLayer>() where TLayer : struct, IConvLayer => Taps<TLayer>() * default(TLayer).InChannels;

    /// <summary>
    /// False for an entry (patch index k, filter f) of a grouped convolution's Wt that is structurally 0: input channel
    /// k % InChannels is not in filter f's group.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Connected<TLayer>(int k, int f) where TLayer : struct, IConvLayer
    {
        var l = default(TLayer);
        return l.Groups == 1 || k % l.InChannels / (l.InChannels / l.Groups) == f / (l.Filters / l.Groups);
    }

    /// <summary>
    /// Input value (row r, pixel iy, ix, channel c): a value of the patch matrix, 0 in the padding (with no padding every
    /// kernel position lands inside the image).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Patch<TLayer>(ArrayView<float> x, int r, int iy, int ix, int c) where TLayer : struct, IConvLayer
    {
        var l = default(TLayer);
        int p = iy * l.InWidth + ix;
        int at = l.ReadsNchw ? r * InPixels<TLayer>() * l.InChannels + c * InPixels<TLayer>() + p : (r * InPixels<TLayer>() + p) * l.InStride + c;
        if (l.PaddingHeight == 0 && l.PaddingWidth == 0) return x[at];
        return iy >= 0 && iy < l.InHeight && ix >= 0 && ix < l.InWidth ? x[at] : 0f;
    }

    /// <summary>The stored weight row of patch index k (kernel position k / InChannels, channel k % InChannels).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int WeightRow<TLayer>(int k) where TLayer : struct, IConvLayer
    {
        var l = default(TLayer);
        return l.InChannels == l.InStride ? k : k / l.InChannels * l.InStride + k % l.InChannels;
    }

    /// <summary>
    /// The transposed convolution: the dZ of filter f at the output pixel (ty / StrideHeight, tx / StrideWidth) of row r
    /// (ty, tx: the input pixel plus the padding less the dilated kernel position), 0 where there is none (the border, or
    /// between the steps of the stride).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Gather<TLayer>(ArrayView<float> dz, int r, int ty, int tx, int f) where TLayer : struct, IConvLayer
    {
        var l = default(TLayer);
        if (ty < 0 || tx < 0) return 0f;
        int oy = ty / l.StrideHeight, ox = tx / l.StrideWidth;
        bool onStep = (l.StrideHeight == 1 || oy * l.StrideHeight == ty) && (l.StrideWidth == 1 || ox * l.StrideWidth == tx);
        return onStep && oy < l.OutHeight && ox < l.OutWidth ? dz[(r * OutPixels<TLayer>() + oy * l.OutWidth + ox) * l.OutStride + f] : 0f;
    }
}
