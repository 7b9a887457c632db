using System;
using System.Runtime.Intrinsics;
using SoftGen.Cpu;

namespace SoftGen.Training;

/// <summary>
/// The CPU backend's gradient clipping pass: the 2-norm of the flat gradient storage, with PyTorch's
/// clip_grad_value_ clamp fused into the same read, and clip_grad_norm_'s scale.
/// </summary>
/// <remarks>
/// The sum is in double, in a fixed order whatever the thread count and instruction set: the storage is cut into
/// blocks of <see cref="BlockLength"/> floats; in a block, lane j (of 16) adds the squares of elements j, j + 16, ...
/// in turn and the lanes are then added 0 to 15; the blocks' sums are added in block order. A float's square is exact
/// in double, so the Vector512, Vector256 and scalar paths give the same bits.
/// </remarks>
internal sealed unsafe class GradientNorm
{
    /// <summary>Floats per block: a multiple of 16, and the grain of the parallel split, so no block spans two threads.</summary>
    private const int BlockLength = 1 << 12;

    /// <summary>Storage this long or longer is measured in parallel; below it, the handoff costs more than it saves.</summary>
    private const int ParallelThreshold = 1 << 16;

    private const int Lanes = 16;

    private readonly int _length;
    private readonly double* _blockSums;
    private readonly int _blocks;

    public GradientNorm(int length, NativeBuffers buffers)
    {
        _length = length;
        _blocks = Math.Max(1, (length + BlockLength - 1) / BlockLength);
        _blockSums = (double*)buffers.Allocate(2 * _blocks);
    }

    /// <summary>
    /// Clamps the gradients to [-clipValue, clipValue] in place when <paramref name="clipValue"/> is positive (0: no
    /// clamp; a NaN stays NaN, as torch.clamp_ keeps it), and returns the 2-norm of what is then stored.
    /// </summary>
    public double Measure(WorkerPool pool, float* gradients, float clipValue)
    {
        var job = new Job { G = gradients, Sums = _blockSums, ClipValue = clipValue };
        if (_length >= ParallelThreshold && pool.ThreadCount > 1) pool.For(_length, BlockLength, &Run, &job);
        else Run(&job, 0, _length);

        double sum = 0;
        for (int b = 0; b < _blocks; b++) sum += _blockSums[b];
        return Math.Sqrt(sum);
    }

    /// <summary>PyTorch's clip_grad_norm_ coefficient clamped to at most 1: max_norm / (norm + 1e-6), in double, as a float.</summary>
    public static float Scale(double norm, float maxNorm) => (float)Math.Min(1.0, maxNorm / (norm + 1e-6));

    private struct Job
    {
        public float* G;
        public double* Sums;
        public float ClipValue;
    }

    private static void Run(void* state, int start, int end)
    {
        var j = (Job*)state;
        for (int begin = start; begin < end; begin += BlockLength)
        {
            int n = Math.Min(BlockLength, end - begin);
            j->Sums[begin / BlockLength] = j->ClipValue > 0f
                ? BlockSum<Clamp>(j->G + begin, n, j->ClipValue)
                : BlockSum<Keep>(j->G + begin, n, 0f);
        }
    }

    private interface IElement
    {
        static abstract Vector512<float> Apply(Vector512<float> g, Vector512<float> high, Vector512<float> low);
        static abstract Vector256<float> Apply(Vector256<float> g, Vector256<float> high, Vector256<float> low);
        static abstract float Apply(float g, float high, float low);
        static abstract bool Stores { get; }
    }

    private readonly struct Keep : IElement
    {
        public static Vector512<float> Apply(Vector512<float> g, Vector512<float> high, Vector512<float> low) => g;
        public static Vector256<float> Apply(Vector256<float> g, Vector256<float> high, Vector256<float> low) => g;
        public static float Apply(float g, float high, float low) => g;
        public static bool Stores => false;
    }

    // g > high ? high : g < low ? low : g; comparisons with NaN are false, so NaN passes through.
    private readonly struct Clamp : IElement
    {
        public static Vector512<float> Apply(Vector512<float> g, Vector512<float> high, Vector512<float> low)
        {
            g = Vector512.ConditionalSelect(Vector512.GreaterThan(g, high), high, g);
            return Vector512.ConditionalSelect(Vector512.LessThan(g, low), low, g);
        }

        public static Vector256<float> Apply(Vector256<float> g, Vector256<float> high, Vector256<float> low)
        {
            g = Vector256.ConditionalSelect(Vector256.GreaterThan(g, high), high, g);
            return Vector256.ConditionalSelect(Vector256.LessThan(g, low), low, g);
        }

        public static float Apply(float g, float high, float low) => g > high ? high : g < low ? low : g;
        public static bool Stores => true;
    }

    /// <summary>The sum of squares of n floats (clamped first by TElement), lane by lane as the class remarks say.</summary>
    private static double BlockSum<TElement>(float* g, int n, float clipValue) where TElement : struct, IElement
    {
        double* lanes = stackalloc double[Lanes];
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var high = Vector512.Create(clipValue);
            var low = -high;
            Vector512<double> a0 = default, a1 = default;
            for (; i <= n - 16; i += 16)
            {
                var x = TElement.Apply(Vector512.Load(g + i), high, low);
                if (TElement.Stores) Vector512.Store(x, g + i);
                var (x0, x1) = Vector512.Widen(x);
                a0 += x0 * x0;
                a1 += x1 * x1;
            }
            Vector512.Store(a0, lanes);
            Vector512.Store(a1, lanes + 8);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var high = Vector256.Create(clipValue);
            var low = -high;
            Vector256<double> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i <= n - 16; i += 16)
            {
                var x = TElement.Apply(Vector256.Load(g + i), high, low);
                var y = TElement.Apply(Vector256.Load(g + i + 8), high, low);
                if (TElement.Stores)
                {
                    Vector256.Store(x, g + i);
                    Vector256.Store(y, g + i + 8);
                }
                var (x0, x1) = Vector256.Widen(x);
                var (y0, y1) = Vector256.Widen(y);
                a0 += x0 * x0;
                a1 += x1 * x1;
                a2 += y0 * y0;
                a3 += y1 * y1;
            }
            Vector256.Store(a0, lanes);
            Vector256.Store(a1, lanes + 4);
            Vector256.Store(a2, lanes + 8);
            Vector256.Store(a3, lanes + 12);
        }
        else
        {
            for (int k = 0; k < Lanes; k++) lanes[k] = 0;
        }

        for (; i < n; i++)
        {
            float x = TElement.Apply(g[i], clipValue, -clipValue);
            if (TElement.Stores) g[i] = x;
            lanes[i % Lanes] += (double)x * x;
        }

        double sum = 0;
        for (int k = 0; k < Lanes; k++) sum += lanes[k];
        return sum;
    }
}
