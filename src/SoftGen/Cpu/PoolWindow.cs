using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SoftGen.Cpu;

/// <summary>
/// How a pool reduces a window of inputs, for <see cref="PoolWindow.Reduce{TReduce, TWindow}"/>: a start value from the
/// window's first input, one step per input (the first included again), and a finish with 1 / the window's inputs. A
/// struct type argument, so that the JIT compiles the loop nest once per reduction with these calls inlined.
/// </summary>
internal interface IPoolReduction
{
    static abstract float Start(float first);
    static abstract Vector512<float> Start(Vector512<float> first);
    static abstract float Step(float accumulated, float x);
    static abstract Vector512<float> Step(Vector512<float> accumulated, Vector512<float> x);
    static abstract float Finish(float accumulated, float scale);
    static abstract Vector512<float> Finish(Vector512<float> accumulated, float scale);
}

/// <summary>The largest input (max(first, first) = first, so starting from the first input is exact).</summary>
internal struct MaxReduction : IPoolReduction
{
    public static float Start(float first) => first;
    public static Vector512<float> Start(Vector512<float> first) => first;
    public static float Step(float accumulated, float x) => MathF.Max(accumulated, x);
    public static Vector512<float> Step(Vector512<float> accumulated, Vector512<float> x) => Vector512.Max(accumulated, x);
    public static float Finish(float accumulated, float scale) => accumulated;
    public static Vector512<float> Finish(Vector512<float> accumulated, float scale) => accumulated;
}

/// <summary>The mean: the inputs summed from 0 in row-major order, times 1 / inputs.</summary>
internal struct MeanReduction : IPoolReduction
{
    public static float Start(float first) => 0f;
    public static Vector512<float> Start(Vector512<float> first) => Vector512<float>.Zero;
    public static float Step(float accumulated, float x) => accumulated + x;
    public static Vector512<float> Step(Vector512<float> accumulated, Vector512<float> x) => accumulated + x;
    public static float Finish(float accumulated, float scale) => accumulated * scale;
    public static Vector512<float> Finish(Vector512<float> accumulated, float scale) => accumulated * scale;
}

/// <summary>
/// Where a pool window's inputs lie in a channels-last tensor: <see cref="Height"/> lines of <see cref="Width"/> pixels,
/// lines <see cref="LineStride"/> floats apart, pixels <see cref="Channels"/> floats apart. A struct type argument, so
/// that the window loops of <see cref="PoolWindow"/> see constant trip counts (which the JIT unrolls; sizes passed as
/// arguments it does not).
/// </summary>
internal interface IPoolWindow
{
    static abstract int Height { get; }
    static abstract int Width { get; }
    static abstract int LineStride { get; }

    /// <summary>Floats per pixel, the channel stride; channels go 16 at a time when it is a multiple of 16, else one at a time.</summary>
    static abstract int Channels { get; }
}

/// <summary>A SizeHeight x SizeWidth window of a pool's input (or of a band of lines as wide as that input).</summary>
internal readonly struct PoolShapeWindow<T> : IPoolWindow where T : struct, IPoolShape
{
    public static int Height => T.SizeHeight;
    public static int Width => T.SizeWidth;
    public static int LineStride => T.Width * T.ChannelStride;
    public static int Channels => T.ChannelStride;
}

/// <summary>Every pixel of an image (global pooling).</summary>
internal readonly struct WholeImage<T> : IPoolWindow where T : struct, ISpatialShape
{
    public static int Height => T.Height;
    public static int Width => T.Width;
    public static int LineStride => T.Width * T.ChannelStride;
    public static int Channels => T.ChannelStride;
}

/// <summary>
/// One pool window, forward and (for max) backward, shared by <see cref="PoolKernels"/> and the convolution fused with
/// a max pool: the loop nest once, the reduction and the geometry as struct type arguments.
/// </summary>
internal static unsafe class PoolWindow
{
    /// <summary>y[c] = TReduce over the window from <paramref name="first"/> of channel c, for every c &lt; TWindow.Channels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Reduce<TReduce, TWindow>(float* first, float* y)
        where TReduce : struct, IPoolReduction where TWindow : struct, IPoolWindow
    {
        float scale = 1f / (TWindow.Height * TWindow.Width);
        if (TWindow.Channels % 16 == 0)
            for (int c = 0; c < TWindow.Channels; c += 16)
            {
                var accumulated = TReduce.Start(Vector512.Load(first + c));
                for (int dy = 0; dy < TWindow.Height; dy++)
                    for (int dx = 0; dx < TWindow.Width; dx++)
                        accumulated = TReduce.Step(accumulated, Vector512.Load(first + At<TWindow>(dy, dx) + c));
                TReduce.Finish(accumulated, scale).Store(y + c);
            }
        else
            for (int c = 0; c < TWindow.Channels; c++)
            {
                float accumulated = TReduce.Start(first[c]);
                for (int dy = 0; dy < TWindow.Height; dy++)
                    for (int dx = 0; dx < TWindow.Width; dx++)
                        accumulated = TReduce.Step(accumulated, first[At<TWindow>(dy, dx) + c]);
                y[c] = TReduce.Finish(accumulated, scale);
            }
    }

    /// <summary>
    /// The backward of a max window: dx = dy at the first input (row-major, as PyTorch) equal to the pooled y, times
    /// TAct'(z, a) there, and 0 at the window's other inputs. <paramref name="a"/> is the pool's input (the activation
    /// before it) and <paramref name="z"/> its pre-activation (read only when TAct needs it), both from the window's first
    /// input, as is <paramref name="dx"/>; y and dy are the pooled pixel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RouteMax<TAct, TWindow>(float* y, float* dy, float* a, float* z, float* dx)
        where TAct : struct, IActivation where TWindow : struct, IPoolWindow
    {
        if (TWindow.Channels % 16 == 0)
            for (int c = 0; c < TWindow.Channels; c += 16)
            {
                var max = Vector512.Load(y + c);
                var g = Vector512.Load(dy + c);
                var taken = Vector512<float>.Zero;
                for (int wy = 0; wy < TWindow.Height; wy++)
                    for (int wx = 0; wx < TWindow.Width; wx++)
                    {
                        nint at = At<TWindow>(wy, wx) + c;
                        var value = Vector512.Load(a + at);
                        var hit = Vector512.AndNot(Vector512.Equals(value, max), taken);
                        taken |= hit;
                        var pre = TAct.NeedsPreActivation ? Vector512.Load(z + at) : default;
                        ((g & hit) * TAct.Derivative(pre, value)).Store(dx + at);
                    }
            }
        else
            for (int c = 0; c < TWindow.Channels; c++)
            {
                float max = y[c], g = dy[c];
                bool taken = false;
                for (int wy = 0; wy < TWindow.Height; wy++)
                    for (int wx = 0; wx < TWindow.Width; wx++)
                    {
                        nint at = At<TWindow>(wy, wx) + c;
                        float value = a[at];
                        bool hit = !taken && value == max;
                        taken |= hit;
                        float pre = TAct.NeedsPreActivation ? z[at] : 0f;
                        dx[at] = (hit ? g : 0f) * TAct.Derivative(pre, value);
                    }
            }
    }

    /// <summary>Floats from the window's first input to its input (dy, dx), channel 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint At<TWindow>(int dy, int dx) where TWindow : struct, IPoolWindow
        => (nint)dy * TWindow.LineStride + (nint)dx * TWindow.Channels;
}
