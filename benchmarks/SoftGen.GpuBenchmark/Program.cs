using System;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GpuBenchmark;
using SoftGen;

// Trains FashionMlp (784-512-256-10 ReLU, soft-target cross-entropy, Adam, fp32) on random data of that shape and
// prints one JSON object: first-step latency (device setup and kernel compilation included), training samples/s at
// batch 256 and 4096 (after warm-up; every TrainStep waits for its loss, so the timed steps are synchronised),
// inference samples/s at batch 65536, and the kernel launches per step.
// Usage: SoftGen.GpuBenchmark [--backend gpu|auto|cpu] [--steps N] [--warmup N] [--inference-reps N]
var backend = Backend.Gpu;
int steps = 200, warmup = 20, inferenceReps = 20;
for (int i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
    switch (args[i])
    {
        case "--backend": backend = Enum.Parse<Backend>(Value(), ignoreCase: true); break;
        case "--steps": steps = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--warmup": warmup = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--inference-reps": inferenceReps = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        default: throw new ArgumentException($"Unknown argument '{args[i]}'. Use --backend gpu|auto|cpu, --steps N, --warmup N, --inference-reps N.");
    }
}
if (steps < 200) throw new ArgumentException("--steps must be at least 200.");

var random = new Random(1);
float[] Features(int rows)
{
    var x = new float[rows * FashionMlp.InputCount];
    for (int k = 0; k < x.Length; k++) x[k] = (float)random.NextDouble();
    return x;
}
float[] SoftTargets(int rows)
{
    const int c = FashionMlp.ClassCount;
    var y = new float[rows * c];
    for (int r = 0; r < rows; r++)
    {
        double sum = 0;
        for (int k = 0; k < c; k++) sum += y[r * c + k] = (float)random.NextDouble();
        for (int k = 0; k < c; k++) y[r * c + k] = (float)(y[r * c + k] / sum);
    }
    return y;
}

var result = new System.Collections.Generic.Dictionary<string, object?>
{
    ["model"] = "784-512-256-10 relu, softmax cross-entropy (soft targets), Adam, fp32",
    ["requested_backend"] = backend.ToString(),
};

foreach (int batch in new[] { 256, 4096 })
{
    var x = Features(batch);
    var y = SoftTargets(batch);
    long started = Stopwatch.GetTimestamp();
    using var trainer = FashionMlp.CreateTrainer(new TrainerOptions { Backend = backend, BatchSize = batch, Optimizer = Optimizer.Adam(1e-3f) });
    trainer.TrainStep(x, y, batch);
    double firstStep = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    for (int s = 1; s < warmup; s++) trainer.TrainStep(x, y, batch);
    started = Stopwatch.GetTimestamp();
    for (int s = 0; s < steps; s++) trainer.TrainStep(x, y, batch);
    double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
    result["backend"] = trainer.Backend.ToString();
    result["device"] = trainer.DeviceName ?? "CPU backend";
    result["launches_per_step"] = trainer.LaunchesPerStep;
    result[$"train_batch{batch}_samples_per_s"] = Math.Round(steps * (double)batch / seconds);
    result[$"train_batch{batch}_ms_per_step"] = Math.Round(seconds * 1e3 / steps, 4);
    result[$"first_step_ms_batch{batch}"] = Math.Round(firstStep, 1); // trainer creation, device setup, kernel compilation, one step
}

{
    const int batch = 65536;
    var x = Features(batch);
    var p = new float[batch * FashionMlp.ClassCount];
    using var trainer = FashionMlp.CreateTrainer(new TrainerOptions { Backend = backend, BatchSize = batch });
    trainer.PredictProbabilities(x, p, batch); // warm-up: compiles the forward and softmax kernels
    long started = Stopwatch.GetTimestamp();
    for (int r = 0; r < inferenceReps; r++) trainer.PredictProbabilities(x, p, batch); // each call copies the probabilities back: synchronised
    double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
    result["inference_batch65536_samples_per_s"] = Math.Round(inferenceReps * (double)batch / seconds);
}

Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
