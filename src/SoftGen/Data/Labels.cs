using System;
using SoftGen.Training;

namespace SoftGen.Data;

/// <summary>
/// Builders of soft targets, row by row over dense [rows, classes] spans: one-hot, label smoothing, votes to a
/// distribution, mixup of two rows, and distillation targets from logits at a temperature. Each span overload
/// writes into a destination the caller owns and allocates nothing; destination may be the source itself.
/// </summary>
public static class Labels
{
    /// <summary>One-hot rows [classes.Length, classCount] for class indices.</summary>
    public static float[] OneHot(ReadOnlySpan<int> classes, int classCount)
    {
        var targets = new float[checked(classes.Length * classCount)];
        OneHot(classes, classCount, targets);
        return targets;
    }

    /// <summary>One-hot rows [classes.Length, classCount] for class indices.</summary>
    public static void OneHot(ReadOnlySpan<int> classes, int classCount, Span<float> destination)
    {
        if (classCount < 1) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "There must be at least one class.");
        CheckLength(destination.Length, (long)classes.Length * classCount, nameof(destination));
        for (int r = 0; r < classes.Length; r++)
            if ((uint)classes[r] >= (uint)classCount)
                throw new ArgumentOutOfRangeException(nameof(classes), classes[r], $"Row {r} has class {classes[r]}, outside 0..{classCount - 1}.");
        destination.Clear();
        for (int r = 0; r < classes.Length; r++) destination[r * classCount + classes[r]] = 1f;
    }

    /// <summary>Label smoothing, y' = (1 - epsilon) y + epsilon / classes, per row (PyTorch's label_smoothing).</summary>
    public static float[] Smooth(ReadOnlySpan<float> targets, int classes, float epsilon)
    {
        var smoothed = new float[targets.Length];
        Smooth(targets, classes, epsilon, smoothed);
        return smoothed;
    }

    /// <inheritdoc cref="Smooth(ReadOnlySpan{float}, int, float)"/>
    public static void Smooth(ReadOnlySpan<float> targets, int classes, float epsilon, Span<float> destination)
    {
        CheckRows(targets.Length, classes, nameof(targets));
        CheckLength(destination.Length, targets.Length, nameof(destination));
        if (!(epsilon >= 0f && epsilon < 1f))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Label smoothing must be in [0, 1).");
        float keep = 1f - epsilon, spread = epsilon / classes;
        for (int k = 0; k < targets.Length; k++) destination[k] = keep * targets[k] + spread;
    }

    /// <summary>Vote counts [rows, classes] to distributions: each row over its total.</summary>
    /// <exception cref="ArgumentException">A count is negative or not finite, or a row has no votes; the message names it.</exception>
    public static float[] VotesToDistribution(ReadOnlySpan<float> votes, int classes)
    {
        var distribution = new float[votes.Length];
        VotesToDistribution(votes, classes, distribution);
        return distribution;
    }

    /// <inheritdoc cref="VotesToDistribution(ReadOnlySpan{float}, int)"/>
    public static void VotesToDistribution(ReadOnlySpan<float> votes, int classes, Span<float> destination) =>
        VotesToDistribution(votes, classes, destination, Span<float>.Empty, totals: false);

    /// <summary>
    /// Vote counts [rows, classes] to distributions, each row over its total, and each row's total votes into
    /// <paramref name="voteCounts"/> [rows] (for weighting rows by their annotators: <see cref="Dataset.WithWeights"/>).
    /// </summary>
    /// <exception cref="ArgumentException">A count is negative or not finite, or a row has no votes; the message names it.</exception>
    public static void VotesToDistribution(ReadOnlySpan<float> votes, int classes, Span<float> destination, Span<float> voteCounts) =>
        VotesToDistribution(votes, classes, destination, voteCounts, totals: true);

    private static void VotesToDistribution(ReadOnlySpan<float> votes, int classes, Span<float> destination, Span<float> voteCounts, bool totals)
    {
        CheckRows(votes.Length, classes, nameof(votes));
        CheckLength(destination.Length, votes.Length, nameof(destination));
        if (totals) CheckLength(voteCounts.Length, votes.Length / classes, nameof(voteCounts));
        for (int r = 0; r < votes.Length / classes; r++)
        {
            var row = votes.Slice(r * classes, classes);
            double total = 0;
            for (int c = 0; c < classes; c++)
            {
                if (!float.IsFinite(row[c]) || row[c] < 0f)
                    throw new ArgumentException($"Vote row {r}, class {c} is {row[c]}; vote counts must be finite and non-negative.", nameof(votes));
                total += row[c];
            }
            if (total <= 0) throw new ArgumentException($"Vote row {r} has no votes, so it has no distribution.", nameof(votes));
            var target = destination.Slice(r * classes, classes);
            for (int c = 0; c < classes; c++) target[c] = (float)(row[c] / total);
            if (totals) voteCounts[r] = (float)total;
        }
    }

    /// <summary>
    /// Mixup of two equally long spans (rows of features or of targets): lambda a + (1 - lambda) b. Fit mixes
    /// inside its own batches with <see cref="MixupOptions"/>; this is for building mixed data by hand.
    /// </summary>
    public static void Mix(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float lambda, Span<float> destination)
    {
        CheckLength(b.Length, a.Length, nameof(b));
        CheckLength(destination.Length, a.Length, nameof(destination));
        if (!(lambda >= 0f && lambda <= 1f)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "lambda must be in [0, 1].");
        float other = 1f - lambda;
        for (int k = 0; k < a.Length; k++) destination[k] = lambda * a[k] + other * b[k];
    }

    /// <summary>
    /// Distillation targets from logits [rows, classes]: softmax(z / temperature) per row, computed by LogSumExp
    /// in double, so logits of any size give finite targets summing to 1.
    /// </summary>
    public static void FromLogits(ReadOnlySpan<float> logits, int classes, float temperature, Span<float> destination)
    {
        CheckRows(logits.Length, classes, nameof(logits));
        CheckLength(destination.Length, logits.Length, nameof(destination));
        CheckTemperature(temperature, nameof(temperature));
        Calibration.Tempered.Softmax(logits, classes, temperature, destination);
    }

    /// <summary>
    /// Distillation targets from a trained teacher (a trainer or an ensemble): its probabilities at
    /// <paramref name="temperature"/> for inputs [rows, Inputs], as [rows, Classes].
    /// </summary>
    public static float[] Distill(IClassifier teacher, ReadOnlySpan<float> inputs, float temperature)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        int inputsPerRow = teacher.Model.Inputs;
        if (inputs.Length % inputsPerRow != 0)
            throw new ArgumentException($"inputs has {inputs.Length} values, not a whole number of rows of {inputsPerRow}.", nameof(inputs));
        int rows = inputs.Length / inputsPerRow;
        var targets = new float[checked(rows * teacher.Model.Classes)];
        teacher.PredictTempered(inputs, targets, rows, temperature);
        return targets;
    }

    internal static void CheckTemperature(float temperature, string paramName)
    {
        if (!(float.IsFinite(temperature) && temperature > 0f))
            throw new ArgumentOutOfRangeException(paramName, temperature, "The temperature must be positive and finite.");
    }

    private static void CheckRows(int length, int classes, string paramName)
    {
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), classes, "There must be at least one class.");
        if (length % classes != 0)
            throw new ArgumentException($"{paramName} has {length} values, not a whole number of rows of {classes} classes.", paramName);
    }

    private static void CheckLength(long actual, long expected, string paramName)
    {
        if (actual != expected) throw new ArgumentException($"{paramName} has {actual} values; {expected} are needed.", paramName);
    }
}
