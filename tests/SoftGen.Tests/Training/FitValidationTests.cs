using System;
using System.Collections.Generic;
using System.IO;
using EndToEndModels;
using SoftGen.Metrics;
using SoftGen.Tests.EndToEnd;
using SoftGen.Tests.ResidualNetworks;
using Xunit;

namespace SoftGen.Tests.Training;

/// <summary>
/// Fit with FitOptions: validation after each epoch, Keras's early-stopping rule (re-derived here from a run's recorded
/// validation history), restoring the best weights, the stop callback, the per-batch reports and the option checks.
/// </summary>
public sealed class FitValidationTests
{
    private const int Rows = 40, ValidationRows = 24, Width = 6, Batch = 8;

    // Training and validation targets drawn independently of the inputs: the model can only memorise the training rows,
    // so its validation scores wander and worsen, and early stopping has something to do.
    private static (float[] X, float[] Y, float[] Vx, float[] Vy) Data()
    {
        var rng = new Random(11);
        return (TestData.Inputs(rng, Rows, Width), ResidualCases.Targets(rng, Rows, Width),
            TestData.Inputs(rng, ValidationRows, Width), ResidualCases.Targets(rng, ValidationRows, Width));
    }

    private static TrainerOptions Options => new() { Optimizer = Optimizer.Adam(0.05f), BatchSize = Batch, Seed = 4 };

    private sealed class Record(KlMlp.Trainer trainer) : IProgress<EpochReport>
    {
        public readonly List<EpochReport> Reports = new();
        public readonly List<Dictionary<string, float[]>> Weights = new();
        public readonly List<Evaluation> Evaluations = new();
        public float[]? Vx, Vy;

        public void Report(EpochReport value)
        {
            Reports.Add(value);
            Weights.Add(TestData.Snapshot(trainer));
            if (Vx is not null) Evaluations.Add(trainer.Evaluate(Vx, Vy!));
        }
    }

    /// <summary>Keras's rule (mode min: improved when current + min_delta &lt; best) on a recorded history: (best epoch, the epoch the run stops after).</summary>
    private static (int Best, int StopsAfter) Reference(IReadOnlyList<double> values, int patience, double minDelta)
    {
        int best = 1, waited = 0;
        for (int e = 2; e <= values.Count; e++)
        {
            if (values[e - 1] + minDelta < values[best - 1]) { best = e; waited = 0; }
            else if (++waited >= patience) return (best, e);
        }
        return (best, values.Count);
    }

    [Fact]
    public void Each_epoch_reports_the_validation_scores_of_the_weights_after_it()
    {
        var (x, y, vx, vy) = Data();
        using var t = KlMlp.CreateTrainer(Options);
        var record = new Record(t) { Vx = vx, Vy = vy };
        var result = t.Fit(x, y, new FitOptions { Epochs = 4, ValidationInputs = vx, ValidationTargets = vy, Progress = record });

        Assert.Equal(4, result.EpochsRun);
        Assert.False(result.StoppedEarly);
        for (int e = 0; e < 4; e++)
        {
            var v = record.Reports[e].Validation!.Value;
            var reference = record.Evaluations[e];
            Assert.Equal(ValidationRows, v.Count);
            Assert.Equal(reference.Nll, v.Loss);
            Assert.Equal(reference.Kl, v.Kl);
            Assert.Equal(reference.Accuracy, v.Accuracy);
        }

        // The ECE of the last epoch's weights, from their probabilities.
        var p = new float[ValidationRows * Width];
        t.PredictProbabilities(vx, p, ValidationRows);
        Check.Close(ProbabilityMetrics.ExpectedCalibrationError(p, vy, Width), record.Reports[3].Validation!.Value.Ece, 1e-12, 1e-15, "ECE");
    }

