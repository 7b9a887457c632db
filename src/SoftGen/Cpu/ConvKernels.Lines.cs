using System;
using System.Runtime.CompilerServices;

namespace SoftGen.Cpu;

// The line path: a convolution over a signal (a height-1 image: a Conv1D) with an undilated kernel. There the window of
// output pixel ox is KernelWidth InChannelStride contiguous floats of the input line, StrideWidth InChannelStride
// floats after the previous pixel's, so the forward and weight-gradient GEMMs read their patches in place: from the
// line itself inside it, and from a zero-bordered copy of a span of it at its ends (where building patches would copy
// each input value KernelWidth / StrideWidth times). The input gradient reads the output gradient's line in place the same way: input
// pixel ix of stride class c ((ix + PaddingWidth) mod StrideWidth = c) is seen by kernel positions c, c + s, ...,
// and those, in reverse order, see consecutive output pixels; the next pixel of the class sees the next ones.
public static unsafe partial class ConvKernels
{
    /// <summary>Pixels whose window span is copied at once (the span stays in L1/L2 through the block's tiles).</summary>
    private const int LineBlock = 64;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Lines<T>() where T : struct, IConvShape
        => T.InHeight == 1 && T.KernelHeight == 1 && T.PaddingHeight == 0 && T.DilationWidth == 1 && T.InChannelStride % 16 == 0;

    private readonly struct LineForwardGemm<T> : IConvGemm where T : struct, IConvShape
    {
        public static int RowStrideA => T.StrideWidth * T.InChannelStride;
        public static int ColStrideA => 1;
        public static int StrideC => T.OutChannelStride;
    }

    private readonly struct LineWeightsGemm<T> : IConvGemm where T : struct, IConvShape
    {
        public static int RowStrideA => 1;
        public static int ColStrideA => T.StrideWidth * T.InChannelStride;
        public static int StrideC => T.OutChannelStride;
    }

    private readonly struct LineInputsGemm<T> : IConvGemm where T : struct, IConvShape
    {
        public static int RowStrideA => T.OutChannelStride;
        public static int ColStrideA => 1;
        public static int StrideC => T.InChannelStride;
    }

    /// <summary>Floats of the input span that the windows of <paramref name="count"/> neighbouring output pixels cover.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SpanLength<T>(int count) where T : struct, IConvShape
        => ((count - 1) * T.StrideWidth + T.KernelWidth) * T.InChannelStride;

    /// <summary>
    /// The input values under the windows of output pixels ox0..ox0+count-1 of row r, output pixel ox0 + i's window
    /// starting at i StrideWidth InChannelStride: in place where the windows lie inside the line, else copied into
    /// <paramref name="scratch"/> with zeros where they reach past the line's ends.
    /// </summary>
    private static float* WindowSpan<T>(float* x, int r, int ox0, int count, float* scratch) where T : struct, IConvShape
    {
        int ics = T.InChannelStride, first = ox0 * T.StrideWidth - T.PaddingWidth;
        int pixels = (count - 1) * T.StrideWidth + T.KernelWidth;
        float* line = x + (nint)r * T.InWidth * ics;
        if (first >= 0 && first + pixels <= T.InWidth)
            return line + (nint)first * ics;
        int lead = Math.Clamp(-first, 0, pixels), inside = Math.Clamp(T.InWidth - Math.Max(first, 0), 0, pixels - lead);
        Clear(scratch, lead * ics);
        Copy(line + (nint)(first + lead) * ics, scratch + (nint)lead * ics, inside * ics);
        Clear(scratch + (nint)(lead + inside) * ics, (pixels - lead - inside) * ics);
        return scratch;
    }

