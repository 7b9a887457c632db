using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using SoftGen.Cpu;
using SoftGen.Metrics;

namespace SoftGen.Training;

// Fit (shuffled minibatches, optionally mixed: TrainerBase.Mixup.cs) and Evaluate, over whole data sets checked up front.
public abstract unsafe partial class TrainerBase
{
    /// <summary>
    /// Trains for <paramref name="epochs"/> passes over inputs [count, Inputs] and targets [count, Classes]. Each epoch
    /// shuffles the rows (Fisher-Yates with the trainer's seeded shuffle stream, so runs repeat exactly), steps on
    /// minibatches of <see cref="TrainerOptions.BatchSize"/> rows (the last one partial) and reports an
    /// <see cref="EpochReport"/> whose loss is the mean over the rows trained on. The data set is validated once, up front.
    /// </summary>
    /// <remarks>
    /// A final partial batch smaller than <see cref="ModelInfo.MinTrainingRows"/> (a single row, when a batch norm
    /// follows a Dense) is dropped, as PyTorch's DataLoader does with drop_last: its rows are not trained on that epoch
    /// (another shuffle puts other rows last) and <see cref="EpochReport.Samples"/> does not count them.
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// The data set is invalid, or it or <see cref="TrainerOptions.BatchSize"/> has fewer rows than a batch norm needs.
    /// </exception>
    /// <exception cref="OperationCanceledException">Cancelled; checked between batches.</exception>
    /// <exception cref="InvalidOperationException">The loss became NaN or infinite; the last good weights are kept.</exception>
    public void Fit(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int epochs, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default)
    {
        FitCore(inputs, targets, default, FitOptions.ForEpochs(epochs, progress), cancellationToken, keepHistory: false);
    }

    /// <summary>
    /// Trains as <see cref="Fit(ReadOnlySpan{float}, ReadOnlySpan{float}, int, IProgress{EpochReport}?, CancellationToken)"/>
    /// for up to <see cref="FitOptions.Epochs"/> epochs, and after each one scores the validation data, if any, and
    /// reports it with the learning rate. With <see cref="FitOptions.Patience"/> the run stops once the watched metric
    /// has not improved by more than <see cref="FitOptions.MinDelta"/> for that many epochs in a row (Keras's
    /// EarlyStopping); <see cref="FitOptions.StopWhen"/> can stop it too; <see cref="FitOptions.RestoreBestWeights"/>
    /// then sets the weights back to the best epoch's.
    /// </summary>
    /// <exception cref="ArgumentException">An option, the data set or the validation data is invalid; nothing was trained.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; checked between batches. The best weights are not restored.</exception>
    /// <exception cref="InvalidOperationException">The loss became NaN or infinite; the last good weights are kept.</exception>
    public FitResult Fit(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, FitOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return FitCore(inputs, targets, default, options, cancellationToken, keepHistory: true)!;
    }

    /// <summary>
    /// Fit with per-row sample weights [count]: each step's loss is its batch's weighted mean (see
    /// <see cref="TrainStep(ReadOnlySpan{float}, ReadOnlySpan{float}, int, ReadOnlySpan{float})"/>); a batch whose rows
    /// all weigh 0 is skipped, as if those rows were not in the data set. Validation scores stay unweighted.
    /// </summary>
    public FitResult Fit(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, ReadOnlySpan<float> weights, FitOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (weights.IsEmpty) throw new ArgumentException("weights is empty; give one weight per row, or call Fit without weights.", nameof(weights));
        return FitCore(inputs, targets, weights, options, cancellationToken, keepHistory: true)!;
    }

    /// <summary>Fit over a <see cref="Data.Dataset"/>: its weights, if any (empty: none); the overloads that return nothing keep no history.</summary>
    internal FitResult? FitDataset(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, ReadOnlySpan<float> weights, FitOptions options,
        bool keepHistory, CancellationToken cancellationToken) =>
        FitCore(inputs, targets, weights, options, cancellationToken, keepHistory);

    /// <summary>
    /// Fit's loop; with <see cref="FitOptions.Mixup"/>, each gathered batch is mixed (TrainerBase.Mixup.cs); with
    /// <paramref name="weights"/> (not empty), each step is weighted by its rows' weights. Without
    /// <paramref name="keepHistory"/> (the overloads that return nothing) it allocates the same whatever the epochs, and returns null.
    /// </summary>
    private FitResult? FitCore(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, ReadOnlySpan<float> weights, FitOptions options,
        CancellationToken cancellationToken, bool keepHistory)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int count;
        try
        {
            CheckFitOptions(options);
            count = CheckDataSet(inputs, targets);
            if (options.HasValidation)
                CheckDataSet(options.ValidationInputs.Span, options.ValidationTargets.Span, "options.ValidationInputs", "options.ValidationTargets");
            if (!weights.IsEmpty) SampleWeights.Check(weights, count, nameof(weights));
        }
        catch (ArgumentException) when (_options.Distributed is not null)
        {
            TellEveryRankOfFailure(); // the other ranks throw in their first step
            throw;
        }
        int batchSize = BatchCapacity, minRows = _model.MinTrainingRows;
        if (Math.Min(count, batchSize) < minRows)
        {
            var b = _model.BatchNormRefusing(Math.Min(count, batchSize))!;
            throw new ArgumentException(
                $"Fit needs batches of at least {minRows} rows for the batch norm layers.{b.Layer}, which normalises over the batch, " +
                $"but {(count < minRows ? $"the data set has {count} row" : $"TrainerOptions.BatchSize is {batchSize}")}.",
                count < minRows ? nameof(inputs) : null);
        }

