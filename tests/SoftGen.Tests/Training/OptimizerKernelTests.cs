using System;
using System.Runtime.Intrinsics;
using SoftGen.Cpu;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Training;

/// <summary>
/// The vectorised update against a scalar float transcription in the same operation order: bit for bit, so the
/// Vector512, Vector256 and scalar paths (chosen by the machine) all give the same weights.
/// </summary>
public sealed unsafe class OptimizerKernelTests
{
    private const int Length = 83; // five Vector256 pairs and a scalar tail

    [Theory]
    [InlineData(OptimizerKind.Sgd, 0f)]
    [InlineData(OptimizerKind.Sgd, 0.9f)]
    [InlineData(OptimizerKind.Adam, 0f)]
    [InlineData(OptimizerKind.AdamW, 0f)]
    public void Vector_paths_equal_the_scalar_rule_bit_for_bit(OptimizerKind kind, float momentum)
    {
        var optimizer = kind switch
        {
            OptimizerKind.Sgd => Optimizer.Sgd(0.05f, momentum),
            OptimizerKind.Adam => Optimizer.Adam(0.01f, 0.85f, 0.995f, 1e-7f),
            _ => Optimizer.AdamW(0.01f, 0.2f),
        };
        using var buffers = new NativeBuffers();
        using var pool = new WorkerPool(1);
        var state = new OptimizerState(optimizer, Length, buffers);
        float* p = buffers.Allocate(Length), g = buffers.Allocate(Length);
        var rp = new float[Length];
        var rm = new float[Length];
        var rv = new float[Length];
        for (int k = 0; k < Length; k++) rp[k] = p[k] = MathF.Cos(k);

        for (long t = 1; t <= 4; t++)
        {
            for (int k = 0; k < Length; k++) g[k] = MathF.Sin(k * t) * (k % 7 == 0 ? 1e-6f : 1f);
            state.Apply(pool, p, g, Length, t);
            for (int k = 0; k < Length; k++)
            {
                float gk = g[k];
                if (kind == OptimizerKind.Sgd)
                {
                    float b = momentum == 0f ? gk : rm[k] * momentum + gk;
                    rm[k] = b;
                    rp[k] += -optimizer.LearningRate * b;
                    continue;
                }
                float decay = kind == OptimizerKind.AdamW ? (float)(1.0 - (double)optimizer.LearningRate * optimizer.WeightDecay) : 1f;
                float step = (float)-(optimizer.LearningRate / (1.0 - AdamScalars.Power(optimizer.Beta1, t)));
                float bias2Sqrt = (float)Math.Sqrt(1.0 - AdamScalars.Power(optimizer.Beta2, t));
                rm[k] += (float)(1.0 - optimizer.Beta1) * (gk - rm[k]);
                rv[k] = rv[k] * optimizer.Beta2 + (float)(1.0 - optimizer.Beta2) * gk * gk;
                float denom = MathF.Sqrt(rv[k]) / bias2Sqrt + optimizer.Epsilon;
                rp[k] = rp[k] * decay + step * rm[k] / denom;
            }
            for (int k = 0; k < Length; k++)
                Assert.True(BitConverter.SingleToUInt32Bits(rp[k]) == BitConverter.SingleToUInt32Bits(p[k]),
                    $"step {t}, element {k}: scalar {rp[k]:R}, kernel {p[k]:R} (Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated})");
        }
    }
}
