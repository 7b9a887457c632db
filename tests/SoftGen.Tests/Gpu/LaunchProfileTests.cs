using System;
using System.Linq;
using EndToEndModels;
using GpuConvModels;
using SoftGen.Gpu;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Gpu;

/// <summary>
/// The profiling hook the generated launches call (GpuProgram.AfterLaunch): inside LaunchProfile.Use, a training step
/// records each launch once under its own name, as many launches as the generated LaunchesPerStep states, plus the
/// batch and loss copies; prediction records the forward launches and the softmax or sigmoid. Outside it, nothing.
/// </summary>
public sealed class LaunchProfileTests
{
    private const int Rows = 5;

    [Theory]
    [InlineData("KlMlp", new[] { "Forward0", "Forward1", "Forward2", "Head", "Backward2", "Backward1", "Backward0", "Optimizer" })]
    [InlineData("WideGpuNet", new[] { "Forward0", "Forward1", "Forward2", "Forward3", "Head", "HeadSum", "Backward3", "SumWeights3", "Backward2", "SumWeights2", "Optimizer" })]
    public void A_step_records_every_launch_once(string model, string[] launches)
    {
        var profile = new LaunchProfile();
        var options = new TrainerOptions { Backend = Backend.Gpu, BatchSize = Rows, ThreadCount = 1, Seed = 1 };
        TrainerBase trainer;
        using (GpuTesting.UseCpuAccelerator())
        using (LaunchProfile.Use(profile))
            trainer = model == "KlMlp" ? KlMlp.CreateTrainer(options) : WideGpuNet.CreateTrainer(options);
        using var _ = trainer;
        Assert.Equal(launches.Length, trainer.LaunchesPerStep);

        var x = new float[Rows * trainer.Model.Inputs];
        var y = new float[Rows * trainer.Model.OutputsPerRow];
        for (int i = 0; i < x.Length; i++) x[i] = MathF.Cos(i);
        for (int i = 0; i < y.Length; i++) y[i] = 1f / trainer.Model.Classes;
        trainer.TrainStep(x, y, Rows);
        trainer.TrainStep(x, y, Rows);

        var copies = new[] { "CopyBatchIn", "CopyLossOut" };
        var expected = copies.Take(1).Concat(launches.SkipLast(1)).Concat(copies.Skip(1)).Append("Optimizer").ToArray(); // the optimizer runs after the loss is read
        Assert.Equal(expected.Concat(expected), profile.Launches.Select(l => l.Name));
        Assert.All(profile.Launches, l => Assert.Equal(copies.Contains(l.Name), l.IsCopy));
        Assert.All(profile.Launches, l => Assert.True(l.Milliseconds >= 0, l.Name));

        profile.Clear();
        var p = new float[Rows * trainer.Model.OutputsPerRow];
        trainer.PredictProbabilities(x, p, Rows);
        var forward = launches.Where(n => n.StartsWith("Forward", StringComparison.Ordinal));
        Assert.Equal(forward.Prepend("CopyInputsIn").Append("Probabilities").Append("CopyProbabilitiesOut"), profile.Launches.Select(l => l.Name));
    }

    [Fact]
    public void Each_Dense_launch_states_its_GEMM_FLOPs_and_programs_made_outside_the_scope_record_nothing()
    {
        var profile = new LaunchProfile();
        var options = new TrainerOptions { Backend = Backend.Gpu, BatchSize = Rows, ThreadCount = 1, Seed = 1 };
        KlMlp.Trainer trainer, unprofiled;
        using (GpuTesting.UseCpuAccelerator())
        {
            using (LaunchProfile.Use(profile))
                trainer = KlMlp.CreateTrainer(options);
            unprofiled = KlMlp.CreateTrainer(options);
        }
        using var _ = trainer;
        using var __ = unprofiled;
        var x = new float[Rows * 6];
        var y = new float[Rows * 6];
        for (int i = 0; i < y.Length; i++) y[i] = 1f / 6;
        unprofiled.TrainStep(x, y, Rows);
        Assert.Empty(profile.Launches);
        trainer.TrainStep(x, y, Rows);

        // 2 x multiply-adds, from the parameter shapes [out, in]: forward rows x in x out; backward dW and db as
        // rows x (in + 1) x out, and dX as rows x out x in except for the first layer, which needs none.
        var weights = trainer.Model.Parameters.Where(q => q.IsWeight).ToArray();
        long Flops(string name) => profile.Launches.Single(l => l.Name == name).GemmFlops;
        for (int i = 0; i < weights.Length; i++)
        {
            long inputs = weights[i].Columns, outputs = weights[i].Rows;
            Assert.Equal(2L * Rows * inputs * outputs, Flops("Forward" + i));
            Assert.Equal(2L * Rows * ((inputs + 1) * outputs + (i > 0 ? outputs * inputs : 0)), Flops("Backward" + i));
        }
        Assert.Equal(0, Flops("Head"));
        Assert.Equal(0, Flops("Optimizer"));
    }
}
