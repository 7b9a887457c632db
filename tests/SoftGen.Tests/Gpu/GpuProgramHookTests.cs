using System;
using SoftGen.Gpu;
using SoftGen.Training;
using Xunit;
using static SoftGen.Tests.Gpu.GpuAgreementTests;

namespace SoftGen.Tests.Gpu;

/// <summary>
/// The generated trainer finds its GPU program through a partial method of its own, so a model nested in a private
/// type (which a module initializer could not reach) compiles, runs on Backend.Gpu, and agrees with the CPU backend.
/// </summary>
public sealed partial class GpuProgramHookTests
{
    [SoftModel(Inputs = 5)]
    [Dense(4, Activation.Tanh)]
    [Dense(3)]
    [SoftmaxCrossEntropy]
    private partial class PrivateMlp;

    private partial class Private
    {
        [SoftModel(Inputs = 5)]
        [Dense(3)]
        [KLDivergence]
        internal partial class InnerMlp;
    }

    [Fact]
    public void A_privately_nested_model_trains_on_the_GPU_backend()
    {
        var options = new TrainerOptions { Backend = Backend.Cpu, BatchSize = 6, ThreadCount = 1, Seed = 2, Optimizer = Optimizer.Sgd(0.5f) };
        using var cpu = PrivateMlp.CreateTrainer(options);
        PrivateMlp.Trainer gpu;
        using (GpuTesting.UseCpuAccelerator())
            gpu = PrivateMlp.CreateTrainer(options with { Backend = Backend.Gpu });
        using var _ = gpu;
        Assert.Equal(Backend.Gpu, gpu.Backend);
        Assert.Equal(6, gpu.LaunchesPerStep);

        var x = new float[6 * 5];
        var y = new float[6 * 3];
        for (int i = 0; i < x.Length; i++) x[i] = MathF.Sin(i);
        for (int r = 0; r < 6; r++) y[r * 3 + r % 3] = 1f;
        Close(cpu.TrainStep(x, y, 6), gpu.TrainStep(x, y, 6), "loss");
        Close(cpu.TrainStep(x, y, 6), gpu.TrainStep(x, y, 6), "loss after an update");
    }

    [Fact]
    public void A_trainer_without_a_GPU_program_runs_Auto_on_the_CPU_and_says_what_Gpu_needs()
    {
        // A trainer given no GPU program's Open is what a model in a project without SoftGen.Gpu amounts to.
        var options = new TrainerOptions { BatchSize = 4, ThreadCount = 1 };
        using var auto = new SoftGen.Tests.Training.LinearTrainer(options with { Backend = Backend.Auto });
        Assert.Equal(Backend.Cpu, auto.Backend);
        Assert.Equal(0, auto.LaunchesPerStep);
        var e = Assert.Throws<NotSupportedException>(() => new SoftGen.Tests.Training.LinearTrainer(options with { Backend = Backend.Gpu }));
        Assert.Contains("Backend.Gpu needs the GPU runtime: add a reference to SoftGen.Gpu to the project that declares Tests.Linear", e.Message);
    }

    [Fact]
    public void A_model_in_a_private_type_gets_its_GPU_program_too()
    {
        TrainerBase gpu;
        using (GpuTesting.UseCpuAccelerator())
            gpu = Private.InnerMlp.CreateTrainer(new TrainerOptions { Backend = Backend.Gpu, BatchSize = 4, ThreadCount = 1 });
        using var _ = gpu;
        Assert.Equal(Backend.Gpu, gpu.Backend);
        Assert.Equal(4, gpu.LaunchesPerStep);
    }
}
