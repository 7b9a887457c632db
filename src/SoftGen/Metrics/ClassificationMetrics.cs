using System;

namespace SoftGen.Metrics;

/// <summary>
/// Metrics of predicted distributions against target distributions, accumulated batch by batch in double with no
/// allocation per batch. For each row, with p the prediction, y the target, predicted = argmax p,
/// actual = argmax y (the first index on a tie) and confidence = max p:
/// <list type="bullet">
/// <item>accuracy: the fraction with predicted = actual;</item>
/// <item>top-k accuracy: the fraction whose actual class is among the k largest p (a tie ranks the lower index first);</item>
/// <item>NLL: -sum_c y_c log p_c (cross-entropy with soft targets), averaged over rows;</item>
/// <item>KL: sum_c y_c (log y_c - log p_c), averaged over rows (PyTorch's 'batchmean');</item>
/// <item>Brier score: sum_c (p_c - y_c)^2, averaged over rows;</item>
/// <item>ECE (Guo et al., 2017): rows binned by confidence into <see cref="Bins"/> equal-width bins (lower, upper] over
/// [0, 1], sum over bins of (rows in bin / rows) |accuracy in bin - mean confidence in bin|;</item>
/// <item>the reliability diagram's bins and the confusion matrix (actual x predicted).</item>
/// </list>
/// log p is taken as log(max(p, 1e-30)), and terms with y_c = 0 are 0. These are metrics for softmax-family
/// (distribution) predictions.
/// </summary>
public sealed class ClassificationMetrics
{
    /// <summary>Guo et al.'s bin count for the ECE.</summary>
    public const int DefaultBins = 15;

    private readonly long[] _binCount;
    private readonly double[] _binConfidence;
    private readonly double[] _binCorrect;
    private readonly long[] _confusion;
    private long _count, _correct, _topK;
    private ProbabilityScores _scores;

    /// <param name="classes">Columns of each row.</param>
    /// <param name="bins">Equal-width confidence bins for the ECE and the reliability diagram.</param>
    /// <param name="topK">k of the top-k accuracy; a k above <paramref name="classes"/> is taken as <paramref name="classes"/>.</param>
    public ClassificationMetrics(int classes, int bins = DefaultBins, int topK = 5)
    {
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "Classification metrics need at least 2 classes.");
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), bins, "There must be at least one bin.");
        if (topK < 1) throw new ArgumentOutOfRangeException(nameof(topK), topK, "k must be at least 1.");
        Classes = classes;
        Bins = bins;
        TopK = Math.Min(topK, classes);
        _binCount = new long[bins];
        _binConfidence = new double[bins];
        _binCorrect = new double[bins];
        _confusion = new long[checked(classes * classes)];
    }

    public int Classes { get; }
    public int Bins { get; }
    public int TopK { get; }

    /// <summary>Rows added so far.</summary>
    public long Count => _count;

    public double Accuracy => Mean(_correct);
    public double TopKAccuracy => Mean(_topK);
    public double NegativeLogLikelihood => Mean(_scores.NegativeLogLikelihood);
    public double KLDivergence => Mean(_scores.KLDivergence);
    public double BrierScore => Mean(_scores.Brier);

    public double ExpectedCalibrationError
    {
        get
        {
            if (_count == 0) return double.NaN;
            double gap = 0;
            for (int m = 0; m < Bins; m++) gap += Math.Abs(_binCorrect[m] - _binConfidence[m]);
            return gap / _count;
        }
    }

    /// <summary>The bins of a reliability diagram, lowest confidence first.</summary>
    public ReliabilityBin[] ReliabilityBins()
    {
        var bins = new ReliabilityBin[Bins];
        for (int m = 0; m < Bins; m++)
        {
            long n = _binCount[m];
            bins[m] = new ReliabilityBin((double)m / Bins, (double)(m + 1) / Bins, n,
                n == 0 ? double.NaN : _binConfidence[m] / n, n == 0 ? double.NaN : _binCorrect[m] / n);
        }
        return bins;
    }

    /// <summary>A copy of the confusion matrix so far.</summary>
    public ConfusionMatrix Confusion() => new(Classes, (long[])_confusion.Clone());

    public ClassificationReport Report() => new(_count, Accuracy, TopK, TopKAccuracy, NegativeLogLikelihood, KLDivergence, BrierScore,
        ExpectedCalibrationError, ReliabilityBins(), Confusion());

    /// <summary>Adds whole rows: probabilities and targets, both [rows, Classes].</summary>
    /// <exception cref="ArgumentException">The lengths differ or are not whole rows, or a value is negative or not finite (named by row and class); nothing was added.</exception>
    public void Add(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> targets)
    {
        int classes = Classes;
        if (probabilities.Length % classes != 0)
            throw new ArgumentException($"probabilities has {probabilities.Length} values, not a whole number of rows of {classes}.", nameof(probabilities));
        if (targets.Length != probabilities.Length)
            throw new ArgumentException($"targets has {targets.Length} values but probabilities has {probabilities.Length}; they need the same rows.", nameof(targets));
        Check(probabilities, "Probability", nameof(probabilities));
        Check(targets, "Target", nameof(targets));

        for (int start = 0; start < probabilities.Length; start += classes)
            AddRow(probabilities.Slice(start, classes), targets.Slice(start, classes));
    }

    private void AddRow(ReadOnlySpan<float> p, ReadOnlySpan<float> y)
    {
        int predicted = Training.Metrics.ArgMax(p), actual = Training.Metrics.ArgMax(y);
        bool correct = predicted == actual;
        _count++;
        if (correct) _correct++;
        _confusion[actual * Classes + predicted]++;

        float truth = p[actual];
        int rank = 0;
        for (int c = 0; c < p.Length; c++)
            if (p[c] > truth || (p[c] == truth && c < actual)) rank++;
        if (rank < TopK) _topK++;

        _scores.AddDistribution(p, y);

        double confidence = p[predicted];
        int bin = Math.Clamp((int)Math.Ceiling(confidence * Bins) - 1, 0, Bins - 1);
        _binCount[bin]++;
        _binConfidence[bin] += confidence;
        if (correct) _binCorrect[bin] += 1;
    }

    private double Mean(double sum) => _count == 0 ? double.NaN : sum / _count;

    private void Check(ReadOnlySpan<float> values, string what, string paramName)
    {
        for (int k = 0; k < values.Length; k++)
            if (!float.IsFinite(values[k]) || values[k] < 0f)
                throw new ArgumentException(
                    $"{what} row {_count + k / Classes}, class {k % Classes} is {values[k]}; it must be finite and non-negative. Nothing was added.", paramName);
    }
}
