using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using SoftGen;
using SoftGen.Data;
using SoftGen.Examples;
using SoftGen.Metrics;
using SoftGen.Training;

namespace Votes;

/// <summary>
/// The two-stage recipe of the HMS harmful-brain-activity contest on simulated recordings (<see cref="VoteData"/>):
/// stage 1 trains <see cref="VotesMlp"/> on every training row, stage 2 continues from its weights on the rows with at
/// least 10 votes, and a one-stage run trains on every row for both stages' epochs, for comparison. Each run: AdamW,
/// one epoch of linear warm-up then cosine decay, the KL loss weighted by each row's vote count, validation on
/// high-vote rows held out of training, early stopping on the validation KL (patience 3) with the best weights
/// restored. Prints the held-out contest score (<see cref="ProbabilityMetrics.HmsScore"/>) of each, beside the floors.
///   --epochs N     each stage's epochs (default 10; the one-stage run gets 2N); at least 2
///   --rows N       training recordings (default 200000), a quarter of them high-vote
///   --test N       held-out recordings, all high-vote, as the contest's test set (default 5000)
///   --seed N       the data's and the trainers' seed (default 1)
///   --threads N    worker threads (default: all cores)
///   --backend B    cpu (default), gpu, or auto (a CUDA or OpenCL GPU when there is one)
/// </summary>
public static class Program
{
    private const int BatchSize = 128, Patience = 3;
    private const float StageOneRate = 2e-3f, StageTwoRate = 3e-4f;

    /// <summary>The share of training recordings that experts reviewed (10-28 votes); the rest have 1-9.</summary>
    private const double ReviewedShare = 0.25;

    public static int Main(string[] args)
    {
        var options = Options.Parse(args);
        if (options is null)
        {
            Console.Error.WriteLine("usage: Votes [--epochs N] [--rows N] [--test N] [--seed N] [--threads N] [--backend cpu|gpu|auto]");
            return 2;
        }
        try
        {
            return Run(options);
        }
        catch (NotSupportedException e)
        {
            Console.Error.WriteLine("error: " + e.Message); // --backend gpu without a device
            return 1;
        }
    }

