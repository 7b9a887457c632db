using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SoftGen.Cpu;

/// <summary>
/// Batch normalization over a tensor [rows * pixels, ChannelStride] (see <see cref="NormShape"/>): statistics per
/// channel over the batch and the pixels (BatchNorm2d after a Conv2D, BatchNorm1d after a Dense, whose rows are one
/// pixel), with PyTorch's semantics: training normalizes with the batch mean and biased variance and moves the
/// running statistics towards them (the variance made unbiased), prediction uses the running statistics.
/// </summary>
/// <remarks>
/// Every sum over the batch is split into partitions whose number depends on the tensor's size alone; each
/// partition reduces its pixels, block after block, into its slice of the partials, and the slices are combined in
/// order. So the results do not depend on the thread count. The statistics take one pass over x from memory: each block of pixels
/// (16 KiB, in L1) gets its mean and then its sum of squared deviations from that mean (two passes, so no
/// cancellation), and the blocks, then the partitions, are merged exactly (Chan et al.: M2 = M2a + M2b + delta^2 na nb / n).
/// Padding channels stay 0 in every output; mean, invStd and the gradients hold 0 there.
/// </remarks>
public static unsafe class BatchNormKernels
{
    private const int MaxPartitions = 32;

    /// <summary>Floats of the tensor per partition, at least (64 KiB).</summary>
    private const int PartitionFloats = 16384;

    private struct Args
    {
        public float* X, DY, Mean, Scale, Shift, Residual, Z, A, PrevZ, DX, Partials, Coefficients;
        public int Count, Partitions;
    }

    /// <summary>Floats of scratch (partials) the other methods need for up to <paramref name="batchCapacity"/> rows.</summary>
    public static int PartialsLength<TShape>(int batchCapacity) where TShape : struct, ISpatialShape
        => Partitions<TShape>(Math.Max(batchCapacity, 0) * NormShape.Pixels<TShape>()) * 2 * TShape.ChannelStride;

    /// <summary>
    /// Training mode. Saves mean[c] and invStd[c] = 1 / sqrt(var + eps) (biased variance) for the backward pass
    /// (ChannelStride floats each); runningMean = (1 - m) runningMean + m mean and runningVar = (1 - m) runningVar +
    /// m var n / (n - 1), n = rows * pixels (at least 2; their padding is left as it is); y = gamma (x - mean) invStd
    /// + beta (+ residual when not Null); z = y when not Null; a = TAct(y).
    /// </summary>
    public static void ForwardTraining<TShape, TAct>(WorkerPool pool, FloatBuffer x, FloatBuffer gamma, FloatBuffer beta,
        FloatBuffer runningMean, FloatBuffer runningVar, float momentum, float epsilon,
        FloatBuffer mean, FloatBuffer invStd, FloatBuffer partials, FloatBuffer residual, FloatBuffer z, FloatBuffer a, int rows)
        where TShape : struct, ISpatialShape where TAct : struct, IActivation
    {
        NormShape.Validate<TShape>();
        int n = Math.Max(rows, 0) * NormShape.Pixels<TShape>();
        if (n < 2)
            throw new ArgumentOutOfRangeException(nameof(rows), rows, "Batch norm in training needs at least 2 values per channel.");
        int cs = TShape.ChannelStride, parts = Partitions<TShape>(n);
        var args = new Args { X = x, Partials = partials, Count = n, Partitions = parts };
        pool.For(parts, 1, &StatisticsPartitions<TShape>, &args);
        float* scale = stackalloc float[cs];
        for (int c = 0; c < cs; c++)
        {
            if (c >= TShape.Channels)
            {
                mean.Pointer[c] = invStd.Pointer[c] = scale[c] = 0f;
                continue;
            }
            var (average, squares) = MergePartitions(partials, c, cs, parts, n);
            double variance = squares / n;
            mean.Pointer[c] = (float)average;
            invStd.Pointer[c] = (float)(1 / Math.Sqrt(variance + epsilon));
            scale[c] = gamma.Pointer[c] * invStd.Pointer[c];
            runningMean.Pointer[c] = (float)((1 - (double)momentum) * runningMean.Pointer[c] + (double)momentum * average);
            runningVar.Pointer[c] = (float)((1 - (double)momentum) * runningVar.Pointer[c] + (double)momentum * variance * n / (n - 1));
        }

        args = new Args { X = x, Mean = mean, Scale = scale, Shift = beta, Residual = residual, Z = z, A = a };
        pool.For(n, 16, &Normalize<TShape, TAct>, &args);
    }