    /// <summary>Forward over output pixels [start, end) (pixel = row OutWidth + ox).</summary>
    private static void LineForwardPixels<TShape, TAct>(void* state, int start, int end)
        where TShape : struct, IConvShape where TAct : struct, IActivation
    {
        var s = (ForwardArgs*)state;
        int depth = Depth<TShape>(), ocs = TShape.OutChannelStride, step = TShape.StrideWidth * TShape.InChannelStride;
        int panels = (ocs + 31) / 32;
        float* packed = WorkerPool.Scratch((nint)panels * depth * 32 + SpanLength<TShape>(LineBlock));
        float* scratch = packed + (nint)panels * depth * 32;
        PackPanels(s->Wt, ocs, depth, packed);
        float* tiles = s->Z != null ? s->Z : s->A;
        for (int m0 = start; m0 < end;)
        {
            int r = m0 / TShape.OutWidth, ox0 = m0 - r * TShape.OutWidth;
            int count = Math.Min(Math.Min(LineBlock, end - m0), TShape.OutWidth - ox0);
            float* span = WindowSpan<TShape>(s->X, r, ox0, count, scratch);
            for (int j = 0, panel = 0; j < ocs; j += 32, panel++)
            {
                int vectors = Math.Min(2, (ocs - j) / 16);
                for (int t = 0; t < count; t += ConvMicroKernels.Rows)
                {
                    int tileRows = Math.Min(ConvMicroKernels.Rows, count - t);
                    nint row = (nint)(m0 + t) * ocs;
                    ConvMicroKernels.Run<LineForwardGemm<TShape>, K0>(tileRows, vectors, span + (nint)t * step,
                        packed + (nint)panel * depth * 32, 32, tiles + row + j, depth);
                    ForwardEpilogue<TShape, TAct>(s, row, j, tileRows, vectors);
                }
            }
            m0 += count;
        }
    }

    /// <summary>
    /// Partitions [start, end): each sums its pixels' windows times dZ into its slice of the partials, in blocks of
    /// pixels that end at the ends of the lines (so that a block's windows are evenly spaced in one span).
    /// </summary>
    private static void LineWeightPartition<TShape>(void* state, int start, int end) where TShape : struct, IConvShape
    {
        var s = (WeightsArgs*)state;
        int depth = Depth<TShape>(), ocs = TShape.OutChannelStride;
        float* scratch = WorkerPool.Scratch(SpanLength<TShape>(WeightBlock));
        for (int part = start; part < end; part++)
        {
            int first = (int)((long)part * s->Pixels / s->Partitions), last = (int)((long)(part + 1) * s->Pixels / s->Partitions);
            float* sums = s->Partials + (nint)part * depth * ocs;
            for (int m0 = first; m0 < last;)
            {
                int r = m0 / TShape.OutWidth, ox0 = m0 - r * TShape.OutWidth;
                int count = Math.Min(Math.Min(WeightBlock, last - m0), TShape.OutWidth - ox0);
                float* span = WindowSpan<TShape>(s->X, r, ox0, count, scratch);
                for (int k = 0; k < depth; k += ConvMicroKernels.Rows)
                {
                    int tileRows = Math.Min(ConvMicroKernels.Rows, depth - k);
                    for (int j = 0; j < ocs; j += 32)
                    {
                        int vectors = Math.Min(2, (ocs - j) / 16);
                        float* b = s->DZ + (nint)m0 * ocs + j;
                        float* c = sums + (nint)k * ocs + j;
                        if (m0 == first)
                            ConvMicroKernels.Run<LineWeightsGemm<TShape>, K0>(tileRows, vectors, span + k, b, ocs, c, count);
                        else
                            ConvMicroKernels.Run<LineWeightsGemm<TShape>, K1>(tileRows, vectors, span + k, b, ocs, c, count);
                    }
                }
                m0 += count;
            }
        }
    }

    /// <summary>The kernel positions of stride class c: c, c + s, ... below KernelWidth.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int LineClassTaps<T>(int c) where T : struct, IConvShape
        => c < T.KernelWidth ? (T.KernelWidth - c + T.StrideWidth - 1) / T.StrideWidth : 0;

