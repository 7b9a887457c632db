using System;
using System.Runtime.Intrinsics;
using SoftGen.Cpu;

namespace SoftGen.Training;

/// <summary>
/// The optimizer's moment buffers and its update over the whole flat storage, with torch.optim's semantics and
/// operation order (single-tensor path): t counts steps from 1, bias corrections are computed in double and the
/// element-wise arithmetic in float. No fused multiply-add, so the Vector512, Vector256 and scalar paths give
/// bit-identical results and the same seed gives the same weights on every machine.
/// Padding elements have gradient 0, so their moments and values stay exactly 0.
/// </summary>
internal sealed unsafe class OptimizerState
{
    private readonly Optimizer _optimizer;
    private readonly float* _moment1; // SGD: momentum buffer (null without momentum); Adam(W): exp_avg
    private readonly float* _moment2; // Adam(W): exp_avg_sq

    public OptimizerState(Optimizer optimizer, int length, NativeBuffers buffers)
    {
        _optimizer = optimizer;
        bool adam = optimizer.Kind is OptimizerKind.Adam or OptimizerKind.AdamW;
        if (adam || optimizer.Momentum != 0f) _moment1 = buffers.Allocate(length);
        if (adam) _moment2 = buffers.Allocate(length);
    }

    public OptimizerKind Kind => _optimizer.Kind;

    /// <summary>The first moment (SGD's momentum buffer, Adam's exp_avg), or null where the optimizer keeps none.</summary>
    public float* Moment1 => _moment1;

    /// <summary>Adam's second moment (exp_avg_sq), or null.</summary>
    public float* Moment2 => _moment2;

    /// <summary>PyTorch's name for <see cref="Moment1"/> in an optimizer's state ("momentum_buffer" or "exp_avg"), or null.</summary>
    public string? Moment1Name => _moment1 is null ? null : _optimizer.Kind == OptimizerKind.Sgd ? "momentum_buffer" : "exp_avg";

    /// <summary>PyTorch's name for <see cref="Moment2"/> ("exp_avg_sq"), or null.</summary>
    public string? Moment2Name => _moment2 is null ? null : "exp_avg_sq";

    /// <summary>Storage this long or longer is updated in parallel; below it, the handoff costs more than it saves.</summary>
    private const int ParallelThreshold = 1 << 16;

    /// <summary>Floats per block of a parallel update: a multiple of 16, so every chunk starts on a Vector512.</summary>
    private const int Grain = 1 << 12;

    /// <summary>
    /// Applies update number <paramref name="step"/> (1-based) to <paramref name="parameters"/>, each gradient read as
    /// g * <paramref name="gradientScale"/> (gradient clipping's coefficient; 1, an exact no-op, without it).
    /// </summary>
    /// <remarks>Each element's update depends on that element alone, so the result does not depend on the thread count.</remarks>
    public void Apply(WorkerPool pool, float* parameters, float* gradients, int length, long step, float gradientScale = 1f)
    {
        var o = _optimizer;
        var job = new Job
        {
            Kind = o.Kind,
            P = parameters,
            G = gradients,
            M = _moment1,
            V = _moment2,
            NegativeLearningRate = (float)-o.RateAt(step - 1),
            Momentum = o.Momentum,
            GradientScale = gradientScale,
        };
        if (o.Kind is OptimizerKind.Adam or OptimizerKind.AdamW)
            job.Adam = AdamScalars.For(o, step);

        if (length >= ParallelThreshold && pool.ThreadCount > 1) pool.For(length, Grain, &Run, &job);
        else Run(&job, 0, length);
    }

    private struct Job
    {
        public OptimizerKind Kind;
        public float* P, G, M, V;
        public float NegativeLearningRate, Momentum, GradientScale;
        public AdamScalars Adam;
    }

    private static void Run(void* state, int start, int end)
    {
        var j = (Job*)state;
        int n = end - start;
        switch (j->Kind)
        {
            case OptimizerKind.Sgd when j->M is null:
                SgdPlain(j->P + start, j->G + start, n, j->NegativeLearningRate, j->GradientScale);
                break;
            case OptimizerKind.Sgd:
                // The buffer starts at 0, so momentum * 0 + g on the first step equals PyTorch's clone(g).
                SgdMomentum(j->P + start, j->G + start, j->M + start, n, j->NegativeLearningRate, j->Momentum, j->GradientScale);
                break;
            default:
                Adam(j->P + start, j->G + start, j->M + start, j->V + start, n, j->Adam.OneMinusBeta1, j->Adam.Beta2, j->Adam.OneMinusBeta2,
                    j->Adam.NegativeStepSize, j->Adam.Bias2Sqrt, j->Adam.Epsilon, j->Adam.Decay, j->GradientScale);
                break;
        }
    }

