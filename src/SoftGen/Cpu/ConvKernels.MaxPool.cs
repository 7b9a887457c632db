using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SoftGen.Cpu;

/// <summary>
/// A few-channel convolution (the direct path) fused with the max pool after it. The convolution's output is the
/// largest tensor of a typical CNN (32 channels at the input's full size) and is only ever read by the pool, so the
/// fused forward computes it a band of pool windows at a time in the chunk's scratch and writes only the pooled
/// output; the fused backward recomputes the same band (the same tiles in the same order, so the same bits), routes
/// each window's gradient to its first largest input as <see cref="PoolKernels.MaxBackward{TShape, TPrevAct}(WorkerPool, float*, float*, float*, float*, float*, int)"/>
/// does, and sums the weight and bias gradients from the band, as <see cref="BackwardWeights{TShape}(WorkerPool, float*, float*, float*, float*, float*, int)"/>
/// does from a stored dZ. The results equal the unfused kernels' bit for bit.
/// </summary>
public static unsafe partial class ConvKernels
{
    private struct MaxPoolArgs
    {
        public float* X, Wt, Bias, Y, DY, DWt, Db, Partials;
        public int Rows, Partitions;
    }

    /// <summary>
    /// Y = the max over TPool's SizeHeight x SizeWidth windows of act(conv(X, W) + b), [rows, OutHeight / SizeHeight, OutWidth / SizeWidth,
    /// OutChannelStride], padding channels 0; the convolution's output itself is not stored.
    /// </summary>
    public static void ForwardMaxPool<TConv, TPool, TAct>(WorkerPool pool, float* x, float* wt, float* bias, float* y, int rows)
        where TConv : struct, IConvShape where TPool : struct, IPoolShape where TAct : struct, IActivation
    {
        ValidateMaxPool<TConv, TPool>();
        var args = new MaxPoolArgs { X = x, Wt = wt, Bias = bias, Y = y, Rows = Math.Max(rows, 0) };
        pool.For(args.Rows * (TConv.OutHeight / TPool.SizeHeight), 1, &ForwardMaxPoolBands<TConv, TPool, TAct>, &args);
    }

    /// <summary>
    /// The backward of <see cref="ForwardMaxPool{TConv, TPool, TAct}(WorkerPool, float*, float*, float*, float*, int)"/>
    /// into the convolution's parameters, overwritten: dZ = (dY at each window's first largest input, 0 elsewhere) *
    /// act'(Z), then dWt and db from dZ as <see cref="BackwardWeights{TShape}(WorkerPool, float*, float*, float*, float*, float*, int)"/>
    /// (its <paramref name="partials"/>, <see cref="WeightPartialsLength{TShape}"/> floats). <paramref name="y"/> is the
    /// forward's output, <paramref name="dy"/> the gradient with respect to it.
    /// </summary>
    public static void BackwardWeightsMaxPool<TConv, TPool, TAct>(WorkerPool pool, float* x, float* wt, float* bias, float* y, float* dy,
        float* dwt, float* db, float* partials, int rows)
        where TConv : struct, IConvShape where TPool : struct, IPoolShape where TAct : struct, IActivation
    {
        ValidateMaxPool<TConv, TPool>();
        rows = Math.Max(rows, 0);
        int partitions = DirectPartitions(rows, rows * OutPixels<TConv>());
        var args = new MaxPoolArgs { X = x, Wt = wt, Bias = bias, Y = y, DY = dy, DWt = dwt, Db = db, Partials = partitions == 1 ? dwt : partials, Rows = rows, Partitions = partitions };
        if (rows == 0)
        {
            new Span<float>(dwt, Depth<TConv>() * TConv.OutChannelStride).Clear();
            new Span<float>(db, TConv.OutChannelStride).Clear();
            return;
        }
        pool.For(partitions, 1, &BackwardMaxPoolPartition<TConv, TPool, TAct>, &args);
        if (partitions > 1)
        {
            var sum = new WeightsArgs { DWt = dwt, Db = db, Partials = partials, Partitions = partitions };
            pool.For((Depth<TConv>() + 1) * TConv.OutChannelStride / 16, 64, &DirectSumPartials<TConv>, &sum);
        }
        MaskGroups<TConv>(pool, dwt);
    }

