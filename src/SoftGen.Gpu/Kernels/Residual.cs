using ILGPU;

namespace SoftGen.Gpu.Kernels;

/// <summary>
/// A residual block's join, element by element over [rows, Pixels, Stride] (one thread per stored float, padding
/// channels written 0): out = act(block + shortcut) forward; backward, the gradient at the sum (which both branches
/// receive) and, where the block's input fans out to both branches, the two gradients added before the input's act'.
/// (A block ending in a norm layer fuses the forward join: BatchNorm.NormalizeAdding.)
/// </summary>
public static class Residual
{
    /// <summary>A = act(block + shortcut).</summary>
    public static void Add<TLayout, TActivation>(ArrayView<float> block, ArrayView<float> shortcut, ArrayView<float> a, int rows)
        where TLayout : struct, ITensorLayout where TActivation : struct, IGpuActivation =>
        RunAdd<TLayout, ActivatedStore<TActivation>>(block, shortcut, new ActivatedStore<TActivation>(a), rows);

    /// <summary>Z = block + shortcut, A = act(Z), for an activation whose derivative needs Z.</summary>
    public static void AddKeepingZ<TLayout, TActivation>(ArrayView<float> block, ArrayView<float> shortcut, ArrayView<float> z, ArrayView<float> a, int rows)
        where TLayout : struct, ITensorLayout where TActivation : struct, IGpuActivation =>
        RunAdd<TLayout, KeepingZStore<TActivation>>(block, shortcut, new KeepingZStore<TActivation>(z, a), rows);

    /// <summary>dIn = dOut * act'(A): the gradient at block + shortcut, from the gradient at the block's output A.</summary>
    public static void Backward<TLayout, TActivation>(ArrayView<float> dOut, ArrayView<float> a, ArrayView<float> dIn, int rows)
        where TLayout : struct, ITensorLayout where TActivation : struct, IGpuActivationFromOutput =>
        RunBackward<TLayout, FromOutput<TActivation>>(dOut, dIn, new FromOutput<TActivation>(a), rows);

    /// <summary>dIn = dOut * act'(Z).</summary>
    public static void BackwardAfterPreActivation<TLayout, TActivation>(ArrayView<float> dOut, ArrayView<float> z, ArrayView<float> dIn, int rows)
        where TLayout : struct, ITensorLayout where TActivation : struct, IGpuActivationFromInput =>
        RunBackward<TLayout, FromInput<TActivation>>(dOut, dIn, new FromInput<TActivation>(z), rows);

    /// <summary>
    /// The block input's gradient, in place: dz = (dz + shortcutGradient) * act'(A) of the layer before the block, dz
    /// holding the block's first layer's input gradient without that factor.
    /// </summary>
    public static void Join<TLayout, TPrevious>(ArrayView<float> dz, ArrayView<float> shortcutGradient, ArrayView<float> a, int rows)
        where TLayout : struct, ITensorLayout where TPrevious : struct, IGpuActivationFromOutput =>
        RunJoin<TLayout, FromOutput<TPrevious>>(dz, shortcutGradient, new FromOutput<TPrevious>(a), rows);

    /// <summary>dz = (dz + shortcutGradient) * act'(Z), for an activation whose derivative needs Z.</summary>
    public static void JoinAfterPreActivation<TLayout, TPrevious>(ArrayView<float> dz, ArrayView<float> shortcutGradient, ArrayView<float> z, int rows)
        where TLayout : struct, ITensorLayout where TPrevious : struct, IGpuActivationFromInput =>
        RunJoin<TLayout, FromInput<TPrevious>>(dz, shortcutGradient, new FromInput<TPrevious>(z), rows);

    private static void RunAdd<TLayout, TStore>(ArrayView<float> block, ArrayView<float> shortcut, TStore store, int rows)
        where TLayout : struct, ITensorLayout where TStore : struct, IElementStore
    {
        var l = default(TLayout);
        int e = Grid.GlobalIndex.X;
        if (e >= rows * l.Pixels * l.Stride) return;
        if (e % l.Stride >= l.Channels) store.Clear(e);
        else store.Store(e, block[e] + shortcut[e]);
    }

    private static void RunBackward<TLayout, TDerivative>(ArrayView<float> dOut, ArrayView<float> dIn, TDerivative derivative, int rows)
        where TLayout : struct, ITensorLayout where TDerivative : struct, IPreviousDerivative
    {
        var l = default(TLayout);
        int e = Grid.GlobalIndex.X;
        if (e >= rows * l.Pixels * l.Stride) return;
        dIn[e] = e % l.Stride >= l.Channels ? 0f : dOut[e] * derivative.At(e);
    }

    private static void RunJoin<TLayout, TDerivative>(ArrayView<float> dz, ArrayView<float> shortcutGradient, TDerivative derivative, int rows)
        where TLayout : struct, ITensorLayout where TDerivative : struct, IPreviousDerivative
    {
        var l = default(TLayout);
        int e = Grid.GlobalIndex.X;
        if (e >= rows * l.Pixels * l.Stride) return;
        dz[e] = e % l.Stride >= l.Channels ? 0f : (dz[e] + shortcutGradient[e]) * derivative.At(e);
    }
}