    /// <summary>
    /// Prediction mode: y = gamma (x - runningMean) / sqrt(runningVar + eps) + beta (+ residual when not Null); a = TAct(y).
    /// </summary>
    public static void ForwardInference<TShape, TAct>(WorkerPool pool, FloatBuffer x, FloatBuffer gamma, FloatBuffer beta,
        FloatBuffer runningMean, FloatBuffer runningVar, float epsilon, FloatBuffer residual, FloatBuffer a, int rows)
        where TShape : struct, ISpatialShape where TAct : struct, IActivation
    {
        NormShape.Validate<TShape>();
        int cs = TShape.ChannelStride;
        float* scale = stackalloc float[cs];
        float* center = stackalloc float[cs];
        for (int c = 0; c < cs; c++)
        {
            bool real = c < TShape.Channels;
            scale[c] = real ? (float)(gamma.Pointer[c] / Math.Sqrt(runningVar.Pointer[c] + (double)epsilon)) : 0f;
            center[c] = real ? runningMean.Pointer[c] : 0f;
        }
        var args = new Args { X = x, Mean = center, Scale = scale, Shift = beta, Residual = residual, A = a };
        pool.For(Math.Max(rows, 0) * NormShape.Pixels<TShape>(), 16, &Normalize<TShape, TAct>, &args);
    }

    /// <summary>
    /// Gradients, given dy (the loss's gradient with respect to y, this layer's activation derivative already
    /// applied) and the forward's x, mean and invStd. Writes dGamma[c] = sum dy xhat and dBeta[c] = sum dy, xhat =
    /// (x - mean) invStd; then, when <paramref name="dxOut"/> is not Null, dx = gamma invStd (dy - mean(dy) - xhat
    /// mean(dy xhat)) times TPrevAct.Derivative(prevZ, x) (x is the previous layer's A; prevZ its Z, or Null when
    /// TPrevAct does not need it).
    /// </summary>
    public static void Backward<TShape, TPrevAct>(WorkerPool pool, FloatBuffer dy, FloatBuffer x, FloatBuffer mean, FloatBuffer invStd,
        FloatBuffer gamma, FloatBuffer dGamma, FloatBuffer dBeta, FloatBuffer partials, FloatBuffer prevZ, FloatBuffer dxOut, int rows)
        where TShape : struct, ISpatialShape where TPrevAct : struct, IActivation
    {
        NormShape.Validate<TShape>();
        int n = Math.Max(rows, 0) * NormShape.Pixels<TShape>();
        int cs = TShape.ChannelStride, parts = Partitions<TShape>(n);
        var args = new Args { X = x, DY = dy, Mean = mean, Partials = partials, Count = n, Partitions = parts };
        if (n > 0)
            pool.For(parts, 1, &SumGradientPartitions<TShape>, &args);

        // dx = k1 (dy - k2 - (x - mean) k3): k1 = gamma invStd, k2 = mean(dy), k3 = invStd mean(dy xhat).
        float* k = stackalloc float[3 * cs];
        for (int c = 0; c < cs; c++)
        {
            double sumDy = 0, sumDyXhat = 0;
            if (c < TShape.Channels && n > 0)
            {
                sumDy = SumPartials(partials, c, 2 * cs, parts);
                sumDyXhat = SumPartials(partials, cs + c, 2 * cs, parts) * invStd.Pointer[c];
            }
            dBeta.Pointer[c] = (float)sumDy;
            dGamma.Pointer[c] = (float)sumDyXhat;
            k[c] = c < TShape.Channels ? gamma.Pointer[c] * invStd.Pointer[c] : 0f;
            k[cs + c] = n > 0 ? (float)(sumDy / n) : 0f;
            k[2 * cs + c] = n > 0 ? (float)(sumDyXhat * invStd.Pointer[c] / n) : 0f;
        }
        if (dxOut.IsNull)
            return;
        args = new Args { X = x, DY = dy, Mean = mean, Coefficients = k, PrevZ = prevZ, DX = dxOut };
        pool.For(n, 16, &InputGradient<TShape, TPrevAct>, &args);
    }

