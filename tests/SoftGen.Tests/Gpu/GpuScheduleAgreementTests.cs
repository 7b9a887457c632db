using System;
using EndToEndModels;
using SoftGen.Gpu;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Gpu;

/// <summary>
/// Learning-rate schedules on the GPU backend (ILGPU's CPU accelerator): every update uses the scheduled rate, and
/// one-cycle's cycled beta1, as the CPU backend does, so the parameters agree after each step.
/// </summary>
public sealed class GpuScheduleAgreementTests
{
    private const int Rows = 20;

    public static TheoryData<string> Cases => new() { "SgdWarmupCosine", "AdamOneCycle", "AdamWStep" };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Scheduled_updates_agree_with_the_CPU_backend(string name)
    {
        var options = name switch
        {
            "SgdWarmupCosine" => new TrainerOptions { Optimizer = Optimizer.Sgd(0.2f, momentum: 0.9f), Schedule = LearningRateSchedule.WarmupCosine(2, 6, startFactor: 0.25) },
            "AdamOneCycle" => new TrainerOptions { Optimizer = Optimizer.Adam(0.01f), Schedule = LearningRateSchedule.OneCycle(0.05, 6) },
            _ => new TrainerOptions { Optimizer = Optimizer.AdamW(0.02f, weightDecay: 0.1f), Schedule = LearningRateSchedule.Step(2, 0.3) },
        };
        options = options with { Backend = Backend.Cpu, BatchSize = Rows, ThreadCount = 1, Seed = 3 };
        using var cpu = KlMlp.CreateTrainer(options);
        TrainerBase gpu;
        using (GpuTesting.UseCpuAccelerator(GemmTiles.ByRule))
            gpu = KlMlp.CreateTrainer(options with { Backend = Backend.Gpu });
        using var _ = gpu;

        var random = new Random(5);
        for (int step = 1; step <= 6; step++)
        {
            Assert.Equal(cpu.LearningRate, gpu.LearningRate);
            var (x, y) = GpuAgreementTests.Batch(cpu.Model, random, Rows);
            GpuAgreementTests.Close(cpu.TrainStep(x, y, Rows), gpu.TrainStep(x, y, Rows), $"loss at step {step}");
            foreach (var p in cpu.Model.Parameters)
                GpuAgreementTests.Close(GpuAgreementTests.Read(cpu.GetParameter, p), GpuAgreementTests.Read(gpu.GetParameter, p), $"{p.Name} after step {step} ({name})");
        }
    }
}
