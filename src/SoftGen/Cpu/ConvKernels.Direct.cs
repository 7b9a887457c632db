using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SoftGen.Cpu;

/// <summary>
/// The direct path for a convolution over an image with few channels (InChannelStride &lt; 16: the model's input; and
/// 16, see <see cref="Direct{T}"/>).
/// There a patch is a handful of scalars (9 for one channel and a 3x3 kernel), so building patches costs more than the
/// arithmetic; instead each image is copied once into a zero-bordered scratch image, and the tiles read their
/// operands straight from it: a window's kernel row is KernelWidth InChannelStride contiguous floats there (so the
/// path takes undilated widths only; kernel rows are DilationHeight padded rows apart), and neighbouring output pixels
/// are StrideWidth InChannelStride floats apart.
/// </summary>
/// <remarks>
/// Forward: tiles of up to 8 pixels of one output line by 32 channels whose accumulators start from the bias and go
/// through the activation on their way to memory (the padding channels masked to 0, as in the GEMM path's epilogue).
/// Weight gradient: tiles of up to 9 rows of Wt by 32 channels stay in registers through a whole
/// image, with db summed alongside by the first tile, so that dZ is read once; images are split into partitions that
/// depend on the row count alone, and the partial sums are added in partition order, as in the GEMM path.
/// </remarks>
public static unsafe partial class ConvKernels
{
    /// <summary>Rows of Wt in one weight-gradient tile: 9 rows by 2 vectors, plus the bias pair, fit in the registers.</summary>
    private const int DirectWeightRows = 9;

    /// <remarks>
    /// Also a 16-channel input under a kernel wider than 1: its patches are 16 floats per kernel position, and building
    /// them costs about as much as the one-vector-wide GEMM over them (1.4x faster direct, measured on FashionResNet's
    /// 16-channel 3x3 layers); a 1x1 kernel has no patches to build and keeps the GEMM path.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Direct<T>() where T : struct, IConvShape
        => T.DilationWidth == 1 && (T.InChannelStride < 16 || (T.InChannelStride == 16 && Taps<T>() > 1));

    /// <summary>The zero-bordered image: every window of every output pixel lies inside it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PaddedHeight<T>() where T : struct, IConvShape => (T.OutHeight - 1) * T.StrideHeight + T.DilationHeight * (T.KernelHeight - 1) + 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PaddedWidth<T>() where T : struct, IConvShape => (T.OutWidth - 1) * T.StrideWidth + T.KernelWidth;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PaddedLength<T>() where T : struct, IConvShape => PaddedHeight<T>() * PaddedWidth<T>() * T.InChannelStride;

    /// <summary>Floats between two rows of the padded image.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PaddedRow<T>() where T : struct, IConvShape => PaddedWidth<T>() * T.InChannelStride;

    /// <summary>Copies image <paramref name="image"/> into <paramref name="padded"/>, zeros where the windows reach past its border.</summary>
    private static void PadImage<T>(float* image, float* padded) where T : struct, IConvShape
    {
        int ics = T.InChannelStride;
        for (int py = 0; py < PaddedHeight<T>(); py++)
        {
            int iy = py - T.PaddingHeight;
            float* target = padded + (nint)py * PaddedRow<T>();
            if ((uint)iy >= (uint)T.InHeight)
            {
                new Span<float>(target, PaddedRow<T>()).Clear();
                continue;
            }
            float* source = image + (nint)iy * T.InWidth * ics;
            for (int px = 0; px < PaddedWidth<T>(); px++)
            {
                int ix = px - T.PaddingWidth;
                bool inside = (uint)ix < (uint)T.InWidth;
                for (int c = 0; c < ics; c++)
                    target[px * ics + c] = inside ? source[ix * ics + c] : 0f;
            }
        }
    }

