using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SoftGen.Cpu;

/// <summary>
/// Generalised-mean (GeM) pooling over all pixels of a channels-last image (see <see cref="IGemPoolShape"/>):
/// y[r, c] = (mean over the pixels of max(x, eps)^p)^(1/p), output rows [rows, ChannelStride] (flat, padding 0), p a
/// scalar read from a buffer (trainable or fixed). Parallel over the rows of the batch.
/// </summary>
/// <remarks>
/// Everything runs in the log domain, so nothing overflows or underflows to a log of 0 for p in [1, 8] and any x
/// in [-1e4, 1e4]: with M the channel's largest clamped input, log y = log M + log(mean of exp(p (log xc - log M))) / p,
/// where each term lies in (0, 1] and the largest is 1. The backward uses t = log xc - log y (at most log(pixels) / p):
/// dy/dx = exp((p - 1) t) / pixels where x &gt;= eps (0 below, as torch.clamp's gradient), and
/// dy/dp = (y / p) (sum w t), w = exp(p t) / sum exp(p t) the weights of the pixels in the generalised mean.
/// dL/dp sums one partial per row (its channels summed in order), then the rows in order: no result depends on the
/// thread count.
/// </remarks>
public static unsafe class GemPoolKernels
{
    private struct Args
    {
        public float* X, Y, DY, DP, Partials, PrevZ, PrevA, DX;
        public float P;
    }

    /// <summary>Floats of scratch (partials) <see cref="Backward{TShape, TPrevAct}"/> needs for up to <paramref name="batchCapacity"/> rows.</summary>
    public static int PartialsLength<TShape>(int batchCapacity) where TShape : struct, IGemPoolShape
        => Math.Max(batchCapacity, 0) * 16;

    /// <summary>y[r, c] = (mean over the pixels of max(x, eps)^p)^(1/p), p = the first float of <paramref name="p"/>; padding channels 0.</summary>
    public static void Forward<TShape>(WorkerPool pool, FloatBuffer x, FloatBuffer p, FloatBuffer y, int rows) where TShape : struct, IGemPoolShape
    {
        GemPoolShape.Validate<TShape>();
        var args = new Args { X = x, Y = y, P = p.Pointer[0] };
        pool.For(Math.Max(rows, 0), 1, &ForwardRows<TShape>, &args);
    }