    // g = g scale (clipping; scale 1 is exact); p += -lr g
    private static void SgdPlain(float* p, float* g, int n, float negativeLr, float scale)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var lr = Vector512.Create(negativeLr);
            var c = Vector512.Create(scale);
            for (; i <= n - 16; i += 16)
                Vector512.Store(Vector512.Load(p + i) + lr * (Vector512.Load(g + i) * c), p + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var lr = Vector256.Create(negativeLr);
            var c = Vector256.Create(scale);
            for (; i <= n - 8; i += 8)
                Vector256.Store(Vector256.Load(p + i) + lr * (Vector256.Load(g + i) * c), p + i);
        }
        for (; i < n; i++) p[i] += negativeLr * (g[i] * scale);
    }

    // g = g scale; buf = momentum buf + g; p += -lr buf
    private static void SgdMomentum(float* p, float* g, float* buf, int n, float negativeLr, float momentum, float scale)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var lr = Vector512.Create(negativeLr);
            var mu = Vector512.Create(momentum);
            var c = Vector512.Create(scale);
            for (; i <= n - 16; i += 16)
            {
                var b = Vector512.Load(buf + i) * mu + Vector512.Load(g + i) * c;
                Vector512.Store(b, buf + i);
                Vector512.Store(Vector512.Load(p + i) + lr * b, p + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var lr = Vector256.Create(negativeLr);
            var mu = Vector256.Create(momentum);
            var c = Vector256.Create(scale);
            for (; i <= n - 8; i += 8)
            {
                var b = Vector256.Load(buf + i) * mu + Vector256.Load(g + i) * c;
                Vector256.Store(b, buf + i);
                Vector256.Store(Vector256.Load(p + i) + lr * b, p + i);
            }
        }
        for (; i < n; i++)
        {
            float b = buf[i] * momentum + g[i] * scale;
            buf[i] = b;
            p[i] += negativeLr * b;
        }
    }

    // PyTorch's _single_tensor_adam(w), in its order, after clipping's g = g scale:
    //   p *= decay (AdamW); m.lerp_(g, 1 - b1); v = v b2 + (1 - b2) g g;
    //   denom = sqrt(v) / sqrt(1 - b2^t) + eps; p += (-lr / (1 - b1^t)) m / denom.
    private static void Adam(float* p, float* g, float* m, float* v, int n, float oneMinusBeta1, float beta2, float oneMinusBeta2,
        float negativeStepSize, float bias2Sqrt, float epsilon, float decay, float scale)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var w1 = Vector512.Create(oneMinusBeta1);
            var b2 = Vector512.Create(beta2);
            var w2 = Vector512.Create(oneMinusBeta2);
            var step = Vector512.Create(negativeStepSize);
            var bc2 = Vector512.Create(bias2Sqrt);
            var eps = Vector512.Create(epsilon);
            var wd = Vector512.Create(decay);
            var c = Vector512.Create(scale);
            for (; i <= n - 16; i += 16)
            {
                var gi = Vector512.Load(g + i) * c;
                var mi = Vector512.Load(m + i);
                mi += w1 * (gi - mi);
                var vi = Vector512.Load(v + i) * b2 + w2 * gi * gi;
                Vector512.Store(mi, m + i);
                Vector512.Store(vi, v + i);
                var denom = Vector512.Sqrt(vi) / bc2 + eps;
                Vector512.Store(Vector512.Load(p + i) * wd + step * mi / denom, p + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var w1 = Vector256.Create(oneMinusBeta1);
            var b2 = Vector256.Create(beta2);
            var w2 = Vector256.Create(oneMinusBeta2);
            var step = Vector256.Create(negativeStepSize);
            var bc2 = Vector256.Create(bias2Sqrt);
            var eps = Vector256.Create(epsilon);
            var wd = Vector256.Create(decay);
            var c = Vector256.Create(scale);
            for (; i <= n - 8; i += 8)
            {
                var gi = Vector256.Load(g + i) * c;
                var mi = Vector256.Load(m + i);
                mi += w1 * (gi - mi);
                var vi = Vector256.Load(v + i) * b2 + w2 * gi * gi;
                Vector256.Store(mi, m + i);
                Vector256.Store(vi, v + i);
                var denom = Vector256.Sqrt(vi) / bc2 + eps;
                Vector256.Store(Vector256.Load(p + i) * wd + step * mi / denom, p + i);
            }
        }
        for (; i < n; i++)
        {
            float gi = g[i] * scale;
            float mi = m[i];
            mi += oneMinusBeta1 * (gi - mi);
            float vi = v[i] * beta2 + oneMinusBeta2 * gi * gi;
            m[i] = mi;
            v[i] = vi;
            float denom = MathF.Sqrt(vi) / bias2Sqrt + epsilon;
            p[i] = p[i] * decay + negativeStepSize * mi / denom;
        }
    }
}
