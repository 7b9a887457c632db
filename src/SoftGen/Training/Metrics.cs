using System;
using SoftGen.Metrics;

namespace SoftGen.Training;

/// <summary>
/// Sums behind <see cref="Evaluation"/>: the correct predictions and the <see cref="ProbabilityScores"/>.
/// </summary>
internal struct Metrics
{
    private double _correct;
    private ProbabilityScores _scores;

    /// <summary>Softmax family: one row of probabilities against one target distribution.</summary>
    public void AddDistribution(ReadOnlySpan<float> p, ReadOnlySpan<float> y)
    {
        if (ArgMax(p) == ArgMax(y)) _correct += 1;
        _scores.AddDistribution(p, y);
    }

    /// <summary>Sigmoid: each class of the row is its own Bernoulli prediction.</summary>
    public void AddBernoulli(ReadOnlySpan<float> p, ReadOnlySpan<float> y)
    {
        for (int c = 0; c < p.Length; c++)
            if ((p[c] >= 0.5f) == (y[c] >= 0.5f)) _correct += 1;
        _scores.AddBernoulli(p, y);
    }

    /// <summary>The means: over <paramref name="rows"/> for the softmax family, over rows x classes for sigmoid.</summary>
    public Evaluation Result(int rows, double divisor) =>
        new(rows, _correct / divisor, _scores.NegativeLogLikelihood / divisor, _scores.KLDivergence / divisor, _scores.Brier / divisor);

    /// <summary>Writes the five sums (correct, NLL, KL, Brier, then nothing) to <paramref name="sums"/>[0..4], for a reduction across ranks.</summary>
    public readonly void CopySums(Span<double> sums)
    {
        sums[0] = _correct;
        sums[1] = _scores.NegativeLogLikelihood;
        sums[2] = _scores.KLDivergence;
        sums[3] = _scores.Brier;
        sums[4] = 0;
    }

    /// <summary>Takes the sums <see cref="CopySums"/> wrote, reduced.</summary>
    public void SetSums(ReadOnlySpan<double> sums)
    {
        _correct = sums[0];
        _scores.NegativeLogLikelihood = sums[1];
        _scores.KLDivergence = sums[2];
        _scores.Brier = sums[3];
    }

    /// <summary>The first index of the largest value.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int c = 1; c < values.Length; c++)
            if (values[c] > values[best]) best = c;
        return best;
    }
}