    /// <summary>
    /// Gradients, given dy [rows, ChannelStride] and the forward's x and y: dxPrev = dL/dx * TPrevAct.Derivative(prevZ,
    /// prevA) (x is the previous layer's A; prevZ its Z, or Null when TPrevAct does not need it), 0 where x &lt; eps and
    /// in the padding channels; and, when <paramref name="dp"/> is not Null, its first float = dL/dp summed over the
    /// batch (<paramref name="partials"/> holds <see cref="PartialsLength{TShape}"/> floats).
    /// </summary>
    public static void Backward<TShape, TPrevAct>(WorkerPool pool, FloatBuffer dy, FloatBuffer x, FloatBuffer y, FloatBuffer p, FloatBuffer dp,
        FloatBuffer partials, FloatBuffer prevZ, FloatBuffer prevA, FloatBuffer dxPrev, int rows)
        where TShape : struct, IGemPoolShape where TPrevAct : struct, IActivation
    {
        GemPoolShape.Validate<TShape>();
        var args = new Args { X = x, Y = y, DY = dy, DP = dp, Partials = partials, PrevZ = prevZ, PrevA = prevA, DX = dxPrev, P = p.Pointer[0] };
        pool.For(Math.Max(rows, 0), 1, &BackwardRows<TShape, TPrevAct>, &args);
        if (dp.IsNull)
            return;
        double sum = 0;
        for (nint i = 0; i < (nint)Math.Max(rows, 0) * 16; i++)
            sum += partials.Pointer[i];
        dp.Pointer[0] = (float)sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Pixels<T>() where T : struct, ISpatialShape => T.Height * T.Width;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardRows<T>(void* state, int start, int end) where T : struct, IGemPoolShape
    {
        var s = (Args*)state;
        int cs = T.ChannelStride, pixels = Pixels<T>();
        var p = Vector512.Create(s->P);
        var eps = Vector512.Create(T.Epsilon);
        var logPixels = Vector512.Create(MathF.Log(pixels));
        for (int r = start; r < end; r++)
        {
            float* image = s->X + (nint)r * pixels * cs;
            float* y = s->Y + (nint)r * cs;
            for (int j = 0; j < cs; j += 16)
            {
                if (j >= NormShape.RealFloats<T>())
                {
                    Vector512<float>.Zero.Store(y + j);
                    continue;
                }
                float* x = image + j;
                var largest = Vector512.Load(x);
                for (int i = 1; i < pixels; i++)
                    largest = Vector512.Max(largest, Vector512.Load(x + (nint)i * cs));
                var logLargest = VectorMath.Log(Vector512.Max(largest, eps));
                var shift = p * logLargest;
                Vector512<float> s0 = default, s1 = default;
                int k = 0;
                for (; k + 2 <= pixels; k += 2)
                {
                    s0 += VectorMath.Exp(Vector512.FusedMultiplyAdd(p, VectorMath.Log(Vector512.Max(Vector512.Load(x + (nint)k * cs), eps)), -shift));
                    s1 += VectorMath.Exp(Vector512.FusedMultiplyAdd(p, VectorMath.Log(Vector512.Max(Vector512.Load(x + (nint)(k + 1) * cs), eps)), -shift));
                }
                if (k < pixels)
                    s0 += VectorMath.Exp(Vector512.FusedMultiplyAdd(p, VectorMath.Log(Vector512.Max(Vector512.Load(x + (nint)k * cs), eps)), -shift));
                var logY = logLargest + (VectorMath.Log(s0 + s1) - logPixels) / p;
                var result = VectorMath.Exp(logY);
                if (NormShape.HasPadding<T>(j))
                    result &= NormShape.RealLanes<T>(j);
                result.Store(y + j);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardRows<T, TPrevAct>(void* state, int start, int end) where T : struct, IGemPoolShape where TPrevAct : struct, IActivation
    {
        var s = (Args*)state;
        int cs = T.ChannelStride, pixels = Pixels<T>();
        var p = Vector512.Create(s->P);
        var pMinusOne = Vector512.Create(s->P - 1f);
        var eps = Vector512.Create(T.Epsilon);
        bool learnable = s->DP != null;
        for (int r = start; r < end; r++)
        {
            nint first = (nint)r * pixels * cs;
            var dp = Vector512<float>.Zero;
            for (int j = 0; j < cs; j += 16)
            {
                if (j >= NormShape.RealFloats<T>())
                {
                    for (int i = 0; i < pixels; i++)
                        Vector512<float>.Zero.Store(s->DX + first + (nint)i * cs + j);
                    continue;
                }
                var real = NormShape.HasPadding<T>(j) ? NormShape.RealLanes<T>(j) : Vector512<float>.AllBitsSet;
                // y >= eps up to rounding (and 0 in the padding lanes, masked at the end): clamping keeps every log finite.
                var y = Vector512.Max(Vector512.Load(s->Y + (nint)r * cs + j), eps);
                var logY = VectorMath.Log(y);
                var gradient = Vector512.Load(s->DY + (nint)r * cs + j) & real;
                var scale = gradient * (1f / pixels);
                var inverseY = Vector512<float>.One / y;
                Vector512<float> weights = default, weighted = default;
                for (int i = 0; i < pixels; i++)
                {
                    nint at = first + (nint)i * cs + j;
                    var x = Vector512.Load(s->X + at);
                    var clamped = Vector512.Max(x, eps);
                    var t = VectorMath.Log(clamped) - logY;
                    var power = VectorMath.Exp(pMinusOne * t); // (xc / y)^(p - 1)
                    if (learnable)
                    {
                        var w = power * (clamped * inverseY); // (xc / y)^p
                        weights += w;
                        weighted = Vector512.FusedMultiplyAdd(w, t, weighted);
                    }
                    var passed = Vector512.GreaterThanOrEqual(x, eps) & real;
                    var z = TPrevAct.NeedsPreActivation ? Vector512.Load(s->PrevZ + at) : default;
                    (((scale * power) & passed) * TPrevAct.Derivative(z, Vector512.Load(s->PrevA + at))).Store(s->DX + at);
                }
                if (learnable)
                    dp += (gradient * y / p * (weighted / weights)) & real;
            }
            if (learnable)
                dp.Store(s->Partials + (nint)r * 16);
        }
    }
}