    private static int Run(Options options)
    {
        var clock = Stopwatch.StartNew();
        var simulated = VoteData.Generate(options.Rows, options.Seed, split: 0, ReviewedShare);
        var heldOut = VoteData.Generate(options.Test, options.Seed, split: 1, reviewedShare: 1);
        var (mean, std) = simulated.FeatureStatistics();
        simulated.Standardise(mean, std);
        heldOut.Standardise(mean, std);
        var (all, allVotes) = ToDataset(simulated);
        var (test, _) = ToDataset(heldOut);

        // Validation: a sixth of the high-vote rows, held out of both stages; stage 2 trains on the other high-vote rows.
        var trainRows = new List<int>();
        var highRows = new List<int>();
        var validationRows = new List<int>();
        for (int r = 0; r < all.Count; r++)
        {
            bool high = allVotes[r] >= VoteData.HighVotes;
            if (high && validationRows.Count * 6 < highRows.Count + validationRows.Count + 1)
            {
                validationRows.Add(r);
                continue;
            }
            trainRows.Add(r);
            if (high) highRows.Add(r);
        }
        var train = all.Select(trainRows.ToArray());
        var highVote = all.Select(highRows.ToArray());
        var validation = all.Select(validationRows.ToArray());
        Console.WriteLine($"simulated {all.Count:N0} training recordings ({highRows.Count + validationRows.Count:N0} with {VoteData.HighVotes}-28 expert votes, " +
            $"the rest 1-9 screeners' votes) and {test.Count:N0} held-out high-vote recordings in {clock.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"training on {train.Count:N0} rows (stage 2: {highVote.Count:N0} high-vote rows); validation: {validation.Count:N0} high-vote rows");
        Console.WriteLine($"model {VotesMlp.Trainer.ModelInfo.Name}, {VotesMlp.Trainer.ModelInfo.ParameterCount:N0} parameters; AdamW (weight decay 0.01), " +
            $"batch {BatchSize}, warm-up 1 epoch then cosine; loss weighted by votes; early stopping on validation KL (patience {Patience})");

        var scores = new List<(string Name, double Score, string Note)>
        {
            ("uniform prediction", Score(Constant(test.Count, Uniform()), test), ""),
            ("prior (mean target, all rows)", Score(Constant(test.Count, MeanTarget(train)), test), ""),
            ("prior (mean target, high-vote rows)", Score(Constant(test.Count, MeanTarget(highVote)), test), ""),
        };

        Console.WriteLine();
        Console.WriteLine($"stage 1: all {train.Count:N0} training rows, {options.Epochs} epochs at most, AdamW {StageOneRate:0.###e+0}");
        using var stageOne = Train(train, validation, options.Epochs, StageOneRate, start: null, options, out var stageOneFit);
        var stageOneScore = Score(Predict(stageOne, test), test);
        scores.Add(("stage 1 (all rows)", stageOneScore, Ran(stageOneFit)));
        Console.WriteLine($"stage 1: held-out contest score {stageOneScore:F4} (trained on the {(stageOne.Backend == Backend.Gpu ? stageOne.DeviceName : "CPU")})");

        Console.WriteLine();
        Console.WriteLine($"stage 2: from stage 1's weights, the {highVote.Count:N0} rows with at least {VoteData.HighVotes} votes, " +
            $"{options.Epochs} epochs at most, AdamW {StageTwoRate:0.###e+0}");
        using var stageTwo = Train(highVote, validation, options.Epochs, StageTwoRate, SavedWeights(stageOne), options, out var stageTwoFit);
        var stageTwoScore = Score(Predict(stageTwo, test), test);
        scores.Add(("stage 2 (then >= 10 votes)", stageTwoScore, Ran(stageTwoFit)));
        Console.WriteLine($"stage 2: held-out contest score {stageTwoScore:F4} (stage 1: {stageOneScore:F4})");

        Console.WriteLine();
        Console.WriteLine($"one stage: all {train.Count:N0} training rows, {2 * options.Epochs} epochs at most, AdamW {StageOneRate:0.###e+0}");
        using var oneStage = Train(train, validation, 2 * options.Epochs, StageOneRate, start: null, options, out var oneStageFit);
        var oneStageScore = Score(Predict(oneStage, test), test);
        scores.Add(("one stage (all rows)", oneStageScore, Ran(oneStageFit)));
        Console.WriteLine($"one stage: held-out contest score {oneStageScore:F4} (two stages: {stageTwoScore:F4})");

        scores.Add(("experts' expected votes (floor)", Score(heldOut.Expected, test), ""));
        Console.WriteLine();
        Console.WriteLine($"held-out contest score on {test.Count:N0} high-vote recordings (lower is better):");
        foreach (var (name, score, note) in scores)
            Console.WriteLine($"  {name,-36} {score,7:F4}  {note}");
        Console.WriteLine("score: the HMS contest's metric, mean over recordings of sum_k y log(y / p), p clipped to [1e-15, 1 - 1e-15]; " +
            $"the floor is what a finite panel's votes leave to any model. {clock.Elapsed.TotalSeconds:F0} s in all.");
        return 0;
    }

    /// <summary>The vote fractions as targets and each row's vote count as its weight; also returns the counts.</summary>
    private static (Dataset Data, float[] Votes) ToDataset(VoteData data)
    {
        var targets = new float[data.Votes.Length];
        var votes = new float[data.Count];
        Labels.VotesToDistribution(data.Votes, VoteData.Classes, targets, votes);
        return (new Dataset(data.Features, targets, FeatureSimulator.Features, VoteData.Classes, weights: votes), votes);
    }

    /// <summary>A trainer (from <paramref name="start"/>'s weights when given) fitted on <paramref name="data"/>, its best epoch's weights restored.</summary>
    private static TrainerBase Train(Dataset data, Dataset validation, int epochs, float rate, byte[]? start, Options options, out FitResult result)
    {
        int batches = (data.Count + BatchSize - 1) / BatchSize;
        var trainer = VotesMlp.CreateTrainer(new TrainerOptions
        {
            Optimizer = Optimizer.AdamW(rate, weightDecay: 0.01f),
            Schedule = LearningRateSchedule.WarmupCosine(warmupSteps: batches, totalSteps: epochs * batches),
            BatchSize = BatchSize,
            Seed = options.Seed,
            ThreadCount = options.Threads,
            Backend = options.Backend,
        });
        if (start is not null)
            trainer.LoadWeights(new MemoryStream(start));
        var fit = new FitOptions
        {
            Epochs = epochs,
            Monitor = FitMetric.Kl,
            Patience = Patience,
            RestoreBestWeights = true,
        }.WithValidation(validation);
        result = EpochProgress.Run(fit, o => trainer.Fit(data, o), report =>
            $"  epoch {report.Epoch,2}/{report.Epochs}  loss {report.MeanLoss:F4}  validation KL {report.Validation?.Kl:F4}{(report.IsBest ? " (best)" : "       ")}  " +
            $"lr {report.LearningRate:0.00e+0}  {report.Elapsed.TotalSeconds:F1} s");
        return trainer;
    }

    private static string Ran(FitResult fit) =>
        $"best epoch {fit.BestEpoch} of {fit.EpochsRun} run{(fit.StoppedEarly ? ", stopped early" : "")}";

    private static byte[] SavedWeights(TrainerBase trainer)
    {
        var stream = new MemoryStream();
        trainer.SaveWeights(stream);
        return stream.ToArray();
    }

    private static float[] Predict(TrainerBase trainer, Dataset data)
    {
        var probabilities = new float[data.Count * data.Classes];
        trainer.PredictProbabilities(data.Features, probabilities, data.Count);
        return probabilities;
    }

    private static double Score(float[] probabilities, Dataset data) => ProbabilityMetrics.HmsScore(probabilities, data.Targets, data.Classes);

    private static float[] Uniform()
    {
        var p = new float[VoteData.Classes];
        Array.Fill(p, 1f / p.Length);
        return p;
    }

    /// <summary>The mean target row: the best constant prediction for rows like these.</summary>
    private static float[] MeanTarget(Dataset data)
    {
        var sums = new double[data.Classes];
        var targets = data.Targets;
        for (int i = 0; i < targets.Length; i++)
            sums[i % sums.Length] += targets[i];
        return Array.ConvertAll(sums, s => (float)(s / data.Count));
    }

    private static float[] Constant(int count, float[] row)
    {
        var rows = new float[count * row.Length];
        for (int i = 0; i < count; i++)
            row.CopyTo(rows, i * row.Length);
        return rows;
    }
}