    /// <summary>
    /// Folds prediction-mode batch norm into the layer before it (a Dense or Conv2D whose weight is stored [depth,
    /// outStride], then its bias [outStride]; <paramref name="bias"/> may be Null for a layer without one):
    /// s = gamma / sqrt(runningVar + eps), foldedWeight[d, o] = weight[d, o] s[o], foldedBias[o] = (bias[o] -
    /// runningMean[o]) s[o] + beta[o]. Columns from outChannels on are written as 0. The folded buffers may be the
    /// originals.
    /// </summary>
    public static void Fold(FloatBuffer weight, FloatBuffer bias, int depth, int outChannels, int outStride,
        FloatBuffer gamma, FloatBuffer beta, FloatBuffer runningMean, FloatBuffer runningVar, float epsilon,
        FloatBuffer foldedWeight, FloatBuffer foldedBias)
    {
        if (depth < 0 || outChannels < 1 || outStride < outChannels || outStride % 16 != 0)
            throw new ArgumentException($"Fold over {depth} x {outChannels}/{outStride} is not a valid layer (the stride must be a multiple of 16).");
        float* s = stackalloc float[outStride];
        for (int o = 0; o < outStride; o++)
        {
            bool real = o < outChannels;
            s[o] = real ? (float)(gamma.Pointer[o] / Math.Sqrt(runningVar.Pointer[o] + (double)epsilon)) : 0f;
            double b = bias.IsNull ? 0 : bias.Pointer[o];
            foldedBias.Pointer[o] = real ? (float)((b - runningMean.Pointer[o]) * s[o] + beta.Pointer[o]) : 0f;
        }
        for (nint d = 0; d < depth; d++)
            for (int o = 0; o < outStride; o += 16)
                (Vector512.Load(weight.Pointer + d * outStride + o) * Vector512.Load(s + o)).Store(foldedWeight.Pointer + d * outStride + o);
    }

    private static int Partitions<T>(int values) where T : struct, ISpatialShape
        => (int)Math.Clamp((long)values * T.ChannelStride / PartitionFloats, 1, MaxPartitions);

    /// <summary>The partitions' sums of one channel, added in order.</summary>
    private static double SumPartials(float* partials, int index, int stride, int parts)
    {
        double sum = 0;
        for (int p = 0; p < parts; p++)
            sum += partials[(nint)p * stride + index];
        return sum;
    }

    /// <summary>
    /// The partitions' means and sums of squared deviations of one channel (each partition's slice: means, then
    /// squares), merged in order.
    /// </summary>
    private static (double Mean, double Squares) MergePartitions(float* partials, int c, int cs, int parts, int n)
    {
        double mean = 0, squares = 0;
        int seen = 0;
        for (int p = 0; p < parts; p++)
        {
            var (first, last) = NormShape.Partition(p, parts, n);
            int count = last - first;
            double partMean = partials[(nint)p * 2 * cs + c], delta = partMean - mean;
            seen += count;
            mean += delta * count / seen;
            squares += partials[(nint)p * 2 * cs + cs + c] + delta * delta * ((double)(seen - count) * count / seen);
        }
        return (mean, squares);
    }

