using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SoftGen.Cpu;

/// <summary>
/// Max, average and global average pooling over channels-last images (see <see cref="ISpatialShape"/>), forward and
/// backward, each parallel over the rows of the batch. Windows do not overlap (stride = size), so every input value
/// belongs to exactly one window and each backward writes every input gradient once. The backward passes fuse the
/// derivative of the activation before the pool: dZprev = dXpool * TPrevAct.Derivative(prevZ, prevA). Each window is
/// one <see cref="PoolWindow"/> call (max, mean and global mean forward are one loop nest with the reduction as a type
/// argument).
/// </summary>
public static unsafe class PoolKernels
{
    private struct Args
    {
        public float* X, Y, DY, PrevZ, PrevA, DX;
    }

    /// <summary>y[r, oy, ox, c] = the largest x over the window; [rows, H / SizeHeight, W / SizeWidth, ChannelStride].</summary>
    public static void MaxForward<TShape>(WorkerPool pool, float* x, float* y, int rows) where TShape : struct, IPoolShape
    {
        SpatialShape.ValidatePool<TShape>();
        var args = new Args { X = x, Y = y };
        pool.For(Math.Max(rows, 0), 1, &ForwardRows<TShape, MaxReduction>, &args);
    }

    /// <summary>
    /// Each window's gradient goes to the first of its largest inputs in row-major order (as PyTorch), found by
    /// comparing the input <paramref name="prevA"/> with the pool's output <paramref name="y"/>; the others get 0.
    /// </summary>
    public static void MaxBackward<TShape, TPrevAct>(WorkerPool pool, float* dy, float* y, float* prevZ, float* prevA, float* dxPrev, int rows)
        where TShape : struct, IPoolShape where TPrevAct : struct, IActivation
    {
        SpatialShape.ValidatePool<TShape>();
        var args = new Args { Y = y, DY = dy, PrevZ = prevZ, PrevA = prevA, DX = dxPrev };
        pool.For(Math.Max(rows, 0), 1, &MaxBackwardRows<TShape, TPrevAct>, &args);
    }

    /// <summary>y = the mean of x over the window.</summary>
    public static void AverageForward<TShape>(WorkerPool pool, float* x, float* y, int rows) where TShape : struct, IPoolShape
    {
        SpatialShape.ValidatePool<TShape>();
        var args = new Args { X = x, Y = y };
        pool.For(Math.Max(rows, 0), 1, &ForwardRows<TShape, MeanReduction>, &args);
    }

    /// <summary>Each window's gradient divided evenly over its SizeHeight SizeWidth inputs.</summary>
    public static void AverageBackward<TShape, TPrevAct>(WorkerPool pool, float* dy, float* prevZ, float* prevA, float* dxPrev, int rows)
        where TShape : struct, IPoolShape where TPrevAct : struct, IActivation
    {
        SpatialShape.ValidatePool<TShape>();
        var args = new Args { DY = dy, PrevZ = prevZ, PrevA = prevA, DX = dxPrev };
        pool.For(Math.Max(rows, 0), 1, &AverageBackwardRows<TShape, TPrevAct>, &args);
    }

    /// <summary>y[r, c] = the mean of channel c over all pixels, [rows, ChannelStride] (a flat row).</summary>
    public static void GlobalAverageForward<TShape>(WorkerPool pool, float* x, float* y, int rows) where TShape : struct, ISpatialShape
    {
        SpatialShape.Validate<TShape>();
        var args = new Args { X = x, Y = y };
        pool.For(Math.Max(rows, 0), 1, &GlobalForwardRows<TShape>, &args);
    }

    /// <summary>dx[r, p, c] = dy[r, c] / pixels.</summary>
    public static void GlobalAverageBackward<TShape, TPrevAct>(WorkerPool pool, float* dy, float* prevZ, float* prevA, float* dxPrev, int rows)
        where TShape : struct, ISpatialShape where TPrevAct : struct, IActivation
    {
        SpatialShape.Validate<TShape>();
        var args = new Args { DY = dy, PrevZ = prevZ, PrevA = prevA, DX = dxPrev };
        pool.For(Math.Max(rows, 0), 1, &GlobalBackwardRows<TShape, TPrevAct>, &args);
    }

