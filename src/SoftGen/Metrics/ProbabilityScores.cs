using System;

namespace SoftGen.Metrics;

/// <summary>
/// The running sums of the proper scores, in double, shared by <see cref="ClassificationMetrics"/> and the trainer's
/// evaluation: NLL -sum y log p, KL sum y (log y - log p) and Brier sum (p - y)^2. log p is taken as
/// log(max(p, 1e-30)): a float probability can underflow to exactly 0 for a class the target still gives weight to,
/// and one such row would otherwise make the whole mean infinite. Terms with y = 0 are 0 (0 log 0 = 0).
/// </summary>
internal struct ProbabilityScores
{
    /// <summary>The floor under p (and 1 - p) before a log.</summary>
    public const double ProbabilityFloor = 1e-30;

    public double NegativeLogLikelihood, KLDivergence, Brier;

    /// <summary>One row of probabilities against one target distribution (the softmax family).</summary>
    public void AddDistribution(ReadOnlySpan<float> p, ReadOnlySpan<float> y)
    {
        for (int c = 0; c < p.Length; c++)
            AddClass(p[c], y[c]);
    }

    /// <summary>One row of sigmoid outputs: each class is its own Bernoulli prediction, p against y and 1 - p against 1 - y.</summary>
    public void AddBernoulli(ReadOnlySpan<float> p, ReadOnlySpan<float> y)
    {
        for (int c = 0; c < p.Length; c++)
        {
            AddClass(p[c], y[c]);
            AddLogTerms(1.0 - p[c], 1.0 - y[c]);
        }
    }

    /// <summary>The Brier, NLL and KL terms of one class with probability p and target y.</summary>
    private void AddClass(double p, double y)
    {
        double d = p - y;
        Brier += d * d;
        AddLogTerms(p, y);
    }

    /// <summary>The NLL and KL terms of one outcome with probability p and target weight y.</summary>
    private void AddLogTerms(double p, double y)
    {
        if (y > 0)
        {
            double logP = Math.Log(Math.Max(p, ProbabilityFloor));
            NegativeLogLikelihood -= y * logP;
            KLDivergence += y * (Math.Log(y) - logP);
        }
    }
}
