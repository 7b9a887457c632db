using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using SoftGen.Training;

namespace SoftGen.Data;

/// <summary>What a row of targets is.</summary>
public enum TargetKind
{
    /// <summary>A distribution over the classes (softmax cross-entropy, KL divergence): non-negative, summing to 1.</summary>
    Distribution,

    /// <summary>One probability per class, each in [0, 1] on its own (sigmoid cross-entropy, multi-label).</summary>
    PerClass,
}

/// <summary>
/// Features [Count, Inputs] and targets [Count, Classes], each in one contiguous row-major array, checked when the
/// dataset is made: the first non-finite feature, the first negative or non-finite target, the first
/// <see cref="TargetKind.Distribution"/> row whose sum is off by more than 1e-3 (or <see cref="TargetKind.PerClass"/>
/// value above 1) and any width mismatch throw an <see cref="ArgumentException"/> that names the row and column.
/// An optional column of per-row sample weights [Count] (<see cref="Weights"/>), each finite and non-negative with a
/// positive sum, makes Fit minimise the weighted mean loss; <see cref="Select"/>, <see cref="Shuffled"/>,
/// <see cref="Split"/> and <see cref="WithTargets"/> carry it (and <see cref="VoteCounts"/>) along with the rows.
/// </summary>
/// <remarks>
/// The dataset keeps the arrays it is given rather than copying them; change them afterwards and the checks no
/// longer hold (the trainer checks again before it trains, so nothing unsafe follows, only a later error).
/// </remarks>
public sealed class Dataset
{
    /// <summary>How far a distribution row's sum may be from 1.</summary>
    public const double SumTolerance = 1e-3;

    private readonly float[] _features;
    private readonly float[] _targets;
    private readonly float[]? _weights;
    private readonly float[]? _voteCounts;

    /// <summary>The dataset; <paramref name="weights"/>: optional sample weights, one per row, each finite and non-negative, with a positive sum.</summary>
    /// <exception cref="ArgumentException">A width does not match, or a value is invalid; the message names the row and column.</exception>
    public Dataset(float[] features, float[] targets, int inputs, int classes, TargetKind targetKind = TargetKind.Distribution, float[]? weights = null)
        : this(features, targets, inputs, classes, targetKind, weights, voteCounts: null, derived: false)
    {
    }