    /// <summary>
    /// Partitions [start, end): each writes the mean and the sum of squared deviations of its pixels per channel into
    /// its slice of the partials, merging block after block. Within a block, sums run four pixels at a time into four
    /// accumulators.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StatisticsPartitions<T>(void* state, int start, int end) where T : struct, ISpatialShape
    {
        var s = (Args*)state;
        int cs = T.ChannelStride, block = NormShape.BlockPixels<T>();
        for (int part = start; part < end; part++)
        {
            var (first, last) = NormShape.Partition(part, s->Partitions, s->Count);
            float* means = s->Partials + (nint)part * 2 * cs, squares = means + cs;
            for (int b = first; b < last; b += block)
            {
                int count = Math.Min(block, last - b), seen = b - first;
                // The merge's weights: the block's share of the pixels so far, and na nb / (na + nb).
                float share = (float)count / (seen + count), cross = (float)((double)seen * count / (seen + count));
                for (int j = 0; j < NormShape.RealFloats<T>(); j += 16)
                {
                    float* x = s->X + (nint)b * cs + j;
                    var blockMean = Sum<T, Value>(x, count, default) * (1f / count);
                    var blockSquares = Sum<T, SquaredDeviation>(x, count, blockMean);
                    if (seen == 0)
                    {
                        blockMean.Store(means + j);
                        blockSquares.Store(squares + j);
                        continue;
                    }
                    var mean = Vector512.Load(means + j);
                    var delta = blockMean - mean;
                    Vector512.FusedMultiplyAdd(delta, Vector512.Create(share), mean).Store(means + j);
                    Vector512.FusedMultiplyAdd(delta * delta, Vector512.Create(cross), Vector512.Load(squares + j) + blockSquares).Store(squares + j);
                }
            }
        }
    }

    private interface ITerm
    {
        static abstract Vector512<float> Of(Vector512<float> x, Vector512<float> center);
    }

    private readonly struct Value : ITerm
    {
        public static Vector512<float> Of(Vector512<float> x, Vector512<float> center) => x;
    }

    private readonly struct SquaredDeviation : ITerm
    {
        public static Vector512<float> Of(Vector512<float> x, Vector512<float> center)
        {
            var d = x - center;
            return d * d;
        }
    }

    /// <summary>The sum of TTerm over <paramref name="count"/> pixels' channel vectors from <paramref name="x"/>, four accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Sum<T, TTerm>(float* x, int count, Vector512<float> center) where T : struct, ISpatialShape where TTerm : struct, ITerm
    {
        int cs = T.ChannelStride;
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        int i = 0;
        for (; i + 4 <= count; i += 4, x += 4 * cs)
        {
            s0 += TTerm.Of(Vector512.Load(x), center);
            s1 += TTerm.Of(Vector512.Load(x + cs), center);
            s2 += TTerm.Of(Vector512.Load(x + 2 * cs), center);
            s3 += TTerm.Of(Vector512.Load(x + 3 * cs), center);
        }
        for (; i < count; i++, x += cs)
            s0 += TTerm.Of(Vector512.Load(x), center);
        return (s0 + s1) + (s2 + s3);
    }

