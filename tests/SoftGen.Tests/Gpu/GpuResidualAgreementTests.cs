using System;
using System.IO;
using System.Linq;
using GpuResidualModels;
using ResidualModels;
using SoftGen.Gpu;
using SoftGen.Training;
using Xunit;
using static SoftGen.Tests.Gpu.GpuAgreementTests;

namespace SoftGen.Tests.Gpu;

/// <summary>
/// The generated GPU programs of residual networks (batch norm over images and rows, layer norm, identity and projection
/// shortcuts, layers without bias, SiLU, ELU and Mish), run on ILGPU's CPU accelerator, against the CPU backend (itself
/// checked against float64 references and finite differences in tests/SoftGen.Tests/Residual): prediction with the
/// running statistics, the loss, every gradient and the running statistics after a training step, the parameters and
/// statistics after Adam steps, within 1e-4 relative (see <see cref="Close(float[], float[], string)"/>). Every parameter and running statistic is perturbed first, so that
/// no term hides behind an initial 1 or 0. Few rows: the accelerator simulates every thread.
/// </summary>
public sealed class GpuResidualAgreementTests
{
    private const int Rows = 6;

    public static TheoryData<string> Models() => new() { nameof(TinyResNet), nameof(NormMlp), nameof(ConvBnNet), nameof(GpuResidualEdgeNet) };

    private static TrainerBase Create(string model, TrainerOptions options) => model switch
    {
        nameof(TinyResNet) => TinyResNet.CreateTrainer(options),
        nameof(NormMlp) => NormMlp.CreateTrainer(options),
        nameof(ConvBnNet) => ConvBnNet.CreateTrainer(options),
        nameof(GpuResidualEdgeNet) => GpuResidualEdgeNet.CreateTrainer(options),
        _ => throw new ArgumentException(model),
    };

    /// <summary>
    /// Launches per training step, counted by hand from the declarations: forward (Dense, Conv2D, pool: 1; BatchNorm:
    /// 3; LayerNorm: 2; a block end: its add unless its last batch norm adds the shortcut, a projection 4), the head,
    /// backward from the first layer with parameters (Dense 1, Conv2D 2, pool 1, BatchNorm 3 or 2 at the first,
    /// LayerNorm 4, a block end: act' of its last layer unless it has none, a projection 5, a Join where the block's
    /// input needs a gradient), the optimizer.
    /// </summary>
    private static int LaunchesPerStep(string model) => model switch
    {
        // conv bn | conv bn conv bn conv bn(+add) | conv bn conv [proj 4] bn(+add) | gap dense
        nameof(TinyResNet) => (1 + 3 + 1 + 3 + 1 + 3 + 0 + 1 + 3 + 1 + 4 + 3 + 0 + 1 + 1) + 1
            // dense gap | end (proj 5) bn conv bn conv [join] | end bn conv bn conv [join] | bn conv
            + (1 + 1 + 5 + 3 + 2 + 3 + 2 + 1 + 0 + 3 + 2 + 3 + 2 + 1 + 3 + 2) + 1,
        // dense bn dense ln dense add dense | dense add' dense ln dense [join] bn dense
        nameof(NormMlp) => (1 + 3 + 1 + 2 + 1 + 1 + 1) + 1 + (1 + 1 + 1 + 4 + 1 + 1 + 3 + 1) + 1,
        // conv bn conv pool [proj 4] conv end-add gap dense bn dense | dense bn dense gap end(proj 5) conv pool conv [join] bn conv
        nameof(ConvBnNet) => (1 + 3 + 1 + 1 + 4 + 1 + 1 + 1 + 1 + 3 + 1) + 1 + (1 + 3 + 1 + 1 + 5 + 2 + 1 + 2 + 1 + 3 + 2) + 1,
        // pool [proj 4] conv bn(+add) conv bn conv bn add gap dense ln dense
        // | dense ln dense gap end (relu' 1) [join] bn conv bn conv end (proj 5, no input gradient) bn conv (the first)
        nameof(GpuResidualEdgeNet) => (1 + 4 + 1 + 3 + 1 + 3 + 1 + 3 + 1 + 1 + 1 + 2 + 1) + 1
            + (1 + 4 + 1 + 1 + 1 + 3 + 2 + 1 + 3 + 2 + 5 + 3 + 2) + 1,
        _ => throw new ArgumentException(model),
    };

