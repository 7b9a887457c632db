using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SoftGen.Cpu;

/// <summary>
/// Conv2D forward and backward as GEMMs over pixel patches (see <see cref="IConvShape"/> for the layouts). Each pass
/// builds the patches of a block of pixels in the chunk's scratch (im2col in cache, never the whole batch), then runs
/// <see cref="ConvMicroKernels"/> tiles over it with the epilogue fused. All results are independent of the pool's
/// thread count: work is split over output elements, and every reduction runs in one fixed order.
/// </summary>
/// <remarks>
/// With K = KernelHeight KernelWidth InChannelStride (the GEMM depth) and M = rows OutHeight OutWidth (output pixels):
/// forward Z [M, OutChannelStride] = patches [M, K] Wt [K, OutChannelStride];
/// weight gradient dWt [K, OutChannelStride] = patches^T dZ, summed over pixel blocks in order;
/// input gradient dX = the transposed convolution, as a GEMM of the gathered output gradients
/// [input pixels, KernelHeight KernelWidth OutChannelStride] with the weights rearranged per kernel position.
/// Grouped convolutions (1 &lt; Groups) run as the same GEMMs over their block-diagonal weights (the structural zeros
/// contribute nothing); their weight gradient is masked to those zeros afterwards.
/// An input with fewer than 16 floats per pixel (the model's image) takes the direct path instead
/// (ConvKernels.Direct.cs), and with a max pool after it the fused kernels (ConvKernels.MaxPool.cs); a signal with an
/// undilated kernel reads its patches in place (ConvKernels.Lines.cs).
/// </remarks>
public static unsafe partial class ConvKernels
{
    /// <summary>Output pixels whose patches are built together in the forward pass (two tiles).</summary>
    private const int ForwardBlock = 16;

    /// <summary>Pixels per block of the weight-gradient reduction (the depth of one accumulation).</summary>
    private const int WeightBlock = 64;

    private struct ForwardArgs
    {
        public float* X, Wt, Bias, Z, A;
    }

    private struct WeightsArgs
    {
        public float* X, DZ, DWt, Db, Partials;
        public int Pixels, Partitions;
    }

    private struct InputsArgs
    {
        public float* DZ, Wt, WRot, PrevZ, PrevA, DX;
        public int Rows;
    }

    private struct BiasArgs
    {
        public float* DZ, Db;
        public int Pixels, Stride;
    }

    private struct TransposeArgs
    {
        public float* Source, Target;
        public int Channels, Pixels;
    }

    private readonly struct ForwardGemm<T> : IConvGemm where T : struct, IConvShape
    {
        public static int RowStrideA => PatchStride<T>();
        public static int ColStrideA => 1;
        public static int StrideC => T.OutChannelStride;
    }

    private readonly struct WeightsGemm<T> : IConvGemm where T : struct, IConvShape
    {
        public static int RowStrideA => 1;
        public static int ColStrideA => PatchStride<T>();
        public static int StrideC => T.OutChannelStride;
    }