    /// <inheritdoc cref="MaxForward{TShape}(WorkerPool, float*, float*, int)"/>
    public static void MaxForward<TShape>(WorkerPool pool, FloatBuffer x, FloatBuffer y, int rows) where TShape : struct, IPoolShape
        => MaxForward<TShape>(pool, x.Pointer, y.Pointer, rows);

    /// <inheritdoc cref="MaxBackward{TShape, TPrevAct}(WorkerPool, float*, float*, float*, float*, float*, int)"/>
    public static void MaxBackward<TShape, TPrevAct>(WorkerPool pool, FloatBuffer dy, FloatBuffer y, FloatBuffer prevZ, FloatBuffer prevA, FloatBuffer dxPrev, int rows)
        where TShape : struct, IPoolShape where TPrevAct : struct, IActivation
        => MaxBackward<TShape, TPrevAct>(pool, dy.Pointer, y.Pointer, prevZ.Pointer, prevA.Pointer, dxPrev.Pointer, rows);

    /// <inheritdoc cref="AverageForward{TShape}(WorkerPool, float*, float*, int)"/>
    public static void AverageForward<TShape>(WorkerPool pool, FloatBuffer x, FloatBuffer y, int rows) where TShape : struct, IPoolShape
        => AverageForward<TShape>(pool, x.Pointer, y.Pointer, rows);

    /// <inheritdoc cref="AverageBackward{TShape, TPrevAct}(WorkerPool, float*, float*, float*, float*, int)"/>
    public static void AverageBackward<TShape, TPrevAct>(WorkerPool pool, FloatBuffer dy, FloatBuffer prevZ, FloatBuffer prevA, FloatBuffer dxPrev, int rows)
        where TShape : struct, IPoolShape where TPrevAct : struct, IActivation
        => AverageBackward<TShape, TPrevAct>(pool, dy.Pointer, prevZ.Pointer, prevA.Pointer, dxPrev.Pointer, rows);

    /// <inheritdoc cref="GlobalAverageForward{TShape}(WorkerPool, float*, float*, int)"/>
    public static void GlobalAverageForward<TShape>(WorkerPool pool, FloatBuffer x, FloatBuffer y, int rows) where TShape : struct, ISpatialShape
        => GlobalAverageForward<TShape>(pool, x.Pointer, y.Pointer, rows);

    /// <inheritdoc cref="GlobalAverageBackward{TShape, TPrevAct}(WorkerPool, float*, float*, float*, float*, int)"/>
    public static void GlobalAverageBackward<TShape, TPrevAct>(WorkerPool pool, FloatBuffer dy, FloatBuffer prevZ, FloatBuffer prevA, FloatBuffer dxPrev, int rows)
        where TShape : struct, ISpatialShape where TPrevAct : struct, IActivation
        => GlobalAverageBackward<TShape, TPrevAct>(pool, dy.Pointer, prevZ.Pointer, prevA.Pointer, dxPrev.Pointer, rows);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint Offset<T>(int r, int y, int x) where T : struct, ISpatialShape
        => (((nint)r * T.Height + y) * T.Width + x) * T.ChannelStride;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint OutOffset<T>(int r, int y, int x) where T : struct, IPoolShape
        => (((nint)r * (T.Height / T.SizeHeight) + y) * (T.Width / T.SizeWidth) + x) * T.ChannelStride;