        int inputsPerRow = _model.Inputs, classes = _model.OutputsPerRow;
        // Distributed, a global batch is BatchSize rows on each rank; rank r takes its share of each (Share).
        int globalBatch = checked(batchSize * WorldSize);
        int batches = count / globalBatch + (count % globalBatch >= minRows ? 1 : 0);
        var mixup = options.Mixup;
        var order = new int[count];
        var history = keepHistory ? new List<EpochReport>(options.Epochs) : null;
        int epochsRun = 0;
        var watch = new EarlyStopping(options);
        BestWeights? best = null;
        bool stopped = false;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            long started = Stopwatch.GetTimestamp();
            for (int i = 0; i < count; i++) order[i] = i;
            for (int i = count - 1; i > 0; i--)
            {
                int j = _shuffle.NextInt(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }

            double lossSum = 0;
            int trained = 0;
            for (int start = 0, batch = 1; start < count; start += globalBatch, batch++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int globalRows = Math.Min(globalBatch, count - start);
                if (globalRows < minRows) break; // only the last batch can be this small
                (int offset, int rows) = Share(globalRows, WorldRank, WorldSize);
                int first = start + offset;
                if (mixup is not null)
                    GatherMixedBatch(inputs, targets, weights, new ReadOnlySpan<int>(order, first, rows), mixup);
                else
                    for (int r = 0; r < rows; r++)
                    {
                        int row = order[first + r];
                        inputs.Slice(row * inputsPerRow, inputsPerRow).CopyTo(new Span<float>(_batchInputs + r * inputsPerRow, inputsPerRow));
                        targets.Slice(row * classes, classes).CopyTo(new Span<float>(_batchTargets + r * classes, classes));
                        if (!weights.IsEmpty) _batchWeights[r] = weights[row];
                    }
                float* batchWeights = weights.IsEmpty ? null : _batchWeights;
                if (batchWeights != null && WorldSize == 1 && SampleWeights.Sum(batchWeights, rows) == 0) continue; // no row counts: as if none were there
                double rate = LearningRate;
                float loss = StepCore(_batchInputs, _batchTargets, batchWeights, rows);
                if (float.IsNaN(loss)) continue; // distributed: no rank had a row of positive weight
                // The epoch's MeanLoss is the mean of the step losses weighted by their row counts (not by the sample weights).
                lossSum += (double)loss * globalRows;
                trained += globalRows;
                options.BatchProgress?.Report(new BatchReport(epoch, options.Epochs, batch, batches, loss, rate));
            }
            var elapsed = Stopwatch.GetElapsedTime(started);

            var report = new EpochReport(epoch, options.Epochs, lossSum / trained, trained, elapsed) { LearningRate = _options.Optimizer.RateAt(_step - 1) };
            if (options.HasValidation)
            {
                var validation = Validate(options.ValidationInputs.Span, options.ValidationTargets.Span);
                bool improved = watch.Observe(epoch, validation);
                if (improved && options.RestoreBestWeights) (best ??= new BestWeights(_model)).Save(this);
                report = report with { Validation = validation, IsBest = improved };
            }
            _telemetry.EpochEnded(report);
            history?.Add(report);
            epochsRun = epoch;
            options.Progress?.Report(report);
            if (epoch < options.Epochs && (watch.ShouldStop || options.StopWhen?.Invoke(report) == true))
            {
                stopped = true;
                break;
            }
        }