    /// <inheritdoc cref="ForwardMaxPool{TConv, TPool, TAct}(WorkerPool, float*, float*, float*, float*, int)"/>
    public static void ForwardMaxPool<TConv, TPool, TAct>(WorkerPool pool, FloatBuffer x, FloatBuffer wt, FloatBuffer bias, FloatBuffer y, int rows)
        where TConv : struct, IConvShape where TPool : struct, IPoolShape where TAct : struct, IActivation
        => ForwardMaxPool<TConv, TPool, TAct>(pool, x.Pointer, wt.Pointer, bias.Pointer, y.Pointer, rows);

    /// <inheritdoc cref="BackwardWeightsMaxPool{TConv, TPool, TAct}(WorkerPool, float*, float*, float*, float*, float*, float*, float*, float*, int)"/>
    public static void BackwardWeightsMaxPool<TConv, TPool, TAct>(WorkerPool pool, FloatBuffer x, FloatBuffer wt, FloatBuffer bias, FloatBuffer y, FloatBuffer dy,
        FloatBuffer dwt, FloatBuffer db, FloatBuffer partials, int rows)
        where TConv : struct, IConvShape where TPool : struct, IPoolShape where TAct : struct, IActivation
        => BackwardWeightsMaxPool<TConv, TPool, TAct>(pool, x.Pointer, wt.Pointer, bias.Pointer, y.Pointer, dy.Pointer, dwt.Pointer, db.Pointer, partials.Pointer, rows);