    /// <summary>Forward for output lines [start, end) (line = row OutHeight + oy).</summary>
    private static void DirectForwardLines<TShape, TAct>(void* state, int start, int end)
        where TShape : struct, IConvShape where TAct : struct, IActivation
    {
        var s = (ForwardArgs*)state;
        int ocs = TShape.OutChannelStride, step = TShape.StrideWidth * TShape.InChannelStride;
        float* padded = WorkerPool.Scratch(PaddedLength<TShape>());
        int image = -1;
        for (int line = start; line < end; line++)
        {
            int r = line / TShape.OutHeight, oy = line - r * TShape.OutHeight;
            if (r != image)
            {
                PadImage<TShape>(s->X + (nint)r * InPixels<TShape>() * TShape.InChannelStride, padded);
                image = r;
            }
            float* window = padded + (nint)oy * TShape.StrideHeight * PaddedRow<TShape>();
            for (int ox = 0; ox < TShape.OutWidth; ox += ConvMicroKernels.Rows)
            {
                int count = Math.Min(ConvMicroKernels.Rows, TShape.OutWidth - ox);
                nint row = ((nint)line * TShape.OutWidth + ox) * ocs;
                for (int j = 0; j < ocs; j += 32)
                {
                    int vectors = Math.Min(2, (ocs - j) / 16);
                    DirectForwardTile<TShape, TAct>(count, vectors, window + (nint)ox * step, s->Wt + j, s->Bias + j, j,
                        s->Z != null ? s->Z + row + j : null, s->A + row + j);
                }
            }
        }
    }

    private static void DirectForwardTile<T, TAct>(int rows, int vectors, float* a, float* w, float* bias, int col, float* z, float* c)
        where T : struct, IConvShape where TAct : struct, IActivation
    {
        if (!ConvMicroKernels.UseVector512)
            DirectForwardTile256<T, TAct>(rows, vectors, a, w, bias, col, z, c);
        else if (vectors == 2)
            DirectForwardTile<T, TAct, K2>(rows, a, w, bias, col, z, c);
        else
            DirectForwardTile<T, TAct, K1>(rows, a, w, bias, col, z, c);
    }

    private static void DirectForwardTile<T, TAct, TVectors>(int rows, float* a, float* w, float* bias, int col, float* z, float* c)
        where T : struct, IConvShape where TAct : struct, IActivation where TVectors : struct, IConvConstant
    {
        switch (rows)
        {
            case 8: DirectForwardTile<T, TAct, K8, TVectors>(a, w, bias, col, z, c); break;
            case 7: DirectForwardTile<T, TAct, K7, TVectors>(a, w, bias, col, z, c); break;
            case 6: DirectForwardTile<T, TAct, K6, TVectors>(a, w, bias, col, z, c); break;
            case 5: DirectForwardTile<T, TAct, K5, TVectors>(a, w, bias, col, z, c); break;
            case 4: DirectForwardTile<T, TAct, K4, TVectors>(a, w, bias, col, z, c); break;
            case 3: DirectForwardTile<T, TAct, K3, TVectors>(a, w, bias, col, z, c); break;
            case 2: DirectForwardTile<T, TAct, K2, TVectors>(a, w, bias, col, z, c); break;
            case 1: DirectForwardTile<T, TAct, K1, TVectors>(a, w, bias, col, z, c); break;
        }
    }

