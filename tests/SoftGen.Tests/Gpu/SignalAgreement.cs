using System;
using SoftGen.Gpu;
using SoftGen.Training;
using Xunit;
using static SoftGen.Tests.Gpu.GpuResidualAgreementTests;

namespace SoftGen.Tests.Gpu;

/// <summary>
/// The agreement check of the issue-14 models' GPU programs (on ILGPU's CPU accelerator) with the CPU backend, as
/// GpuResidualAgreementTests checks residual networks: the launch count, every parameter and running statistic
/// perturbed the same on both, predictions, then three Adam steps (loss, every gradient, every parameter, the running
/// statistics), predictions again.
/// </summary>
internal static class SignalAgreement
{
    /// <summary>Rows per batch, as in GpuResidualAgreementTests (whose prediction check predicts 2 x 6 + 1 rows).</summary>
    public const int Rows = 6;

    private static TrainerOptions Options => new()
    {
        Backend = Backend.Cpu, BatchSize = Rows, ThreadCount = 1, Seed = 4, Optimizer = Optimizer.Adam(0.01f, epsilon: 1e-3f),
    };

    public static void Run(Func<TrainerOptions, TrainerBase> create, int launchesPerStep)
    {
        using var cpu = create(Options);
        TrainerBase gpu;
        using (GpuTesting.UseCpuAccelerator())
            gpu = create(Options with { Backend = Backend.Gpu });
        using var _ = gpu;
        Assert.Equal(Backend.Gpu, gpu.Backend);
        Assert.Equal(launchesPerStep, gpu.LaunchesPerStep);
        Perturb(cpu, gpu, seed: 11);
        var random = new Random(29);
        PredictionsAgree(cpu, gpu, random, "with the perturbed parameters");

        for (int step = 1; step <= 3; step++)
        {
            var x = new float[Rows * cpu.Model.Inputs];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 4 - 2);
            var y = Targets(cpu.Model, random, Rows);
            Close(cpu.TrainStep(x, y, Rows), gpu.TrainStep(x, y, Rows), $"loss at step {step}");
            foreach (var p in cpu.Model.Parameters)
            {
                Close(GpuAgreementTests.Read(cpu.GetGradient, p), GpuAgreementTests.Read(gpu.GetGradient, p), $"gradient of {p.Name} at step {step}");
                Close(GpuAgreementTests.Read(cpu.GetParameter, p), GpuAgreementTests.Read(gpu.GetParameter, p), $"{p.Name} after step {step}");
            }
            BuffersAgree(cpu, gpu, $"after step {step}");
        }
        PredictionsAgree(cpu, gpu, random, "after three Adam steps");
    }

    /// <summary>Per value in [0, 1), or for the softmax family a distribution over the classes of each row and position (NCHW).</summary>
    private static float[] Targets(ModelInfo info, Random random, int rows)
    {
        var y = new float[rows * info.OutputsPerRow];
        for (int i = 0; i < y.Length; i++) y[i] = (float)random.NextDouble();
        if (!info.TargetsAreDistributions) return y;
        int classes = info.Classes, positions = info.OutputPixels;
        for (int r = 0; r < rows; r++)
            for (int q = 0; q < positions; q++)
            {
                float sum = 0f;
                for (int c = 0; c < classes; c++) sum += y[(r * classes + c) * positions + q];
                for (int c = 0; c < classes; c++) y[(r * classes + c) * positions + q] /= sum;
            }
        return y;
    }
}
