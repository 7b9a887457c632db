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
