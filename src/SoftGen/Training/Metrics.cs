using System;

namespace SoftGen.Training;

/// <summary>
/// Sums behind <see cref="Evaluation"/>, accumulated in double. log p is taken as log(max(p, 1e-30)): a float
/// probability can underflow to exactly 0 for a class the target still gives weight to, and one such row would
/// otherwise make the whole mean infinite. Terms with y = 0 are 0 (0 log 0 = 0).
/// </summary>
internal struct Metrics
{
    /// <summary>The floor under p (and 1 - p) before a log.</summary>
    public const double ProbabilityFloor = 1e-30;

    private double _correct, _nll, _kl, _brier;

    /// <summary>Softmax family: one row of probabilities against one target distribution.</summary>
    public void AddDistribution(ReadOnlySpan<float> p, ReadOnlySpan<float> y)
    {
        if (ArgMax(p) == ArgMax(y)) _correct += 1;
        for (int c = 0; c < p.Length; c++)
        {
            double pc = p[c], yc = y[c];
            double d = pc - yc;
            _brier += d * d;
            if (yc > 0)
            {
                double logP = Math.Log(Math.Max(pc, ProbabilityFloor));
                _nll -= yc * logP;
                _kl += yc * (Math.Log(yc) - logP);
            }
        }
    }

    /// <summary>Sigmoid: each class of the row is its own Bernoulli prediction.</summary>
    public void AddBernoulli(ReadOnlySpan<float> p, ReadOnlySpan<float> y)
    {
        for (int c = 0; c < p.Length; c++)
        {
            double pc = p[c], yc = y[c];
            if ((pc >= 0.5) == (yc >= 0.5)) _correct += 1;
            double d = pc - yc;
            _brier += d * d;
            double logP = Math.Log(Math.Max(pc, ProbabilityFloor));
            double logQ = Math.Log(Math.Max(1.0 - pc, ProbabilityFloor));
            if (yc > 0)
            {
                _nll -= yc * logP;
                _kl += yc * (Math.Log(yc) - logP);
            }
            if (yc < 1)
            {
                double yq = 1.0 - yc;
                _nll -= yq * logQ;
                _kl += yq * (Math.Log(yq) - logQ);
            }
        }
    }

    /// <summary>The means: over <paramref name="rows"/> for the softmax family, over rows x classes for sigmoid.</summary>
    public Evaluation Result(int rows, double divisor) =>
        new(rows, _correct / divisor, _nll / divisor, _kl / divisor, _brier / divisor);

    /// <summary>The first index of the largest value.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int c = 1; c < values.Length; c++)
            if (values[c] > values[best]) best = c;
        return best;
    }
}
