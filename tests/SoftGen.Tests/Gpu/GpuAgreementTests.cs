using System;
using System.Linq;
using EndToEndModels;
using SoftGen.Gpu;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Gpu;

/// <summary>
/// The generated ILGPU kernels, run on ILGPU's CPU accelerator, against the CPU backend (itself checked against float64
/// references in the end-to-end tests): probabilities, logits, loss, every gradient and the updated parameters agree
/// within 1e-4 relative, for every loss and activation and for SGD with momentum, Adam and AdamW, and each model with
/// its Dense GEMMs in 64 x 64 tiles, in 32 x 32 tiles (4 slices over k), and as the rule picks per launch (on the
/// one-multiprocessor CPU accelerator: 64 x 64 where a launch has 2 groups of them, else 32 x 32). 70 rows, so that
/// the row tiles of either shape end in a partial tile; WideGpuMlp has partial column and k tiles too.
/// </summary>
public sealed class GpuAgreementTests
{
    private const int Rows = 70;

    public static TheoryData<string, string, GemmTiles> Cases()
    {
        var data = new TheoryData<string, string, GemmTiles>();
        var tiles = new[] { GemmTiles.Large, GemmTiles.Small, GemmTiles.ByRule };
        foreach (var model in new[] { "SmoothTempMlp", "KlMlp", "MultiLabelMlp", "LinearSoftmax", "WideGpuMlp" })
        {
            var optimizers = new[] { "Sgd", "Adam", "AdamW" };
            for (int i = 0; i < optimizers.Length; i++)
                data.Add(model, optimizers[i], tiles[i]);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Kernels_agree_with_the_CPU_backend(string model, string optimizer, GemmTiles tiles)
    {
        var o = optimizer switch
        {
            "Sgd" => Optimizer.Sgd(0.1f, momentum: 0.9f),
            "Adam" => Optimizer.Adam(0.01f),
            _ => Optimizer.AdamW(0.01f, weightDecay: 0.1f),
        };
        var cpuOptions = new TrainerOptions { Backend = Backend.Cpu, BatchSize = Rows, ThreadCount = 1, Seed = 7, Optimizer = o };
        using var cpu = Create(model, cpuOptions);
        TrainerBase gpu;
        using (GpuTesting.UseCpuAccelerator(tiles))
            gpu = Create(model, cpuOptions with { Backend = Backend.Gpu });
        using var _ = gpu;
        Assert.Equal(Backend.Gpu, gpu.Backend);
        Assert.Equal(2 * (cpu.Model.Parameters.Count / 2) + 2, gpu.LaunchesPerStep);

        var random = new Random(11);
        var (x, y) = Batch(cpu.Model, random, Rows);
        for (int step = 1; step <= 2; step++)
        {
            float cpuLoss = cpu.TrainStep(x, y, Rows), gpuLoss = gpu.TrainStep(x, y, Rows);
            Close(cpuLoss, gpuLoss, $"loss at step {step}");
            foreach (var p in cpu.Model.Parameters)
            {
                Close(Read(cpu.GetGradient, p), Read(gpu.GetGradient, p), $"gradient of {p.Name} at step {step}");
                Close(Read(cpu.GetParameter, p), Read(gpu.GetParameter, p), $"{p.Name} after step {step}");
            }
            (x, y) = Batch(cpu.Model, random, Rows);
        }

        int classes = cpu.Model.Classes;
        var (px, _) = Batch(cpu.Model, random, 150); // more rows than the capacity: predicted in chunks
        var expected = new float[150 * classes];
        var actual = new float[150 * classes];
        cpu.PredictProbabilities(px, expected, 150);
        gpu.PredictProbabilities(px, actual, 150);
        Close(expected, actual, "probabilities");
        cpu.PredictLogits(px, expected, 150);
        gpu.PredictLogits(px, actual, 150);
        Close(expected, actual, "logits");
    }

    [Fact]
    public void Parameters_set_on_the_host_reach_the_device_and_Fit_and_Evaluate_run_there()
    {
        var options = new TrainerOptions { BatchSize = 32, ThreadCount = 1, Seed = 3, Optimizer = Optimizer.Adam(0.05f) };
        using var cpu = KlMlp.CreateTrainer(options);
        KlMlp.Trainer gpu;
        using (GpuTesting.UseCpuAccelerator())
            gpu = KlMlp.CreateTrainer(options with { Backend = Backend.Gpu });
        using var _ = gpu;

        // A weight changed on the host after a step must be the one the device trains with.
        var random = new Random(5);
        var (x, y) = Batch(cpu.Model, random, 40);
        cpu.TrainStep(x.AsSpan(0, 32 * 6), y.AsSpan(0, 32 * 6), 32);
        gpu.TrainStep(x.AsSpan(0, 32 * 6), y.AsSpan(0, 32 * 6), 32);
        var w = new float[9 * 6];
        for (int i = 0; i < w.Length; i++) w[i] = (float)(random.NextDouble() - 0.5);
        cpu.SetParameter("layers.0.weight", w);
        gpu.SetParameter("layers.0.weight", w);

        cpu.Fit(x, y, epochs: 2);
        gpu.Fit(x, y, epochs: 2);
        foreach (var p in cpu.Model.Parameters)
            Close(Read(cpu.GetParameter, p), Read(gpu.GetParameter, p), p.Name + " after Fit");
        var a = cpu.Evaluate(x, y);
        var b = gpu.Evaluate(x, y);
        Close((float)a.Kl, (float)b.Kl, "Evaluate's KL");
        Assert.Equal(a.Accuracy, b.Accuracy);
        var classesCpu = new int[40];
        var classesGpu = new int[40];
        cpu.PredictClasses(x, classesCpu, 40);
        gpu.PredictClasses(x, classesGpu, 40);
        Assert.Equal(classesCpu, classesGpu);
    }

    [Fact]
    public void Auto_without_a_GPU_takes_the_CPU_and_Gpu_says_why_not()
    {
        // This machine (and CI) has no CUDA or OpenCL device; where one exists, Auto must take it.
        var options = new TrainerOptions { BatchSize = 8, ThreadCount = 1 };
        using var auto = KlMlp.CreateTrainer(options with { Backend = Backend.Auto });
        Assert.Equal(GpuDevice.IsGpuAvailable ? Backend.Gpu : Backend.Cpu, auto.Backend);
        if (!GpuDevice.IsGpuAvailable)
        {
            Assert.Null(auto.DeviceName);
            var e = Assert.Throws<NotSupportedException>(() => KlMlp.CreateTrainer(options with { Backend = Backend.Gpu }));
            Assert.Contains("no CUDA or OpenCL device", e.Message);
        }
    }

    private static TrainerBase Create(string model, TrainerOptions options) => model switch
    {
        "SmoothTempMlp" => SmoothTempMlp.CreateTrainer(options),
        "KlMlp" => KlMlp.CreateTrainer(options),
        "MultiLabelMlp" => MultiLabelMlp.CreateTrainer(options),
        "LinearSoftmax" => LinearSoftmax.CreateTrainer(options),
        "WideGpuMlp" => GpuDenseModels.WideGpuMlp.CreateTrainer(options),
        _ => throw new ArgumentException(model),
    };

    internal delegate void Reader(string name, Span<float> destination);

    internal static float[] Read(Reader read, ParameterInfo p)
    {
        var values = new float[p.Length];
        read(p.Name, values);
        return values;
    }

    /// <summary>Random features in [-2, 2); targets: rows of a distribution (softmax family) or per-class probabilities.</summary>
    internal static (float[] X, float[] Y) Batch(ModelInfo model, Random random, int rows)
    {
        var x = new float[rows * model.Inputs];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 4 - 2);
        int c = model.Classes;
        var y = new float[rows * c];
        for (int r = 0; r < rows; r++)
        {
            if (model.TargetsAreDistributions)
            {
                double sum = 0;
                for (int k = 0; k < c; k++) sum += y[r * c + k] = k == r % c ? 0f : (float)random.NextDouble(); // one zero target per row
                for (int k = 0; k < c; k++) y[r * c + k] = (float)(y[r * c + k] / sum);
            }
            else
                for (int k = 0; k < c; k++) y[r * c + k] = (float)random.NextDouble();
        }
        return (x, y);
    }

    internal static void Close(float expected, float actual, string what) => Close(new[] { expected }, new[] { actual }, what);

    /// <summary>
    /// |gpu - cpu| &lt;= 1e-4 relative, measured against the larger of the element and 1% of the tensor's largest
    /// magnitude (a gradient element that is a cancellation near 0 carries the absolute error of its neighbours).
    /// </summary>
    internal static void Close(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        float scale = expected.Max(MathF.Abs);
        for (int i = 0; i < expected.Length; i++)
        {
            float tolerance = 1e-4f * MathF.Max(MathF.Abs(expected[i]), 0.01f * scale) + 1e-7f;
            if (!(MathF.Abs(expected[i] - actual[i]) <= tolerance))
                Assert.Fail($"{what}[{i}]: CPU {expected[i]:R}, GPU kernels {actual[i]:R} (tolerance {tolerance:R})");
        }
    }
}
