using System;
using Signals;

namespace Votes;

/// <summary>
/// Who labels a recording. Each annotator sharpens the evidence's vote probabilities (p^tau, tau uniform in
/// [<see cref="SharpnessLow"/>, <see cref="SharpnessHigh"/>]), multiplies them by the pool's <see cref="Leaning"/>
/// (renormalised) and, <see cref="Lapse"/> of the time, votes at random.
/// </summary>
internal sealed record AnnotatorPool(double SharpnessLow, double SharpnessHigh, double Lapse, double[] Leaning)
{
    /// <summary>The expert panels of the high-vote recordings: <see cref="VotePanel"/>'s annotators, unbiased.</summary>
    public static readonly AnnotatorPool Experts = new(0.6, 1.6, 0.05, new[] { 1.0, 1.0, 1.0, 1.0, 1.0, 1.0 });

    /// <summary>
    /// The quick reads behind the low-vote recordings: more decisive (sharper), three times as many random votes, and
    /// leaning towards seizure and "other" and away from the generalised patterns.
    /// </summary>
    public static readonly AnnotatorPool Screeners = new(1.2, 2.5, 0.15, new[] { 2.5, 1.0, 0.5, 1.0, 0.5, 2.0 });

    /// <summary>One annotator's vote probabilities at <paramref name="sharpness"/>.</summary>
    public void Probabilities(ReadOnlySpan<double> evidence, double sharpness, Span<double> p)
    {
        double total = 0;
        for (int k = 0; k < p.Length; k++)
            total += p[k] = evidence[k] > 0 ? Math.Pow(evidence[k], sharpness) * Leaning[k] : 0;
        for (int k = 0; k < p.Length; k++)
            p[k] = (1 - Lapse) * p[k] / total + Lapse / p.Length;
    }

    /// <summary>A panel of <paramref name="annotators"/> votes; adds each vote to <paramref name="votes"/> (one count per class).</summary>
    public void Vote(ReadOnlySpan<double> evidence, int annotators, Span<float> votes, ref SampleRandom random)
    {
        Span<double> p = stackalloc double[VotePanel.Classes];
        for (int a = 0; a < annotators; a++)
        {
            Probabilities(evidence, random.Uniform(SharpnessLow, SharpnessHigh), p);
            double u = random.NextDouble();
            int k = 0;
            while (k < p.Length - 1 && u >= p[k])
                u -= p[k++];
            votes[k]++;
        }
    }

    /// <summary>
    /// The expected vote fractions of this pool (the probabilities averaged over the sharpness, a 64-point midpoint
    /// rule): the best prediction any model can make of its panels' votes.
    /// </summary>
    public void Expected(ReadOnlySpan<double> evidence, Span<float> expected)
    {
        Span<double> p = stackalloc double[VotePanel.Classes], sum = stackalloc double[VotePanel.Classes];
        sum.Clear();
        const int points = 64;
        for (int i = 0; i < points; i++)
        {
            Probabilities(evidence, SharpnessLow + (SharpnessHigh - SharpnessLow) * (i + 0.5) / points, p);
            for (int k = 0; k < p.Length; k++)
                sum[k] += p[k] / points;
        }
        for (int k = 0; k < p.Length; k++)
            expected[k] = (float)sum[k];
    }
}
