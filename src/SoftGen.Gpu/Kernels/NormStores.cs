using ILGPU;

namespace SoftGen.Gpu.Kernels;

/// <summary>Where an element-wise kernel writes its result y at element e: the activation's output, and Z where kept.</summary>
internal interface IElementStore
{
    void Store(int e, float y);

    /// <summary>A padding channel: 0 wherever the store writes.</summary>
    void Clear(int e);
}

/// <summary>What is added to y before the activation: nothing, or a residual block's shortcut.</summary>
internal interface IAddend
{
    float At(int e);
}

internal readonly struct NoAddend : IAddend
{
    public float At(int e) => 0f;
}

internal readonly struct ShortcutAddend(ArrayView<float> shortcut) : IAddend
{
    private readonly ArrayView<float> _shortcut = shortcut;

    public float At(int e) => _shortcut[e];
}

/// <summary>A[e] = act(y).</summary>
internal readonly struct ActivatedStore<TActivation>(ArrayView<float> a) : IElementStore
    where TActivation : struct, IGpuActivation
{
    private readonly ArrayView<float> _a = a;

    public void Store(int e, float y) => _a[e] = default(TActivation).Apply(y);
    public void Clear(int e) => _a[e] = 0f;
}

/// <summary>Z[e] = y, A[e] = act(y), for an activation whose derivative needs Z.</summary>
internal readonly struct KeepingZStore<TActivation>(ArrayView<float> z, ArrayView<float> a) : IElementStore
    where TActivation : struct, IGpuActivation
{
    private readonly ArrayView<float> _z = z, _a = a;

    public void Store(int e, float y)
    {
        _z[e] = y;
        _a[e] = default(TActivation).Apply(y);
    }

    public void Clear(int e)
    {
        _z[e] = 0f;
        _a[e] = 0f;
    }
}

/// <summary>The previous layer's act' at element e: from its output A, or from its kept Z.</summary>
internal interface IPreviousDerivative
{
    float At(int e);
}

internal readonly struct FromOutput<TPrevious>(ArrayView<float> aPrev) : IPreviousDerivative
    where TPrevious : struct, IGpuActivationFromOutput
{
    private readonly ArrayView<float> _aPrev = aPrev;

    public float At(int e) => default(TPrevious).DerivativeFromOutput(_aPrev[e]);
}

internal readonly struct FromInput<TPrevious>(ArrayView<float> zPrev) : IPreviousDerivative
    where TPrevious : struct, IGpuActivationFromInput
{
    private readonly ArrayView<float> _zPrev = zPrev;

    public float At(int e) => default(TPrevious).Derivative(_zPrev[e]);
}
