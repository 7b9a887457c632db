using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SoftGen.Cpu;

/// <summary>
/// Inverted dropout. A value is kept with probability 1 - rate and then scaled by 1 / (1 - rate). Whether value k of a
/// step is kept is a hash of (seed, step, layer, k), k counting the real values of the batch in row-major order
/// (padding excluded): the same seed gives the same masks run after run, whatever the thread count, and no state is
/// carried between steps.
/// </summary>
public static unsafe class DropoutKernels
{
    private struct Args
    {
        public float* X, Y, Mask, DY, PrevZ, PrevA, DX;
        public int Pixels, Channels, ChannelStride, Threshold;
        public float Scale;
        public ulong Key;
        public nint Count;
    }

    /// <summary>
    /// y = x * mask, mask = (kept ? 1 / (1 - rate) : 0), over rows of [pixels, channelStride] floats whose first
    /// <paramref name="channels"/> per pixel are real (a flat row is one pixel). Padding gets mask 0 and y 0.
    /// </summary>
    public static void Forward(WorkerPool pool, float* x, float* y, float* mask, int rows, int pixels, int channels, int channelStride,
        float rate, int seed, long step, int layer)
    {
        if (!(rate >= 0f && rate < 1f))
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The dropout rate must be in [0, 1).");
        if (pixels < 1 || channels < 1 || channelStride < channels)
            throw new ArgumentException($"Dropout over {pixels} pixels of {channels} channels in {channelStride} is not a valid shape.");
        var args = new Args
        {
            X = x, Y = y, Mask = mask, Pixels = pixels, Channels = channels, ChannelStride = channelStride,
            Threshold = Threshold(rate), Scale = 1f / (1f - rate), Key = Key(seed, step, layer),
        };
        pool.For(Math.Max(rows, 0), 1, &ForwardRows, &args);
    }

    /// <summary>dZprev = dY * mask * TPrevAct.Derivative(prevZ, prevA) over <paramref name="count"/> floats.</summary>
    public static void Backward<TPrevAct>(WorkerPool pool, float* dy, float* mask, float* prevZ, float* prevA, float* dxPrev, nint count)
        where TPrevAct : struct, IActivation
    {
        var args = new Args { DY = dy, Mask = mask, PrevZ = prevZ, PrevA = prevA, DX = dxPrev, Count = count };
        const int grain = 4096;
        pool.For((int)((Math.Max(count, 0) + grain - 1) / grain), 1, &BackwardBlocks<TPrevAct>, &args);
    }

    /// <inheritdoc cref="Forward(WorkerPool, float*, float*, float*, int, int, int, int, float, int, long, int)"/>
    public static void Forward(WorkerPool pool, FloatBuffer x, FloatBuffer y, FloatBuffer mask, int rows, int pixels, int channels, int channelStride,
        float rate, int seed, long step, int layer)
        => Forward(pool, x.Pointer, y.Pointer, mask.Pointer, rows, pixels, channels, channelStride, rate, seed, step, layer);

    /// <inheritdoc cref="Backward{TPrevAct}(WorkerPool, float*, float*, float*, float*, float*, nint)"/>
    public static void Backward<TPrevAct>(WorkerPool pool, FloatBuffer dy, FloatBuffer mask, FloatBuffer prevZ, FloatBuffer prevA, FloatBuffer dxPrev, int count)
        where TPrevAct : struct, IActivation
        => Backward<TPrevAct>(pool, dy.Pointer, mask.Pointer, prevZ.Pointer, prevA.Pointer, dxPrev.Pointer, count);

    /// <summary>True when real value <paramref name="index"/> of the step is kept (for tests and references).</summary>
    public static bool IsKept(float rate, int seed, long step, int layer, long index)
        => Draw(Key(seed, step, layer), (ulong)index) >= Threshold(rate);

    /// <summary>A value is dropped when its 24-bit draw falls below rate * 2^24.</summary>
    private static int Threshold(float rate) => (int)Math.Round(rate * (double)(1 << 24));

    /// <summary>
    /// The hash key of one layer's masks in one step: value k is kept when (int)(Mix(key + k * 0x9E3779B97F4A7C15) &gt;&gt; 40)
    /// is at least round(rate * 2^24), Mix being SplitMix64's finaliser. Public for the generated GPU kernels, which
    /// draw the same masks on the device.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static ulong Key(int seed, long step, int layer)
        => Mix(((ulong)(uint)seed << 32 | (uint)layer) ^ Mix((ulong)step ^ 0x632BE59BD9B4E019UL));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Draw(ulong key, ulong index) => (int)(Mix(key + index * 0x9E3779B97F4A7C15UL) >> 40);

    /// <summary>SplitMix64's finaliser: a bijection of 64 bits whose outputs pass the usual statistical tests.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static void ForwardRows(void* state, int start, int end)
    {
        var s = (Args*)state;
        int channels = s->Channels, stride = s->ChannelStride;
        for (int r = start; r < end; r++)
            for (int p = 0; p < s->Pixels; p++)
            {
                nint at = ((nint)r * s->Pixels + p) * stride;
                ulong index = ((ulong)r * (ulong)s->Pixels + (ulong)p) * (ulong)channels;
                for (int c = 0; c < channels; c++)
                {
                    float m = Draw(s->Key, index + (ulong)c) >= s->Threshold ? s->Scale : 0f;
                    s->Mask[at + c] = m;
                    s->Y[at + c] = s->X[at + c] * m;
                }
                for (int c = channels; c < stride; c++)
                {
                    s->Mask[at + c] = 0f;
                    s->Y[at + c] = 0f;
                }
            }
    }

    private static void BackwardBlocks<TPrevAct>(void* state, int start, int end) where TPrevAct : struct, IActivation
    {
        var s = (Args*)state;
        nint from = (nint)start * 4096, to = Math.Min((nint)end * 4096, s->Count);
        nint k = from;
        for (; k + 16 <= to; k += 16)
        {
            var z = TPrevAct.NeedsPreActivation ? Vector512.Load(s->PrevZ + k) : default;
            (Vector512.Load(s->DY + k) * Vector512.Load(s->Mask + k) * TPrevAct.Derivative(z, Vector512.Load(s->PrevA + k))).Store(s->DX + k);
        }
        for (; k < to; k++)
        {
            float z = TPrevAct.NeedsPreActivation ? s->PrevZ[k] : 0f;
            s->DX[k] = s->DY[k] * s->Mask[k] * TPrevAct.Derivative(z, s->PrevA[k]);
        }
    }
}
