using System;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using SoftGen.Training;

namespace SoftGen.Gpu;

/// <summary>
/// SGD (with momentum), Adam and AdamW as one kernel over the flat parameter buffer and flat moment buffers, with
/// torch.optim's arithmetic in the order of the CPU backend (OptimizerState): bias corrections in double on the host,
/// the element-wise update in float. One launch per step. Each kernel reads g as g * scale[0], scale a device float:
/// gradient clipping's coefficient (<see cref="GpuGradientClipping"/>), or 1, an exact no-op.
/// </summary>
internal sealed class GpuOptimizer : IDisposable
{
    private readonly Optimizer _optimizer;
    private readonly int _length;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _moment1, _moment2;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float>? _sgd;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float>? _momentum;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamScalars>? _adam;

    public GpuOptimizer(Accelerator accelerator, Optimizer optimizer, int length)
    {
        _optimizer = optimizer;
        _length = length;
        bool adam = optimizer.Kind is OptimizerKind.Adam or OptimizerKind.AdamW;
        if (adam || optimizer.Momentum != 0f) _moment1 = Zeroed(accelerator, length);
        if (adam) _moment2 = Zeroed(accelerator, length);
        if (adam) _adam = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamScalars>(AdamKernel);
        else if (optimizer.Momentum != 0f) _momentum = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float>(MomentumKernel);
        else _sgd = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float>(SgdKernel);
    }

    /// <summary>The first moment (momentum buffer or exp_avg); empty where the optimizer keeps none.</summary>
    public ArrayView<float> Moment1 => _moment1?.View ?? default;
    /// <summary>Adam's exp_avg_sq; empty otherwise.</summary>
    public ArrayView<float> Moment2 => _moment2?.View ?? default;

    /// <summary>Queues update number <paramref name="step"/> (1-based), each gradient multiplied by <paramref name="gradientScale"/>[0].</summary>
    public void Apply(AcceleratorStream stream, ArrayView<float> parameters, ArrayView<float> gradients, ArrayView<float> gradientScale, long step)
    {
        var o = _optimizer;
        if (_sgd is not null) { _sgd(stream, _length, parameters, gradients, gradientScale, (float)-o.RateAt(step - 1)); return; }
        if (_momentum is not null) { _momentum(stream, _length, parameters, gradients, gradientScale, _moment1!.View, (float)-o.RateAt(step - 1), o.Momentum); return; }
        _adam!(stream, _length, parameters, gradients, gradientScale, _moment1!.View, _moment2!.View, AdamScalars.For(o, step));
    }

    // p += -lr (g scale)
    private static void SgdKernel(Index1D i, ArrayView<float> p, ArrayView<float> g, ArrayView<float> scale, float negativeLr) =>
        p[i] += negativeLr * (g[i] * scale[0]);

    // buf = momentum buf + g scale; p += -lr buf
    private static void MomentumKernel(Index1D i, ArrayView<float> p, ArrayView<float> g, ArrayView<float> scale, ArrayView<float> buf,
        float negativeLr, float momentum)
    {
        float b = buf[i] * momentum + g[i] * scale[0];
        buf[i] = b;
        p[i] += negativeLr * b;
    }

    // PyTorch's _single_tensor_adam(w), after clipping's g = g scale: p *= decay; m.lerp_(g, 1 - b1); v = v b2 + (1 - b2) g g;
    // p += (-lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps).
    private static void AdamKernel(Index1D i, ArrayView<float> p, ArrayView<float> g, ArrayView<float> scale, ArrayView<float> m, ArrayView<float> v,
        AdamScalars s)
    {
        float gi = g[i] * scale[0];
        float mi = m[i];
        mi += s.OneMinusBeta1 * (gi - mi);
        float vi = v[i] * s.Beta2 + s.OneMinusBeta2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float denom = XMath.Sqrt(vi) / s.Bias2Sqrt + s.Epsilon;
        p[i] = p[i] * s.Decay + s.NegativeStepSize * mi / denom;
    }

    private static MemoryBuffer1D<float, Stride1D.Dense> Zeroed(Accelerator accelerator, int length)
    {
        var buffer = accelerator.Allocate1D<float>(Math.Max(length, 1));
        buffer.MemSetToZero();
        return buffer;
    }

    public void Dispose()
    {
        _moment1?.Dispose();
        _moment2?.Dispose();
    }
}