    /// <summary>Zeros on each side of the output gradient's line copy: more than any class's kernel positions reach.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int LineMargin<T>() where T : struct, IConvShape => T.KernelWidth + 1;

    /// <summary>
    /// Input gradient for rows [start, end). The weights of every stride class are packed once per chunk, the class's
    /// kernel positions in reverse order (their union is every position, so all classes take one [Kw OutChannelStride]
    /// depth of panels); each row's dZ line is copied once between zero margins.
    /// </summary>
    private static void LineInputRows<TShape, TPrevAct>(void* state, int start, int end)
        where TShape : struct, IConvShape where TPrevAct : struct, IActivation
    {
        var s = (InputsArgs*)state;
        int ics = TShape.InChannelStride, ocs = TShape.OutChannelStride, stride = TShape.StrideWidth, kw = TShape.KernelWidth;
        int panels = (ics + 31) / 32, margin = LineMargin<TShape>();
        nint lineLength = (nint)(2 * margin + TShape.OutWidth) * ocs;
        float* packed = WorkerPool.Scratch((nint)panels * kw * ocs * 32 + (nint)kw * ocs * ics + lineLength + (nint)ConvMicroKernels.Rows * ics);
        float* classWeights = packed + (nint)panels * kw * ocs * 32;
        float* line = classWeights + (nint)kw * ocs * ics;
        float* tile = line + lineLength;
        for (int c = 0, offset = 0; c < stride; c++)
        {
            int taps = LineClassTaps<TShape>(c);
            for (int q = 0; q < taps; q++)
                Copy(s->WRot + (nint)(c + (taps - 1 - q) * stride) * ocs * ics, classWeights + (nint)q * ocs * ics, ocs * ics);
            if (taps > 0)
                PackPanels(classWeights, ics, taps * ocs, packed + (nint)panels * offset * ocs * 32);
            offset += taps;
        }
        Clear(line, margin * ocs);
        Clear(line + (nint)(margin + TShape.OutWidth) * ocs, margin * ocs);
        for (int r = start; r < end; r++)
        {
            Copy(s->DZ + (nint)r * TShape.OutWidth * ocs, line + (nint)margin * ocs, TShape.OutWidth * ocs);
            for (int c = 0, offset = 0; c < stride; c++)
            {
                int taps = LineClassTaps<TShape>(c), depth = taps * ocs;
                // The class's input pixels ix = x0, x0 + s, ...; pixel j's last kernel position sees output pixel based + j.
                int x0 = ((c - TShape.PaddingWidth) % stride + stride) % stride;
                int count = x0 < TShape.InWidth ? (TShape.InWidth - x0 + stride - 1) / stride : 0;
                int based = (x0 + TShape.PaddingWidth - c) / stride - (taps - 1);
                float* weights = packed + (nint)panels * offset * ocs * 32;
                for (int j0 = 0; j0 < count; j0 += ConvMicroKernels.Rows)
                {
                    int rows = Math.Min(ConvMicroKernels.Rows, count - j0);
                    nint first = ((nint)r * TShape.InWidth + x0 + (nint)j0 * stride) * ics;
                    for (int j = 0, panel = 0; j < ics; j += 32, panel++)
                    {
                        int vectors = Math.Min(2, (ics - j) / 16);
                        if (depth > 0)
                            ConvMicroKernels.Run<LineInputsGemm<TShape>, K0>(rows, vectors, line + (nint)(margin + based + j0) * ocs,
                                weights + (nint)panel * depth * 32, 32, tile + j, depth);
                        else
                            for (int i = 0; i < rows; i++)
                                Clear(tile + (nint)i * ics + j, 16 * vectors);
                        for (int i = 0; i < rows; i++)
                            for (int col = j; col < j + 16 * vectors; col += 16)
                                StoreInputGradient<TShape, TPrevAct>(s, System.Runtime.Intrinsics.Vector512.Load(tile + (nint)i * ics + col),
                                    first + (nint)i * stride * ics, col);
                    }
                }
                offset += taps;
            }
        }
    }
}