    /// <summary>
    /// The checks and the fields. <paramref name="voteCounts"/> come from a vote reader (positive and finite).
    /// <paramref name="derived"/>: the rows are a selection of a checked dataset's, whose weights may all be 0 in the
    /// selection (Fit refuses that when it comes to train on them), so their sum is not checked.
    /// </summary>
    private Dataset(float[] features, float[] targets, int inputs, int classes, TargetKind targetKind, float[]? weights, float[]? voteCounts, bool derived)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        if (inputs < 1) throw new ArgumentOutOfRangeException(nameof(inputs), inputs, "A row needs at least one feature.");
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), classes, "A row needs at least one class.");
        if (targetKind is not (TargetKind.Distribution or TargetKind.PerClass))
            throw new ArgumentOutOfRangeException(nameof(targetKind), targetKind, "Unknown target kind.");
        if (features.Length % inputs != 0)
            throw new ArgumentException(
                $"features has {features.Length} values, which is not a whole number of rows of {inputs} features.", nameof(features));
        if (targets.Length % classes != 0)
            throw new ArgumentException(
                $"targets has {targets.Length} values, which is not a whole number of rows of {classes} classes.", nameof(targets));
        int count = features.Length / inputs;
        if (targets.Length / classes != count)
            throw new ArgumentException(
                $"features has {count} rows of {inputs} but targets has {targets.Length / classes} rows of {classes}; they must have the same rows.",
                nameof(targets));

        if (weights is not null)
        {
            if (derived || count == 0) CheckWeightValues(weights, count);
            else SampleWeights.Check(weights, count, nameof(weights));
        }
        if (voteCounts is not null && voteCounts.Length != count)
            throw new ArgumentException($"voteCounts has {voteCounts.Length} values; one per row ({count}) is needed.", nameof(voteCounts));

        _features = features;
        _targets = targets;
        _weights = weights;
        _voteCounts = voteCounts;
        Count = count;
        Inputs = inputs;
        Classes = classes;
        TargetKind = targetKind;
        Validate();
    }

    /// <summary>Rows.</summary>
    public int Count { get; }

    /// <summary>Features per row.</summary>
    public int Inputs { get; }

    /// <summary>Target columns per row.</summary>
    public int Classes { get; }

    public TargetKind TargetKind { get; }

    /// <summary>All features, [Count, Inputs] row-major.</summary>
    public ReadOnlySpan<float> Features => _features;

    /// <summary>All targets, [Count, Classes] row-major.</summary>
    public ReadOnlySpan<float> Targets => _targets;

    /// <summary><see cref="Features"/> as memory, for options that keep it (FitOptions' validation data).</summary>
    public ReadOnlyMemory<float> FeatureMemory => _features;

    /// <summary><see cref="Targets"/> as memory.</summary>
    public ReadOnlyMemory<float> TargetMemory => _targets;

    /// <summary>The per-row sample weights [Count] that Fit weights the loss by; empty when the dataset has none.</summary>
    public ReadOnlySpan<float> Weights => _weights;

    /// <summary>Whether the dataset has sample weights (<see cref="Weights"/>).</summary>
    public bool HasWeights => _weights is not null;

    /// <summary>
    /// Each row's total votes [Count] when the targets were read from vote counts (<see cref="CsvLabels.Votes"/>), the
    /// number of annotators behind its distribution; empty otherwise.
    /// </summary>
    public ReadOnlySpan<float> VoteCounts => _voteCounts;

    public ReadOnlySpan<float> FeatureRow(int row) => FeatureRows(row, 1);

    public ReadOnlySpan<float> TargetRow(int row) => TargetRows(row, 1);

    public ReadOnlySpan<float> FeatureRows(int start, int count)
    {
        CheckRange(start, count);
        return _features.AsSpan(start * Inputs, count * Inputs);
    }

    public ReadOnlySpan<float> TargetRows(int start, int count)
    {
        CheckRange(start, count);
        return _targets.AsSpan(start * Classes, count * Classes);
    }

    /// <summary>The most probable class of each target row (the first, on a tie).</summary>
    public int[] TargetClasses()
    {
        var classes = new int[Count];
        for (int r = 0; r < Count; r++) classes[r] = Training.Metrics.ArgMax(TargetRow(r));
        return classes;
    }

    /// <summary>The given rows, in the given order, as a new dataset.</summary>
    public Dataset Select(ReadOnlySpan<int> rows)
    {
        var features = new float[rows.Length * Inputs];
        var targets = new float[rows.Length * Classes];
        var weights = _weights is null ? null : new float[rows.Length];
        var voteCounts = _voteCounts is null ? null : new float[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            int row = rows[i];
            if ((uint)row >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(rows), row, $"Row index {i} is {row}, outside the dataset's 0..{Count - 1}.");
            FeatureRow(row).CopyTo(features.AsSpan(i * Inputs, Inputs));
            TargetRow(row).CopyTo(targets.AsSpan(i * Classes, Classes));
            if (weights is not null) weights[i] = _weights![row];
            if (voteCounts is not null) voteCounts[i] = _voteCounts![row];
        }
        return new Dataset(features, targets, Inputs, Classes, TargetKind, weights, voteCounts, derived: true);
    }

    /// <summary>
    /// The rows in a seeded random order (Fisher-Yates over SoftGen's own xoshiro256** generator, so the order is
    /// the same on every machine and .NET version).
    /// </summary>
    public Dataset Shuffled(int seed)
    {
        var order = new int[Count];
        for (int i = 0; i < Count; i++) order[i] = i;
        var random = new DeterministicRandom(seed, ShuffleStream);
        for (int i = Count - 1; i > 0; i--)
        {
            int j = random.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return Select(order);
    }

    /// <summary>The first <paramref name="headCount"/> rows and the rest, as two new datasets.</summary>
    public (Dataset Head, Dataset Tail) Split(int headCount)
    {
        if ((uint)headCount > (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(headCount), headCount, $"The split point must be within 0..{Count}.");
        return (Slice(0, headCount), Slice(headCount, Count - headCount));
    }

    /// <summary>
    /// The same features (and weights and vote counts) with other targets (label smoothing, distillation targets),
    /// checked as a new dataset.
    /// </summary>
    public Dataset WithTargets(float[] targets, int classes, TargetKind targetKind = TargetKind.Distribution) =>
        new(_features, targets, Inputs, classes, targetKind, _weights, _voteCounts, derived: true);

    /// <summary>
    /// The same rows with these sample weights (one per row, each finite and non-negative, a positive sum), or with
    /// none when <paramref name="weights"/> is null. For vote-weighted training: <c>data.WithWeights(data.VoteCounts.ToArray())</c>.
    /// </summary>
    public Dataset WithWeights(float[]? weights) =>
        new(_features, _targets, Inputs, Classes, TargetKind, weights, _voteCounts, derived: false);

    /// <summary>A dataset read from vote counts: <paramref name="voteCounts"/> holds each row's total (positive).</summary>
    internal static Dataset FromVotes(float[] features, float[] targets, int inputs, int classes, float[] voteCounts, bool weightByVotes) =>
        new(features, targets, inputs, classes, TargetKind.Distribution, weightByVotes ? voteCounts : null, voteCounts, derived: false);

    /// <summary>Throws unless the rows are as wide as <paramref name="model"/> expects and its loss takes this target kind.</summary>
    public void CheckFits(ModelInfo model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (Inputs != model.Inputs)
            throw new ArgumentException($"The dataset has {Inputs} features per row but model {model.Name} takes {model.Inputs} inputs.");
        if (Classes != model.Classes)
            throw new ArgumentException($"The dataset has {Classes} target columns per row but model {model.Name} has {model.Classes} classes.");
        if (model.TargetsAreDistributions && TargetKind != TargetKind.Distribution)
            throw new ArgumentException(
                $"Model {model.Name} ({model.Loss}) needs targets that are distributions, but this dataset's targets are per-class probabilities.");
    }

    private Dataset Slice(int start, int count) =>
        new(FeatureRows(start, count).ToArray(), TargetRows(start, count).ToArray(), Inputs, Classes, TargetKind,
            _weights?.AsSpan(start, count).ToArray(), _voteCounts?.AsSpan(start, count).ToArray(), derived: true);

    /// <summary>Each weight finite and non-negative (the sum not checked: see the constructor).</summary>
    private static void CheckWeightValues(float[] weights, int count)
    {
        if (weights.Length != count)
            throw new ArgumentException($"weights has {weights.Length} values; one per row ({count}) is needed.", nameof(weights));
        for (int r = 0; r < weights.Length; r++)
            if (!(float.IsFinite(weights[r]) && weights[r] >= 0f))
                throw new ArgumentException($"The sample weight of row {r} is {weights[r]}; weights must be finite and non-negative.", nameof(weights));
    }

    private void CheckRange(int start, int count)
    {
        if (start < 0 || count < 0 || start > Count - count)
            throw new ArgumentOutOfRangeException(nameof(start), start, $"Rows {start}..{start + count - 1} are not all within 0..{Count - 1}.");
    }

    private void Validate()
    {
        var features = _features;
        for (int k = 0; k < features.Length; k++)
            if (!float.IsFinite(features[k])) ThrowFeature(features[k], k / Inputs, k % Inputs);

        bool distribution = TargetKind == TargetKind.Distribution;
        for (int r = 0; r < Count; r++)
        {
            var row = _targets.AsSpan(r * Classes, Classes);
            double sum = 0;
            for (int c = 0; c < row.Length; c++)
            {
                float y = row[c];
                if (!float.IsFinite(y) || y < 0f) ThrowTarget(y, r, c, "targets must be finite and non-negative");
                if (!distribution && y > 1f) ThrowTarget(y, r, c, "per-class targets are probabilities in [0, 1]");
                sum += y;
            }
            if (distribution && !(Math.Abs(sum - 1.0) <= SumTolerance))
                throw new ArgumentException(
                    $"Target row {r} sums to {sum:G7}; distribution targets must sum to 1 (within {SumTolerance}).", "targets");
        }
    }

    // The dataset's own generator stream, apart from the trainer's initialisation, shuffle and mixup streams.
    private const uint ShuffleStream = 0x44415441; // "DATA"

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowFeature(float value, int row, int column) =>
        throw new ArgumentException($"Feature row {row}, column {column} is {value}; features must be finite.", "features");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTarget(float value, int row, int column, string rule) =>
        throw new ArgumentException($"Target row {row}, class {column} is {value}; {rule}.", "targets");
}