    private readonly struct InputsGemm<T> : IConvGemm where T : struct, IConvShape
    {
        public static int RowStrideA => Taps<T>() * T.OutChannelStride;
        public static int ColStrideA => 1;
        public static int StrideC => T.InChannelStride;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Taps<T>() where T : struct, IConvShape => T.KernelHeight * T.KernelWidth;

    /// <summary>The GEMM depth K.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Depth<T>() where T : struct, IConvShape => Taps<T>() * T.InChannelStride;

    /// <summary>Floats per patch row in scratch: K rounded up to 16, the tail kept 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PatchStride<T>() where T : struct, IConvShape => (Depth<T>() + 15) & ~15;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int OutPixels<T>() where T : struct, IConvShape => T.OutHeight * T.OutWidth;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int InPixels<T>() where T : struct, IConvShape => T.InHeight * T.InWidth;

    /// <summary>
    /// Forward: Z = conv(X, W) + b, A = act(Z) for rows 0..rows-1, output [rows, OutHeight, OutWidth, OutChannelStride].
    /// Writes Z only when <paramref name="z"/> is not null (the generator passes it when TAct.NeedsPreActivation).
    /// Padding channels of A (and Z) are written as 0.
    /// </summary>
    public static void Forward<TShape, TAct>(WorkerPool pool, float* x, float* wt, float* bias, float* z, float* a, int rows)
        where TShape : struct, IConvShape where TAct : struct, IActivation
    {
        SpatialShape.ValidateConv<TShape>();
        var args = new ForwardArgs { X = x, Wt = wt, Bias = bias, Z = z, A = a };
        if (Direct<TShape>())
            pool.For(Math.Max(rows, 0) * TShape.OutHeight, 1, &DirectForwardLines<TShape, TAct>, &args);
        else if (Lines<TShape>())
            pool.For(Math.Max(rows, 0) * OutPixels<TShape>(), ConvMicroKernels.Rows, &LineForwardPixels<TShape, TAct>, &args); // ConvKernels.Lines.cs
        else
            pool.For(Math.Max(rows, 0) * OutPixels<TShape>(), ConvMicroKernels.Rows, &ForwardPixels<TShape, TAct>, &args);
    }

    /// <summary>
    /// Weight gradients, overwritten: dWt [K, OutChannelStride] (the layout of Wt) = the sum over every output pixel of
    /// its input patch times its dZ row, and db = the sum of dZ over every output pixel.
    /// </summary>
    /// <remarks>
    /// The pixels are cut into partitions whose number depends on the row count alone (see <see cref="WeightPartitions"/>);
    /// the threads share the partitions, each partition sums into its own slice of <paramref name="partials"/>
    /// (<see cref="WeightPartialsLength{TShape}"/> floats for the largest batch), and the slices are added in order.
    /// So every thread builds the patches of its own pixels only, and the sums do not depend on the thread count.
    /// An input with few channels takes the direct path (ConvKernels.Direct.cs), which sums db alongside.
    /// </remarks>
    public static void BackwardWeights<TShape>(WorkerPool pool, float* x, float* dz, float* dwt, float* db, float* partials, int rows)
        where TShape : struct, IConvShape
    {
        SpatialShape.ValidateConv<TShape>();
        int pixels = Math.Max(rows, 0) * OutPixels<TShape>();
        int partitions = Direct<TShape>() ? DirectPartitions(rows, pixels) : WeightPartitions(pixels);
        var args = new WeightsArgs { X = x, DZ = dz, DWt = dwt, Db = db, Partials = partitions == 1 ? dwt : partials, Pixels = pixels, Partitions = partitions };
        if (pixels == 0)
        {
            new Span<float>(dwt, Depth<TShape>() * TShape.OutChannelStride).Clear();
            new Span<float>(db, TShape.OutChannelStride).Clear();
            return;
        }
        if (Direct<TShape>())
        {
            pool.For(partitions, 1, &DirectWeightPartition<TShape>, &args);
            if (partitions > 1)
                pool.For((Depth<TShape>() + 1) * TShape.OutChannelStride / 16, 64, &DirectSumPartials<TShape>, &args);
            MaskGroups<TShape>(pool, dwt);
            return;
        }
        if (Lines<TShape>())
            pool.For(partitions, 1, &LineWeightPartition<TShape>, &args);
        else
            pool.For(partitions, 1, &WeightPartition<TShape>, &args);
        if (partitions > 1)
            pool.For(Depth<TShape>() * TShape.OutChannelStride / 16, 64, &SumPartials<TShape>, &args);
        MaskGroups<TShape>(pool, dwt);
        var bias = new BiasArgs { DZ = dz, Db = db, Pixels = pixels, Stride = TShape.OutChannelStride };
        pool.For(TShape.OutChannelStride, 16, &BiasColumns, &bias);
    }

    /// <summary>The pixel partitions of a weight gradient over <paramref name="pixels"/> output pixels: at most 16, at least 1024 pixels each.</summary>
    public static int WeightPartitions(int pixels) => Math.Clamp(pixels / 1024, 1, MaxPartitions);

    private const int MaxPartitions = 16;

    /// <summary>Floats of the partial sums <see cref="BackwardWeights{TShape}(WorkerPool, float*, float*, float*, float*, float*, int)"/> needs for up to <paramref name="rows"/> rows.</summary>
    /// <remarks>The direct path keeps a bias row after each partition's weights.</remarks>
    public static int WeightPartialsLength<TShape>(int rows) where TShape : struct, IConvShape
        => WeightPartitions(Math.Max(rows, 0) * OutPixels<TShape>()) * (Depth<TShape>() + (Direct<TShape>() ? 1 : 0)) * TShape.OutChannelStride;

    /// <summary>
    /// Input gradient fused with the previous layer's activation derivative: dX = (the transposed convolution of dZ
    /// with W) * TPrevAct.Derivative(prevZ, prevA), [rows, InHeight, InWidth, InChannelStride], padding channels written
    /// as 0. <paramref name="wScratch"/> ([KernelHeight KernelWidth, OutChannelStride, InChannelStride]) receives W rearranged per
    /// kernel position first. <paramref name="prevZ"/> may be null unless TPrevAct.NeedsPreActivation.
    /// </summary>
    public static void BackwardInputs<TShape, TPrevAct>(WorkerPool pool, float* dz, float* wt, float* wScratch, float* prevZ, float* prevA, float* dxPrev, int rows)
        where TShape : struct, IConvShape where TPrevAct : struct, IActivation
    {
        SpatialShape.ValidateConv<TShape>();
        if (TShape.InChannelStride % 16 != 0)
            throw new NotSupportedException($"BackwardInputs needs InChannelStride to be a multiple of 16 (it is {TShape.InChannelStride}); the model's input image has no input gradient.");
        var args = new InputsArgs { DZ = dz, Wt = wt, WRot = wScratch, PrevZ = prevZ, PrevA = prevA, DX = dxPrev, Rows = Math.Max(rows, 0) };
        pool.For(Taps<TShape>(), 1, &RotateTaps<TShape>, &args);
        if (Lines<TShape>())
            pool.For(args.Rows, 1, &LineInputRows<TShape, TPrevAct>, &args);
        else if (TShape.StrideHeight > 1 || TShape.StrideWidth > 1)
            pool.For(args.Rows * TShape.StrideHeight * TShape.StrideWidth, 1, &StridedInputUnits<TShape, TPrevAct>, &args); // ConvKernels.Strided.cs
        else
            pool.For(args.Rows * InPixels<TShape>(), ConvMicroKernels.Rows, &InputPixels<TShape, TPrevAct>, &args);
    }

    /// <summary>NCHW rows [rows, channels, pixels] to channels-last [rows, pixels, channels], for a multi-channel input image.</summary>
    public static void ToChannelsLast(WorkerPool pool, float* source, float* target, int rows, int channels, int pixels)
    {
        var args = new TransposeArgs { Source = source, Target = target, Channels = channels, Pixels = pixels };
        pool.For(Math.Max(rows, 0), 1, &TransposeRows, &args);
    }

    /// <inheritdoc cref="Forward{TShape, TAct}(WorkerPool, float*, float*, float*, float*, float*, int)"/>
    public static void Forward<TShape, TAct>(WorkerPool pool, FloatBuffer x, FloatBuffer wt, FloatBuffer bias, FloatBuffer z, FloatBuffer a, int rows)
        where TShape : struct, IConvShape where TAct : struct, IActivation
        => Forward<TShape, TAct>(pool, x.Pointer, wt.Pointer, bias.Pointer, z.Pointer, a.Pointer, rows);

    /// <inheritdoc cref="BackwardWeights{TShape}(WorkerPool, float*, float*, float*, float*, float*, int)"/>
    public static void BackwardWeights<TShape>(WorkerPool pool, FloatBuffer x, FloatBuffer dz, FloatBuffer dwt, FloatBuffer db, FloatBuffer partials, int rows)
        where TShape : struct, IConvShape
        => BackwardWeights<TShape>(pool, x.Pointer, dz.Pointer, dwt.Pointer, db.Pointer, partials.Pointer, rows);

    /// <inheritdoc cref="BackwardInputs{TShape, TPrevAct}(WorkerPool, float*, float*, float*, float*, float*, float*, int)"/>
    public static void BackwardInputs<TShape, TPrevAct>(WorkerPool pool, FloatBuffer dz, FloatBuffer wt, FloatBuffer wScratch, FloatBuffer prevZ, FloatBuffer prevA, FloatBuffer dxPrev, int rows)
        where TShape : struct, IConvShape where TPrevAct : struct, IActivation
        => BackwardInputs<TShape, TPrevAct>(pool, dz.Pointer, wt.Pointer, wScratch.Pointer, prevZ.Pointer, prevA.Pointer, dxPrev.Pointer, rows);

    /// <inheritdoc cref="ToChannelsLast(WorkerPool, float*, float*, int, int, int)"/>
    public static void ToChannelsLast(WorkerPool pool, FloatBuffer source, FloatBuffer target, int rows, int channels, int pixels)
        => ToChannelsLast(pool, source.Pointer, target.Pointer, rows, channels, pixels);

    private static void ForwardPixels<TShape, TAct>(void* state, int start, int end)
        where TShape : struct, IConvShape where TAct : struct, IActivation
    {
        var s = (ForwardArgs*)state;
        int depth = Depth<TShape>(), ocs = TShape.OutChannelStride;
        int panels = (ocs + 31) / 32;
        float* packed = WorkerPool.Scratch((nint)panels * depth * 32 + (nint)ForwardBlock * PatchStride<TShape>());
        float* patches = packed + (nint)panels * depth * 32;
        PackPanels(s->Wt, ocs, depth, packed);
        ClearTails<TShape>(patches, ForwardBlock);
        float* tiles = s->Z != null ? s->Z : s->A;
        for (int m0 = start; m0 < end; m0 += ForwardBlock)
        {
            int count = Math.Min(ForwardBlock, end - m0);
            BuildPatches<TShape>(s->X, m0, count, patches, 0, Taps<TShape>());
            for (int j = 0, panel = 0; j < ocs; j += 32, panel++)
            {
                int vectors = Math.Min(2, (ocs - j) / 16);
                for (int t = 0; t < count; t += ConvMicroKernels.Rows)
                {
                    int tileRows = Math.Min(ConvMicroKernels.Rows, count - t);
                    nint row = (nint)(m0 + t) * ocs;
                    ConvMicroKernels.Run<ForwardGemm<TShape>, K0>(tileRows, vectors, patches + (nint)t * PatchStride<TShape>(),
                        packed + (nint)panel * depth * 32, 32, tiles + row + j, depth);
                    ForwardEpilogue<TShape, TAct>(s, row, j, tileRows, vectors);
                }
            }
        }
    }

    /// <summary>On a tile just computed into Z (or A): z += b, a = act(z), channels at or past OutChannels set to 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ForwardEpilogue<TShape, TAct>(ForwardArgs* s, nint row, int j, int rows, int vectors)
        where TShape : struct, IConvShape where TAct : struct, IActivation
    {
        float* tiles = s->Z != null ? s->Z : s->A;
        for (int i = 0; i < rows; i++, row += TShape.OutChannelStride)
        {
            for (int col = j; col < j + 16 * vectors; col += 16)
            {
                var z = Vector512.Load(tiles + row + col) + Vector512.Load(s->Bias + col);
                var a = TAct.Apply(z);
                if (col + 16 > TShape.OutChannels)
                {
                    var real = TailMask(TShape.OutChannels - col);
                    z &= real;
                    a &= real;
                }
                if (s->Z != null)
                    z.Store(s->Z + row + col);
                a.Store(s->A + row + col);
            }
        }
    }

    /// <summary>
    /// Writes the patches of output pixels m0..m0+count-1, one per row of <paramref name="patches"/> (rows
    /// PatchStride apart), kernel positions tap0..tap1-1 only: position t's InChannelStride values at t InChannelStride,
    /// zeros where the kernel reaches into the padding. The row tails past K are left as they are (zeroed once per call
    /// by <see cref="ClearTails{T}"/>).
    /// </summary>
    private static void BuildPatches<T>(float* x, int m0, int count, float* patches, int tap0, int tap1) where T : struct, IConvShape
    {
        int ics = T.InChannelStride;
        int r = m0 / OutPixels<T>(), q = m0 - r * OutPixels<T>();
        int oy = q / T.OutWidth, ox = q - oy * T.OutWidth;
        for (int i = 0; i < count; i++)
        {
            float* image = x + (nint)r * InPixels<T>() * ics;
            float* patch = patches + (nint)i * PatchStride<T>();
            int y0 = oy * T.StrideHeight - T.PaddingHeight, x0 = ox * T.StrideWidth - T.PaddingWidth;
            bool inside = y0 >= 0 && x0 >= 0 && y0 + T.DilationHeight * (T.KernelHeight - 1) < T.InHeight
                && x0 + T.DilationWidth * (T.KernelWidth - 1) < T.InWidth;
            for (int tap = tap0; tap < tap1; tap++)
            {
                int ky = tap / T.KernelWidth, kx = tap - ky * T.KernelWidth;
                int iy = y0 + ky * T.DilationHeight, ix = x0 + kx * T.DilationWidth;
                float* source = image + ((nint)iy * T.InWidth + ix) * ics;
                float* target = patch + (nint)tap * ics;
                if (ics < 16)
                {
                    // A few channels (the model's input image): scalar moves, no bounds test inside the image.
                    if (inside || ((uint)iy < (uint)T.InHeight && (uint)ix < (uint)T.InWidth))
                        for (int c = 0; c < ics; c++) target[c] = source[c];
                    else
                        for (int c = 0; c < ics; c++) target[c] = 0f;
                }
                else if (inside || ((uint)iy < (uint)T.InHeight && (uint)ix < (uint)T.InWidth))
                    Copy(source, target, ics);
                else
                    Clear(target, ics);
            }
            if (++ox == T.OutWidth)
            {
                ox = 0;
                if (++oy == T.OutHeight)
                {
                    oy = 0;
                    r++;
                }
            }
        }
    }

    /// <summary>Zeroes the tails (columns K..PatchStride-1) of <paramref name="count"/> patch rows.</summary>
    private static void ClearTails<T>(float* patches, int count) where T : struct, IConvShape
    {
        for (int i = 0; i < count; i++)
            Clear(patches + (nint)i * PatchStride<T>() + Depth<T>(), PatchStride<T>() - Depth<T>());
    }

    /// <summary>Partitions [start, end): each sums its pixels' patches times dZ into its slice of the partials, in blocks of pixels.</summary>
    private static void WeightPartition<TShape>(void* state, int start, int end) where TShape : struct, IConvShape
    {
        var s = (WeightsArgs*)state;
        int depth = Depth<TShape>(), ocs = TShape.OutChannelStride, stride = PatchStride<TShape>();
        float* patches = WorkerPool.Scratch((nint)WeightBlock * stride);
        ClearTails<TShape>(patches, WeightBlock);
        for (int part = start; part < end; part++)
        {
            int first = (int)((long)part * s->Pixels / s->Partitions), last = (int)((long)(part + 1) * s->Pixels / s->Partitions);
            float* sums = s->Partials + (nint)part * depth * ocs;
            for (int m0 = first; m0 < last; m0 += WeightBlock)
            {
                int count = Math.Min(WeightBlock, last - m0);
                BuildPatches<TShape>(s->X, m0, count, patches, 0, Taps<TShape>());
                for (int k = 0; k < depth; k += ConvMicroKernels.Rows)
                {
                    int tileRows = Math.Min(ConvMicroKernels.Rows, depth - k);
                    for (int j = 0; j < ocs; j += 32)
                    {
                        int vectors = Math.Min(2, (ocs - j) / 16);
                        float* b = s->DZ + (nint)m0 * ocs + j;
                        float* c = sums + (nint)k * ocs + j;
                        if (m0 == first)
                            ConvMicroKernels.Run<WeightsGemm<TShape>, K0>(tileRows, vectors, patches + k, b, ocs, c, count);
                        else
                            ConvMicroKernels.Run<WeightsGemm<TShape>, K1>(tileRows, vectors, patches + k, b, ocs, c, count);
                    }
                }
            }
        }
    }

    /// <summary>dWt = the partitions' partial sums added in partition order, for the 16-float groups [start, end).</summary>
    private static void SumPartials<TShape>(void* state, int start, int end) where TShape : struct, IConvShape
    {
        var s = (WeightsArgs*)state;
        nint slice = (nint)Depth<TShape>() * TShape.OutChannelStride;
        for (nint g = (nint)start * 16; g < (nint)end * 16; g += 16)
        {
            var sum = Vector512.Load(s->Partials + g);
            for (int part = 1; part < s->Partitions; part++)
                sum += Vector512.Load(s->Partials + part * slice + g);
            sum.Store(s->DWt + g);
        }
    }

    /// <summary>db[j] = sum over pixels of dZ[pixel, j], for the 16-column groups [start, end), each in pixel order.</summary>
    private static void BiasColumns(void* state, int start, int end)
    {
        var s = (BiasArgs*)state;
        for (int j = start; j < end; j += 16)
        {
            var sum = Vector512<float>.Zero;
            float* column = s->DZ + j;
            for (int m = 0; m < s->Pixels; m++, column += s->Stride)
                sum += Vector512.Load(column);
            sum.Store(s->Db + j);
        }
    }

    /// <summary>WRot[t, o, c] = Wt[t * InChannelStride + c, o] for kernel positions [start, end).</summary>
    private static void RotateTaps<TShape>(void* state, int start, int end) where TShape : struct, IConvShape
    {
        var s = (InputsArgs*)state;
        int ics = TShape.InChannelStride, ocs = TShape.OutChannelStride;
        for (int t = start; t < end; t++)
        {
            float* source = s->Wt + (nint)t * ics * ocs;
            float* target = s->WRot + (nint)t * ocs * ics;
            for (int o = 0; o < ocs; o++)
                for (int c = 0; c < ics; c++)
                    target[(nint)o * ics + c] = source[(nint)c * ocs + o];
        }
    }

    private static void InputPixels<TShape, TPrevAct>(void* state, int start, int end)
        where TShape : struct, IConvShape where TPrevAct : struct, IActivation
    {
        var s = (InputsArgs*)state;
        int ics = TShape.InChannelStride, ocs = TShape.OutChannelStride;
        int depth = Taps<TShape>() * ocs;
        int panels = (ics + 31) / 32;
        float* packed = WorkerPool.Scratch((nint)panels * depth * 32 + (nint)ConvMicroKernels.Rows * depth);
        float* gathered = packed + (nint)panels * depth * 32;
        PackPanels(s->WRot, ics, depth, packed);
        for (int m0 = start; m0 < end; m0 += ConvMicroKernels.Rows)
        {
            int count = Math.Min(ConvMicroKernels.Rows, end - m0);
            for (int i = 0; i < count; i++)
                GatherOutputGradients<TShape>(s->DZ, m0 + i, gathered + (nint)i * depth);
            for (int j = 0, panel = 0; j < ics; j += 32, panel++)
            {
                int vectors = Math.Min(2, (ics - j) / 16);
                nint row = (nint)m0 * ics;
                ConvMicroKernels.Run<InputsGemm<TShape>, K0>(count, vectors, gathered, packed + (nint)panel * depth * 32, 32, s->DX + row + j, depth);
                InputEpilogue<TShape, TPrevAct>(s, row, j, count, vectors);
            }
        }
    }

    /// <summary>
    /// For input pixel <paramref name="m"/>: at place t * OutChannelStride, the dZ row of the output pixel that sees it
    /// through kernel position t, or zeros where no output pixel does (the border, or between the steps of a stride).
    /// </summary>
    private static void GatherOutputGradients<T>(float* dz, int m, float* row) where T : struct, IConvShape
    {
        int ocs = T.OutChannelStride;
        int r = m / InPixels<T>(), q = m - r * InPixels<T>();
        int iy = q / T.InWidth, ix = q - iy * T.InWidth;
        float* image = dz + (nint)r * OutPixels<T>() * ocs;
        for (int tap = 0; tap < Taps<T>(); tap++)
        {
            int ky = tap / T.KernelWidth, kx = tap - ky * T.KernelWidth;
            int ty = iy + T.PaddingHeight - ky * T.DilationHeight, tx = ix + T.PaddingWidth - kx * T.DilationWidth;
            int oy = ty / T.StrideHeight, ox = tx / T.StrideWidth;
            float* target = row + (nint)tap * ocs;
            if (ty >= 0 && tx >= 0 && oy * T.StrideHeight == ty && ox * T.StrideWidth == tx && oy < T.OutHeight && ox < T.OutWidth)
                Copy(image + ((nint)oy * T.OutWidth + ox) * ocs, target, ocs);
            else
                Clear(target, ocs);
        }
    }

    /// <summary>On a tile just computed into dX: multiply by the previous activation's derivative, channels at or past InChannels set to 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputEpilogue<TShape, TPrevAct>(InputsArgs* s, nint row, int j, int rows, int vectors)
        where TShape : struct, IConvShape where TPrevAct : struct, IActivation
    {
        for (int i = 0; i < rows; i++, row += TShape.InChannelStride)
        {
            for (int col = j; col < j + 16 * vectors; col += 16)
                StoreInputGradient<TShape, TPrevAct>(s, Vector512.Load(s->DX + row + col), row, col);
        }
    }

    /// <summary>dX[row + col..+16] = g times the previous activation's derivative there, channels at or past InChannels 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreInputGradient<TShape, TPrevAct>(InputsArgs* s, Vector512<float> g, nint row, int col)
        where TShape : struct, IConvShape where TPrevAct : struct, IActivation
    {
        var z = TPrevAct.NeedsPreActivation ? Vector512.Load(s->PrevZ + row + col) : default;
        g *= TPrevAct.Derivative(z, Vector512.Load(s->PrevA + row + col));
        if (col + 16 > TShape.InChannels)
            g &= TailMask(TShape.InChannels - col);
        g.Store(s->DX + row + col);
    }

    /// <summary>
    /// With 1 &lt; Groups: zeroes every entry of dWt outside the block diagonal (input channel c of group
    /// c / (InChannels / Groups) and output channel o of another group), so the structural zeros stay 0 under any
    /// optimizer. The GEMMs summed patch values of the other groups' channels into them.
    /// </summary>
    private static void MaskGroups<T>(WorkerPool pool, float* dwt) where T : struct, IConvShape
    {
        if (T.Groups == 1)
            return;
        pool.For(Depth<T>(), 64, &MaskGroupRows<T>, dwt);
    }

    private static void MaskGroupRows<T>(void* state, int start, int end) where T : struct, IConvShape
    {
        float* dwt = (float*)state;
        int ics = T.InChannelStride, ocs = T.OutChannelStride;
        int inPerGroup = T.InChannels / T.Groups, outPerGroup = T.OutChannels / T.Groups;
        for (int k = start; k < end; k++)
        {
            int c = k % ics;
            float* row = dwt + (nint)k * ocs;
            if (c >= T.InChannels)
                continue; // a padding channel: its patch values are 0, so is its gradient
            int group = c / inPerGroup, first = group * outPerGroup, last = first + outPerGroup;
            for (int o = 0; o < first; o++)
                row[o] = 0f;
            for (int o = last; o < T.OutChannels; o++)
                row[o] = 0f;
        }
    }

    private static void TransposeRows(void* state, int start, int end)
    {
        var s = (TransposeArgs*)state;
        int channels = s->Channels, pixels = s->Pixels;
        for (int r = start; r < end; r++)
        {
            float* source = s->Source + (nint)r * channels * pixels;
            float* target = s->Target + (nint)r * channels * pixels;
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < pixels; p++)
                    target[(nint)p * channels + c] = source[(nint)c * pixels + p];
        }
    }

    /// <summary>Copies B [depth, stride] into panels of 32 columns, [panel][depth][32] (a last panel of 16 columns is padded).</summary>
    private static void PackPanels(float* source, int stride, int depth, float* panels)
    {
        for (int j = 0; j < stride; j += 32)
        {
            bool two = stride - j >= 32;
            float* s = source + j;
            for (int p = 0; p < depth; p++, s += stride, panels += 32)
            {
                Vector512.Load(s).Store(panels);
                if (two)
                    Vector512.Load(s + 16).Store(panels + 16);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* source, float* target, int count)
    {
        int k = 0;
        for (; k + 16 <= count; k += 16)
            Vector512.Load(source + k).Store(target + k);
        for (; k < count; k++)
            target[k] = source[k];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Clear(float* target, int count)
    {
        int k = 0;
        for (; k + 16 <= count; k += 16)
            Vector512<float>.Zero.Store(target + k);
        for (; k < count; k++)
            target[k] = 0f;
    }

    /// <summary>All bits set in the first <paramref name="count"/> lanes (none when count &lt;= 0).</summary>
    internal static Vector512<float> TailMask(int count)
        => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();
}
