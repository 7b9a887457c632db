using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using SoftGen.Training;

namespace SoftGen.Benchmarks;

/// <summary>What <see cref="ClippingBenchmark.Run"/> measured; serialised as the benchmark's JSON.</summary>
internal sealed record ClippingResult(
    string Model,
    int Batch,
    int Threads,
    int StepsPerRun,
    string Plain,
    string Clipped,
    double PlainSamplesPerSecond,
    double ClippedSamplesPerSecond,
    double ClippedOverPlain,
    double MedianPairRatio,
    double[] PlainSamplesPerSecondRuns,
    double[] ClippedSamplesPerSecondRuns,
    double ClippedStepsShare,
    double LastGradientNorm);

/// <summary>
/// The training workload of <see cref="TrainingBenchmark"/> (shuffled minibatches through TrainStep, Adam 1e-3) on two
/// trainers in one process: plain, and with a warm-up-cosine schedule and ClipGradientNorm. Runs of
/// <c>steps</c> steps alternate between them (plain, clipped, plain, clipped, ...), so that both see the same load on a
/// shared machine; each speed is the median of its runs, and the median of the runs' pairwise ratios (clipped over
/// the plain run just before it) follows the machine's load more closely. The clipped trainer's norm is read after every step (it is
/// measured in the step anyway) to report how often max_norm clipped.
/// </summary>
internal static class ClippingBenchmark
{
    public const float MaxNorm = 1f;

    public static ClippingResult Run(Func<TrainerOptions, TrainerBase> create, string model, FashionMnist train, int batch, int threads,
        int repeats, int steps)
    {
        const int inputs = FashionMnist.Inputs, classes = FashionMnist.Classes;
        int totalSteps = (repeats + 1) * steps + TrainingBenchmark.WarmupSteps;
        var plainOptions = new TrainerOptions { Optimizer = Optimizer.Adam(1e-3f), BatchSize = batch, Seed = 1, ThreadCount = threads };
        var clippedOptions = plainOptions with
        {
            Schedule = LearningRateSchedule.WarmupCosine(Math.Max(1, totalSteps / 10), totalSteps),
            ClipGradientNorm = MaxNorm,
        };
        using var plain = create(plainOptions);
        using var clipped = create(clippedOptions);

        var order = new int[train.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        new Random(1).Shuffle(order);
        var x = new float[batch * inputs];
        var y = new float[batch * classes];
        int position = 0, clippedSteps = 0, countedSteps = 0;

        void Steps(TrainerBase trainer, int count, bool countClipping)
        {
            for (int s = 0; s < count; s++)
            {
                if (position + batch > train.Count) position = 0;
                for (int r = 0; r < batch; r++)
                {
                    int row = order[position + r];
                    train.Features.AsSpan(row * inputs, inputs).CopyTo(x.AsSpan(r * inputs));
                    train.Targets.AsSpan(row * classes, classes).CopyTo(y.AsSpan(r * classes));
                }
                position += batch;
                trainer.TrainStep(x, y, batch);
                if (countClipping)
                {
                    countedSteps++;
                    if (trainer.GradientNorm > MaxNorm) clippedSteps++;
                }
            }
        }

        Steps(plain, TrainingBenchmark.WarmupSteps, false);
        Steps(clipped, TrainingBenchmark.WarmupSteps, false);
        var plainRuns = new List<double>();
        var clippedRuns = new List<double>();
        for (int run = 0; run < repeats; run++)
        {
            int start = position;
            plainRuns.Add(Time(() => Steps(plain, steps, false), steps * batch));
            position = start; // the same batches for both
            clippedRuns.Add(Time(() => Steps(clipped, steps, true), steps * batch));
        }

        double plainMedian = Median(plainRuns), clippedMedian = Median(clippedRuns);
        return new ClippingResult(model, batch, threads, steps,
            "Adam 1e-3",
            $"Adam 1e-3, WarmupCosine({Math.Max(1, totalSteps / 10)}, {totalSteps}), ClipGradientNorm {MaxNorm}",
            plainMedian, clippedMedian, clippedMedian / plainMedian,
            Median(plainRuns.Zip(clippedRuns, (plain, clipped) => clipped / plain).ToList()), plainRuns.ToArray(), clippedRuns.ToArray(),
            (double)clippedSteps / Math.Max(1, countedSteps), clipped.GradientNorm);
    }

    private static double Time(Action action, int samples)
    {
        long started = Stopwatch.GetTimestamp();
        action();
        return samples / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
