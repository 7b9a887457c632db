using System;
using System.Linq;
using GpuConvModels;
using SoftGen.Cpu;
using SoftGen.Gpu;
using SoftGen.Tests.Conv;
using SoftGen.Training;
using Xunit;
using static SoftGen.Tests.Gpu.GpuAgreementTests;

namespace SoftGen.Tests.Gpu;

/// <summary>
/// The generated ILGPU kernels of the image layers (Conv2D with both paddings and stride 2, max, average and global
/// average pooling, dropout, Dense after an image, flat and per-pixel heads of every loss), run on ILGPU's CPU
/// accelerator, against the CPU backend (itself checked against float64 references and finite differences in
/// tests/SoftGen.Tests/Conv): loss, every gradient, every parameter after two steps, probabilities and logits within
/// 1e-4 relative, and Evaluate and PredictClasses (per pixel for the per-pixel heads). Few rows: the accelerator
/// simulates every thread.
/// </summary>
public sealed class GpuConvAgreementTests
{
    /// <summary>Rows per batch: 8 x 35 output pixels of the first convolutions (and of PixelKl's head) pass 256, so their dW is
    /// reduced in two slices and the head runs two groups.</summary>
    private const int Rows = 8;

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var name in ConvCases.All.Keys) data.Add(name);
        data.Add(nameof(WideGpuNet));
        data.Add(nameof(PoolFirstNet));
        data.Add(nameof(GapFirstNet));
        return data;
    }

    private static (Func<TrainerOptions, TrainerBase> Create, Func<Random, int, float[]> Targets) Model(string name) => name switch
    {
        nameof(WideGpuNet) => (o => WideGpuNet.CreateTrainer(o), (rng, rows) => Targets(WideGpuNet.Trainer.ModelInfo, rng, rows)),
        nameof(PoolFirstNet) => (o => PoolFirstNet.CreateTrainer(o), (rng, rows) => Targets(PoolFirstNet.Trainer.ModelInfo, rng, rows)),
        nameof(GapFirstNet) => (o => GapFirstNet.CreateTrainer(o), (rng, rows) => Targets(GapFirstNet.Trainer.ModelInfo, rng, rows)),
        _ => (ConvCases.All[name].Create, (rng, rows) => ConvCases.Targets(rng, ConvCases.All[name].Reference, rows)),
    };

    /// <summary>Per value in [0, 1), or for the softmax family a distribution over the classes of each row and pixel (NCHW).</summary>
    private static float[] Targets(ModelInfo info, Random random, int rows)
    {
        var y = Uniform(random, rows * info.OutputsPerRow);
        if (!info.TargetsAreDistributions) return y;
        int classes = info.Classes, pixels = info.OutputPixels;
        for (int r = 0; r < rows; r++)
            for (int p = 0; p < pixels; p++)
            {
                float sum = 0f;
                for (int c = 0; c < classes; c++) sum += y[(r * classes + c) * pixels + p];
                for (int c = 0; c < classes; c++) y[(r * classes + c) * pixels + p] /= sum;
            }
        return y;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Kernels_agree_with_the_CPU_backend(string name)
    {
        var (create, targets) = Model(name);
        var options = new TrainerOptions { Backend = Backend.Cpu, BatchSize = Rows, ThreadCount = 1, Seed = 5, Optimizer = Optimizer.Adam(0.01f) };
        using var cpu = create(options);
        TrainerBase gpu;
        using (GpuTesting.UseCpuAccelerator())
            gpu = create(options with { Backend = Backend.Gpu });
        using var _ = gpu;
        Assert.Equal(Backend.Gpu, gpu.Backend);
        Assert.Equal(LaunchesPerStep(name), gpu.LaunchesPerStep);

        var random = new Random(17);
        for (int step = 1; step <= 2; step++)
        {
            var x = Uniform(random, Rows * cpu.Model.Inputs, -2, 2);
            var y = targets(random, Rows);
            float cpuLoss = cpu.TrainStep(x, y, Rows), gpuLoss = gpu.TrainStep(x, y, Rows);
            Close(cpuLoss, gpuLoss, $"loss at step {step}");
            foreach (var p in cpu.Model.Parameters)
            {
                Close(Read(cpu.GetGradient, p), Read(gpu.GetGradient, p), $"gradient of {p.Name} at step {step}");
                Close(Read(cpu.GetParameter, p), Read(gpu.GetParameter, p), $"{p.Name} after step {step}");
            }
        }

        const int predicted = 2 * Rows + 1; // more rows than the capacity: predicted in chunks
        int width = cpu.Model.OutputsPerRow;
        var px = Uniform(random, predicted * cpu.Model.Inputs, -2, 2);
        var expected = new float[predicted * width];
        var actual = new float[predicted * width];
        cpu.PredictProbabilities(px, expected, predicted);
        gpu.PredictProbabilities(px, actual, predicted);
        Close(expected, actual, "probabilities");
        cpu.PredictLogits(px, expected, predicted);
        gpu.PredictLogits(px, actual, predicted);
        Close(expected, actual, "logits");

        // Evaluate and PredictClasses (per pixel for the per-pixel heads) on the GPU's probabilities.
        var py = targets(random, predicted);
        var a = cpu.Evaluate(px, py);
        var b = gpu.Evaluate(px, py);
        Close(new[] { (float)a.Nll, (float)a.Kl, (float)a.Brier }, new[] { (float)b.Nll, (float)b.Kl, (float)b.Brier }, "Evaluate's NLL, KL and Brier");
        Assert.Equal(a.Accuracy, b.Accuracy);
        var classesCpu = new int[predicted * cpu.Model.OutputPixels];
        var classesGpu = new int[classesCpu.Length];
        cpu.PredictClasses(px, classesCpu, predicted);
        gpu.PredictClasses(px, classesGpu, predicted);
        Assert.Equal(classesCpu, classesGpu);
    }

    [Fact]
    public void Fit_and_Evaluate_agree_for_a_CNN()
    {
        var c = ConvCases.All[nameof(ConvModels.PoolNet)];
        var options = new TrainerOptions { BatchSize = 4, ThreadCount = 1, Seed = 3, Optimizer = Optimizer.Sgd(0.1f, momentum: 0.9f) };
        using var cpu = c.Create(options);
        TrainerBase gpu;
        using (GpuTesting.UseCpuAccelerator())
            gpu = c.Create(options with { Backend = Backend.Gpu });
        using var _ = gpu;

        const int count = 10; // two full batches and a partial one per epoch
        var random = new Random(23);
        var x = Uniform(random, count * c.Info.Inputs, -2, 2);
        var y = ConvCases.Targets(random, c.Reference, count);
        cpu.Fit(x, y, epochs: 2);
        gpu.Fit(x, y, epochs: 2);
        Assert.Equal(cpu.Step, gpu.Step);
        foreach (var p in cpu.Model.Parameters)
            Close(Read(cpu.GetParameter, p), Read(gpu.GetParameter, p), p.Name + " after Fit");
        var a = cpu.Evaluate(x, y);
        var b = gpu.Evaluate(x, y);
        Close((float)a.Kl, (float)b.Kl, "Evaluate's KL");
        Close((float)a.Nll, (float)b.Nll, "Evaluate's NLL");
        Assert.Equal(a.Accuracy, b.Accuracy);
        var classesCpu = new int[count];
        var classesGpu = new int[count];
        cpu.PredictClasses(x, classesCpu, count);
        gpu.PredictClasses(x, classesGpu, count);
        Assert.Equal(classesCpu, classesGpu);
    }

    /// <summary>
    /// With one row, Dense's weight gradient is dLogits[n] x (input x mask)[k]: the mask of every input value read back
    /// from the GPU's gradients equals DropoutKernels' documented draw, k counting the values channels-last (the CPU
    /// backend's order), for two steps (fresh masks each step). Prediction does not drop.
    /// </summary>
    [Fact]
    public void Dropout_masks_are_the_CPU_backends()
    {
        const float rate = 0.4f;
        const int seed = 9, channels = 2, pixels = 12;
        TrainerBase gpu;
        using (GpuTesting.UseCpuAccelerator())
            gpu = DropoutProbe.CreateTrainer(new TrainerOptions { Backend = Backend.Gpu, BatchSize = 1, ThreadCount = 1, Seed = seed, Optimizer = Optimizer.Sgd(0.01f) });
        using var _ = gpu;
        var random = new Random(4);
        int dropped = 0;
        for (long step = 0; step < 2; step++)
        {
            var x = Uniform(random, channels * pixels, 0.5f, 1.5f); // no zeros: every mask is visible
            gpu.TrainStep(x, new[] { 0.3f, 0.8f }, 1);
            var dw = new float[2 * channels * pixels];
            var db = new float[2];
            gpu.GetGradient("layers.0.weight", dw);
            gpu.GetGradient("layers.0.bias", db);
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < pixels; p++)
                {
                    int k = c * pixels + p; // PyTorch's flatten order (c, h, w)
                    float mask = dw[k] / (db[0] * x[k]);
                    bool kept = DropoutKernels.IsKept(rate, seed, step, layer: 0, index: p * channels + c);
                    Assert.True(MathF.Abs(mask - (kept ? 1f / (1f - rate) : 0f)) < 1e-4f, $"step {step}, value (c {c}, pixel {p}): mask {mask}, kept {kept}");
                    Assert.True(MathF.Abs(dw[pixels * channels + k] / (db[1] * x[k]) - mask) < 1e-4f, $"second output, step {step}, value {k}");
                    if (!kept) dropped++;
                }
        }
        Assert.InRange(dropped, 4, 44); // about 40% of 48

        // Prediction keeps every value: the GPU's logits equal W x + b computed here.
        var input = Uniform(random, channels * pixels, -1, 1);
        var w = new float[2 * channels * pixels];
        var b = new float[2];
        gpu.GetParameter("layers.0.weight", w);
        gpu.GetParameter("layers.0.bias", b);
        var logits = new float[2];
        gpu.PredictLogits(input, logits, 1);
        for (int n = 0; n < 2; n++)
        {
            double z = b[n];
            for (int k = 0; k < channels * pixels; k++) z += (double)w[n * channels * pixels + k] * input[k];
            Assert.True(Math.Abs(z - logits[n]) < 1e-5, $"logit {n}: expected {z}, GPU {logits[n]}");
        }
    }

    /// <summary>
    /// 2L - f + 2 + c (+ 1 for a per-pixel head) counted from the declarations: L layers, the first with parameters at
    /// index f, c Conv2D layers.
    /// </summary>
    private static int LaunchesPerStep(string name) => name switch
    {
        "OddConvNet" => 2 * 3 + 2 + 2,
        "GapNet" => 2 * 3 + 2 + 1,
        "PoolNet" => 2 * 5 + 2 + 2,
        "DropoutNet" => 2 * 7 + 2 + 2,
        "PixelKl" or "PixelSoftmax" or "PixelSigmoid" => 2 * 2 + 2 + 2 + 1,
        "WideGpuNet" => 2 * 4 - 2 + 2 + 2 + 1,
        "PoolFirstNet" => 2 * 4 - 1 + 2 + 1,
        "GapFirstNet" => 2 * 2 - 1 + 2,
        _ => throw new ArgumentException(name),
    };

    private static float[] Uniform(Random random, int count, float low = 0f, float high = 1f)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = low + (high - low) * (float)random.NextDouble();
        return values;
    }
}
