using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SoftGen.Cpu;

/// <summary>
/// Squeeze-excitation over channels-last images (see <see cref="ISqueezeExcitationShape"/> for the parameters), per
/// row: s = the mean of each channel over the pixels, u = s Wr + br, h = silu(u), v = h We + be, g = sigmoid(v),
/// y = x * g per channel. Forward and backward are parallel over the rows of the batch; the parameter gradients then
/// sum the rows' contributions in row order, parallel over the gradients' rows, so no result depends on the thread
/// count.
/// </summary>
/// <remarks>
/// The per-row scratch (<see cref="ScratchLength{TShape}"/>) holds, per row: s [ChannelStride], u and h
/// [SqueezeStride each], g [ChannelStride] from the forward, and the backward's dv = dL/dv [ChannelStride] and
/// du = dL/du [SqueezeStride], which the parameter gradients then sum. Padding lanes of all of them are kept 0.
/// </remarks>
public static unsafe class SqueezeExcitationKernels
{
    private struct Args
    {
        public float* X, Y, DY, Parameters, Gradients, Scratch, PrevZ, PrevA, DX;
        public int Rows;
    }

    /// <summary>Floats of the four parameter tensors (and of their gradients).</summary>
    public static int ParameterLength<TShape>() where TShape : struct, ISqueezeExcitationShape
        => 2 * TShape.ChannelStride * TShape.SqueezeStride + TShape.SqueezeStride + TShape.ChannelStride;

    /// <summary>Floats of scratch the forward keeps for the backward (and the backward uses), for up to <paramref name="batchCapacity"/> rows.</summary>
    public static int ScratchLength<TShape>(int batchCapacity) where TShape : struct, ISqueezeExcitationShape
        => Math.Max(batchCapacity, 0) * RowScratch<TShape>();

    /// <summary>y = x * g per channel (y never aliases x); keeps s, u, h and g in <paramref name="scratch"/>. Padding channels of y are 0.</summary>
    public static void Forward<TShape>(WorkerPool pool, FloatBuffer x, FloatBuffer parameters, FloatBuffer scratch, FloatBuffer y, int rows)
        where TShape : struct, ISqueezeExcitationShape
    {
        SqueezeExcitationShape.Validate<TShape>();
        var args = new Args { X = x, Y = y, Parameters = parameters, Scratch = scratch };
        pool.For(Math.Max(rows, 0), 1, &ForwardRows<TShape>, &args);
    }

    /// <summary>
    /// Gradients, given dy and the forward's x and scratch: <paramref name="gradients"/> (the parameters' layout) is
    /// written in full, each tensor the sum over the rows (padding 0); dxPrev = (dy g + dL/ds / pixels) *
    /// TPrevAct.Derivative(prevZ, prevA) (x is the previous layer's A; prevZ its Z, or Null when TPrevAct does not need
    /// it), padding channels 0.
    /// </summary>
    public static void Backward<TShape, TPrevAct>(WorkerPool pool, FloatBuffer dy, FloatBuffer x, FloatBuffer parameters, FloatBuffer gradients,
        FloatBuffer scratch, FloatBuffer prevZ, FloatBuffer prevA, FloatBuffer dxPrev, int rows)
        where TShape : struct, ISqueezeExcitationShape where TPrevAct : struct, IActivation
    {
        SqueezeExcitationShape.Validate<TShape>();
        var args = new Args
        {
            X = x, DY = dy, Parameters = parameters, Gradients = gradients, Scratch = scratch, PrevZ = prevZ, PrevA = prevA, DX = dxPrev,
            Rows = Math.Max(rows, 0),
        };
        pool.For(args.Rows, 1, &BackwardRows<TShape, TPrevAct>, &args);
        pool.For(TShape.ChannelStride + TShape.SqueezeStride + 2, 8, &ParameterGradients<TShape>, &args);
    }

    // ---- layout ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Pixels<T>() where T : struct, ISpatialShape => T.Height * T.Width;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RowScratch<T>() where T : struct, ISqueezeExcitationShape => 3 * T.ChannelStride + 3 * T.SqueezeStride;

    // Offsets in the parameters (and gradients).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ReduceBias<T>() where T : struct, ISqueezeExcitationShape => T.ChannelStride * T.SqueezeStride;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ExpandWeight<T>() where T : struct, ISqueezeExcitationShape => T.ChannelStride * T.SqueezeStride + T.SqueezeStride;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ExpandBias<T>() where T : struct, ISqueezeExcitationShape => 2 * T.ChannelStride * T.SqueezeStride + T.SqueezeStride;