    /// <summary>
    /// Z [TRows pixels, 16 TVectors channels] = b + the convolution of TRows neighbouring windows (the first at
    /// <paramref name="a"/> in the padded image) with Wt's columns at <paramref name="w"/>, summed over Wt's rows in
    /// order; then C = act(Z) (and Z itself where <paramref name="z"/> is not null), channels at or past OutChannels 0.
    /// <paramref name="col"/> is the first channel of the tile.
    /// </summary>
    private static void DirectForwardTile<T, TAct, TRows, TVectors>(float* a, float* w, float* bias, int col, float* z, float* c)
        where T : struct, IConvShape where TAct : struct, IActivation where TRows : struct, IConvConstant where TVectors : struct, IConvConstant
    {
        const int s = 16;
        int ocs = T.OutChannelStride, span = T.KernelWidth * T.InChannelStride, step = T.StrideWidth * T.InChannelStride;
        bool two = TVectors.Value > 1, keep = z != null;
        var bias0 = Vector512.Load(bias);
        var bias1 = two ? Vector512.Load(bias + s) : default;
        Vector512<float> c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1;
        Vector512<float> c20 = bias0, c21 = bias1, c30 = bias0, c31 = bias1;
        Vector512<float> c40 = bias0, c41 = bias1, c50 = bias0, c51 = bias1;
        Vector512<float> c60 = bias0, c61 = bias1, c70 = bias0, c71 = bias1;
        for (int ky = 0; ky < T.KernelHeight; ky++, a += T.DilationHeight * PaddedRow<T>())
        {
            for (int t = 0; t < span; t++, w += ocs)
            {
                var b0 = Vector512.Load(w);
                var b1 = two ? Vector512.Load(w + s) : default;
                var a0 = Vector512.Create(a[t]);
                c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
                if (two) c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
                if (TRows.Value > 1)
                {
                    var a1 = Vector512.Create(a[1 * step + t]);
                    c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
                    if (two) c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
                }
                if (TRows.Value > 2)
                {
                    var a2 = Vector512.Create(a[2 * step + t]);
                    c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
                    if (two) c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
                }
                if (TRows.Value > 3)
                {
                    var a3 = Vector512.Create(a[3 * step + t]);
                    c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
                    if (two) c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
                }
                if (TRows.Value > 4)
                {
                    var a4 = Vector512.Create(a[4 * step + t]);
                    c40 = Vector512.FusedMultiplyAdd(a4, b0, c40);
                    if (two) c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
                }
                if (TRows.Value > 5)
                {
                    var a5 = Vector512.Create(a[5 * step + t]);
                    c50 = Vector512.FusedMultiplyAdd(a5, b0, c50);
                    if (two) c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
                }
                if (TRows.Value > 6)
                {
                    var a6 = Vector512.Create(a[6 * step + t]);
                    c60 = Vector512.FusedMultiplyAdd(a6, b0, c60);
                    if (two) c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
                }
                if (TRows.Value > 7)
                {
                    var a7 = Vector512.Create(a[7 * step + t]);
                    c70 = Vector512.FusedMultiplyAdd(a7, b0, c70);
                    if (two) c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
                }
            }
        }
        Activate<T, TAct>(c00, keep, col, z, c); if (two) Activate<T, TAct>(c01, keep, col + s, z + s, c + s);
        if (TRows.Value > 1) { Activate<T, TAct>(c10, keep, col, z + ocs, c + ocs); if (two) Activate<T, TAct>(c11, keep, col + s, z + ocs + s, c + ocs + s); }
        if (TRows.Value > 2) { Activate<T, TAct>(c20, keep, col, z + 2 * ocs, c + 2 * ocs); if (two) Activate<T, TAct>(c21, keep, col + s, z + 2 * ocs + s, c + 2 * ocs + s); }
        if (TRows.Value > 3) { Activate<T, TAct>(c30, keep, col, z + 3 * ocs, c + 3 * ocs); if (two) Activate<T, TAct>(c31, keep, col + s, z + 3 * ocs + s, c + 3 * ocs + s); }
        if (TRows.Value > 4) { Activate<T, TAct>(c40, keep, col, z + 4 * ocs, c + 4 * ocs); if (two) Activate<T, TAct>(c41, keep, col + s, z + 4 * ocs + s, c + 4 * ocs + s); }
        if (TRows.Value > 5) { Activate<T, TAct>(c50, keep, col, z + 5 * ocs, c + 5 * ocs); if (two) Activate<T, TAct>(c51, keep, col + s, z + 5 * ocs + s, c + 5 * ocs + s); }
        if (TRows.Value > 6) { Activate<T, TAct>(c60, keep, col, z + 6 * ocs, c + 6 * ocs); if (two) Activate<T, TAct>(c61, keep, col + s, z + 6 * ocs + s, c + 6 * ocs + s); }
        if (TRows.Value > 7) { Activate<T, TAct>(c70, keep, col, z + 7 * ocs, c + 7 * ocs); if (two) Activate<T, TAct>(c71, keep, col + s, z + 7 * ocs + s, c + 7 * ocs + s); }
    }

    /// <summary>Stores act(z) at <paramref name="a"/> (and z at <paramref name="zOut"/> when <paramref name="keep"/>), 16 channels from <paramref name="col"/>, those past OutChannels 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Activate<T, TAct>(Vector512<float> z, bool keep, int col, float* zOut, float* a) where T : struct, IConvShape where TAct : struct, IActivation
    {
        var value = TAct.Apply(z);
        if (T.OutChannels % 16 != 0 && col + 16 > T.OutChannels)
        {
            var real = TailMask(T.OutChannels - col);
            z &= real;
            value &= real;
        }
        if (keep)
            z.Store(zOut);
        value.Store(a);
    }