    [Theory]
    [InlineData(1, 0.0)]
    [InlineData(2, 0.0)]
    [InlineData(2, 0.01)]
    public void Early_stopping_follows_kerass_rule_and_restores_the_best_epochs_weights(int patience, double minDelta)
    {
        var (x, y, vx, vy) = Data();
        const int epochs = 25;

        // The whole run, recorded: the validation KL of every epoch and the weights after it.
        List<double> history;
        List<Dictionary<string, float[]>> weights;
        using (var full = KlMlp.CreateTrainer(Options))
        {
            var record = new Record(full);
            full.Fit(x, y, new FitOptions { Epochs = epochs, ValidationInputs = vx, ValidationTargets = vy, Monitor = FitMetric.Kl, Progress = record });
            history = record.Reports.ConvertAll(r => r.Validation!.Value.Kl);
            weights = record.Weights;
        }
        var (best, stopsAfter) = Reference(history, patience, minDelta);
        Assert.True(stopsAfter < epochs, $"the validation KL {string.Join(", ", history)} never stalls for {patience} epochs: the case tests nothing");

        using var t = KlMlp.CreateTrainer(Options);
        var reports = new Record(t);
        var result = t.Fit(x, y, new FitOptions
        {
            Epochs = epochs, ValidationInputs = vx, ValidationTargets = vy, Monitor = FitMetric.Kl,
            Patience = patience, MinDelta = minDelta, RestoreBestWeights = true, Progress = reports,
        });

        Assert.Equal(stopsAfter, result.EpochsRun);
        Assert.True(result.StoppedEarly);
        Assert.Equal(best, result.BestEpoch);
        Assert.Equal(history[best - 1], result.BestValue);
        Assert.Equal(best != stopsAfter, result.RestoredBestWeights);
        for (int e = 1; e <= stopsAfter; e++)
            Assert.Equal(IsNewBest(history, e, minDelta), reports.Reports[e - 1].IsBest);
        Check.BitEqual(weights[best - 1], TestData.Snapshot(t), $"weights restored to epoch {best}");
        Assert.Equal((long)stopsAfter * (Rows / Batch), t.Step); // the step count goes on from the last epoch
    }

    private static bool IsNewBest(List<double> history, int epoch, double minDelta)
    {
        double best = history[0];
        for (int e = 2; e <= epoch; e++)
        {
            bool improved = history[e - 1] + minDelta < best;
            if (e == epoch) return improved;
            if (improved) best = history[e - 1];
        }
        return true; // epoch 1 is always the first best
    }

    [Fact]
    public void Accuracy_is_watched_as_higher_is_better()
    {
        var (x, y, vx, vy) = Data();
        using var t = KlMlp.CreateTrainer(Options);
        var result = t.Fit(x, y, new FitOptions { Epochs = 8, ValidationInputs = vx, ValidationTargets = vy, Monitor = FitMetric.Accuracy });
        double bestAccuracy = double.NegativeInfinity;
        int bestEpoch = 0;
        foreach (var r in result.History)
            if (r.Validation!.Value.Accuracy > bestAccuracy) (bestAccuracy, bestEpoch) = (r.Validation.Value.Accuracy, r.Epoch);
        Assert.Equal(bestEpoch, result.BestEpoch);
        Assert.Equal(bestAccuracy, result.BestValue);
    }

    [Fact]
    public void The_callback_stops_the_run_and_reports_carry_the_rate_of_each_epochs_last_update()
    {
        var (x, y, _, _) = Data();
        var schedule = LearningRateSchedule.Step(3, 0.5);
        using var t = KlMlp.CreateTrainer(Options with { Schedule = schedule });
        var batches = new List<BatchReport>();
        var result = t.Fit(x, y, new FitOptions
        {
            Epochs = 6,
            StopWhen = r => r.Epoch == 3,
            BatchProgress = new Progress(batches.Add),
        });

        Assert.Equal(3, result.EpochsRun);
        Assert.True(result.StoppedEarly);
        Assert.False(result.RestoredBestWeights);
        Assert.Equal(3, result.BestEpoch);
        Assert.True(double.IsNaN(result.BestValue));
        const int perEpoch = Rows / Batch;
        Assert.Equal(3 * perEpoch, batches.Count);
        for (int k = 0; k < batches.Count; k++)
        {
            Assert.Equal(k / perEpoch + 1, batches[k].Epoch);
            Assert.Equal(k % perEpoch + 1, batches[k].Batch);
            Assert.Equal(perEpoch, batches[k].Batches);
            Assert.Equal(0.05 * Math.Pow(0.5, k / 3), batches[k].LearningRate, 1e-9);
            Assert.True(double.IsFinite(batches[k].Loss));
        }
        for (int e = 1; e <= 3; e++)
        {
            Assert.Null(result.History[e - 1].Validation);
            Assert.Equal(0.05 * Math.Pow(0.5, (e * perEpoch - 1) / 3), result.History[e - 1].LearningRate, 1e-9);
        }
    }

    private sealed class Progress(Action<BatchReport> report) : IProgress<BatchReport>
    {
        public void Report(BatchReport value) => report(value);
    }

