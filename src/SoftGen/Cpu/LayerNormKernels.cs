using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SoftGen.Cpu;

/// <summary>
/// Layer normalization of flat rows [rows, ChannelStride] (TShape is 1x1) over their Channels real features, with an
/// elementwise affine (gamma, beta per feature); the same in training and prediction. Biased variance, epsilon inside
/// the square root, as PyTorch. Padding features stay 0.
/// </summary>
/// <remarks>
/// The forward and the input gradient are per row (parallel over rows). The parameter gradients sum over rows in
/// partitions whose number depends on the row count alone, added in order, so nothing depends on the thread count.
/// </remarks>
public static unsafe class LayerNormKernels
{
    private const int MaxPartitions = 32;
    private const int RowsPerPartition = 8;

    private struct Args
    {
        public float* X, DY, Gamma, Beta, Mean, InvStd, Z, A, PrevZ, DX, Partials;
        public float Epsilon;
        public int Rows, Partitions;
    }

    /// <summary>Floats of scratch (partials) <see cref="Backward"/> needs for up to <paramref name="batchCapacity"/> rows.</summary>
    public static int PartialsLength<TShape>(int batchCapacity) where TShape : struct, ISpatialShape
        => Partitions(batchCapacity) * 2 * TShape.ChannelStride;

    /// <summary>
    /// mean[r] and invStd[r] = 1 / sqrt(var + eps) saved per row (batchCapacity floats each); y = gamma xhat + beta,
    /// xhat = (x - mean) invStd; z = y when not Null; a = TAct(y).
    /// </summary>
    public static void Forward<TShape, TAct>(WorkerPool pool, FloatBuffer x, FloatBuffer gamma, FloatBuffer beta, float epsilon,
        FloatBuffer mean, FloatBuffer invStd, FloatBuffer z, FloatBuffer a, int rows)
        where TShape : struct, ISpatialShape where TAct : struct, IActivation
    {
        Validate<TShape>();
        var args = new Args { X = x, Gamma = gamma, Beta = beta, Epsilon = epsilon, Mean = mean, InvStd = invStd, Z = z, A = a };
        pool.For(Math.Max(rows, 0), 4, &ForwardRows<TShape, TAct>, &args);
    }

    /// <summary>
    /// Writes dGamma = the sum over rows of dy xhat and dBeta = the sum of dy; when <paramref name="dxOut"/> is not Null,
    /// dx = invStd (g - mean(g) - xhat mean(g xhat)), g = dy gamma, means over the row's features, times
    /// TPrevAct.Derivative(prevZ, x) (x is the previous layer's A; prevZ its Z, or Null when TPrevAct does not need it).
    /// </summary>
    public static void Backward<TShape, TPrevAct>(WorkerPool pool, FloatBuffer dy, FloatBuffer x, FloatBuffer mean, FloatBuffer invStd,
        FloatBuffer gamma, FloatBuffer dGamma, FloatBuffer dBeta, FloatBuffer partials, FloatBuffer prevZ, FloatBuffer dxOut, int rows)
        where TShape : struct, ISpatialShape where TPrevAct : struct, IActivation
    {
        Validate<TShape>();
        rows = Math.Max(rows, 0);
        int cs = TShape.ChannelStride, parts = Partitions(rows);
        var args = new Args
        {
            X = x, DY = dy, Mean = mean, InvStd = invStd, Gamma = gamma, Partials = partials, PrevZ = prevZ, DX = dxOut,
            Rows = rows, Partitions = parts,
        };
        if (rows > 0)
            pool.For(parts, 1, &BackwardPartitions<TShape, TPrevAct>, &args);
        for (int c = 0; c < cs; c++)
        {
            double sumDyXhat = 0, sumDy = 0;
            for (int p = 0; rows > 0 && c < TShape.Channels && p < parts; p++)
            {
                sumDyXhat += partials.Pointer[(nint)p * 2 * cs + c];
                sumDy += partials.Pointer[(nint)p * 2 * cs + cs + c];
            }
            dGamma.Pointer[c] = (float)sumDyXhat;
            dBeta.Pointer[c] = (float)sumDy;
        }
    }

    private static int Partitions(int rows) => Math.Clamp(rows / RowsPerPartition, 1, MaxPartitions);

