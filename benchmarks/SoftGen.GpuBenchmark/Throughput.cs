using System;
using System.Collections.Generic;
using System.Diagnostics;
using SoftGen;

namespace GpuBenchmark;

/// <summary>
/// First-step latency (device setup and kernel compilation included), training samples/s at batch 256 and 4096 (after
/// warm-up; every TrainStep waits for its loss, so the timed steps are synchronised), inference samples/s at batch
/// 65536, and the kernel launches per step.
/// </summary>
internal static class Throughput
{
    public static Dictionary<string, object?> Run(Backend backend, int steps, int warmup, int inferenceReps)
    {
        var data = new Data(seed: 1);
        var result = new Dictionary<string, object?>
        {
            ["model"] = "784-512-256-10 relu, softmax cross-entropy (soft targets), Adam, fp32",
            ["requested_backend"] = backend.ToString(),
        };

        foreach (int batch in new[] { 256, 4096 })
        {
            var x = data.Features(batch);
            var y = data.SoftTargets(batch);
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
            var x = data.Features(batch);
            var p = new float[batch * FashionMlp.ClassCount];
            using var trainer = FashionMlp.CreateTrainer(new TrainerOptions { Backend = backend, BatchSize = batch });
            trainer.PredictProbabilities(x, p, batch); // warm-up: compiles the forward and softmax kernels
            long started = Stopwatch.GetTimestamp();
            for (int r = 0; r < inferenceReps; r++) trainer.PredictProbabilities(x, p, batch); // each call copies the probabilities back: synchronised
            double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            result["inference_batch65536_samples_per_s"] = Math.Round(inferenceReps * (double)batch / seconds);
        }
        return result;
    }
}