    /// <summary>
    /// Adam with epsilon 1e-3: the bias of a layer directly before a batch norm has a gradient of exactly 0 in real
    /// arithmetic, and so rounding noise (1e-8) on either backend, which the default epsilon would turn into steps of
    /// plus or minus the learning rate, apart on the two backends (and then in the running means, which see the bias).
    /// </summary>
    private static TrainerOptions Options => new()
    {
        Backend = Backend.Cpu, BatchSize = Rows, ThreadCount = 1, Seed = 4, Optimizer = Optimizer.Adam(0.01f, epsilon: 1e-3f),
    };

    private static TrainerBase OpenGpu(string model, TrainerOptions options)
    {
        using (GpuTesting.UseCpuAccelerator())
            return Create(model, options with { Backend = Backend.Gpu });
    }

    /// <summary>Every parameter moved by up to 0.25 and every running statistic set at random (variances in [0.5, 1.5)), the same on both trainers.</summary>
    internal static void Perturb(TrainerBase cpu, TrainerBase gpu, int seed)
    {
        var random = new Random(seed);
        foreach (var p in cpu.Model.Parameters)
        {
            var values = Read(cpu.GetParameter, p);
            for (int i = 0; i < values.Length; i++) values[i] += 0.5f * ((float)random.NextDouble() - 0.5f);
            cpu.SetParameter(p.Name, values);
            gpu.SetParameter(p.Name, values);
        }
        foreach (var b in cpu.Model.Buffers.Where(b => !b.IsInt64))
        {
            var values = new float[b.Length];
            for (int i = 0; i < values.Length; i++)
                values[i] = b.Kind == BufferKind.RunningVar ? 0.5f + (float)random.NextDouble() : (float)random.NextDouble() - 0.5f;
            cpu.SetBuffer(b.Name, values);
            gpu.SetBuffer(b.Name, values);
        }
    }

    internal static float[] Buffer(TrainerBase trainer, BufferInfo b)
    {
        var values = new float[b.Length];
        trainer.GetBuffer(b.Name, values);
        return values;
    }

    internal static void BuffersAgree(TrainerBase cpu, TrainerBase gpu, string when)
    {
        foreach (var b in cpu.Model.Buffers)
        {
            if (b.IsInt64)
                Assert.Equal(cpu.GetBatchesTracked(b.Name), gpu.GetBatchesTracked(b.Name));
            else
                Close(Buffer(cpu, b), Buffer(gpu, b), $"{b.Name} {when}");
        }
    }