        bool restored = false;
        if (best is not null && watch.BestEpoch != epochsRun)
        {
            best.Restore(this);
            restored = true;
        }
        GC.KeepAlive(this);
        if (history is null) return null;
        return options.HasValidation
            ? new FitResult(epochsRun, watch.BestEpoch, watch.BestValue, stopped, restored, history)
            : new FitResult(epochsRun, epochsRun, double.NaN, stopped, false, history);
    }

    private void CheckFitOptions(FitOptions options)
    {
        if (options.Epochs < 1)
            throw new ArgumentException($"FitOptions.Epochs is {options.Epochs}; Fit needs at least one epoch.", nameof(options));
        if (options.Patience is < 0)
            throw new ArgumentException($"FitOptions.Patience is {options.Patience}; it counts epochs without improvement and cannot be negative.", nameof(options));
        if (!(options.MinDelta >= 0) || double.IsInfinity(options.MinDelta))
            throw new ArgumentException($"FitOptions.MinDelta is {options.MinDelta}; it must be a non-negative, finite number.", nameof(options));
        if (!options.HasValidation && (options.Patience is not null || options.RestoreBestWeights))
            throw new ArgumentException(
                $"FitOptions.{(options.Patience is not null ? "Patience" : "RestoreBestWeights")} watches a validation metric, but FitOptions has no ValidationInputs and ValidationTargets.", nameof(options));
        if (options.HasValidation && options.Monitor == FitMetric.Ece && !HasCalibrationError)
            throw new ArgumentException(
                $"FitOptions.Monitor is Ece, but {_model.Name} {(_model.OutputPixels > 1 ? "predicts per pixel" : "predicts one sigmoid probability per class")}; the ECE scores one distribution per row. Watch Loss, Kl or Accuracy.", nameof(options));
        if (!Enum.IsDefined(options.Monitor))
            throw new ArgumentException($"FitOptions.Monitor has the unknown value {(int)options.Monitor}.", nameof(options));
    }

    /// <summary>
    /// Scores the predictions for inputs [count, Inputs] against targets [count, Classes] (validated as for training);
    /// see <see cref="Evaluation"/> for the definitions. log p is floored at log(1e-30) so that a probability that
    /// underflowed to 0 gives a large but finite NLL and KL. With <see cref="TrainerOptions.Distributed"/>, each rank
    /// passes its own share of the rows and every rank gets the scores of all of them (the sums are reduced).
    /// </summary>
    public Evaluation Evaluate(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int count;
        try
        {
            count = CheckDataSet(inputs, targets);
        }
        catch (ArgumentException) when (_options.Distributed is not null)
        {
            TellEveryRankEvaluationFailed();
            throw;
        }
        return EvaluateCore(inputs, targets, count, calibration: null, acrossRanks: true);
    }

    /// <summary>
    /// Evaluate on checked data; rows of a flat softmax-family model also go to <paramref name="calibration"/>.
    /// <paramref name="acrossRanks"/>: the data is this rank's share, and the sums are reduced over the distributed world.
    /// </summary>
    private Evaluation EvaluateCore(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int count, ClassificationMetrics? calibration, bool acrossRanks = false)
    {
        int inputsPerRow = _model.Inputs, classes = _model.Classes;
        bool distributions = _model.TargetsAreDistributions;
        var metrics = new Metrics();
        fixed (float* x = inputs)
            for (int start = 0; start < count; start += BatchCapacity)
            {
                int rows = Math.Min(BatchCapacity, count - start);
                ComputeCalibratedProbabilities(new FloatBuffer(x + (long)start * inputsPerRow), new FloatBuffer(_probabilities), rows);
                if (_model.OutputPixels > 1)
                {
                    AddPixelMetrics(ref metrics, _probabilities, targets.Slice(start * _model.OutputsPerRow, rows * _model.OutputsPerRow), rows);
                    continue;
                }
                for (int r = 0; r < rows; r++)
                {
                    var p = new ReadOnlySpan<float>(_probabilities + r * classes, classes);
                    var y = targets.Slice((start + r) * classes, classes);
                    if (distributions) metrics.AddDistribution(p, y);
                    else metrics.AddBernoulli(p, y);
                }
                calibration?.Add(new ReadOnlySpan<float>(_probabilities, rows * classes), targets.Slice(start * classes, rows * classes));
            }
        GC.KeepAlive(this);
        if (acrossRanks) ReduceEvaluation(ref metrics, ref count);
        double pixels = (double)count * _model.OutputPixels;
        return metrics.Result(count, distributions ? pixels : pixels * classes);
    }

    /// <summary>Checks a whole data set (Fit, Evaluate) and returns its row count.</summary>
    private int CheckDataSet(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, string inputsName = "inputs", string targetsName = "targets")
    {
        int inputsPerRow = _model.Inputs;
        if (inputs.Length == 0) throw new ArgumentException($"{inputsName} is empty; there must be at least one row.", inputsName);
        if (inputs.Length % inputsPerRow != 0)
            throw new ArgumentException(
                $"{inputsName} has {inputs.Length} values, which is not a whole number of rows of {inputsPerRow} inputs.", inputsName);
        int count = inputs.Length / inputsPerRow;
        InputValidator.CheckLength(targets.Length, count, _model.OutputsPerRow, targetsName, $"rows (as many as {inputsName} has)", targetsName);
        InputValidator.CheckFeatures(inputs, inputsPerRow, 0, inputsName);
        InputValidator.CheckTargets(targets, _model, 0, targetsName);
        return count;
    }
}