    /// <summary>The direct path's partitions: whole images, as many as the GEMM path's pixel partitions but at most one per image.</summary>
    private static int DirectPartitions(int rows, int pixels) => Math.Min(WeightPartitions(pixels), Math.Max(rows, 1));

    /// <summary>
    /// Partitions [start, end) of the images: each sums, image after image, its images' windows times their dZ rows
    /// into its slice of the partials ([Depth, OutChannelStride] weights, then the [OutChannelStride] bias row).
    /// </summary>
    private static void DirectWeightPartition<TShape>(void* state, int start, int end) where TShape : struct, IConvShape
    {
        var s = (WeightsArgs*)state;
        int depth = Depth<TShape>(), ocs = TShape.OutChannelStride, span = TShape.KernelWidth * TShape.InChannelStride;
        int rows = s->Pixels / OutPixels<TShape>();
        float* padded = WorkerPool.Scratch(PaddedLength<TShape>() + depth);
        // Where row p of Wt (kernel row ky, then kx InChannelStride + c) finds its operand in a window of the padded image.
        int* offsets = (int*)(padded + PaddedLength<TShape>());
        for (int p = 0; p < depth; p++)
            offsets[p] = p / span * TShape.DilationHeight * PaddedRow<TShape>() + p % span;
        for (int part = start; part < end; part++)
        {
            int first = (int)((long)part * rows / s->Partitions), last = (int)((long)(part + 1) * rows / s->Partitions);
            float* sums = s->Partitions == 1 ? s->DWt : s->Partials + (nint)part * (depth + 1) * ocs;
            float* bias = s->Partitions == 1 ? s->Db : sums + (nint)depth * ocs;
            for (int r = first; r < last; r++)
            {
                PadImage<TShape>(s->X + (nint)r * InPixels<TShape>() * TShape.InChannelStride, padded);
                float* dz = s->DZ + (nint)r * OutPixels<TShape>() * ocs;
                for (int k = 0; k < depth; k += DirectWeightRows)
                {
                    int tileRows = Math.Min(DirectWeightRows, depth - k);
                    for (int j = 0; j < ocs; j += 32)
                    {
                        int vectors = Math.Min(2, (ocs - j) / 16);
                        DirectWeightTile<TShape>(tileRows, vectors, k == 0, r > first, padded, offsets + k, dz + j, sums + (nint)k * ocs + j, bias + j, 0, TShape.OutHeight);
                    }
                }
            }
        }
    }

    /// <summary>dWt and db = the partitions' partial sums added in partition order, for the 16-float groups [start, end).</summary>
    private static void DirectSumPartials<TShape>(void* state, int start, int end) where TShape : struct, IConvShape
    {
        var s = (WeightsArgs*)state;
        nint weights = (nint)Depth<TShape>() * TShape.OutChannelStride, slice = weights + TShape.OutChannelStride;
        for (nint g = (nint)start * 16; g < (nint)end * 16; g += 16)
        {
            var sum = Vector512.Load(s->Partials + g);
            for (int part = 1; part < s->Partitions; part++)
                sum += Vector512.Load(s->Partials + part * slice + g);
            sum.Store(g < weights ? s->DWt + g : s->Db + (g - weights));
        }
    }

    private static void DirectWeightTile<T>(int rows, int vectors, bool withBias, bool accumulate, float* padded, int* offsets, float* dz, float* c, float* bias, int line, int lines)
        where T : struct, IConvShape
    {
        if (!ConvMicroKernels.UseVector512)
            DirectWeightTile256<T>(rows, vectors, withBias, accumulate, padded, offsets, dz, c, bias, line, lines);
        else if (vectors == 2)
        {
            if (withBias) DirectWeightTile<T, K2, K1>(rows, accumulate, padded, offsets, dz, c, bias, line, lines);
            else DirectWeightTile<T, K2, K0>(rows, accumulate, padded, offsets, dz, c, bias, line, lines);
        }
        else
        {
            if (withBias) DirectWeightTile<T, K1, K1>(rows, accumulate, padded, offsets, dz, c, bias, line, lines);
            else DirectWeightTile<T, K1, K0>(rows, accumulate, padded, offsets, dz, c, bias, line, lines);
        }
    }

