using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SoftGen.Cpu;

/// <summary>
/// The join of a residual block, out = act(block(x) + shortcut(x)), and its gradients: element-wise passes over
/// [rows * pixels, ChannelStride] (see <see cref="NormShape"/>), parallel over pixels. Padding channels stay 0.
/// </summary>
public static unsafe class ResidualKernels
{
    private struct Args
    {
        public float* First, Second, Z, A, Out;
    }

    /// <summary>s = block + shortcut; z = s when not Null; a = TAct(s).</summary>
    public static void Add<TShape, TAct>(WorkerPool pool, FloatBuffer block, FloatBuffer shortcut, FloatBuffer z, FloatBuffer a, int rows)
        where TShape : struct, ISpatialShape where TAct : struct, IActivation
    {
        NormShape.Validate<TShape>();
        var args = new Args { First = block, Second = shortcut, Z = z, A = a };
        pool.For(Pixels<TShape>(rows), 16, &AddPixels<TShape, TAct>, &args);
    }

    /// <summary>dIn = dOut * TAct.Derivative(z, a); <paramref name="dIn"/> may be <paramref name="dOut"/>.</summary>
    public static void ActivationBackward<TShape, TAct>(WorkerPool pool, FloatBuffer dOut, FloatBuffer z, FloatBuffer a, FloatBuffer dIn, int rows)
        where TShape : struct, ISpatialShape where TAct : struct, IActivation
    {
        NormShape.Validate<TShape>();
        var args = new Args { First = dOut, Z = z, A = a, Out = dIn };
        pool.For(Pixels<TShape>(rows), 16, &GradientPixels<TShape, TAct, No>, &args);
    }

    /// <summary>
    /// dz = (dz + shortcutGradient) * TAct.Derivative(z, a), in place: the gradient of a block's input, which reaches it
    /// by two paths (through the block and through the shortcut); z and a are the input's pre-activation and activation.
    /// </summary>
    public static void AddGradient<TShape, TAct>(WorkerPool pool, FloatBuffer dz, FloatBuffer shortcutGradient, FloatBuffer z, FloatBuffer a, int rows)
        where TShape : struct, ISpatialShape where TAct : struct, IActivation
    {
        NormShape.Validate<TShape>();
        var args = new Args { First = dz, Second = shortcutGradient, Z = z, A = a, Out = dz };
        pool.For(Pixels<TShape>(rows), 16, &GradientPixels<TShape, TAct, Yes>, &args);
    }

    private interface IFlag
    {
        static abstract bool Value { get; }
    }

    private readonly struct Yes : IFlag
    {
        public static bool Value => true;
    }

    private readonly struct No : IFlag
    {
        public static bool Value => false;
    }

    private static int Pixels<T>(int rows) where T : struct, ISpatialShape => Math.Max(rows, 0) * NormShape.Pixels<T>();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddPixels<T, TAct>(void* state, int start, int end) where T : struct, ISpatialShape where TAct : struct, IActivation
    {
        var s = (Args*)state;
        int cs = T.ChannelStride;
        for (nint at = (nint)start * cs, stop = (nint)end * cs; at < stop; at += cs)
        {
            for (int j = 0; j < cs; j += 16)
            {
                var sum = Vector512.Load(s->First + at + j) + Vector512.Load(s->Second + at + j);
                var a = TAct.Apply(sum);
                if (NormShape.HasPadding<T>(j))
                {
                    var real = NormShape.RealLanes<T>(j);
                    sum &= real;
                    a &= real;
                }
                if (s->Z != null)
                    sum.Store(s->Z + at + j);
                a.Store(s->A + at + j);
            }
        }
    }

    /// <summary>Out = (First (+ Second when TAdd)) * TAct'(z, a).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GradientPixels<T, TAct, TAdd>(void* state, int start, int end)
        where T : struct, ISpatialShape where TAct : struct, IActivation where TAdd : struct, IFlag
    {
        var s = (Args*)state;
        int cs = T.ChannelStride;
        for (nint at = (nint)start * cs, stop = (nint)end * cs; at < stop; at += cs)
        {
            for (int j = 0; j < cs; j += 16)
            {
                var g = Vector512.Load(s->First + at + j);
                if (TAdd.Value)
                    g += Vector512.Load(s->Second + at + j);
                var z = TAct.NeedsPreActivation ? Vector512.Load(s->Z + at + j) : default;
                g *= TAct.Derivative(z, Vector512.Load(s->A + at + j));
                if (NormShape.HasPadding<T>(j))
                    g &= NormShape.RealLanes<T>(j);
                g.Store(s->Out + at + j);
            }
        }
    }
}