    // Offsets in a row's scratch.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int U<T>() where T : struct, ISqueezeExcitationShape => T.ChannelStride;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int H<T>() where T : struct, ISqueezeExcitationShape => T.ChannelStride + T.SqueezeStride;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int G<T>() where T : struct, ISqueezeExcitationShape => T.ChannelStride + 2 * T.SqueezeStride;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DV<T>() where T : struct, ISqueezeExcitationShape => 2 * T.ChannelStride + 2 * T.SqueezeStride;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DU<T>() where T : struct, ISqueezeExcitationShape => 3 * T.ChannelStride + 2 * T.SqueezeStride;

    /// <summary>Lanes of the vector at <paramref name="k"/> below <paramref name="count"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Below(int count, int k) => ConvKernels.TailMask(count - k);

    // ---- forward ----

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardRows<T>(void* state, int start, int end) where T : struct, ISqueezeExcitationShape
    {
        var s = (Args*)state;
        int cs = T.ChannelStride, ss = T.SqueezeStride, pixels = Pixels<T>();
        float* parameters = s->Parameters;
        for (int r = start; r < end; r++)
        {
            float* x = s->X + (nint)r * pixels * cs;
            float* y = s->Y + (nint)r * pixels * cs;
            float* scratch = s->Scratch + (nint)r * RowScratch<T>();
            float* squeezed = scratch, u = scratch + U<T>(), h = scratch + H<T>(), g = scratch + G<T>();
            for (int k = 0; k < cs; k += 16)
                (ColumnSum(x + k, cs, pixels) * (1f / pixels) & Below(T.Channels, k)).Store(squeezed + k);
            for (int k = 0; k < ss; k += 16)
            {
                var sum = Vector512.Load(parameters + ReduceBias<T>() + k);
                for (int c = 0; c < T.Channels; c++)
                    sum = Vector512.FusedMultiplyAdd(Vector512.Create(squeezed[c]), Vector512.Load(parameters + (nint)c * ss + k), sum);
                var real = Below(T.Squeeze, k);
                (sum & real).Store(u + k);
                (Silu.Apply(sum) & real).Store(h + k);
            }
            for (int k = 0; k < cs; k += 16)
            {
                var sum = Vector512.Load(parameters + ExpandBias<T>() + k);
                for (int j = 0; j < T.Squeeze; j++)
                    sum = Vector512.FusedMultiplyAdd(Vector512.Create(h[j]), Vector512.Load(parameters + ExpandWeight<T>() + (nint)j * cs + k), sum);
                (VectorMath.Sigmoid(sum) & Below(T.Channels, k)).Store(g + k);
            }
            for (nint at = 0; at < (nint)pixels * cs; at += cs)
                for (int k = 0; k < cs; k += 16)
                    (Vector512.Load(x + at + k) * Vector512.Load(g + k)).Store(y + at + k);
        }
    }

    // ---- backward ----

    /// <summary>
    /// Rows [start, end): dg = sum over pixels of dy x, dv = dg g (1 - g), dh = We dv, du = dh silu'(u) (dv and du kept
    /// in the scratch), ds = Wr du, then dx = (dy g + ds / pixels) TPrevAct'.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardRows<T, TPrevAct>(void* state, int start, int end) where T : struct, ISqueezeExcitationShape where TPrevAct : struct, IActivation
    {
        var s = (Args*)state;
        int cs = T.ChannelStride, ss = T.SqueezeStride, pixels = Pixels<T>();
        float* parameters = s->Parameters;
        float* dh = stackalloc float[ss];
        float* ds = stackalloc float[cs];
        for (int r = start; r < end; r++)
        {
            nint first = (nint)r * pixels * cs;
            float* scratch = s->Scratch + (nint)r * RowScratch<T>();
            float* u = scratch + U<T>(), g = scratch + G<T>(), dv = scratch + DV<T>(), du = scratch + DU<T>();
            for (int k = 0; k < cs; k += 16)
            {
                var gate = Vector512.Load(g + k);
                var dg = ColumnDot(s->DY + first + k, s->X + first + k, cs, pixels);
                (dg * gate * (Vector512<float>.One - gate) & Below(T.Channels, k)).Store(dv + k);
            }
            for (int j = 0; j < ss; j++)
                dh[j] = j < T.Squeeze ? RowDot(parameters + ExpandWeight<T>() + (nint)j * cs, dv, cs) : 0f;
            for (int k = 0; k < ss; k += 16)
            {
                var pre = Vector512.Load(u + k);
                (Vector512.Load(dh + k) * Silu.Derivative(pre, default) & Below(T.Squeeze, k)).Store(du + k);
            }
            for (int c = 0; c < cs; c++)
                ds[c] = c < T.Channels ? RowDot(parameters + (nint)c * ss, du, ss) * (1f / pixels) : 0f;
            if (s->DX == null)
                continue; // the first layer with parameters: nothing before it needs a gradient
            for (nint at = first; at < first + (nint)pixels * cs; at += cs)
                for (int k = 0; k < cs; k += 16)
                {
                    var gradient = Vector512.FusedMultiplyAdd(Vector512.Load(s->DY + at + k), Vector512.Load(g + k), Vector512.Load(ds + k));
                    var z = TPrevAct.NeedsPreActivation ? Vector512.Load(s->PrevZ + at + k) : default;
                    (gradient * TPrevAct.Derivative(z, Vector512.Load(s->PrevA + at + k)) & Below(T.Channels, k)).Store(s->DX + at + k);
                }
        }
    }

