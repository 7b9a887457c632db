using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using SoftGen.Training;

namespace SoftGen.Benchmarks;

/// <summary>What <see cref="TrainingBenchmark.Run"/> measured; serialised as the benchmark's JSON.</summary>
internal sealed record TrainingResult(
    string Framework,
    string Model,
    int Batch,
    int Threads,
    double TrainSamplesPerSecond,
    double[] TrainSamplesPerSecondRuns,
    double InferSamplesPerSecond,
    double[] InferSamplesPerSecondRuns,
    int InferBatch,
    double BytesPerStepThisThread,
    double BytesPerStepAllThreads,
    long StepsMeasuredForAllocation,
    int Gen0CollectionsDuringTiming,
    double PeakWorkingSetMB,
    int AccuracyEpochs,
    double? TestAccuracy,
    double[] AccuracyEpochSamplesPerSecond);

/// <summary>
/// The workload: shuffled minibatches of Fashion-MNIST through TrainStep, Adam 1e-3, label smoothing 0.1.
/// Training speed is one whole epoch (60,000 rows, the last batch short) after 20 warm-up steps, timed
/// <c>repeats</c> times in a row on the same trainer; inference is PredictProbabilities on full batches of the test
/// set, best pass of several; accuracy is a fresh trainer after <c>epochs</c> epochs of Fit, on the 10,000 test rows.
/// </summary>
internal static class TrainingBenchmark
{
    public const int WarmupSteps = 20;

    public static TrainingResult Run(Func<TrainerOptions, TrainerBase> create, string model, FashionMnist train, FashionMnist test,
        int batch, int threads, int repeats, int epochs, int inferBatch)
    {
        var options = new TrainerOptions { Optimizer = Optimizer.Adam(1e-3f), BatchSize = batch, Seed = 1, ThreadCount = threads };
        const int inputs = FashionMnist.Inputs, classes = FashionMnist.Classes;

        // Training: the caller's loop (shuffle, gather a minibatch, TrainStep), nothing allocated inside it.
        var order = new int[train.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var shuffle = new Random(1);
        var x = new float[batch * inputs];
        var y = new float[batch * classes];
        var trainRuns = new List<double>();
        long thisThreadBytes = 0, allBytes = 0, steps = 0;
        int gen0 = 0;
        using var trainer = create(options);
        {
            shuffle.Shuffle(order);
            for (int s = 0; s < WarmupSteps; s++)
                Step(trainer, train, order, s * batch, batch, x, y);

            for (int run = 0; run < repeats; run++)
            {
                shuffle.Shuffle(order);
                int gcBefore = GC.CollectionCount(0);
                long thread0 = GC.GetAllocatedBytesForCurrentThread();
                long all0 = GC.GetTotalAllocatedBytes(precise: true);
                long started = Stopwatch.GetTimestamp();
                int epochSteps = 0;
                for (int start = 0; start < train.Count; start += batch, epochSteps++)
                    Step(trainer, train, order, start, Math.Min(batch, train.Count - start), x, y);
                double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                long thread1 = GC.GetAllocatedBytesForCurrentThread();
                long all1 = GC.GetTotalAllocatedBytes(precise: true);
                gen0 += GC.CollectionCount(0) - gcBefore;
                thisThreadBytes += thread1 - thread0;
                allBytes += all1 - all0;
                steps += epochSteps;
                trainRuns.Add(train.Count / seconds);
            }
        }

        // Inference: a trainer whose batch is the inference batch, holding the weights just trained.
        var inferRuns = new List<double>();
        using (var predictor = create(options with { BatchSize = inferBatch }))
        {
            foreach (var p in trainer.Model.Parameters)
            {
                var values = new float[p.Length];
                trainer.GetParameter(p.Name, values);
                predictor.SetParameter(p.Name, values);
            }
            int fullBatches = test.Count / inferBatch;
            if (fullBatches == 0) throw new ArgumentException($"The inference batch {inferBatch} is larger than the test set ({test.Count}).");
            var probabilities = new float[inferBatch * classes];
            for (int pass = 0; pass < Math.Max(repeats, 3) + 1; pass++)
            {
                long started = Stopwatch.GetTimestamp();
                for (int b = 0; b < fullBatches; b++)
                    predictor.PredictProbabilities(test.Features.AsSpan(b * inferBatch * inputs, inferBatch * inputs), probabilities, inferBatch);
                double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                if (pass > 0) inferRuns.Add(fullBatches * inferBatch / seconds); // pass 0 warms up
            }
        }

        // Accuracy: a fresh trainer, Fit for the given number of epochs (Fit's own shuffle, seeded), then Evaluate.
        double? accuracy = null;
        var epochSpeeds = new List<double>();
        if (epochs > 0)
        {
            using var fresh = create(options);
            fresh.Fit(train.Features, train.Targets, epochs, new Progress(r => epochSpeeds.Add(r.SamplesPerSecond)));
            accuracy = fresh.Evaluate(test.Features, test.Targets).Accuracy;
        }

        return new TrainingResult("SoftGen", model, batch, threads,
            trainRuns.Max(), trainRuns.ToArray(), inferRuns.Max(), inferRuns.ToArray(), inferBatch,
            (double)thisThreadBytes / steps, (double)allBytes / steps, steps, gen0,
            ProcessMemory.PeakWorkingSet() / 1e6, epochs, accuracy, epochSpeeds.ToArray());
    }

    private static void Step(TrainerBase trainer, FashionMnist data, int[] order, int start, int rows, float[] x, float[] y)
    {
        const int inputs = FashionMnist.Inputs, classes = FashionMnist.Classes;
        for (int r = 0; r < rows; r++)
        {
            int row = order[start + r];
            data.Features.AsSpan(row * inputs, inputs).CopyTo(x.AsSpan(r * inputs));
            data.Targets.AsSpan(row * classes, classes).CopyTo(y.AsSpan(r * classes));
        }
        trainer.TrainStep(x.AsSpan(0, rows * inputs), y.AsSpan(0, rows * classes), rows);
    }

    /// <summary>Reports on the training thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Progress(Action<EpochReport> report) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => report(value);
    }
}