    private static void DirectWeightTile<T, TVectors, TBias>(int rows, bool accumulate, float* padded, int* offsets, float* dz, float* c, float* bias, int line, int lines)
        where T : struct, IConvShape where TVectors : struct, IConvConstant where TBias : struct, IConvConstant
    {
        switch (rows)
        {
            case 9: DirectWeightTile<T, K9, TVectors, TBias>(accumulate, padded, offsets, dz, c, bias, line, lines); break;
            case 8: DirectWeightTile<T, K8, TVectors, TBias>(accumulate, padded, offsets, dz, c, bias, line, lines); break;
            case 7: DirectWeightTile<T, K7, TVectors, TBias>(accumulate, padded, offsets, dz, c, bias, line, lines); break;
            case 6: DirectWeightTile<T, K6, TVectors, TBias>(accumulate, padded, offsets, dz, c, bias, line, lines); break;
            case 5: DirectWeightTile<T, K5, TVectors, TBias>(accumulate, padded, offsets, dz, c, bias, line, lines); break;
            case 4: DirectWeightTile<T, K4, TVectors, TBias>(accumulate, padded, offsets, dz, c, bias, line, lines); break;
            case 3: DirectWeightTile<T, K3, TVectors, TBias>(accumulate, padded, offsets, dz, c, bias, line, lines); break;
            case 2: DirectWeightTile<T, K2, TVectors, TBias>(accumulate, padded, offsets, dz, c, bias, line, lines); break;
            case 1: DirectWeightTile<T, K1, TVectors, TBias>(accumulate, padded, offsets, dz, c, bias, line, lines); break;
        }
    }