    /// <summary>
    /// Gradient rows [start, end), each a sum over the batch in row order: 0..ChannelStride-1 the rows of dWr
    /// (s[c] du), ChannelStride dbr (du), then the SqueezeStride rows of dWe (h[j] dv), and last dbe (dv).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ParameterGradients<T>(void* state, int start, int end) where T : struct, ISqueezeExcitationShape
    {
        var s = (Args*)state;
        int cs = T.ChannelStride, ss = T.SqueezeStride, rowScratch = RowScratch<T>();
        for (int item = start; item < end; item++)
        {
            // The factor's offset in a row's scratch (-1: the factor 1, for a bias), the summed vector's, its width and the target's offset.
            var (factor, vector, width, target) =
                item < cs ? (item, DU<T>(), ss, item * ss)
                : item == cs ? (-1, DU<T>(), ss, ReduceBias<T>())
                : item <= cs + ss ? (H<T>() + item - cs - 1, DV<T>(), cs, ExpandWeight<T>() + (item - cs - 1) * cs)
                : (-1, DV<T>(), cs, ExpandBias<T>());
            for (int k = 0; k < width; k += 16)
            {
                var sum = Vector512<float>.Zero;
                float* row = s->Scratch;
                for (int r = 0; r < s->Rows; r++, row += rowScratch)
                    sum = Vector512.FusedMultiplyAdd(Vector512.Create(factor < 0 ? 1f : row[factor]), Vector512.Load(row + vector + k), sum);
                sum.Store(s->Gradients + target + k);
            }
        }
    }

    // ---- sums ----

    /// <summary>The sum over <paramref name="count"/> pixels (<paramref name="stride"/> floats apart) of x's vector, four accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ColumnSum(float* x, int stride, int count)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        int i = 0;
        for (; i + 4 <= count; i += 4, x += 4 * stride)
        {
            s0 += Vector512.Load(x);
            s1 += Vector512.Load(x + stride);
            s2 += Vector512.Load(x + 2 * stride);
            s3 += Vector512.Load(x + 3 * stride);
        }
        for (; i < count; i++, x += stride)
            s0 += Vector512.Load(x);
        return (s0 + s1) + (s2 + s3);
    }

    /// <summary>The sum over <paramref name="count"/> pixels of a * b, lane by lane, four accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ColumnDot(float* a, float* b, int stride, int count)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        int i = 0;
        for (; i + 4 <= count; i += 4, a += 4 * stride, b += 4 * stride)
        {
            s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a), Vector512.Load(b), s0);
            s1 = Vector512.FusedMultiplyAdd(Vector512.Load(a + stride), Vector512.Load(b + stride), s1);
            s2 = Vector512.FusedMultiplyAdd(Vector512.Load(a + 2 * stride), Vector512.Load(b + 2 * stride), s2);
            s3 = Vector512.FusedMultiplyAdd(Vector512.Load(a + 3 * stride), Vector512.Load(b + 3 * stride), s3);
        }
        for (; i < count; i++, a += stride, b += stride)
            s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a), Vector512.Load(b), s0);
        return (s0 + s1) + (s2 + s3);
    }

    /// <summary>The dot product of two contiguous vectors of <paramref name="length"/> floats (a multiple of 16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float RowDot(float* a, float* b, int length)
    {
        var sum = Vector512<float>.Zero;
        for (int k = 0; k < length; k += 16)
            sum = Vector512.FusedMultiplyAdd(Vector512.Load(a + k), Vector512.Load(b + k), sum);
        return Vector512.Sum(sum);
    }
}
