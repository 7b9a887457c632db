using System;
using System.Diagnostics;
using System.Threading;
using SoftGen.Cpu;

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
    public void Fit(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int epochs, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default) =>
        FitCore(inputs, targets, default, epochs, mixup: null, progress, cancellationToken);

    /// <summary>
    /// Fit with per-row sample weights [count] (empty: unweighted), for <see cref="Data.DatasetExtensions"/>: each step's
    /// loss is its batch's weighted mean (see <see cref="TrainStep(ReadOnlySpan{float}, ReadOnlySpan{float}, int, ReadOnlySpan{float})"/>);
    /// a batch whose rows all weigh 0 is skipped, as if those rows were not in the data set.
    /// </summary>
    internal void Fit(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, ReadOnlySpan<float> weights, int epochs, Data.MixupOptions? mixup,
        IProgress<EpochReport>? progress, CancellationToken cancellationToken) =>
        FitCore(inputs, targets, weights, epochs, mixup, progress, cancellationToken);

    /// <summary>
    /// Fit's loop; with <paramref name="mixup"/>, each gathered batch is mixed (TrainerBase.Mixup.cs); with
    /// <paramref name="weights"/> (not empty), each step is weighted by its rows' weights.
    /// </summary>
    private void FitCore(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, ReadOnlySpan<float> weights, int epochs, Data.MixupOptions? mixup,
        IProgress<EpochReport>? progress, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "Fit needs at least one epoch.");
        int count = CheckDataSet(inputs, targets);
        if (!weights.IsEmpty) SampleWeights.Check(weights, count, nameof(weights));
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
        var order = new int[count];
        for (int epoch = 1; epoch <= epochs; epoch++)
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
            for (int start = 0; start < count; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int rows = Math.Min(batchSize, count - start);
                if (rows < minRows) break; // only the last batch can be this small
                if (mixup is not null)
                    GatherMixedBatch(inputs, targets, weights, new ReadOnlySpan<int>(order, start, rows), mixup);
                else
                    for (int r = 0; r < rows; r++)
                    {
                        int row = order[start + r];
                        inputs.Slice(row * inputsPerRow, inputsPerRow).CopyTo(new Span<float>(_batchInputs + r * inputsPerRow, inputsPerRow));
                        targets.Slice(row * classes, classes).CopyTo(new Span<float>(_batchTargets + r * classes, classes));
                        if (!weights.IsEmpty) _batchWeights[r] = weights[row];
                    }
                float* batchWeights = weights.IsEmpty ? null : _batchWeights;
                if (batchWeights != null && SampleWeights.Sum(batchWeights, rows) == 0) continue; // no row counts: as if none were there
                // The epoch's MeanLoss is the mean of the step losses weighted by their row counts (not by the sample weights).
                lossSum += (double)StepCore(_batchInputs, _batchTargets, batchWeights, rows) * rows;
                trained += rows;
            }
            progress?.Report(new EpochReport(epoch, epochs, lossSum / trained, trained, Stopwatch.GetElapsedTime(started)));
        }
        GC.KeepAlive(this);
    }

    /// <summary>
    /// Scores the predictions for inputs [count, Inputs] against targets [count, Classes] (validated as for training);
    /// see <see cref="Evaluation"/> for the definitions. log p is floored at log(1e-30) so that a probability that
    /// underflowed to 0 gives a large but finite NLL and KL.
    /// </summary>
    public Evaluation Evaluate(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int count = CheckDataSet(inputs, targets);

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
            }
        GC.KeepAlive(this);
        double pixels = (double)count * _model.OutputPixels;
        return metrics.Result(count, distributions ? pixels : pixels * classes);
    }

    /// <summary>Checks a whole data set (Fit, Evaluate) and returns its row count.</summary>
    private int CheckDataSet(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets)
    {
        int inputsPerRow = _model.Inputs;
        if (inputs.Length == 0) throw new ArgumentException("inputs is empty; there must be at least one row.", nameof(inputs));
        if (inputs.Length % inputsPerRow != 0)
            throw new ArgumentException(
                $"inputs has {inputs.Length} values, which is not a whole number of rows of {inputsPerRow} inputs.", nameof(inputs));
        int count = inputs.Length / inputsPerRow;
        InputValidator.CheckLength(targets.Length, count, _model.OutputsPerRow, nameof(targets), "rows (as many as inputs has)", nameof(targets));
        InputValidator.CheckFeatures(inputs, inputsPerRow, 0, nameof(inputs));
        InputValidator.CheckTargets(targets, _model, 0, nameof(targets));
        return count;
    }
}
