using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Json;
using SoftGen.Cpu;
using SoftGen.Training;

namespace SoftGen.Benchmarks;

/// <summary>
/// The CPU benchmark on the Fashion-MNIST MLP; prints one JSON object. See BENCHMARKS.md and benchmarks/run.sh.
///   --mode train   (default) training and inference samples/s, bytes allocated per step, peak working set, accuracy
///   --mode peak    the measured fp32 FMA peak: clock, FMA throughput, the formula's factors
///   --mode gemm    the peak, then each GEMM and every other phase of a training step, timed on its own
///   --mode kernels the depthwise convolution, squeeze-excitation and GeM kernels on signal shapes (SignalKernelTimings.cs)
///   --mode clip    training samples/s plain beside a warm-up-cosine schedule with ClipGradientNorm, runs of --steps
///                  steps interleaved, --repeats runs each (default 9), medians and their ratio (ClippingBenchmark.cs)
/// Options: --batch 256 --hidden 512 (128, 512, 1024) --threads 2 --repeats 3 --epochs 5 --infer-batch 1024
///          --steps 10 --passes 30 (gemm: the best of 30 passes of 10 steps, per phase) --data DIR
/// </summary>
public static class Program
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The load average when the program started, before its own threads added to it.</summary>
    private static readonly string? LoadAtStart = LoadAverage();

    public static int Main(string[] args)
    {
        Dictionary<string, string> options;
        try
        {
            options = Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            Console.Error.WriteLine("usage: SoftGen.Benchmarks [--mode train|peak|gemm|kernels|clip] [--batch N] [--hidden 128|512|1024] [--threads N] " +
                "[--repeats N] [--epochs N] [--infer-batch N] [--steps N] [--passes N] [--data DIR]");
            return 2;
        }

        string mode = Get(options, "mode", "train");
        int batch = GetInt(options, "batch", 256);
        int hidden = GetInt(options, "hidden", 512);
        int threads = GetInt(options, "threads", 2);
        string data = Get(options, "data", FashionMnist.DefaultDirectory);
        if (hidden is not (128 or 512 or 1024))
        {
            Console.Error.WriteLine($"error: --hidden {hidden}: the benchmark declares models of hidden width 128, 512 and 1024 only.");
            return 2;
        }

        try
        {
            object result = mode switch
            {
                "peak" => new { machine = Machine(), peak = FmaPeak.Measure(threads) },
                "kernels" => new { machine = Machine(), kernels = SignalKernelTimings.Measure(GetInt(options, "batch", 64), threads,
                    GetInt(options, "steps", 10), GetInt(options, "passes", 30)) },
                "gemm" => Gemm(batch, hidden, threads, GetInt(options, "steps", 10), GetInt(options, "passes", 30), data),
                "train" => Train(batch, hidden, threads, GetInt(options, "repeats", 3), GetInt(options, "epochs", 5),
                    GetInt(options, "infer-batch", 1024), data),
                "clip" => Clip(batch, hidden, threads, GetInt(options, "repeats", 9), GetInt(options, "steps", 100), data),
                _ => throw new ArgumentException($"--mode {mode} is not one of train, peak, gemm, kernels, clip."),
            };
            Console.WriteLine(JsonSerializer.Serialize(result, Json));
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 1;
        }
    }

    private static object Train(int batch, int hidden, int threads, int repeats, int epochs, int inferBatch, string directory)
    {
        var train = FashionMnist.Load(directory, train: true);
        var test = FashionMnist.Load(directory, train: false);
        var (create, name) = Model(hidden);
        var result = TrainingBenchmark.Run(create, name, train, test, batch, threads, repeats, epochs, inferBatch);
        return new { machine = Machine(), result };
    }

    private static object Clip(int batch, int hidden, int threads, int repeats, int steps, string directory)
    {
        if (repeats < 1 || steps < 1) throw new ArgumentException("--repeats and --steps must be at least 1 for --mode clip.");
        var train = FashionMnist.Load(directory, train: true);
        var (create, name) = Model(hidden);
        var result = ClippingBenchmark.Run(create, name, train, batch, threads, repeats, steps);
        return new { machine = Machine(), result };
    }

    private static object Gemm(int batch, int hidden, int threads, int steps, int passes, string directory)
    {
        var peak = FmaPeak.Measure(threads);
        var train = FashionMnist.Load(directory, train: true);
        List<Phase> phases = hidden switch
        {
            128 => Profile<Shape784x128, Shape128x64, Shape64x10>(batch, threads, Mlp128.Trainer.ModelInfo, train, steps, passes, peak.GflopsFormula),
            512 => Profile<Shape784x512, Shape512x256, Shape256x10>(batch, threads, Mlp512.Trainer.ModelInfo, train, steps, passes, peak.GflopsFormula),
            _ => Profile<Shape784x1024, Shape1024x512, Shape512x10>(batch, threads, Mlp1024.Trainer.ModelInfo, train, steps, passes, peak.GflopsFormula),
        };
        var gemms = phases.Where(p => p.Kind == "gemm").ToList();
        double gemmMicroseconds = gemms.Sum(p => p.MicrosecondsPerStep);
        double gemmGflops = gemms.Sum(p => 2.0 * p.M * p.N * p.K) / (gemmMicroseconds * 1e-6) / 1e9;
        double stepMicroseconds = phases.Sum(p => p.MicrosecondsPerStep);
        return new
        {
            machine = Machine(),
            peak,
            model = $"784-{hidden}-{hidden / 2}-10",
            batch,
            threads,
            peak_gflops_used = peak.GflopsFormula,
            phases,
            step_microseconds = stepMicroseconds,
            step_samples_per_second = batch / (stepMicroseconds * 1e-6),
            gemm_microseconds = gemmMicroseconds,
            gemm_share_of_step = gemmMicroseconds / stepMicroseconds,
            gemm_gflops = gemmGflops,
            gemm_percent_of_peak = 100 * gemmGflops / peak.GflopsFormula,
        };
    }

    private static List<Phase> Profile<L0, L1, L2>(int batch, int threads, ModelInfo model, FashionMnist data, int steps, int passes, double peak)
        where L0 : struct, IDenseShape where L1 : struct, IDenseShape where L2 : struct, IDenseShape
    {
        using var profile = new StepProfile<L0, L1, L2>(batch, threads, model, data);
        return profile.Measure(steps, passes, peak);
    }

    private static (Func<TrainerOptions, TrainerBase> Create, string Name) Model(int hidden) => hidden switch
    {
        128 => (o => Mlp128.CreateTrainer(o), "784-128-64-10"),
        512 => (o => Mlp512.CreateTrainer(o), "784-512-256-10"),
        _ => (o => Mlp1024.CreateTrainer(o), "784-1024-512-10"),
    };

    private static object Machine() => new
    {
        cpu = CpuModel(),
        logical_processors = Environment.ProcessorCount,
        avx512 = Vector512.IsHardwareAccelerated,
        runtime = RuntimeInformation.FrameworkDescription,
        load_average_at_start = LoadAtStart,
        load_average = LoadAverage(),
        utc = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
    };

    private static string CpuModel()
    {
        const string cpuinfo = "/proc/cpuinfo";
        if (File.Exists(cpuinfo))
            foreach (var line in File.ReadLines(cpuinfo))
                if (line.StartsWith("model name", StringComparison.Ordinal))
                    return line[(line.IndexOf(':') + 1)..].Trim();
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    /// <summary>The 1, 5 and 15 minute load averages (Linux), to judge how busy the machine was.</summary>
    private static string? LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : null;

    private static Dictionary<string, string> Parse(string[] args)
    {
        var options = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"expected '--name value' pairs, found '{args[i]}'.");
            options[args[i][2..]] = args[++i];
        }
        var known = new HashSet<string> { "mode", "batch", "hidden", "threads", "repeats", "epochs", "infer-batch", "steps", "passes", "data" };
        foreach (var key in options.Keys)
            if (!known.Contains(key)) throw new ArgumentException($"unknown option --{key}.");
        return options;
    }

    private static string Get(Dictionary<string, string> options, string name, string fallback) =>
        options.TryGetValue(name, out var value) ? value : fallback;

    private static int GetInt(Dictionary<string, string> options, string name, int fallback)
    {
        if (!options.TryGetValue(name, out var text)) return fallback;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < 0)
            throw new ArgumentException($"--{name} {text} is not a non-negative integer.");
        return value;
    }
}