    internal static void PredictionsAgree(TrainerBase cpu, TrainerBase gpu, Random random, string when)
    {
        int count = 2 * Rows + 1; // more rows than the capacity: predicted in chunks, the last of one row
        var x = Uniform(random, count * cpu.Model.Inputs, -2, 2);
        int width = cpu.Model.OutputsPerRow;
        float[] expected = new float[count * width], actual = new float[count * width];
        cpu.PredictProbabilities(x, expected, count);
        gpu.PredictProbabilities(x, actual, count);
        Close(expected, actual, "probabilities " + when);
        cpu.PredictLogits(x, expected, count);
        gpu.PredictLogits(x, actual, count);
        Close(expected, actual, "logits " + when);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_GPU_program_agrees_with_the_CPU_backend(string model)
    {
        using var cpu = Create(model, Options);
        using var gpu = OpenGpu(model, Options);
        Assert.Equal(Backend.Gpu, gpu.Backend);
        Assert.Equal(LaunchesPerStep(model), gpu.LaunchesPerStep);
        Perturb(cpu, gpu, seed: 11);
        var random = new Random(29);
        PredictionsAgree(cpu, gpu, random, "with the perturbed running statistics");

        for (int step = 1; step <= 3; step++)
        {
            var (x, y) = Batch(cpu.Model, random, Rows);
            Close(cpu.TrainStep(x, y, Rows), gpu.TrainStep(x, y, Rows), $"loss at step {step}");
            foreach (var p in cpu.Model.Parameters)
            {
                Close(Read(cpu.GetGradient, p), Read(gpu.GetGradient, p), $"gradient of {p.Name} at step {step}");
                Close(Read(cpu.GetParameter, p), Read(gpu.GetParameter, p), $"{p.Name} after step {step}");
            }
            BuffersAgree(cpu, gpu, $"after step {step}");
        }
        PredictionsAgree(cpu, gpu, random, "after three Adam steps");

        // A partial batch: the statistics over fewer rows.
        var (px, py) = Batch(cpu.Model, random, 3);
        Close(cpu.TrainStep(px, py, 3), gpu.TrainStep(px, py, 3), "loss of a 3-row batch");
        BuffersAgree(cpu, gpu, "after a 3-row batch");
    }

    /// <summary>
    /// A checkpoint moves CPU -> GPU -> CPU with the running statistics (and num_batches_tracked) intact: each load
    /// reproduces them exactly, and training resumes where the CPU reference is.
    /// </summary>
    [Fact]
    public void A_checkpoint_moves_CPU_to_GPU_to_CPU_with_its_running_statistics()
    {
        const string model = nameof(TinyResNet);
        var random = new Random(8);
        var batches = Enumerable.Range(0, 5).Select(_ => Batch(TinyResNet.Trainer.ModelInfo, random, Rows)).ToArray();
        using var reference = Create(model, Options);
        for (int b = 0; b < 2; b++) reference.TrainStep(batches[b].X, batches[b].Y, Rows);

        var fromCpu = new MemoryStream();
        reference.SaveCheckpoint(fromCpu);
        using var gpu = OpenGpu(model, Options);
        gpu.TrainStep(batches[4].X, batches[4].Y, Rows); // a step of its own first: the load must overwrite its statistics
        fromCpu.Position = 0;
        gpu.LoadCheckpoint(fromCpu);
        foreach (var b in reference.Model.Buffers)
        {
            if (b.IsInt64) Assert.Equal(2, gpu.GetBatchesTracked(b.Name));
            else Assert.Equal(Buffer(reference, b), Buffer(gpu, b));
        }

        for (int b = 2; b < 4; b++)
            Close(reference.TrainStep(batches[b].X, batches[b].Y, Rows), gpu.TrainStep(batches[b].X, batches[b].Y, Rows), $"loss of the GPU resumed from the CPU, step {b + 1}");
        BuffersAgree(reference, gpu, "on the GPU after two resumed steps");

        var fromGpu = new MemoryStream();
        gpu.SaveCheckpoint(fromGpu);
        using var back = Create(model, Options);
        fromGpu.Position = 0;
        back.LoadCheckpoint(fromGpu);
        Assert.Equal(4, back.Step);
        foreach (var b in reference.Model.Buffers)
        {
            if (b.IsInt64) Assert.Equal(4, back.GetBatchesTracked(b.Name));
            else Assert.Equal(Buffer(gpu, b), Buffer(back, b));
        }
        foreach (var p in reference.Model.Parameters)
            Assert.Equal(Read(gpu.GetParameter, p), Read(back.GetParameter, p));
        PredictionsAgree(reference, back, random, "of the CPU resumed from the GPU");
    }

    internal static void Close(float expected, float actual, string what) => Close(new[] { expected }, new[] { actual }, what);

    /// <summary>
    /// |gpu - cpu| &lt;= 1e-4 of the larger of the element and a fifth of the tensor's largest magnitude: batch norm's
    /// backward over a few dozen positions subtracts means that cancel an element's leading digits, so a small element
    /// carries the absolute rounding error of its tensor (measured: up to 1e-5 of the largest magnitude).
    /// </summary>
    internal static void Close(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float scale = expected.Max(MathF.Abs);
        for (int i = 0; i < expected.Length; i++)
        {
            float tolerance = 1e-4f * MathF.Max(MathF.Abs(expected[i]), 0.2f * scale) + 1e-7f;
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= tolerance, $"{what}[{i}]: CPU {expected[i]}, GPU kernels {actual[i]} (tolerance {tolerance})");
        }
    }

    private static float[] Uniform(Random random, int count, float low, float high)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = low + (high - low) * (float)random.NextDouble();
        return values;
    }
}
