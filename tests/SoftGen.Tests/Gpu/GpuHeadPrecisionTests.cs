using System;
using EndToEndModels;
using SoftGen.Gpu;
using Xunit;

namespace SoftGen.Tests.Gpu;

/// <summary>
/// The GPU sigmoid cross-entropy head where the loss is all in log(1 + e^-|z|) and e^-|z| is below float's resolution
/// next to 1: logits of 12-30 whose targets agree with their sign. A float log(1 + e) loses e entirely past |z| of
/// about 17 (and most of its bits before); the loss must match a float64 reference to 1e-4 relative.
/// </summary>
public sealed class GpuHeadPrecisionTests
{
    [Fact]
    public void Sigmoid_cross_entropy_keeps_log1p_precision_at_large_logits()
    {
        float[] bias = { 12f, -15f, 18f, -30f };
        float[] target = { 1f, 0f, 1f, 0f };
        const int rows = 5;
        MultiLabelMlp.Trainer gpu;
        using (GpuTesting.UseCpuAccelerator())
            gpu = MultiLabelMlp.CreateTrainer(new TrainerOptions { Backend = Backend.Gpu, BatchSize = rows, ThreadCount = 1, Optimizer = Optimizer.Sgd(0.1f) });
        using var _ = gpu;
        gpu.SetParameter("layers.1.weight", new float[4 * 10]); // the logits are the biases, whatever the inputs
        gpu.SetParameter("layers.1.bias", bias);

        var x = new float[rows * 4];
        var y = new float[rows * 4];
        for (int i = 0; i < x.Length; i++) x[i] = MathF.Cos(i);
        for (int r = 0; r < rows; r++) target.CopyTo(y, r * 4);

        // Mean over rows x classes of max(z, 0) - z y + log(1 + e^-|z|) = log(1 + e^-|z|) here, in float64.
        double expected = 0;
        foreach (var z in bias) expected += Math.Log(1 + Math.Exp(-Math.Abs((double)z))) / bias.Length;

        float loss = gpu.TrainStep(x, y, rows);
        Assert.True(Math.Abs(loss - expected) <= 1e-4 * expected, $"loss {loss:R}, float64 reference {expected:R}");
    }
}