    /// <summary>
    /// C [TRows rows of Wt, 16 TVectors channels] (+)= the sum over output lines line..line+lines-1 of one image, pixel
    /// after pixel, of the window values at <paramref name="offsets"/> times the pixel's dZ (<paramref name="dz"/>: the
    /// first line's); with TBias, also bias (+)= the sum of dZ.
    /// </summary>
    private static void DirectWeightTile<T, TRows, TVectors, TBias>(bool accumulate, float* padded, int* offsets, float* dz, float* c, float* bias, int line, int lines)
        where T : struct, IConvShape where TRows : struct, IConvConstant where TVectors : struct, IConvConstant
        where TBias : struct, IConvConstant
    {
        const int s = 16;
        int ocs = T.OutChannelStride, step = T.StrideWidth * T.InChannelStride;
        bool two = TVectors.Value > 1, withBias = TBias.Value != 0;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        Vector512<float> c80 = default, c81 = default, d0 = default, d1 = default;
        int o0 = offsets[0];
        int o1 = TRows.Value > 1 ? offsets[1] : 0, o2 = TRows.Value > 2 ? offsets[2] : 0;
        int o3 = TRows.Value > 3 ? offsets[3] : 0, o4 = TRows.Value > 4 ? offsets[4] : 0;
        int o5 = TRows.Value > 5 ? offsets[5] : 0, o6 = TRows.Value > 6 ? offsets[6] : 0;
        int o7 = TRows.Value > 7 ? offsets[7] : 0, o8 = TRows.Value > 8 ? offsets[8] : 0;
        if (accumulate)
        {
            c00 = Vector512.Load(c); if (two) c01 = Vector512.Load(c + s);
            if (TRows.Value > 1) { c10 = Vector512.Load(c + ocs); if (two) c11 = Vector512.Load(c + ocs + s); }
            if (TRows.Value > 2) { c20 = Vector512.Load(c + 2 * ocs); if (two) c21 = Vector512.Load(c + 2 * ocs + s); }
            if (TRows.Value > 3) { c30 = Vector512.Load(c + 3 * ocs); if (two) c31 = Vector512.Load(c + 3 * ocs + s); }
            if (TRows.Value > 4) { c40 = Vector512.Load(c + 4 * ocs); if (two) c41 = Vector512.Load(c + 4 * ocs + s); }
            if (TRows.Value > 5) { c50 = Vector512.Load(c + 5 * ocs); if (two) c51 = Vector512.Load(c + 5 * ocs + s); }
            if (TRows.Value > 6) { c60 = Vector512.Load(c + 6 * ocs); if (two) c61 = Vector512.Load(c + 6 * ocs + s); }
            if (TRows.Value > 7) { c70 = Vector512.Load(c + 7 * ocs); if (two) c71 = Vector512.Load(c + 7 * ocs + s); }
            if (TRows.Value > 8) { c80 = Vector512.Load(c + 8 * ocs); if (two) c81 = Vector512.Load(c + 8 * ocs + s); }
            if (withBias) { d0 = Vector512.Load(bias); if (two) d1 = Vector512.Load(bias + s); }
        }
        for (int oy = line; oy < line + lines; oy++)
        {
            float* a = padded + (nint)oy * T.StrideHeight * PaddedRow<T>();
            for (int ox = 0; ox < T.OutWidth; ox++, a += step, dz += ocs)
            {
                var b0 = Vector512.Load(dz);
                var b1 = two ? Vector512.Load(dz + s) : default;
                if (withBias)
                {
                    d0 += b0;
                    if (two) d1 += b1;
                }
                var a0 = Vector512.Create(a[o0]);
                c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
                if (two) c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
                if (TRows.Value > 1)
                {
                    var a1 = Vector512.Create(a[o1]);
                    c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
                    if (two) c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
                }
                if (TRows.Value > 2)
                {
                    var a2 = Vector512.Create(a[o2]);
                    c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
                    if (two) c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
                }
                if (TRows.Value > 3)
                {
                    var a3 = Vector512.Create(a[o3]);
                    c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
                    if (two) c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
                }
                if (TRows.Value > 4)
                {
                    var a4 = Vector512.Create(a[o4]);
                    c40 = Vector512.FusedMultiplyAdd(a4, b0, c40);
                    if (two) c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
                }
                if (TRows.Value > 5)
                {
                    var a5 = Vector512.Create(a[o5]);
                    c50 = Vector512.FusedMultiplyAdd(a5, b0, c50);
                    if (two) c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
                }
                if (TRows.Value > 6)
                {
                    var a6 = Vector512.Create(a[o6]);
                    c60 = Vector512.FusedMultiplyAdd(a6, b0, c60);
                    if (two) c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
                }
                if (TRows.Value > 7)
                {
                    var a7 = Vector512.Create(a[o7]);
                    c70 = Vector512.FusedMultiplyAdd(a7, b0, c70);
                    if (two) c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
                }
                if (TRows.Value > 8)
                {
                    var a8 = Vector512.Create(a[o8]);
                    c80 = Vector512.FusedMultiplyAdd(a8, b0, c80);
                    if (two) c81 = Vector512.FusedMultiplyAdd(a8, b1, c81);
                }
            }
        }
        Vector512.Store(c00, c); if (two) Vector512.Store(c01, c + s);
        if (TRows.Value > 1) { Vector512.Store(c10, c + ocs); if (two) Vector512.Store(c11, c + ocs + s); }
        if (TRows.Value > 2) { Vector512.Store(c20, c + 2 * ocs); if (two) Vector512.Store(c21, c + 2 * ocs + s); }
        if (TRows.Value > 3) { Vector512.Store(c30, c + 3 * ocs); if (two) Vector512.Store(c31, c + 3 * ocs + s); }
        if (TRows.Value > 4) { Vector512.Store(c40, c + 4 * ocs); if (two) Vector512.Store(c41, c + 4 * ocs + s); }
        if (TRows.Value > 5) { Vector512.Store(c50, c + 5 * ocs); if (two) Vector512.Store(c51, c + 5 * ocs + s); }
        if (TRows.Value > 6) { Vector512.Store(c60, c + 6 * ocs); if (two) Vector512.Store(c61, c + 6 * ocs + s); }
        if (TRows.Value > 7) { Vector512.Store(c70, c + 7 * ocs); if (two) Vector512.Store(c71, c + 7 * ocs + s); }
        if (TRows.Value > 8) { Vector512.Store(c80, c + 8 * ocs); if (two) Vector512.Store(c81, c + 8 * ocs + s); }
        if (withBias) { Vector512.Store(d0, bias); if (two) Vector512.Store(d1, bias + s); }
    }
}