    private static void ValidateMaxPool<TConv, TPool>() where TConv : struct, IConvShape where TPool : struct, IPoolShape
    {
        SpatialShape.ValidateConv<TConv>();
        SpatialShape.ValidatePool<TPool>();
        if (!Direct<TConv>() || TPool.Channels != TConv.OutChannels || TPool.ChannelStride != TConv.OutChannelStride
            || TPool.Height != TConv.OutHeight || TPool.Width != TConv.OutWidth)
            throw new NotSupportedException(
                $"{typeof(TConv).Name} and {typeof(TPool).Name} cannot be fused: the convolution needs an input with fewer than 16 floats per pixel "
                + $"(it has {TConv.InChannelStride}) and the pool must read its output ({TConv.OutChannels}/{TConv.OutChannelStride} x {TConv.OutHeight} x {TConv.OutWidth}; "
                + $"the pool reads {TPool.Channels}/{TPool.ChannelStride} x {TPool.Height} x {TPool.Width}).");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Round16(int floats) => (floats + 15) & ~15;

    /// <summary>Floats of one band: the TPool.SizeHeight output lines of a row of pool windows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int BandLength<TConv, TPool>() where TConv : struct, IConvShape where TPool : struct, IPoolShape
        => TPool.SizeHeight * TConv.OutWidth * TConv.OutChannelStride;

    /// <summary>
    /// Computes output lines band Size .. band Size + Size - 1 of the padded image's convolution into
    /// <paramref name="a"/> (and the pre-activations into <paramref name="z"/> when it is not null), bias and activation applied.
    /// </summary>
    private static void ComputeBand<TConv, TPool, TAct>(float* padded, float* wt, float* bias, int band, float* z, float* a)
        where TConv : struct, IConvShape where TPool : struct, IPoolShape where TAct : struct, IActivation
    {
        int ocs = TConv.OutChannelStride, step = TConv.StrideWidth * TConv.InChannelStride;
        for (int dy = 0; dy < TPool.SizeHeight; dy++)
        {
            float* window = padded + (nint)(band * TPool.SizeHeight + dy) * TConv.StrideHeight * PaddedRow<TConv>();
            for (int ox = 0; ox < TConv.OutWidth; ox += ConvMicroKernels.Rows)
            {
                int count = Math.Min(ConvMicroKernels.Rows, TConv.OutWidth - ox);
                nint row = ((nint)dy * TConv.OutWidth + ox) * ocs;
                for (int j = 0; j < ocs; j += 32)
                {
                    int vectors = Math.Min(2, (ocs - j) / 16);
                    DirectForwardTile<TConv, TAct>(count, vectors, window + (nint)ox * step, wt + j, bias + j, j, z != null ? z + row + j : null, a + row + j);
                }
            }
        }
    }

    /// <summary>Forward for bands [start, end) (band = row (OutHeight / Size) + window row).</summary>
    private static void ForwardMaxPoolBands<TConv, TPool, TAct>(void* state, int start, int end)
        where TConv : struct, IConvShape where TPool : struct, IPoolShape where TAct : struct, IActivation
    {
        var s = (MaxPoolArgs*)state;
        int ocs = TConv.OutChannelStride, bands = TConv.OutHeight / TPool.SizeHeight, windows = TConv.OutWidth / TPool.SizeWidth;
        float* padded = WorkerPool.Scratch(Round16(PaddedLength<TConv>()) + BandLength<TConv, TPool>());
        float* a = padded + Round16(PaddedLength<TConv>());
        int image = -1;
        for (int b = start; b < end; b++)
        {
            int r = b / bands, band = b - r * bands;
            if (r != image)
            {
                PadImage<TConv>(s->X + (nint)r * InPixels<TConv>() * TConv.InChannelStride, padded);
                image = r;
            }
            ComputeBand<TConv, TPool, TAct>(padded, s->Wt, s->Bias, band, null, a);
            float* y = s->Y + (nint)b * windows * ocs;
            for (int px = 0; px < windows; px++)
                PoolWindow.Reduce<MaxReduction, PoolShapeWindow<TPool>>(a + (nint)px * TPool.SizeWidth * ocs, y + (nint)px * ocs);
        }
    }

    /// <summary>Partitions [start, end) of the images: each recomputes its bands, routes dY through them and sums dWt and db into its slice.</summary>
    private static void BackwardMaxPoolPartition<TConv, TPool, TAct>(void* state, int start, int end)
        where TConv : struct, IConvShape where TPool : struct, IPoolShape where TAct : struct, IActivation
    {
        var s = (MaxPoolArgs*)state;
        int ocs = TConv.OutChannelStride, bands = TConv.OutHeight / TPool.SizeHeight, windows = TConv.OutWidth / TPool.SizeWidth;
        int depth = Depth<TConv>(), span = TConv.KernelWidth * TConv.InChannelStride, band = BandLength<TConv, TPool>();
        float* padded = WorkerPool.Scratch(Round16(PaddedLength<TConv>()) + Round16(depth) + 3 * band);
        int* offsets = (int*)(padded + Round16(PaddedLength<TConv>()));
        float* a = padded + Round16(PaddedLength<TConv>()) + Round16(depth);
        float* z = TAct.NeedsPreActivation ? a + band : null;
        float* dz = a + 2 * band;
        for (int p = 0; p < depth; p++)
            offsets[p] = p / span * TConv.DilationHeight * PaddedRow<TConv>() + p % span;
        for (int part = start; part < end; part++)
        {
            int first = (int)((long)part * s->Rows / s->Partitions), last = (int)((long)(part + 1) * s->Rows / s->Partitions);
            float* sums = s->Partitions == 1 ? s->DWt : s->Partials + (nint)part * (depth + 1) * ocs;
            float* bias = s->Partitions == 1 ? s->Db : sums + (nint)depth * ocs;
            for (int r = first; r < last; r++)
            {
                PadImage<TConv>(s->X + (nint)r * InPixels<TConv>() * TConv.InChannelStride, padded);
                for (int bandIndex = 0; bandIndex < bands; bandIndex++)
                {
                    ComputeBand<TConv, TPool, TAct>(padded, s->Wt, s->Bias, bandIndex, z, a);
                    nint pooled = ((nint)r * bands + bandIndex) * windows * ocs;
                    RouteBand<TConv, TPool, TAct>(s->Y + pooled, s->DY + pooled, z, a, dz);
                    for (int k = 0; k < depth; k += DirectWeightRows)
                    {
                        int tileRows = Math.Min(DirectWeightRows, depth - k);
                        for (int j = 0; j < ocs; j += 32)
                        {
                            int vectors = Math.Min(2, (ocs - j) / 16);
                            DirectWeightTile<TConv>(tileRows, vectors, k == 0, r > first || bandIndex > 0, padded, offsets + k, dz + j,
                                sums + (nint)k * ocs + j, bias + j, bandIndex * TPool.SizeHeight, TPool.SizeHeight);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// dZ of one band: each window's gradient dY to the first of its inputs (row-major) equal to the pooled Y, times
    /// act'(z, a) there; 0 at the other inputs.
    /// </summary>
    private static void RouteBand<TConv, TPool, TAct>(float* y, float* dy, float* z, float* a, float* dz)
        where TConv : struct, IConvShape where TPool : struct, IPoolShape where TAct : struct, IActivation
    {
        int ocs = TConv.OutChannelStride, windows = TConv.OutWidth / TPool.SizeWidth;
        for (int px = 0; px < windows; px++)
        {
            nint window = (nint)px * TPool.SizeWidth * ocs;
            PoolWindow.RouteMax<TAct, PoolShapeWindow<TPool>>(y + (nint)px * ocs, dy + (nint)px * ocs, a + window, z + window, dz + window);
        }
    }
}
