using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using Classify;

namespace SoftGen.CnnBenchmark;

/// <summary>
/// The CPU benchmark of the Fashion-MNIST image models; prints one JSON object (see BENCHMARKS.md).
///   --model cnn    (default) FashionCnn; --model resnet: FashionResNet (batch norm, residual blocks);
///   --model signals: examples/Signals' EegNet (Conv1D, squeeze-excitation, GeM; --mode train only, random signals)
///   --mode train   (default) training and inference samples/s, bytes allocated per step
///   --mode phases  each kernel of a training step timed on its own, with its GFLOP/s and share of the step
///                  (--model signal: the convolutions of issue 14's signal model, forward and both gradients)
/// Options: --batch 128 --threads 2 --steps 60 --infer-batch 1024 --passes 20 --data DIR
/// </summary>
public static class Program
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>/proc/loadavg before this run's own threads add to it.</summary>
    private static readonly string? LoadAtStart = LoadAverage();

    public static int Main(string[] args)
    {
        var options = new Dictionary<string, string>();
        for (int i = 0; i + 1 < args.Length; i += 2)
            options[args[i].TrimStart('-')] = args[i + 1];
        if (args.Length % 2 != 0)
        {
            Console.Error.WriteLine("usage: SoftGen.CnnBenchmark [--model cnn|resnet|signal|signals] [--mode train|phases] [--batch N] [--threads N] [--steps N] [--infer-batch N] [--passes N] [--data DIR]");
            return 2;
        }
        int Int(string name, int fallback) => options.TryGetValue(name, out var v) ? int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;
        string mode = options.GetValueOrDefault("mode", "train");
        bool resnet = options.GetValueOrDefault("model", "cnn") == "resnet", signal = options.GetValueOrDefault("model", "cnn") == "signal";
        int batch = Int("batch", 128), threads = Int("threads", 2);
        string name = signal ? "SignalConvolutions" : resnet ? "FashionResNet" : "FashionCnn";
        if (options.GetValueOrDefault("model") == "signals")
        {
            Console.WriteLine(JsonSerializer.Serialize(SignalsBenchmark.Train(Int("batch", 64), threads, Int("steps", 100), Int("infer-batch", 1024), LoadAtStart, LoadAverage), Json));
            return 0;
        }
        object result = mode switch
        {
            "phases" => new
            {
                model = name, batch, threads, vector512_hardware_accelerated = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, load_average_at_start = LoadAtStart,
                phases = signal ? SignalPhases.Measure(batch, threads, Int("passes", 20)) : resnet ? (object)ResNetPhases.Measure(batch, threads, Int("passes", 20)) : Phases.Measure(batch, threads, Int("passes", 20)),
                load_average = LoadAverage(),
            },
            _ => Train(name, batch, threads, Int("steps", 60), Int("infer-batch", 1024), options.GetValueOrDefault("data", "/usr/share/datasets/fashion-mnist")),
        };
        Console.WriteLine(JsonSerializer.Serialize(result, Json));
        return 0;
    }

    /// <summary>Forward GFLOP per sample (2 per multiply-add) of each model's GEMMs.</summary>
    public static double FlopPerSample(string model) => model == "FashionResNet"
        ? 2.0 * (784 * 16 * 9 + 2 * 784 * 16 * 144 + 196 * 32 * 144 + 196 * 32 * 288 + 196 * 32 * 16 + 49 * 64 * 288 + 49 * 64 * 576 + 49 * 64 * 32 + 64 * 10)
        : 2.0 * (784 * 32 * 9 + 196 * 64 * 288 + 3136 * 128 + 128 * 10);

    private static object Train(string model, int batch, int threads, int steps, int inferBatch, string directory)
    {
        var (images, targets, count) = Load(directory);
        var options = new TrainerOptions { Optimizer = model == "FashionResNet" ? Optimizer.AdamW(1e-3f) : Optimizer.Adam(1e-3f), BatchSize = Math.Max(batch, inferBatch), Seed = 1, ThreadCount = threads };
        using SoftGen.Training.TrainerBase trainer = model == "FashionResNet" ? FashionResNet.CreateTrainer(options) : FashionCnn.CreateTrainer(options);
        int Step(int s)
        {
            int start = s * batch % (count - batch);
            trainer.TrainStep(images.AsSpan(start * 784, batch * 784), targets.AsSpan(start * 10, batch * 10), batch);
            return start;
        }
        for (int s = 0; s < 10; s++) Step(s);

        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        for (int s = 0; s < steps; s++) Step(s);
        double trainSeconds = clock.Elapsed.TotalSeconds;
        long bytesPerStep = (GC.GetAllocatedBytesForCurrentThread() - allocated) / steps;

        // Prediction at the training batch and at --infer-batch (each call predicts that many rows); the best counts.
        var probabilities = new float[Math.Max(batch, inferBatch) * 10];
        double InferRate(int size)
        {
            trainer.PredictProbabilities(images.AsSpan(0, size * 784), probabilities.AsSpan(0, size * 10), size);
            int passes = Math.Max(3, steps * batch / size);
            var timer = Stopwatch.StartNew();
            for (int p = 0; p < passes; p++)
                trainer.PredictProbabilities(images.AsSpan((p * size % (count - size)) * 784, size * 784), probabilities.AsSpan(0, size * 10), size);
            return passes * size / timer.Elapsed.TotalSeconds;
        }
        double inferAtBatch = InferRate(batch), inferAtInferBatch = InferRate(inferBatch);

        double flopPerSample = FlopPerSample(model);
        return new
        {
            model,
            framework = "SoftGen " + typeof(SoftGen.Training.TrainerBase).Assembly.GetName().Version,
            batch,
            threads,
            vector512_hardware_accelerated = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated,
            train_samples_per_second = Math.Round(steps * batch / trainSeconds),
            infer_samples_per_second = Math.Round(Math.Max(inferAtBatch, inferAtInferBatch)),
            infer_samples_per_second_at_batch = Math.Round(inferAtBatch),
            infer_samples_per_second_at_infer_batch = Math.Round(inferAtInferBatch),
            bytes_allocated_per_step = bytesPerStep,
            forward_gflop_per_sample = Math.Round(flopPerSample / 1e9, 5),
            train_gflop_per_second = Math.Round(3 * flopPerSample * steps * batch / trainSeconds / 1e9, 1),
            load_average_at_start = LoadAtStart,
            load_average = LoadAverage(),
        };
    }

    private static string? LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : null;

    private static (float[] Images, float[] Targets, int Count) Load(string directory)
    {
        var images = SoftGen.Data.IdxFile.Read(Path.Combine(directory, "train-images-idx3-ubyte.gz"));
        var labels = SoftGen.Data.IdxFile.Read(Path.Combine(directory, "train-labels-idx1-ubyte.gz"));
        var x = images.Data.Select(b => b / 255f).ToArray();
        var y = new float[labels.Count * 10];
        for (int i = 0; i < labels.Count; i++) y[i * 10 + labels.Data[i]] = 1f;
        return (x, y, labels.Count);
    }
}
