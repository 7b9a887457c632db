using System;
using System.IO;
using EndToEndModels;
using SoftGen.Gpu;
using SoftGen.Training;
using Xunit;
using static SoftGen.Tests.Gpu.GpuAgreementTests;

namespace SoftGen.Tests.Gpu;

/// <summary>
/// The facade reads and writes a program's state the same way on both backends: checkpoints (parameters, Adam's moments,
/// the step count) move between a CPU trainer and a GPU trainer (ILGPU's CPU accelerator), so the GPU program's host
/// mirror must be downloaded before a save and uploaded, moments included, before the first step after a load. The
/// CPU backend is the reference; a step taken without the moments (Adam's first update is about lr per element) or
/// from stale weights would miss it by far more than the 1e-4 agreement.
/// </summary>
public sealed class TrainingProgramSeamTests
{
    private const int Rows = 16;

    private static TrainerOptions Options => new()
    {
        BatchSize = Rows, ThreadCount = 1, Seed = 9, Optimizer = Optimizer.Adam(0.05f),
    };

    private static KlMlp.Trainer OpenGpu(TrainerOptions options)
    {
        using (GpuTesting.UseCpuAccelerator())
            return KlMlp.CreateTrainer(options with { Backend = Backend.Gpu });
    }

    [Fact]
    public void A_GPU_checkpoint_resumes_on_the_CPU_and_a_CPU_checkpoint_on_the_GPU()
    {
        var random = new Random(3);
        var batches = new (float[] X, float[] Y)[4];
        for (int b = 0; b < batches.Length; b++) batches[b] = Batch(KlMlp.Trainer.ModelInfo, random, Rows);

        using var reference = KlMlp.CreateTrainer(Options);
        using var gpu = OpenGpu(Options);
        Assert.Equal(Backend.Gpu, gpu.Backend);
        for (int b = 0; b < 2; b++)
        {
            reference.TrainStep(batches[b].X, batches[b].Y, Rows);
            gpu.TrainStep(batches[b].X, batches[b].Y, Rows);
        }

        // GPU -> CPU: the checkpoint holds what the device trained, moments and step count included.
        var fromGpu = new MemoryStream();
        gpu.SaveCheckpoint(fromGpu);
        using var resumedOnCpu = KlMlp.CreateTrainer(Options);
        fromGpu.Position = 0;
        resumedOnCpu.LoadCheckpoint(fromGpu);
        Assert.Equal(2, resumedOnCpu.Step);
        foreach (var p in reference.Model.Parameters)
            Assert.Equal(Read(gpu.GetParameter, p), Read(resumedOnCpu.GetParameter, p));

        // CPU -> GPU: a fresh GPU trainer loads the reference's state and must train from it, moments included.
        var fromCpu = new MemoryStream();
        reference.SaveCheckpoint(fromCpu);
        using var resumedOnGpu = OpenGpu(Options);
        resumedOnGpu.TrainStep(batches[3].X, batches[3].Y, Rows); // a step of its own first: the load must overwrite it
        fromCpu.Position = 0;
        resumedOnGpu.LoadCheckpoint(fromCpu);
        foreach (var p in reference.Model.Parameters)
            Assert.Equal(Read(reference.GetParameter, p), Read(resumedOnGpu.GetParameter, p));

        for (int b = 2; b < 4; b++)
        {
            float expected = reference.TrainStep(batches[b].X, batches[b].Y, Rows);
            Close(expected, resumedOnCpu.TrainStep(batches[b].X, batches[b].Y, Rows), $"loss of the CPU resumed from the GPU, step {b + 1}");
            Close(expected, resumedOnGpu.TrainStep(batches[b].X, batches[b].Y, Rows), $"loss of the GPU resumed from the CPU, step {b + 1}");
        }
        foreach (var p in reference.Model.Parameters)
        {
            var expected = Read(reference.GetParameter, p);
            Close(expected, Read(resumedOnCpu.GetParameter, p), p.Name + " on the CPU resumed from the GPU");
            Close(expected, Read(resumedOnGpu.GetParameter, p), p.Name + " on the GPU resumed from the CPU");
        }
    }

    [Fact]
    public void Weights_set_or_loaded_on_the_host_are_what_the_GPU_reads_back_and_trains_from()
    {
        var random = new Random(4);
        var (x, y) = Batch(KlMlp.Trainer.ModelInfo, random, Rows);
        using var cpu = KlMlp.CreateTrainer(Options);
        using var gpu = OpenGpu(Options);
        foreach (var p in cpu.Model.Parameters) // the same seeded initial weights, uploaded to the device
            Assert.Equal(Read(cpu.GetParameter, p), Read(gpu.GetParameter, p));

        cpu.TrainStep(x, y, Rows);
        gpu.TrainStep(x, y, Rows);
        var weights = new MemoryStream();
        cpu.SaveWeights(weights);

        var bias = new float[cpu.Model.Parameters[1].Length];
        for (int i = 0; i < bias.Length; i++) bias[i] = 0.25f * i - 1f;
        gpu.SetParameter(cpu.Model.Parameters[1].Name, bias);
        Assert.Equal(bias, Read(gpu.GetParameter, cpu.Model.Parameters[1]));

        weights.Position = 0;
        gpu.LoadWeights(weights); // every parameter, the bias just set included, back to the CPU trainer's
        foreach (var p in cpu.Model.Parameters)
            Assert.Equal(Read(cpu.GetParameter, p), Read(gpu.GetParameter, p));

        Close(cpu.TrainStep(x, y, Rows), gpu.TrainStep(x, y, Rows), "loss after the load");
        foreach (var p in cpu.Model.Parameters)
            Close(Read(cpu.GetParameter, p), Read(gpu.GetParameter, p), p.Name + " after a step from the loaded weights");
    }
}