    // The three row loops below call PoolWindow once per window. Tier-0 code does not inline that call, and a method
    // runs in tier 0 until call counting promotes it, so a pool timed over a few passes (the CNN benchmark's --phases)
    // would mostly time tier-0 code; these are compiled fully optimized at their first call instead.
    /// <summary>Max and average forward: every output pixel TReduce of its SizeHeight x SizeWidth window.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardRows<T, TReduce>(void* state, int start, int end) where T : struct, IPoolShape where TReduce : struct, IPoolReduction
    {
        var s = (Args*)state;
        int oh = T.Height / T.SizeHeight, ow = T.Width / T.SizeWidth;
        for (int r = start; r < end; r++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    PoolWindow.Reduce<TReduce, PoolShapeWindow<T>>(s->X + Offset<T>(r, oy * T.SizeHeight, ox * T.SizeWidth), s->Y + OutOffset<T>(r, oy, ox));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxBackwardRows<T, TPrevAct>(void* state, int start, int end) where T : struct, IPoolShape where TPrevAct : struct, IActivation
    {
        var s = (Args*)state;
        int oh = T.Height / T.SizeHeight, ow = T.Width / T.SizeWidth;
        for (int r = start; r < end; r++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    nint output = OutOffset<T>(r, oy, ox);
                    nint first = Offset<T>(r, oy * T.SizeHeight, ox * T.SizeWidth);
                    PoolWindow.RouteMax<TPrevAct, PoolShapeWindow<T>>(s->Y + output, s->DY + output, s->PrevA + first, s->PrevZ + first, s->DX + first);
                }
    }

    private static void AverageBackwardRows<T, TPrevAct>(void* state, int start, int end) where T : struct, IPoolShape where TPrevAct : struct, IActivation
    {
        var s = (Args*)state;
        int oh = T.Height / T.SizeHeight, ow = T.Width / T.SizeWidth, cs = T.ChannelStride;
        float scale = 1f / (T.SizeHeight * T.SizeWidth);
        for (int r = start; r < end; r++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                {
                    nint output = OutOffset<T>(r, oy, ox);
                    nint first = Offset<T>(r, oy * T.SizeHeight, ox * T.SizeWidth);
                    for (int dy = 0; dy < T.SizeHeight; dy++)
                        for (int dx = 0; dx < T.SizeWidth; dx++)
                            Spread<TPrevAct>(s, s->DY + output, first + ((nint)dy * T.Width + dx) * cs, cs, scale);
                }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GlobalForwardRows<T>(void* state, int start, int end) where T : struct, ISpatialShape
    {
        var s = (Args*)state;
        for (int r = start; r < end; r++)
            PoolWindow.Reduce<MeanReduction, WholeImage<T>>(s->X + (nint)r * T.Height * T.Width * T.ChannelStride, s->Y + (nint)r * T.ChannelStride);
    }

    private static void GlobalBackwardRows<T, TPrevAct>(void* state, int start, int end) where T : struct, ISpatialShape where TPrevAct : struct, IActivation
    {
        var s = (Args*)state;
        int cs = T.ChannelStride, pixels = T.Height * T.Width;
        float scale = 1f / pixels;
        for (int r = start; r < end; r++)
            for (int p = 0; p < pixels; p++)
                Spread<TPrevAct>(s, s->DY + (nint)r * cs, ((nint)r * pixels + p) * cs, cs, scale);
    }

    /// <summary>dx[at + c] = g[c] * scale * TPrevAct'(prevZ, prevA)[at + c] for c &lt; count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Spread<TPrevAct>(Args* s, float* g, nint at, int count, float scale) where TPrevAct : struct, IActivation
    {
        int c = 0;
        for (; c + 16 <= count; c += 16)
        {
            var z = TPrevAct.NeedsPreActivation ? Vector512.Load(s->PrevZ + at + c) : default;
            (Vector512.Load(g + c) * scale * TPrevAct.Derivative(z, Vector512.Load(s->PrevA + at + c))).Store(s->DX + at + c);
        }
        for (; c < count; c++)
        {
            float z = TPrevAct.NeedsPreActivation ? s->PrevZ[at + c] : 0f;
            s->DX[at + c] = g[c] * scale * TPrevAct.Derivative(z, s->PrevA[at + c]);
        }
    }
}
