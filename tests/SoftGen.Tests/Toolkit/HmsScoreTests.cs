using System;
using SoftGen.Metrics;
using Xunit;

namespace SoftGen.Tests.Toolkit;

/// <summary>
/// The Kaggle HMS score against hand-computed values of the contest's published metric (clip to [1e-15, 1 - 1e-15],
/// no renormalisation, y log(y / p) where y &gt; 0, mean over rows).
/// </summary>
public sealed class HmsScoreTests
{
    [Fact]
    public void Matches_hand_computed_rows_with_a_zero_probability_clipped_to_1e_15()
    {
        // Row 0: 0.5 ln(0.5 / 0.25) + 0.5 ln(0.5 / 0.75) (the y = 0 class adds nothing);
        // row 1: 1 ln(1 / 1e-15), the predicted 0 clipped. Mean of the two: 17.34130871556829.
        float[] p = { 0.25f, 0.75f, 0f, 0f, 1f, 0f };
        float[] y = { 0.5f, 0.5f, 0f, 1f, 0f, 0f };
        Assert.Equal(17.34130871556829, ProbabilityMetrics.HmsScore(p, y, 3), 12);
    }

    [Fact]
    public void Clipped_rows_are_not_renormalised()
    {
        // p = [0, 0] clips to [1e-15, 1e-15]: each half of the target costs 0.5 ln(0.5 / 1e-15), ln(5e14) in all.
        Assert.Equal(33.84562921435074, ProbabilityMetrics.HmsScore(new[] { 0f, 0f }, new[] { 0.5f, 0.5f }, 2), 12);
        // p = [1, 0] clips to [1 - 1e-15, 1e-15], whose sum is still 1: 0.5 ln(0.5 / (1 - 1e-15)) + 0.5 ln(0.5 / 1e-15).
        Assert.Equal(16.576241016895395, ProbabilityMetrics.HmsScore(new[] { 1f, 0f }, new[] { 0.5f, 0.5f }, 2), 12);
    }

    [Fact]
    public void Equals_the_batch_mean_KL_when_nothing_is_clipped()
    {
        var rng = new Random(4);
        const int rows = 50, classes = 6;
        var p = new float[rows * classes];
        var y = new float[rows * classes];
        for (int r = 0; r < rows; r++)
        {
            double sp = 0, sy = 0;
            for (int c = 0; c < classes; c++)
            {
                sp += p[r * classes + c] = (float)(0.05 + rng.NextDouble());
                sy += y[r * classes + c] = rng.NextDouble() < 0.3 ? 0f : (float)rng.NextDouble();
            }
            for (int c = 0; c < classes; c++)
            {
                p[r * classes + c] = (float)(p[r * classes + c] / sp);
                y[r * classes + c] = sy == 0 ? (c == 0 ? 1f : 0f) : (float)(y[r * classes + c] / sy);
            }
        }
        double expected = 0;
        for (int k = 0; k < p.Length; k++)
            if (y[k] > 0) expected += y[k] * Math.Log((double)y[k] / p[k]);
        expected /= rows;
        Assert.Equal(expected, ProbabilityMetrics.HmsScore(p, y, classes), 12);
        Assert.Equal(expected, ProbabilityMetrics.KLDivergence(p, y, classes), 5);
    }

    [Fact]
    public void Bad_input_is_refused_with_what_and_where()
    {
        var nan = Assert.Throws<ArgumentException>(() => ProbabilityMetrics.HmsScore(new[] { 0.5f, float.NaN }, new[] { 0.5f, 0.5f }, 2));
        Assert.Contains("row 0, class 1", nan.Message);
        var negative = Assert.Throws<ArgumentException>(() => ProbabilityMetrics.HmsScore(new[] { 0.5f, 0.5f, 0.5f, 0.5f }, new[] { 0.5f, 0.5f, 1.5f, -0.5f }, 2));
        Assert.Contains("Target row 1, class 1", negative.Message);
        var rows = Assert.Throws<ArgumentException>(() => ProbabilityMetrics.HmsScore(new[] { 0.5f, 0.5f }, new[] { 1f }, 2));
        Assert.Contains("same rows", rows.Message);
        Assert.Throws<ArgumentException>(() => ProbabilityMetrics.HmsScore(Array.Empty<float>(), Array.Empty<float>(), 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProbabilityMetrics.HmsScore(new[] { 1f }, new[] { 1f }, 0));
    }
}