    /// <summary>The backward reduction: per partition sum dy into its first ChannelStride floats, sum dy (x - mean) into the next.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SumGradientPartitions<T>(void* state, int start, int end) where T : struct, ISpatialShape
    {
        var s = (Args*)state;
        int cs = T.ChannelStride, block = NormShape.BlockPixels<T>();
        for (int part = start; part < end; part++)
        {
            var (first, last) = NormShape.Partition(part, s->Partitions, s->Count);
            float* sums = s->Partials + (nint)part * 2 * cs;
            new Span<float>(sums, 2 * cs).Clear();
            for (int b = first; b < last; b += block)
            {
                int count = Math.Min(block, last - b);
                for (int j = 0; j < NormShape.RealFloats<T>(); j += 16)
                {
                    var mean = Vector512.Load(s->Mean + j);
                    nint at = (nint)b * cs + j;
                    float* x = s->X + at, dy = s->DY + at;
                    Vector512<float> g0 = default, g1 = default, g2 = default, g3 = default;
                    Vector512<float> h0 = default, h1 = default, h2 = default, h3 = default;
                    int i = 0;
                    for (; i + 4 <= count; i += 4, x += 4 * cs, dy += 4 * cs)
                    {
                        var d0 = Vector512.Load(dy);
                        var d1 = Vector512.Load(dy + cs);
                        var d2 = Vector512.Load(dy + 2 * cs);
                        var d3 = Vector512.Load(dy + 3 * cs);
                        g0 += d0;
                        g1 += d1;
                        g2 += d2;
                        g3 += d3;
                        h0 = Vector512.FusedMultiplyAdd(d0, Vector512.Load(x) - mean, h0);
                        h1 = Vector512.FusedMultiplyAdd(d1, Vector512.Load(x + cs) - mean, h1);
                        h2 = Vector512.FusedMultiplyAdd(d2, Vector512.Load(x + 2 * cs) - mean, h2);
                        h3 = Vector512.FusedMultiplyAdd(d3, Vector512.Load(x + 3 * cs) - mean, h3);
                    }
                    for (; i < count; i++, x += cs, dy += cs)
                    {
                        var d0 = Vector512.Load(dy);
                        g0 += d0;
                        h0 = Vector512.FusedMultiplyAdd(d0, Vector512.Load(x) - mean, h0);
                    }
                    (Vector512.Load(sums + j) + ((g0 + g1) + (g2 + g3))).Store(sums + j);
                    (Vector512.Load(sums + cs + j) + ((h0 + h1) + (h2 + h3))).Store(sums + cs + j);
                }
            }
        }
    }

    /// <summary>Pixels [start, end): y = (x - mean) scale + shift (+ residual), z = y, a = TAct(y), padding lanes 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Normalize<T, TAct>(void* state, int start, int end) where T : struct, ISpatialShape where TAct : struct, IActivation
    {
        var s = (Args*)state;
        int cs = T.ChannelStride;
        for (nint at = (nint)start * cs, stop = (nint)end * cs; at < stop; at += cs)
        {
            for (int j = 0; j < cs; j += 16)
            {
                var y = Vector512.FusedMultiplyAdd(Vector512.Load(s->X + at + j) - Vector512.Load(s->Mean + j), Vector512.Load(s->Scale + j), Vector512.Load(s->Shift + j));
                if (s->Residual != null)
                    y += Vector512.Load(s->Residual + at + j);
                var a = TAct.Apply(y);
                if (NormShape.HasPadding<T>(j))
                {
                    var real = NormShape.RealLanes<T>(j);
                    y &= real;
                    a &= real;
                }
                if (s->Z != null)
                    y.Store(s->Z + at + j);
                a.Store(s->A + at + j);
            }
        }
    }

    /// <summary>Pixels [start, end): dx = k1 (dy - k2 - (x - mean) k3) TPrevAct'(prevZ, x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputGradient<T, TPrevAct>(void* state, int start, int end) where T : struct, ISpatialShape where TPrevAct : struct, IActivation
    {
        var s = (Args*)state;
        int cs = T.ChannelStride;
        float* k = s->Coefficients;
        for (nint at = (nint)start * cs, stop = (nint)end * cs; at < stop; at += cs)
        {
            for (int j = 0; j < cs; j += 16)
            {
                var x = Vector512.Load(s->X + at + j);
                var t = Vector512.Load(s->DY + at + j) - Vector512.Load(k + cs + j);
                t = Vector512.FusedMultiplyAdd(Vector512.Load(s->Mean + j) - x, Vector512.Load(k + 2 * cs + j), t);
                var prevZ = TPrevAct.NeedsPreActivation ? Vector512.Load(s->PrevZ + at + j) : default;
                var dx = Vector512.Load(k + j) * t * TPrevAct.Derivative(prevZ, x);
                if (NormShape.HasPadding<T>(j))
                    dx &= NormShape.RealLanes<T>(j);
                dx.Store(s->DX + at + j);
            }
        }
    }
}
