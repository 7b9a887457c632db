using System;
using SoftGen.Training;

namespace SoftGen.Metrics;

/// <summary>
/// One-call forms of <see cref="ClassificationMetrics"/> over probabilities and targets [rows, classes], and
/// <see cref="Evaluate"/>, which scores a trainer or an ensemble on a data set.
/// </summary>
public static class ProbabilityMetrics
{
    public static double Accuracy(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> targets, int classes) =>
        Over(probabilities, targets, classes).Accuracy;

    public static double TopKAccuracy(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> targets, int classes, int k) =>
        Over(probabilities, targets, classes, topK: k).TopKAccuracy;

    public static double NegativeLogLikelihood(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> targets, int classes) =>
        Over(probabilities, targets, classes).NegativeLogLikelihood;

    public static double KLDivergence(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> targets, int classes) =>
        Over(probabilities, targets, classes).KLDivergence;

    /// <summary>
    /// The Kaggle HMS Harmful Brain Activity Classification score, as the contest's published metric computes it
    /// (kaggle_kl_divergence with epsilon 1e-15 and micro averaging): each probability clipped to [1e-15, 1 - 1e-15]
    /// without renormalising the row, then the mean over rows of sum_c y log(y / p) over the classes where y &gt; 0, in
    /// double precision. Unlike <see cref="KLDivergence"/>, a probability of 0 costs a finite amount (log 1e15 per unit of
    /// target) and the clipped rows need not sum to 1, so the two agree only where no probability is clipped.
    /// </summary>
    public static double HmsScore(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> targets, int classes)
    {
        const double epsilon = 1e-15;
        if (classes < 1)
            throw new ArgumentOutOfRangeException(nameof(classes), classes, "There must be at least one class.");
        if (probabilities.Length == 0 || probabilities.Length % classes != 0)
            throw new ArgumentException($"probabilities has {probabilities.Length} values; it needs one or more whole rows of {classes}.", nameof(probabilities));
        if (targets.Length != probabilities.Length)
            throw new ArgumentException($"targets has {targets.Length} values but probabilities has {probabilities.Length}; they need the same rows.", nameof(targets));
        for (int k = 0; k < probabilities.Length; k++)
        {
            if (!float.IsFinite(probabilities[k]) || probabilities[k] < 0f)
                throw new ArgumentException($"Probability row {k / classes}, class {k % classes} is {probabilities[k]}; it must be finite and non-negative.", nameof(probabilities));
            if (!float.IsFinite(targets[k]) || targets[k] < 0f)
                throw new ArgumentException($"Target row {k / classes}, class {k % classes} is {targets[k]}; it must be finite and non-negative.", nameof(targets));
        }

        double total = 0;
        for (int k = 0; k < probabilities.Length; k++)
        {
            double y = targets[k];
            if (y != 0)
                total += y * Math.Log(y / Math.Clamp((double)probabilities[k], epsilon, 1 - epsilon));
        }
        return total / (probabilities.Length / classes);
    }

    public static double BrierScore(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> targets, int classes) =>
        Over(probabilities, targets, classes).BrierScore;

    public static double ExpectedCalibrationError(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> targets, int classes,
        int bins = ClassificationMetrics.DefaultBins) =>
        Over(probabilities, targets, classes, bins).ExpectedCalibrationError;

    public static ReliabilityBin[] ReliabilityDiagram(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> targets, int classes,
        int bins = ClassificationMetrics.DefaultBins) =>
        Over(probabilities, targets, classes, bins).ReliabilityBins();

    public static ConfusionMatrix Confusion(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> targets, int classes) =>
        Over(probabilities, targets, classes).Confusion();

    /// <summary>
    /// Predicts inputs [count, Inputs] with <paramref name="model"/> (at its prediction temperature) a chunk at a
    /// time and scores the probabilities against targets [count, Classes]. Softmax-family models only.
    /// </summary>
    public static ClassificationReport Evaluate(IClassifier model, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets,
        int topK = 5, int bins = ClassificationMetrics.DefaultBins)
    {
        ArgumentNullException.ThrowIfNull(model);
        var info = model.Model;
        if (!info.TargetsAreDistributions)
            throw new NotSupportedException(
                $"Model {info.Name} predicts one sigmoid probability per class; these metrics score distributions (softmax-family models).");
        int inputsPerRow = info.Inputs, classes = info.Classes;
        if (inputs.Length == 0 || inputs.Length % inputsPerRow != 0)
            throw new ArgumentException($"inputs has {inputs.Length} values; it needs one or more whole rows of {inputsPerRow}.", nameof(inputs));
        int count = inputs.Length / inputsPerRow;
        if (targets.Length != (long)count * classes)
            throw new ArgumentException($"targets has {targets.Length} values, but {count} rows of {classes} classes need {(long)count * classes}.", nameof(targets));

        var metrics = new ClassificationMetrics(classes, bins, topK);
        const int chunk = 1024;
        var probabilities = new float[Math.Min(chunk, count) * classes];
        for (int start = 0; start < count; start += chunk)
        {
            int rows = Math.Min(chunk, count - start);
            var p = probabilities.AsSpan(0, rows * classes);
            model.PredictProbabilities(inputs.Slice(start * inputsPerRow, rows * inputsPerRow), p, rows);
            metrics.Add(p, targets.Slice(start * classes, rows * classes));
        }
        return metrics.Report();
    }

    private static ClassificationMetrics Over(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> targets, int classes,
        int bins = ClassificationMetrics.DefaultBins, int topK = 1)
    {
        if (topK > classes) throw new ArgumentOutOfRangeException(nameof(topK), topK, $"k cannot exceed the {classes} classes.");
        var metrics = new ClassificationMetrics(classes, bins, topK);
        metrics.Add(probabilities, targets);
        return metrics;
    }
}