    private static void Validate<T>() where T : struct, ISpatialShape
    {
        NormShape.Validate<T>();
        if (T.Height != 1 || T.Width != 1)
            throw new NotSupportedException($"{typeof(T).Name} is an image ({T.Height} x {T.Width}): layer norm takes flat rows (after a Dense).");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardRows<T, TAct>(void* state, int start, int end) where T : struct, ISpatialShape where TAct : struct, IActivation
    {
        var s = (Args*)state;
        int cs = T.ChannelStride;
        for (int r = start; r < end; r++)
        {
            float* x = s->X + (nint)r * cs;
            var sum = Vector512<float>.Zero;
            for (int j = 0; j < NormShape.RealFloats<T>(); j += 16)
                sum += Vector512.Load(x + j);
            var mean = Vector512.Create(Vector512.Sum(sum) / T.Channels);
            var squares = Vector512<float>.Zero;
            for (int j = 0; j < NormShape.RealFloats<T>(); j += 16)
            {
                var d = Vector512.Load(x + j) - mean;
                if (NormShape.HasPadding<T>(j))
                    d &= NormShape.RealLanes<T>(j);
                squares = Vector512.FusedMultiplyAdd(d, d, squares);
            }
            float invStd = (float)(1 / Math.Sqrt(Vector512.Sum(squares) / T.Channels + (double)s->Epsilon));
            s->Mean[r] = mean.ToScalar();
            s->InvStd[r] = invStd;
            for (int j = 0; j < cs; j += 16)
            {
                var xhat = (Vector512.Load(x + j) - mean) * invStd;
                var y = Vector512.FusedMultiplyAdd(xhat, Vector512.Load(s->Gamma + j), Vector512.Load(s->Beta + j));
                var a = TAct.Apply(y);
                if (NormShape.HasPadding<T>(j))
                {
                    var real = NormShape.RealLanes<T>(j);
                    y &= real;
                    a &= real;
                }
                if (s->Z != null)
                    y.Store(s->Z + (nint)r * cs + j);
                a.Store(s->A + (nint)r * cs + j);
            }
        }
    }

    /// <summary>
    /// Partitions [start, end) of the rows: each row's input gradient, and the partition's sums of dy xhat (first
    /// ChannelStride floats of its slice) and dy (next ChannelStride), row after row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardPartitions<T, TPrevAct>(void* state, int start, int end) where T : struct, ISpatialShape where TPrevAct : struct, IActivation
    {
        var s = (Args*)state;
        int cs = T.ChannelStride;
        for (int part = start; part < end; part++)
        {
            var (first, last) = NormShape.Partition(part, s->Partitions, s->Rows);
            float* sums = s->Partials + (nint)part * 2 * cs;
            new Span<float>(sums, 2 * cs).Clear();
            for (int r = first; r < last; r++)
            {
                nint row = (nint)r * cs;
                var mean = Vector512.Create(s->Mean[r]);
                float invStd = s->InvStd[r];
                Vector512<float> sumG = default, sumGXhat = default;
                for (int j = 0; j < NormShape.RealFloats<T>(); j += 16)
                {
                    var xhat = Xhat<T>(s->X + row, j, mean, invStd);
                    var dy = Vector512.Load(s->DY + row + j);
                    var g = dy * Vector512.Load(s->Gamma + j);
                    sumG += g;
                    sumGXhat = Vector512.FusedMultiplyAdd(g, xhat, sumGXhat);
                    Vector512.FusedMultiplyAdd(dy, xhat, Vector512.Load(sums + j)).Store(sums + j);
                    (Vector512.Load(sums + cs + j) + dy).Store(sums + cs + j);
                }
                if (s->DX == null)
                    continue;
                var meanG = Vector512.Create(Vector512.Sum(sumG) / T.Channels);
                var meanGXhat = Vector512.Create(Vector512.Sum(sumGXhat) / T.Channels);
                for (int j = 0; j < cs; j += 16)
                {
                    var xhat = Xhat<T>(s->X + row, j, mean, invStd);
                    var g = Vector512.Load(s->DY + row + j) * Vector512.Load(s->Gamma + j);
                    var dx = Vector512.FusedMultiplyAdd(-xhat, meanGXhat, g - meanG) * invStd;
                    var prevZ = TPrevAct.NeedsPreActivation ? Vector512.Load(s->PrevZ + row + j) : default;
                    dx *= TPrevAct.Derivative(prevZ, Vector512.Load(s->X + row + j));
                    if (NormShape.HasPadding<T>(j))
                        dx &= NormShape.RealLanes<T>(j);
                    dx.Store(s->DX + row + j);
                }
            }
        }
    }

    /// <summary>(x - mean) invStd for the channel vector at <paramref name="j"/>, 0 in the padding lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Xhat<T>(float* x, int j, Vector512<float> mean, float invStd) where T : struct, ISpatialShape
    {
        var xhat = (Vector512.Load(x + j) - mean) * invStd;
        return NormShape.HasPadding<T>(j) ? xhat & NormShape.RealLanes<T>(j) : xhat;
    }
}
