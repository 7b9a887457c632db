using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SoftGen.Cpu;

/// <summary>
/// Depthwise convolution (each channel with its own kernel; see <see cref="IDepthwiseConvShape"/> for the layouts),
/// forward and backward, as direct kernels over the channels-last layout: a vector of 16 channels at a time, every
/// tap one fused multiply-add. It is no GEMM: a pixel of the output reads one value per tap and channel.
/// </summary>
/// <remarks>
/// The forward pass and the input gradient are the same gather: an output value is a sum over the taps that reach
/// inside the source (the input for the forward, dZ for the input gradient, where the stride also skips taps). Per
/// line of the output the valid kernel rows are listed once, per pixel its valid kernel columns, so the inner loops
/// have no bounds tests; the pixels away from the borders go four at a time with each weight vector loaded once for
/// the four (for the input gradient of a strided convolution, four inputs a stride apart, which take the same taps).
/// The weight gradient sums over the output pixels in partitions whose number depends on the batch size alone, each
/// into its own slice of the partials, and the slices are added in order: no result depends on the thread count.
/// </remarks>
public static unsafe class DepthwiseConvKernels
{
    /// <summary>Interior pixels gathered together.</summary>
    private const int Block = 4;

    /// <summary>Output pixels of a line per step of the weight-gradient sums (their inputs stay in L1 across the taps).</summary>
    private const int WeightBlock = 32;

    private const int MaxPartitions = 16;

    /// <summary>Output pixels per weight-gradient partition, at least.</summary>
    private const int PartitionPixels = 1024;

    private struct Args
    {
        public float* X, W, Bias, Z, A, DZ, PrevZ, PrevA, DX, Db, Partials;
        public int Lines, Partitions;
    }

    /// <summary>
    /// Forward: z = the depthwise convolution of x with w, plus the bias (none when <paramref name="bias"/> is Null),
    /// and a = TAct(z), for rows 0..rows-1, [rows, OutHeight, OutWidth, ChannelStride]. Writes z only when it is not
    /// Null (the generator passes it when TAct.NeedsPreActivation). Padding channels of a (and z) are written as 0.
    /// </summary>
    public static void Forward<TShape, TAct>(WorkerPool pool, FloatBuffer x, FloatBuffer w, FloatBuffer bias, FloatBuffer z, FloatBuffer a, int rows)
        where TShape : struct, IDepthwiseConvShape where TAct : struct, IActivation
    {
        DepthwiseConvShape.Validate<TShape>();
        var args = new Args { X = x, W = w, Bias = bias, Z = z, A = a };
        pool.For(Math.Max(rows, 0) * TShape.OutHeight, 1, &ForwardLines<TShape, TAct>, &args);
    }

    /// <summary>Floats of the partial sums <see cref="BackwardWeights{TShape}"/> needs for up to <paramref name="rows"/> rows.</summary>
    public static int WeightPartialsLength<TShape>(int rows) where TShape : struct, IDepthwiseConvShape
        => Math.Max(Partitions<TShape>(rows), 1) * (Taps<TShape>() + 1) * TShape.ChannelStride;

    /// <summary>
    /// Weight gradients, overwritten: dw [KernelHeight * KernelWidth, ChannelStride] (the layout of w), dw[t, c] = the
    /// sum over every output pixel of dz times the input that tap t reads for it, and db[c] = the sum of dz over every
    /// output pixel (not written when <paramref name="db"/> is Null). <paramref name="partials"/> holds
    /// <see cref="WeightPartialsLength{TShape}"/> floats.
    /// </summary>
    public static void BackwardWeights<TShape>(WorkerPool pool, FloatBuffer x, FloatBuffer dz, FloatBuffer dw, FloatBuffer db, FloatBuffer partials, int rows)
        where TShape : struct, IDepthwiseConvShape
    {
        DepthwiseConvShape.Validate<TShape>();
        int cs = TShape.ChannelStride, taps = Taps<TShape>(), parts = Partitions<TShape>(rows);
        if (parts == 0)
        {
            dw.Clear(taps * cs);
            if (!db.IsNull)
                db.Clear(cs);
            return;
        }
        var args = new Args { X = x, DZ = dz, Partials = partials, Lines = rows * TShape.OutHeight, Partitions = parts };
        pool.For(parts, 1, &WeightPartitions<TShape>, &args);

        nint slice = (nint)(taps + 1) * cs;
        for (nint g = 0; g < slice; g += 16)
        {
            if (g >= (nint)taps * cs && db.IsNull)
                break;
            var sum = Vector512.Load(partials.Pointer + g);
            for (int part = 1; part < parts; part++)
                sum += Vector512.Load(partials.Pointer + part * slice + g);
            sum.Store(g < (nint)taps * cs ? dw.Pointer + g : db.Pointer + (g - (nint)taps * cs));
        }
    }

