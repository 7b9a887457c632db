using System;
using EndToEndModels;
using SoftGen.Gpu;
using SoftGen.Tests.Conv;
using SoftGen.Training;
using Xunit;
using static SoftGen.Tests.Gpu.GpuAgreementTests;

namespace SoftGen.Tests.Gpu;

/// <summary>
/// Weighted steps of the generated ILGPU head (on ILGPU's CPU accelerator) against the CPU backend, whose weighted heads
/// SampleWeightTests holds to float64: the loss, every gradient and every parameter after two weighted steps (a row
/// of weight 0 among them) and then an unweighted one (the device's stale weights must not be read), within 1e-4
/// relative, for every loss kind, flat and per pixel. Few rows: the accelerator simulates every thread.
/// </summary>
public sealed class GpuSampleWeightTests
{
    private const int Rows = 6;

    public static TheoryData<string> Cases() => new() { nameof(SmoothTempMlp), nameof(KlMlp), nameof(MultiLabelMlp), "PixelSoftmax", "PixelKl", "PixelSigmoid" };

    private static Func<TrainerOptions, TrainerBase> Create(string name) => name switch
    {
        nameof(SmoothTempMlp) => o => SmoothTempMlp.CreateTrainer(o),
        nameof(KlMlp) => o => KlMlp.CreateTrainer(o),
        nameof(MultiLabelMlp) => o => MultiLabelMlp.CreateTrainer(o),
        _ => ConvCases.All[name].Create,
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Weighted_steps_agree_with_the_CPU_backend(string name)
    {
        var create = Create(name);
        var options = new TrainerOptions { Backend = Backend.Cpu, BatchSize = Rows, ThreadCount = 1, Seed = 5, Optimizer = Optimizer.Adam(0.01f) };
        using var cpu = create(options);
        TrainerBase gpu;
        using (GpuTesting.UseCpuAccelerator())
            gpu = create(options with { Backend = Backend.Gpu });
        using var _ = gpu;
        Assert.Equal(Backend.Gpu, gpu.Backend);

        var random = new Random(17);
        var weights = new float[]?[] { new[] { 2f, 0f, 0.5f, 7f, 1f, 3f }, new[] { 0.25f, 4f, 1f, 1f, 0f, 10f }, null };
        for (int step = 0; step < weights.Length; step++)
        {
            var (x, y) = ConvCases.All.TryGetValue(name, out var conv)
                ? (SoftGen.Tests.EndToEnd.TestData.Inputs(random, Rows, conv.Reference.Input.Size), ConvCases.Targets(random, conv.Reference, Rows))
                : Batch(cpu.Model, random, Rows);
            var w = weights[step];
            float cpuLoss = w is null ? cpu.TrainStep(x, y, Rows) : cpu.TrainStep(x, y, Rows, w);
            float gpuLoss = w is null ? gpu.TrainStep(x, y, Rows) : gpu.TrainStep(x, y, Rows, w);
            string what = w is null ? "unweighted step after weighted ones" : $"weighted step {step + 1}";
            Close(cpuLoss, gpuLoss, $"{name} loss, {what}");
            foreach (var p in cpu.Model.Parameters)
            {
                Close(Read(cpu.GetGradient, p), Read(gpu.GetGradient, p), $"{name} gradient of {p.Name}, {what}");
                Close(Read(cpu.GetParameter, p), Read(gpu.GetParameter, p), $"{name} {p.Name} after the {what}");
            }
        }
    }
}
