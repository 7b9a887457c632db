using System;
using SoftGen.Metrics;
using SoftGen.Tests.Training;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Toolkit;

/// <summary>
/// Every metric on five hand-made rows over three classes, against values worked out by hand:
/// <code>
/// row  p                   y              predicted actual confidence  bin (of 15)
/// 0    0.70 0.20 0.10      1   0   0      0         0      0.70        10  (2/3, 11/15]
/// 1    0.10 0.62 0.28      0   0   1      1         2      0.62         9  (0.6, 2/3]
/// 2    0.29 0.29 0.42      0   0.5 0.5    2         1 (tie: first)  0.42  6  (0.4, 7/15]
/// 3    0.20 0.50 0.30      0   1   0      1         1      0.50         7  (7/15, 0.5333]
/// 4    0.68 0.30 0.02      0   1   0      0         1      0.68        10
/// </code>
/// </summary>
public sealed class MetricsTests
{
    private static readonly float[] P =
    {
        0.70f, 0.20f, 0.10f,
        0.10f, 0.62f, 0.28f,
        0.29f, 0.29f, 0.42f,
        0.20f, 0.50f, 0.30f,
        0.68f, 0.30f, 0.02f,
    };

    private static readonly float[] Y =
    {
        1, 0, 0,
        0, 0, 1,
        0, 0.5f, 0.5f,
        0, 1, 0,
        0, 1, 0,
    };

    private const double Tolerance = 1e-6; // the probabilities are floats: 0.7f is 0.7 to about 1e-8

    [Fact]
    public void Accuracy_counts_argmax_agreement_with_the_first_index_on_a_target_tie()
    {
        // Rows 0 and 3 are right; row 2's target ties classes 1 and 2, so its actual class is 1.
        Assert.Equal(2.0 / 5, ProbabilityMetrics.Accuracy(P, Y, 3), Tolerance);
    }

    [Fact]
    public void Top_k_accuracy_ranks_a_tied_lower_index_first()
    {
        // k = 1 is the accuracy. k = 2: row 1's class 2 (0.28) is second, row 4's class 1 (0.30) is second, but row 2's
        // class 1 (0.29) ties class 0 (0.29), which ranks first, behind 0.42: third. So 4 of 5.
        Assert.Equal(2.0 / 5, ProbabilityMetrics.TopKAccuracy(P, Y, 3, 1), Tolerance);
        Assert.Equal(4.0 / 5, ProbabilityMetrics.TopKAccuracy(P, Y, 3, 2), Tolerance);
        Assert.Equal(1.0, ProbabilityMetrics.TopKAccuracy(P, Y, 3, 3), Tolerance);
    }

    [Fact]
    public void Nll_is_the_soft_target_cross_entropy_averaged_over_rows()
    {
        double expected = (-Math.Log(0.7) - Math.Log(0.28) - 0.5 * Math.Log(0.29) - 0.5 * Math.Log(0.42) - Math.Log(0.5) - Math.Log(0.3)) / 5;
        Assert.Equal(0.91588961, expected, 1e-8); // the same sum, added up by hand
        Assert.Equal(expected, ProbabilityMetrics.NegativeLogLikelihood(P, Y, 3), Tolerance);
    }

    [Fact]
    public void Kl_is_batchmean_and_zero_targets_add_nothing()
    {
        // One-hot rows: KL = NLL. Row 2: 0.5 ln(0.5 / 0.29) + 0.5 ln(0.5 / 0.42) = 0.5 (0.544727 + 0.174353) = 0.359540.
        double expected = (-Math.Log(0.7) - Math.Log(0.28) + 0.359540 - Math.Log(0.5) - Math.Log(0.3)) / 5;
        Assert.Equal(expected, ProbabilityMetrics.KLDivergence(P, Y, 3), 2e-6);
    }

    [Fact]
    public void Brier_sums_squared_differences_over_classes_and_averages_over_rows()
    {
        // 0.14 + (0.01 + 0.3844 + 0.5184) + (0.0841 + 0.0441 + 0.0064) + (0.04 + 0.25 + 0.09) + (0.4624 + 0.49 + 0.0004)
        // = 0.14 + 0.9128 + 0.1346 + 0.38 + 0.9528 = 2.5202.
        Assert.Equal(2.5202 / 5, ProbabilityMetrics.BrierScore(P, Y, 3), Tolerance);
    }

    [Fact]
    public void Ece_weights_each_bins_accuracy_confidence_gap_by_its_rows()
    {
        // Bin 10 holds rows 0 and 4: accuracy 1/2, confidence 0.69, gap 0.19, weight 2/5.
        // Bins 9, 6, 7 hold one row each: gaps |0 - 0.62|, |0 - 0.42|, |1 - 0.5|.
        double expected = 2.0 / 5 * 0.19 + (0.62 + 0.42 + 0.5) / 5;
        Assert.Equal(0.384, expected, 1e-12);
        Assert.Equal(expected, ProbabilityMetrics.ExpectedCalibrationError(P, Y, 3), Tolerance);
        // With one bin the ECE is |accuracy - mean confidence| = |0.4 - (0.7 + 0.62 + 0.42 + 0.5 + 0.68) / 5| = |0.4 - 0.584|.
        Assert.Equal(0.184, ProbabilityMetrics.ExpectedCalibrationError(P, Y, 3, bins: 1), Tolerance);
    }

