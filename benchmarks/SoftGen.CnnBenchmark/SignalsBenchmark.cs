using System;
using System.Diagnostics;
using Signals;

namespace SoftGen.CnnBenchmark;

/// <summary>
/// --model signals: the training and inference speed of examples/Signals' EegNet (compiled from that same file) on
/// standard-normal signals [8, 2000] with random soft targets, as benchmarks/pytorch_signals.py --speed times it.
/// </summary>
internal static class SignalsBenchmark
{
    private const int Inputs = 8 * 2000, Classes = 6;

    /// <summary>
    /// Forward FLOP per window (2 per multiply-add): the convolutions, the squeeze-excitation Linears and the head;
    /// batch norms, activations and pools not counted (pytorch_signals.py's forward_flop_per_sample).
    /// </summary>
    public const double FlopPerSample = 2.0 * (1000 * 32 * 8 * 7 + 2 * 500 * 32 * 32 * 5 + 2 * 32 * 8 + 250 * 64 * 32 * 5
        + 250 * 64 * 7 + 250 * 64 * 64 + 2 * 64 * 16 + 64 * Classes);

    public static object Train(int batch, int threads, int steps, int inferBatch, string? loadAtStart, Func<string?> loadAverage)
    {
        int count = 2 * Math.Max(batch, inferBatch);
        var (signals, targets) = RandomData(count, seed: 1);
        using var trainer = EegNet.CreateTrainer(new TrainerOptions
        {
            Optimizer = Optimizer.AdamW(1e-3f), BatchSize = Math.Max(batch, inferBatch), Seed = 1, ThreadCount = threads,
        });
        void Step(int s)
        {
            int start = s * batch % (count - batch + 1);
            trainer.TrainStep(signals.AsSpan(start * Inputs, batch * Inputs), targets.AsSpan(start * Classes, batch * Classes), batch);
        }
        for (int s = 0; s < 10; s++) Step(s);

        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        for (int s = 0; s < steps; s++) Step(s);
        double trainSeconds = clock.Elapsed.TotalSeconds;
        long bytesInTimedSteps = GC.GetAllocatedBytesForCurrentThread() - allocated;

        var probabilities = new float[Math.Max(batch, inferBatch) * Classes];
        double InferRate(int size)
        {
            trainer.PredictProbabilities(signals.AsSpan(0, size * Inputs), probabilities.AsSpan(0, size * Classes), size);
            int passes = Math.Max(3, steps * batch / size / 2);
            var timer = Stopwatch.StartNew();
            for (int p = 0; p < passes; p++)
                trainer.PredictProbabilities(signals.AsSpan(p * size % (count - size + 1) * Inputs, size * Inputs), probabilities.AsSpan(0, size * Classes), size);
            return passes * size / timer.Elapsed.TotalSeconds;
        }
        double inferAtBatch = InferRate(batch), inferAtInferBatch = InferRate(inferBatch);

        // Allocation in the steady state, after everything above: the timed steps can include a one-off few dozen
        // bytes from the runtime's tiered JIT promoting methods (none with DOTNET_TieredCompilation=0).
        const int allocationSteps = 20;
        allocated = GC.GetAllocatedBytesForCurrentThread();
        for (int s = 0; s < allocationSteps; s++) Step(s);
        long bytesPerStep = (GC.GetAllocatedBytesForCurrentThread() - allocated + allocationSteps - 1) / allocationSteps;

        return new
        {
            model = "EegNet",
            framework = "SoftGen " + typeof(SoftGen.Training.TrainerBase).Assembly.GetName().Version,
            batch,
            threads,
            vector512_hardware_accelerated = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated,
            train_samples_per_second = Math.Round(steps * batch / trainSeconds),
            infer_samples_per_second = Math.Round(Math.Max(inferAtBatch, inferAtInferBatch)),
            infer_samples_per_second_at_batch = Math.Round(inferAtBatch),
            infer_samples_per_second_at_infer_batch = Math.Round(inferAtInferBatch),
            bytes_allocated_per_step = bytesPerStep,
            bytes_allocated_in_timed_steps = bytesInTimedSteps,
            forward_gflop_per_sample = Math.Round(FlopPerSample / 1e9, 5),
            train_gflop_per_second = Math.Round(3 * FlopPerSample * steps * batch / trainSeconds / 1e9, 1),
            load_average_at_start = loadAtStart,
            load_average = loadAverage(),
        };
    }

    /// <summary>Standard-normal signals [count, 8, 2000] and soft targets softmax(2 z) [count, 6], z standard normal.</summary>
    private static (float[] Signals, float[] Targets) RandomData(int count, int seed)
    {
        var random = new Random(seed);
        float Normal() => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        var signals = new float[count * Inputs];
        for (int i = 0; i < signals.Length; i++) signals[i] = Normal();
        var targets = new float[count * Classes];
        for (int r = 0; r < count; r++)
        {
            var row = targets.AsSpan(r * Classes, Classes);
            float sum = 0;
            for (int k = 0; k < Classes; k++) sum += row[k] = MathF.Exp(2 * Normal());
            for (int k = 0; k < Classes; k++) row[k] /= sum;
        }
        return (signals, targets);
    }
}
