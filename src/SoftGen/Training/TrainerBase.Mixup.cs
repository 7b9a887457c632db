using System;
using System.Threading;
using SoftGen.Data;

namespace SoftGen.Training;

/// <summary>Fit with mixup: each gathered minibatch is mixed with a shuffled copy of itself, in the batch buffers.</summary>
public abstract unsafe partial class TrainerBase
{
    private DeterministicRandom _mixupRandom;
    private bool _mixupSeeded;
    private int[]? _mixupPartners;

    /// <summary>
    /// Fit with mixup: as <see cref="Fit(ReadOnlySpan{float}, ReadOnlySpan{float}, int, IProgress{EpochReport}?, CancellationToken)"/>,
    /// but each minibatch is replaced, in the trainer's own batch buffers, by lambda * batch + (1 - lambda) * the same
    /// rows in a random order, features and targets alike, with lambda ~ Beta(alpha, alpha) drawn per batch. The
    /// draws come from the trainer's seeded mixup stream (apart from the shuffle stream, so the row order is the
    /// same as without mixup), and the run repeats exactly. A reported epoch loss is the mean over the mixed batches.
    /// With sample weights (a <see cref="Dataset"/> with <see cref="Dataset.Weights"/>), a mixed row weighs
    /// lambda w_a + (1 - lambda) w_b, the same lambda and partner as its features. Nothing is allocated per batch.
    /// </summary>
    public void Fit(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int epochs, MixupOptions mixup,
        IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mixup);
        FitCore(inputs, targets, default, FitOptions.ForEpochs(epochs, progress, mixup), cancellationToken, keepHistory: false);
    }

    /// <summary>
    /// Mixes the data set's rows <paramref name="rows"/> into the batch buffers (see <see cref="Mixup.MixBatch"/>). With
    /// sample weights (not empty), a mixed row's weight is lambda w_a + (1 - lambda) w_b, with the lambda and partner its
    /// features and targets were mixed with.
    /// </summary>
    private void GatherMixedBatch(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, ReadOnlySpan<float> weights, ReadOnlySpan<int> rows, MixupOptions mixup)
    {
        if (!_mixupSeeded)
        {
            _mixupRandom = new DeterministicRandom(_options.Seed, Mixup.Stream);
            _mixupSeeded = true;
        }
        var partners = _mixupPartners ??= new int[BatchCapacity];
        int n = rows.Length, inputsPerRow = _model.Inputs, classes = _model.OutputsPerRow;
        float lambda = Mixup.MixBatch(inputs, targets, rows, inputsPerRow, classes, mixup.Alpha, ref _mixupRandom, partners.AsSpan(0, n),
            new Span<float>(_batchInputs, n * inputsPerRow), new Span<float>(_batchTargets, n * classes));
        if (weights.IsEmpty) return;
        float other = 1f - lambda;
        for (int r = 0; r < n; r++) _batchWeights[r] = lambda * weights[rows[r]] + other * weights[rows[partners[r]]];
    }
}