    [Fact]
    public void Bad_options_are_refused_by_name_before_anything_is_trained()
    {
        var (x, y, vx, vy) = Data();
        using var t = KlMlp.CreateTrainer(Options);
        var before = TestData.Snapshot(t);

        Assert.Contains("FitOptions.Patience watches a validation metric", Assert.Throws<ArgumentException>(() => t.Fit(x, y, new FitOptions { Patience = 2 })).Message);
        Assert.Contains("FitOptions.RestoreBestWeights", Assert.Throws<ArgumentException>(() => t.Fit(x, y, new FitOptions { RestoreBestWeights = true })).Message);
        Assert.Contains("FitOptions.Epochs is 0", Assert.Throws<ArgumentException>(() => t.Fit(x, y, new FitOptions { Epochs = 0 })).Message);
        Assert.Contains("FitOptions.MinDelta", Assert.Throws<ArgumentException>(() => t.Fit(x, y, new FitOptions { MinDelta = -1 })).Message);
        Assert.Contains("FitOptions.Patience is -1", Assert.Throws<ArgumentException>(() => t.Fit(x, y, new FitOptions { Patience = -1, ValidationInputs = vx, ValidationTargets = vy })).Message);
        var e = Assert.Throws<ArgumentException>(() => t.Fit(x, y, new FitOptions { ValidationInputs = vx, ValidationTargets = vy.AsMemory(0, vy.Length - Width) }));
        Assert.Equal("options.ValidationTargets", e.ParamName);
        var bad = (float[])vx.Clone();
        bad[7] = float.NaN;
        e = Assert.Throws<ArgumentException>(() => t.Fit(x, y, new FitOptions { ValidationInputs = bad, ValidationTargets = vy }));
        Assert.Equal("options.ValidationInputs", e.ParamName);
        Check.BitEqual(before, TestData.Snapshot(t), "after the refused calls");
        Assert.Equal(0, t.Step);

        using var sigmoid = MultiLabelMlp.CreateTrainer(new TrainerOptions { BatchSize = 4 });
        var rng = new Random(1);
        var sx = TestData.Inputs(rng, 8, 4);
        var sy = new float[8 * 4];
        Assert.Contains("Monitor is Ece", Assert.Throws<ArgumentException>(() =>
            sigmoid.Fit(sx, sy, new FitOptions { ValidationInputs = sx, ValidationTargets = sy, Monitor = FitMetric.Ece })).Message);
    }

    [Fact]
    public void A_checkpoint_refuses_to_resume_under_another_schedule()
    {
        var (x, y, _, _) = Data();
        var options = Options with { Schedule = LearningRateSchedule.Cosine(30) };
        var path = Path.Combine(Path.GetTempPath(), "softgen-fit-schedule-" + Guid.NewGuid().ToString("N") + ".ckpt");
        try
        {
            using (var t = KlMlp.CreateTrainer(options))
            {
                t.TrainStep(x.AsSpan(0, Batch * Width), y.AsSpan(0, Batch * Width), Batch);
                t.SaveCheckpoint(path);
            }
            using var other = KlMlp.CreateTrainer(options with { Schedule = LearningRateSchedule.Cosine(40) });
            var before = TestData.Snapshot(other);
            var e = Assert.Throws<InvalidDataException>(() => other.LoadCheckpoint(path));
            Assert.Contains("CosineAnnealingLR(T_max=30, eta_min=0)", e.Message);
            Assert.Contains("CosineAnnealingLR(T_max=40, eta_min=0)", e.Message);
            Check.BitEqual(before, TestData.Snapshot(other), "after the refused load");
            Assert.Equal(0, other.Step);

            using var constant = KlMlp.CreateTrainer(Options);
            Assert.Contains("this trainer's is none", Assert.Throws<InvalidDataException>(() => constant.LoadCheckpoint(path)).Message);

            using var same = KlMlp.CreateTrainer(options);
            same.LoadCheckpoint(path);
            Assert.Equal(1, same.Step);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Schedules_describe_themselves_in_pytorchs_terms()
    {
        Assert.Equal("StepLR(step_size=7, gamma=0.5)", LearningRateSchedule.Step(7, 0.5).ToString());
        Assert.Equal("SequentialLR(LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=35, eta_min=0.001), milestones=[5])",
            LearningRateSchedule.WarmupCosine(5, 40, startFactor: 0.1, minRate: 0.001).ToString());
        Assert.Equal("OneCycleLR(max_lr=0.01, total_steps=40, pct_start=0.3, div_factor=25, final_div_factor=10000, cycle_momentum=True, base_momentum=0.85, max_momentum=0.95)",
            LearningRateSchedule.OneCycle(0.01, 40).ToString());
    }
}