    /// <summary>
    /// Input gradient fused with the previous layer's activation derivative: dxPrev = (the transposed depthwise
    /// convolution of dz with w) * TPrevAct.Derivative(prevZ, prevA), [rows, InHeight, InWidth, ChannelStride]; inputs
    /// that no tap reads get 0, padding channels 0. <paramref name="prevZ"/> may be Null unless TPrevAct.NeedsPreActivation.
    /// </summary>
    public static void BackwardInputs<TShape, TPrevAct>(WorkerPool pool, FloatBuffer dz, FloatBuffer w, FloatBuffer prevZ, FloatBuffer prevA, FloatBuffer dxPrev, int rows)
        where TShape : struct, IDepthwiseConvShape where TPrevAct : struct, IActivation
    {
        DepthwiseConvShape.Validate<TShape>();
        var args = new Args { DZ = dz, W = w, PrevZ = prevZ, PrevA = prevA, DX = dxPrev };
        pool.For(Math.Max(rows, 0) * TShape.InHeight, 1, &InputLines<TShape, TPrevAct>, &args);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Taps<T>() where T : struct, IDepthwiseConvShape => T.KernelHeight * T.KernelWidth;

    /// <summary>The weight-gradient partitions for <paramref name="rows"/> rows: at most 16, at least 1024 pixels and one line each; 0 for no rows.</summary>
    private static int Partitions<T>(int rows) where T : struct, IDepthwiseConvShape
    {
        int lines = Math.Max(rows, 0) * T.OutHeight;
        return Math.Min(lines, Math.Clamp(lines * T.OutWidth / PartitionPixels, 1, MaxPartitions));
    }

    /// <summary>The k in [0, count) for which start + k step lies in [0, size): [first, last), empty as first = last.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (int First, int Last) InsideRange(int start, int size, int count, int step)
    {
        int first = start >= 0 ? 0 : (-start + step - 1) / step;
        int last = start > size - 1 ? 0 : Math.Min(count, (size - 1 - start) / step + 1);
        return (first, Math.Max(first, last));
    }

    // ---- forward ----

    /// <summary>Output lines [start, end) (line = row * OutHeight + oy).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardLines<T, TAct>(void* state, int start, int end) where T : struct, IDepthwiseConvShape where TAct : struct, IActivation
    {
        var s = (Args*)state;
        int cs = T.ChannelStride;
        nint* rows = stackalloc nint[T.KernelHeight];
        nint* wRows = stackalloc nint[T.KernelHeight];
        nint* cols = stackalloc nint[T.KernelWidth];
        nint* wCols = stackalloc nint[T.KernelWidth];
        // The pixels whose window lies inside the input's width: [lo, hi).
        var (lo, hi) = InsideRange(-T.PaddingWidth, T.InWidth - (T.KernelWidth - 1) * T.DilationWidth, T.OutWidth, T.StrideWidth);
        for (int line = start; line < end; line++)
        {
            int r = line / T.OutHeight, oy = line - r * T.OutHeight, y0 = oy * T.StrideHeight - T.PaddingHeight;
            var (ky0, ky1) = InsideRange(y0, T.InHeight, T.KernelHeight, T.DilationHeight);
            int vertical = 0;
            for (int ky = ky0; ky < ky1; ky++, vertical++)
            {
                rows[vertical] = (((nint)r * T.InHeight + y0 + ky * T.DilationHeight) * T.InWidth) * cs;
                wRows[vertical] = (nint)ky * T.KernelWidth * cs;
            }
            nint output = (nint)line * T.OutWidth * cs;
            for (int ox = 0; ox < T.OutWidth; ox++)
            {
                int x0 = ox * T.StrideWidth - T.PaddingWidth;
                if (ox >= lo && ox + Block <= hi)
                {
                    GatherBlock<T, ForwardStore<T, TAct>>(s, s->X, rows, wRows, vertical, (nint)x0 * cs,
                        (nint)T.StrideWidth * cs, (nint)T.DilationWidth * cs, output + (nint)ox * cs);
                    ox += Block - 1;
                    continue;
                }
                var (kx0, kx1) = InsideRange(x0, T.InWidth, T.KernelWidth, T.DilationWidth);
                int horizontal = 0;
                for (int kx = kx0; kx < kx1; kx++, horizontal++)
                {
                    cols[horizontal] = ((nint)x0 + kx * T.DilationWidth) * cs;
                    wCols[horizontal] = (nint)kx * cs;
                }
                Gather<T, ForwardStore<T, TAct>>(s, s->X, rows, wRows, vertical, cols, wCols, horizontal, output + (nint)ox * cs);
            }
        }
    }

    // ---- input gradient ----

    /// <summary>Input lines [start, end) (line = row * InHeight + iy): the gather of dz over the taps that reach each input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputLines<T, TPrevAct>(void* state, int start, int end) where T : struct, IDepthwiseConvShape where TPrevAct : struct, IActivation
    {
        var s = (Args*)state;
        int cs = T.ChannelStride;
        nint* rows = stackalloc nint[T.KernelHeight];
        nint* wRows = stackalloc nint[T.KernelHeight];
        nint* cols = stackalloc nint[T.KernelWidth];
        nint* wCols = stackalloc nint[T.KernelWidth];
        // The inputs [lo, hi) lie away from the borders: t = ix + PaddingWidth - kx DilationWidth is in [0, StrideWidth
        // OutWidth) for every kx, so every kernel column whose t the stride divides is valid, and the inputs ix and
        // ix + StrideWidth take the same columns, the second from the next output pixel.
        int lo = Math.Max(0, (T.KernelWidth - 1) * T.DilationWidth - T.PaddingWidth);
        int hi = Math.Min(T.InWidth, T.StrideWidth * T.OutWidth - T.PaddingWidth);
        for (int line = start; line < end; line++)
        {
            int r = line / T.InHeight, iy = line - r * T.InHeight;
            int vertical = 0;
            for (int ky = 0; ky < T.KernelHeight; ky++)
            {
                int t = iy + T.PaddingHeight - ky * T.DilationHeight, oy = t / T.StrideHeight;
                if (t < 0 || oy * T.StrideHeight != t || oy >= T.OutHeight)
                    continue;
                rows[vertical] = (((nint)r * T.OutHeight + oy) * T.OutWidth) * cs;
                wRows[vertical++] = (nint)ky * T.KernelWidth * cs;
            }
            nint output = (nint)line * T.InWidth * cs;
            for (int ix = 0; ix < T.InWidth; ix++)
            {
                if (T.StrideWidth == 1 && ix >= lo && ix + Block <= hi)
                {
                    GatherBlock<T, InputStore<T, TPrevAct>>(s, s->DZ, rows, wRows, vertical, ((nint)ix + T.PaddingWidth) * cs,
                        cs, -(nint)T.DilationWidth * cs, output + (nint)ix * cs);
                    ix += Block - 1;
                    continue;
                }
                if (T.StrideWidth > 1 && ix >= lo && ix + Block * T.StrideWidth <= hi)
                {
                    // Block * StrideWidth inputs: per phase, Block inputs StrideWidth apart with the same kernel columns.
                    for (int phase = 0; phase < T.StrideWidth; phase++)
                    {
                        int horizontalTaps = InputColumns<T>(ix + phase, cols, wCols);
                        GatherListBlock<T, InputStore<T, TPrevAct>>(s, s->DZ, rows, wRows, vertical, cols, wCols, horizontalTaps,
                            cs, (nint)T.StrideWidth * cs, output + ((nint)ix + phase) * cs);
                    }
                    ix += Block * T.StrideWidth - 1;
                    continue;
                }
                int horizontal = InputColumns<T>(ix, cols, wCols);
                Gather<T, InputStore<T, TPrevAct>>(s, s->DZ, rows, wRows, vertical, cols, wCols, horizontal, output + (nint)ix * cs);
            }
        }
    }

    /// <summary>
    /// The kernel columns that reach input column <paramref name="ix"/>: their dz offsets (the output pixel's, ox
    /// ChannelStride) and weight offsets (kx ChannelStride); returns how many.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int InputColumns<T>(int ix, nint* cols, nint* wCols) where T : struct, IDepthwiseConvShape
    {
        int count = 0;
        for (int kx = 0; kx < T.KernelWidth; kx++)
        {
            int t = ix + T.PaddingWidth - kx * T.DilationWidth, ox = t / T.StrideWidth;
            if (t < 0 || ox * T.StrideWidth != t || ox >= T.OutWidth)
                continue;
            cols[count] = (nint)ox * T.ChannelStride;
            wCols[count++] = (nint)kx * T.ChannelStride;
        }
        return count;
    }

    // ---- the gathers both passes share ----

    /// <summary>What a gather does around its sums: each output vector's start value and its store.</summary>
    private interface IGatherStore
    {
        static abstract Vector512<float> Start(Args* s, int j);
        static abstract void Store(Args* s, Vector512<float> sum, nint at, int j);
    }

    /// <summary>The forward: sums start from the bias; z = sum, a = TAct(z), padding lanes 0.</summary>
    private readonly struct ForwardStore<T, TAct> : IGatherStore where T : struct, IDepthwiseConvShape where TAct : struct, IActivation
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Start(Args* s, int j) => s->Bias != null ? Vector512.Load(s->Bias + j) : default;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Args* s, Vector512<float> sum, nint at, int j)
        {
            var a = TAct.Apply(sum);
            if (j + 16 > T.Channels)
            {
                var real = ConvKernels.TailMask(T.Channels - j);
                sum &= real;
                a &= real;
            }
            if (s->Z != null)
                sum.Store(s->Z + at);
            a.Store(s->A + at);
        }
    }

    /// <summary>The input gradient: sums start from 0; dx = sum * TPrevAct'(prevZ, prevA), padding lanes 0.</summary>
    private readonly struct InputStore<T, TPrevAct> : IGatherStore where T : struct, IDepthwiseConvShape where TPrevAct : struct, IActivation
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Start(Args* s, int j) => default;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(Args* s, Vector512<float> sum, nint at, int j)
        {
            var z = TPrevAct.NeedsPreActivation ? Vector512.Load(s->PrevZ + at) : default;
            sum *= TPrevAct.Derivative(z, Vector512.Load(s->PrevA + at));
            if (j + 16 > T.Channels)
                sum &= ConvKernels.TailMask(T.Channels - j);
            sum.Store(s->DX + at);
        }
    }

    /// <summary>
    /// One output pixel at <paramref name="at"/>: per channel vector, the sum over the listed kernel rows and columns
    /// of source[rows[a] + cols[b]] * w[wRows[a] + wCols[b]].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gather<T, TStore>(Args* s, float* source, nint* rows, nint* wRows, int vertical, nint* cols, nint* wCols, int horizontal, nint at)
        where T : struct, IDepthwiseConvShape where TStore : struct, IGatherStore
    {
        for (int j = 0; j < T.ChannelStride; j += 16)
        {
            var sum = TStore.Start(s, j);
            for (int a = 0; a < vertical; a++)
            {
                float* line = source + rows[a] + j;
                float* w = s->W + wRows[a] + j;
                for (int b = 0; b < horizontal; b++)
                    sum = Vector512.FusedMultiplyAdd(Vector512.Load(line + cols[b]), Vector512.Load(w + wCols[b]), sum);
            }
            TStore.Store(s, sum, at + j, j);
        }
    }

    /// <summary>
    /// <see cref="Block"/> output pixels from <paramref name="at"/> on, every kernel column valid for each: pixel i
    /// reads kernel column kx at source[rows[a] + first + i step + kx tapStep]. Each weight vector is loaded once for the four.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GatherBlock<T, TStore>(Args* s, float* source, nint* rows, nint* wRows, int vertical, nint first, nint step, nint tapStep, nint at)
        where T : struct, IDepthwiseConvShape where TStore : struct, IGatherStore
    {
        int cs = T.ChannelStride;
        for (int j = 0; j < cs; j += 16)
        {
            var s0 = TStore.Start(s, j);
            Vector512<float> s1 = s0, s2 = s0, s3 = s0;
            for (int a = 0; a < vertical; a++)
            {
                float* p = source + rows[a] + first + j;
                float* w = s->W + wRows[a] + j;
                for (int kx = 0; kx < T.KernelWidth; kx++, p += tapStep, w += cs)
                {
                    var wv = Vector512.Load(w);
                    s0 = Vector512.FusedMultiplyAdd(Vector512.Load(p), wv, s0);
                    s1 = Vector512.FusedMultiplyAdd(Vector512.Load(p + step), wv, s1);
                    s2 = Vector512.FusedMultiplyAdd(Vector512.Load(p + 2 * step), wv, s2);
                    s3 = Vector512.FusedMultiplyAdd(Vector512.Load(p + 3 * step), wv, s3);
                }
            }
            TStore.Store(s, s0, at + j, j);
            TStore.Store(s, s1, at + cs + j, j);
            TStore.Store(s, s2, at + 2 * cs + j, j);
            TStore.Store(s, s3, at + 3 * cs + j, j);
        }
    }

    /// <summary>
    /// <see cref="Block"/> output pixels, <paramref name="outStep"/> floats apart from <paramref name="at"/> on, that
    /// take the same listed taps: pixel i reads source[rows[a] + cols[b] + i step]. Each weight vector is loaded once for the four.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GatherListBlock<T, TStore>(Args* s, float* source, nint* rows, nint* wRows, int vertical, nint* cols, nint* wCols, int horizontal,
        nint step, nint outStep, nint at)
        where T : struct, IDepthwiseConvShape where TStore : struct, IGatherStore
    {
        for (int j = 0; j < T.ChannelStride; j += 16)
        {
            var s0 = TStore.Start(s, j);
            Vector512<float> s1 = s0, s2 = s0, s3 = s0;
            for (int a = 0; a < vertical; a++)
            {
                float* line = source + rows[a] + j;
                float* w = s->W + wRows[a] + j;
                for (int b = 0; b < horizontal; b++)
                {
                    var wv = Vector512.Load(w + wCols[b]);
                    float* p = line + cols[b];
                    s0 = Vector512.FusedMultiplyAdd(Vector512.Load(p), wv, s0);
                    s1 = Vector512.FusedMultiplyAdd(Vector512.Load(p + step), wv, s1);
                    s2 = Vector512.FusedMultiplyAdd(Vector512.Load(p + 2 * step), wv, s2);
                    s3 = Vector512.FusedMultiplyAdd(Vector512.Load(p + 3 * step), wv, s3);
                }
            }
            TStore.Store(s, s0, at + j, j);
            TStore.Store(s, s1, at + outStep + j, j);
            TStore.Store(s, s2, at + 2 * outStep + j, j);
            TStore.Store(s, s3, at + 3 * outStep + j, j);
        }
    }

    // ---- weight gradient ----

    /// <summary>
    /// Partitions [start, end): each sums dz times the input of each tap over its output lines into its slice of the
    /// partials ([taps, ChannelStride] weights, then ChannelStride for the bias), in blocks of <see cref="WeightBlock"/>
    /// pixels of a line.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightPartitions<T>(void* state, int start, int end) where T : struct, IDepthwiseConvShape
    {
        var s = (Args*)state;
        int cs = T.ChannelStride, taps = Taps<T>();
        // Per kernel column, the output pixels whose input for it lies inside the width.
        int* firstPixel = stackalloc int[T.KernelWidth];
        int* lastPixel = stackalloc int[T.KernelWidth];
        for (int kx = 0; kx < T.KernelWidth; kx++)
            (firstPixel[kx], lastPixel[kx]) = InsideRange(kx * T.DilationWidth - T.PaddingWidth, T.InWidth, T.OutWidth, T.StrideWidth);
        nint xStep = (nint)T.StrideWidth * cs;
        for (int part = start; part < end; part++)
        {
            int firstLine = (int)((long)part * s->Lines / s->Partitions), lastLine = (int)((long)(part + 1) * s->Lines / s->Partitions);
            float* sums = s->Partials + (nint)part * (taps + 1) * cs;
            new Span<float>(sums, (taps + 1) * cs).Clear();
            for (int line = firstLine; line < lastLine; line++)
            {
                int r = line / T.OutHeight, oy = line - r * T.OutHeight, y0 = oy * T.StrideHeight - T.PaddingHeight;
                var (ky0, ky1) = InsideRange(y0, T.InHeight, T.KernelHeight, T.DilationHeight);
                float* dz = s->DZ + (nint)line * T.OutWidth * cs;
                for (int b0 = 0; b0 < T.OutWidth; b0 += WeightBlock)
                {
                    int b1 = Math.Min(b0 + WeightBlock, T.OutWidth);
                    for (int ky = ky0; ky < ky1; ky++)
                    {
                        float* inputLine = s->X + ((nint)r * T.InHeight + y0 + ky * T.DilationHeight) * T.InWidth * cs;
                        for (int kx = 0; kx < T.KernelWidth; kx++)
                        {
                            int o0 = Math.Max(b0, firstPixel[kx]), o1 = Math.Min(b1, lastPixel[kx]);
                            if (o0 >= o1)
                                continue;
                            float* x = inputLine + ((nint)o0 * T.StrideWidth - T.PaddingWidth + kx * T.DilationWidth) * cs;
                            float* sum = sums + (nint)(ky * T.KernelWidth + kx) * cs;
                            for (int j = 0; j < cs; j += 16)
                                (Vector512.Load(sum + j) + Dot(dz + (nint)o0 * cs + j, cs, x + j, xStep, o1 - o0)).Store(sum + j);
                        }
                    }
                    float* bias = sums + (nint)taps * cs;
                    for (int j = 0; j < cs; j += 16)
                        (Vector512.Load(bias + j) + Dot(dz + (nint)b0 * cs + j, cs, null, 0, b1 - b0)).Store(bias + j);
                }
            }
        }
    }

    /// <summary>The sum over <paramref name="count"/> steps of a[i aStep] * b[i bStep] (of a alone when b is null), four accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Dot(float* a, nint aStep, float* b, nint bStep, int count)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        int i = 0;
        if (b == null)
        {
            for (; i + 4 <= count; i += 4, a += 4 * aStep)
            {
                s0 += Vector512.Load(a);
                s1 += Vector512.Load(a + aStep);
                s2 += Vector512.Load(a + 2 * aStep);
                s3 += Vector512.Load(a + 3 * aStep);
            }
            for (; i < count; i++, a += aStep)
                s0 += Vector512.Load(a);
            return (s0 + s1) + (s2 + s3);
        }
        for (; i + 4 <= count; i += 4, a += 4 * aStep, b += 4 * bStep)
        {
            s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a), Vector512.Load(b), s0);
            s1 = Vector512.FusedMultiplyAdd(Vector512.Load(a + aStep), Vector512.Load(b + bStep), s1);
            s2 = Vector512.FusedMultiplyAdd(Vector512.Load(a + 2 * aStep), Vector512.Load(b + 2 * bStep), s2);
            s3 = Vector512.FusedMultiplyAdd(Vector512.Load(a + 3 * aStep), Vector512.Load(b + 3 * bStep), s3);
        }
        for (; i < count; i++, a += aStep, b += bStep)
            s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a), Vector512.Load(b), s0);
        return (s0 + s1) + (s2 + s3);
    }
}