    [Fact]
    public void Reliability_bins_are_fifteen_equal_widths_with_counts_confidences_and_accuracies()
    {
        var bins = ProbabilityMetrics.ReliabilityDiagram(P, Y, 3);
        Assert.Equal(15, bins.Length);
        for (int m = 0; m < 15; m++)
        {
            Assert.Equal(m / 15.0, bins[m].Lower, 1e-12);
            Assert.Equal((m + 1) / 15.0, bins[m].Upper, 1e-12);
        }
        AssertBin(bins[10], 2, 0.69, 0.5);
        AssertBin(bins[9], 1, 0.62, 0);
        AssertBin(bins[6], 1, 0.42, 0);
        AssertBin(bins[7], 1, 0.50, 1);
        foreach (int m in new[] { 0, 1, 2, 3, 4, 5, 8, 11, 12, 13, 14 })
        {
            Assert.Equal(0, bins[m].Count);
            Assert.True(double.IsNaN(bins[m].Confidence) && double.IsNaN(bins[m].Accuracy));
        }
        Assert.Equal(0.5 - 0.69, bins[10].Gap, Tolerance);
    }

    private static void AssertBin(ReliabilityBin bin, long count, double confidence, double accuracy)
    {
        Assert.Equal(count, bin.Count);
        Assert.Equal(confidence, bin.Confidence, Tolerance);
        Assert.Equal(accuracy, bin.Accuracy, Tolerance);
    }

    [Fact]
    public void Confusion_matrix_counts_actual_by_predicted()
    {
        var m = ProbabilityMetrics.Confusion(P, Y, 3);
        var expected = new long[,] { { 1, 0, 0 }, { 1, 1, 1 }, { 0, 1, 0 } }; // rows 0; 4, 3, 2; 1
        for (int a = 0; a < 3; a++)
            for (int p = 0; p < 3; p++)
                Assert.Equal(expected[a, p], m[a, p]);
        Assert.Equal(5, m.Total);
        Assert.Equal(1.0 / 3, m.Recall(1), 1e-12);
        Assert.Equal(1.0 / 2, m.Precision(1), 1e-12);
        Assert.Equal(1.0, m.Recall(0), 1e-12);
        Assert.Equal(0.5, m.Precision(0), 1e-12);
        Assert.Equal(0.0, m.Precision(2), 1e-12); // class 2 is predicted once (row 2), wrongly
        Assert.Contains("actual", m.ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => m[3, 0]);
    }

    [Fact]
    public void Accumulating_in_batches_gives_the_same_report_as_one_call()
    {
        var whole = new ClassificationMetrics(3, topK: 2);
        whole.Add(P, Y);
        var parts = new ClassificationMetrics(3, topK: 2);
        parts.Add(P.AsSpan(0, 6), Y.AsSpan(0, 6));
        parts.Add(P.AsSpan(6), Y.AsSpan(6));
        var a = whole.Report();
        var b = parts.Report();
        Assert.Equal(a.Count, b.Count);
        Assert.Equal(a.Accuracy, b.Accuracy, 1e-15);
        Assert.Equal(a.TopKAccuracy, b.TopKAccuracy, 1e-15);
        Assert.Equal(a.NegativeLogLikelihood, b.NegativeLogLikelihood, 1e-12);
        Assert.Equal(a.ExpectedCalibrationError, b.ExpectedCalibrationError, 1e-12);
        Assert.Equal(a.ReliabilityBins, b.ReliabilityBins);
    }

    [Fact]
    public void Evaluate_scores_a_trainers_predictions()
    {
        // The echo trainer predicts its inputs, so the report is that of the hand-made rows.
        using var echo = new EchoTrainer(3, LossKind.SoftmaxCrossEntropy, batchSize: 2);
        var r = ProbabilityMetrics.Evaluate(echo, P, Y, topK: 2);
        Assert.Equal(5, r.Count);
        Assert.Equal(0.4, r.Accuracy, Tolerance);
        Assert.Equal(2, r.TopK);
        Assert.Equal(0.8, r.TopKAccuracy, Tolerance);
        Assert.Equal(0.91588961, r.NegativeLogLikelihood, 1e-6);
        Assert.Equal(2.5202 / 5, r.BrierScore, Tolerance);
        Assert.Equal(0.384, r.ExpectedCalibrationError, Tolerance);
        Assert.Equal(1, r.Confusion[2, 1]);
        // The trainer's own Evaluate agrees on what both compute.
        var e = echo.Evaluate(P, Y);
        Assert.Equal(e.Nll, r.NegativeLogLikelihood, 1e-9);
        Assert.Equal(e.Kl, r.KLDivergence, 1e-9);
        Assert.Equal(e.Brier, r.BrierScore, 1e-9);
    }

    [Fact]
    public void Bad_input_is_named_by_row_and_class()
    {
        var p = (float[])P.Clone();
        p[7] = float.NaN; // row 2, class 1
        var e = Assert.Throws<ArgumentException>(() => ProbabilityMetrics.Accuracy(p, Y, 3));
        Assert.Contains("Probability row 2, class 1", e.Message);
        var y = (float[])Y.Clone();
        y[13] = -1; // row 4, class 1
        e = Assert.Throws<ArgumentException>(() => ProbabilityMetrics.Accuracy(P, y, 3));
        Assert.Contains("Target row 4, class 1", e.Message);
        Assert.Throws<ArgumentException>(() => ProbabilityMetrics.Accuracy(P.AsSpan(0, 14), Y.AsSpan(0, 14), 3));
        Assert.Throws<ArgumentException>(() => ProbabilityMetrics.Accuracy(P, Y.AsSpan(0, 12), 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProbabilityMetrics.TopKAccuracy(P, Y, 3, 4));
    }
}
