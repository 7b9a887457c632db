using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using Classify;
using Microsoft.ML.OnnxRuntime;
using SoftGen;
using SoftGen.Data;
using SoftGen.Onnx;
using SoftGen.Training;

namespace SoftGen.OnnxBenchmark;

/// <summary>
/// Trains FashionCnn on Fashion-MNIST for --steps steps (batch 128, Adam 1e-3), exports it to ONNX, checks that ONNX
/// Runtime gives the same test-set probabilities, then times batches of --batch test images (default 1,024) in
/// SoftGen's PredictProbabilities and in ONNX Runtime's CPU execution provider, both on --threads threads (default
/// 2), alternating rounds in the same process. Prints one JSON object.
///   dotnet run -c Release --project benchmarks/SoftGen.OnnxBenchmark -- [--steps 200] [--batch 1024] [--threads 2] [--rounds 7] [--data DIR]
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var options = new Dictionary<string, string>();
        for (int i = 0; i + 1 < args.Length; i += 2) options[args[i].TrimStart('-')] = args[i + 1];
        int Int(string name, int fallback) => options.TryGetValue(name, out var v) ? int.Parse(v) : fallback;
        int steps = Int("steps", 200), batch = Int("batch", 1024), threads = Int("threads", 2), rounds = Int("rounds", 7);
        string directory = options.GetValueOrDefault("data", "/usr/share/datasets/fashion-mnist");
        string loadAtStart = LoadAverage();

        var train = IdxDataset.Read(Path.Combine(directory, "train-images-idx3-ubyte.gz"), Path.Combine(directory, "train-labels-idx1-ubyte.gz"));
        var test = IdxDataset.Read(Path.Combine(directory, "t10k-images-idx3-ubyte.gz"), Path.Combine(directory, "t10k-labels-idx1-ubyte.gz"));
        float[] trainImages = train.Features.ToArray(), trainTargets = train.Targets.ToArray();
        float[] testImages = test.Features.ToArray(), testTargets = test.Targets.ToArray();
        using var trainer = FashionCnn.CreateTrainer(new TrainerOptions
        {
            Optimizer = Optimizer.Adam(1e-3f), BatchSize = Math.Max(128, batch), Seed = 1, ThreadCount = threads,
        });
        const int trainBatch = 128;
        for (int s = 0; s < steps; s++)
        {
            int start = s * trainBatch % (train.Count - trainBatch);
            trainer.TrainStep(trainImages.AsSpan(start * 784, trainBatch * 784), trainTargets.AsSpan(start * 10, trainBatch * 10), trainBatch);
        }

        string path = Path.Combine(Path.GetTempPath(), $"FashionCnn-{Environment.ProcessId}.onnx");
        trainer.ExportOnnx(path);
        long fileBytes = new FileInfo(path).Length;
        using var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        using var session = new InferenceSession(path, sessionOptions);
        File.Delete(path);

        // Agreement on the whole test set.
        var softgen = new float[test.Count * 10];
        trainer.PredictProbabilities(testImages, softgen, test.Count);
        var onnx = RunOnnx(session, testImages, test.Count);
        double worstAbsolute = 0;
        int sameClass = 0, softgenCorrect = 0, onnxCorrect = 0;
        for (int r = 0; r < test.Count; r++)
        {
            for (int c = 0; c < 10; c++) worstAbsolute = Math.Max(worstAbsolute, Math.Abs(softgen[r * 10 + c] - onnx[r * 10 + c]));
            int a = ArgMax(softgen.AsSpan(r * 10, 10)), b = ArgMax(onnx.AsSpan(r * 10, 10)), label = ArgMax(testTargets.AsSpan(r * 10, 10));
            sameClass += a == b ? 1 : 0;
            softgenCorrect += a == label ? 1 : 0;
            onnxCorrect += b == label ? 1 : 0;
        }

        // Speed: alternate rounds of the same batches, each round about as many images as the test set.
        var probabilities = new float[batch * 10];
        int batches = Math.Max(1, test.Count / batch);
        double SoftGenRound()
        {
            var clock = Stopwatch.StartNew();
            for (int b = 0; b < batches; b++)
                trainer.PredictProbabilities(testImages.AsSpan(b * batch * 784, batch * 784), probabilities, batch);
            return batches * batch / clock.Elapsed.TotalSeconds;
        }
        double OnnxRound()
        {
            var clock = Stopwatch.StartNew();
            for (int b = 0; b < batches; b++)
                RunOnnx(session, testImages.AsMemory(b * batch * 784, batch * 784), batch, probabilities);
            return batches * batch / clock.Elapsed.TotalSeconds;
        }
        SoftGenRound();
        OnnxRound(); // warm-up
        var softgenRates = new List<double>();
        var onnxRates = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            softgenRates.Add(SoftGenRound());
            onnxRates.Add(OnnxRound());
        }

        Console.WriteLine(JsonSerializer.Serialize(new
        {
            model = "FashionCnn",
            onnx_file_bytes = fileBytes,
            parameters = trainer.Model.ParameterCount,
            training_steps = steps,
            batch,
            threads,
            onnxruntime = typeof(InferenceSession).Assembly.GetName().Version?.ToString(),
            softgen_samples_per_second = new { best = Math.Round(softgenRates.Max()), median = Math.Round(Median(softgenRates)) },
            onnxruntime_samples_per_second = new { best = Math.Round(onnxRates.Max()), median = Math.Round(Median(onnxRates)) },
            test_images = test.Count,
            worst_probability_difference = worstAbsolute,
            same_class_fraction = (double)sameClass / test.Count,
            softgen_test_accuracy = (double)softgenCorrect / test.Count,
            onnxruntime_test_accuracy = (double)onnxCorrect / test.Count,
            load_average_at_start = loadAtStart,
            load_average = LoadAverage(),
        }, new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    private static float[] RunOnnx(InferenceSession session, float[] images, int count)
    {
        var probabilities = new float[count * 10];
        RunOnnx(session, images, count, probabilities);
        return probabilities;
    }

    /// <summary>Runs images [count, 1, 28, 28] and copies the "probabilities" output into <paramref name="probabilities"/>.</summary>
    private static void RunOnnx(InferenceSession session, Memory<float> images, int count, float[] probabilities)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, images, new long[] { count, 1, 28, 28 });
        using var output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, probabilities.AsMemory(0, count * 10), new long[] { count, 10 });
        using var runOptions = new RunOptions();
        session.Run(runOptions, new[] { "input" }, new[] { input }, new[] { "probabilities" }, new[] { output });
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted[sorted.Length / 2];
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "";
}
