using System;

namespace Signals;

/// <summary>
/// The simulated expert panel. A window's evidence sets the probability of each vote: a pattern of strength s is
/// recognised with clarity c = s^2 / (s^2 + 0.6); c of its weight goes to its class (less the share that its twin
/// likeness hands to its lateral twin), and 1 - c is spread over the classes it is confused with (<see cref="Confusion"/>),
/// "other" getting a further 0.25 (1 - c) for a faint pattern and 0.15 per artefact kind. Each annotator then sharpens or
/// flattens those probabilities (p^tau, tau drawn from 0.6 to 1.6: some follow the evidence more decisively than others)
/// and, 5% of the time, votes at random. 3-20 annotators per window; the target is the vote fractions.
/// </summary>
internal static class VotePanel
{
    public const int Classes = 6;
    private const double Lapse = 0.05, SharpnessLow = 0.6, SharpnessHigh = 1.6;

    /// <summary>Where each class's unrecognised weight goes: rows seizure, LPD, GPD, LRDA, GRDA, other; each sums to 1.</summary>
    private static readonly double[,] Confusion =
    {
        { 0.00, 0.25, 0.35, 0.10, 0.10, 0.20 },
        { 0.20, 0.00, 0.35, 0.20, 0.00, 0.25 },
        { 0.20, 0.35, 0.00, 0.00, 0.20, 0.25 },
        { 0.00, 0.20, 0.00, 0.00, 0.40, 0.40 },
        { 0.00, 0.00, 0.20, 0.40, 0.00, 0.40 },
        { 0.20, 0.20, 0.20, 0.20, 0.20, 0.00 },
    };

    public static double Clarity(double strength) => strength * strength / (strength * strength + 0.6);

    /// <summary>The vote probabilities that the evidence in <paramref name="truth"/> gives before each annotator's sharpness.</summary>
    public static void EvidenceProbabilities(in SampleTruth truth, Span<double> p)
    {
        p.Clear();
        p[(int)EegClass.Other] = 0.15 * truth.Artefacts;
        if (truth.Primary == EegClass.Other)
            p[(int)EegClass.Other] += 1;
        else
            AddPattern(p, truth.Primary, truth.Strength, truth.TwinLikeness, faintToOther: true);
        if (truth.Secondary is { } secondary)
            AddPattern(p, secondary, truth.SecondaryStrength, truth.SecondaryTwinLikeness, faintToOther: false);
        Normalize(p);
    }

    private static void AddPattern(Span<double> p, EegClass pattern, double strength, double twinLikeness, bool faintToOther)
    {
        double c = Clarity(strength), toTwin = Twin(pattern) is null ? 0 : 0.6 * twinLikeness;
        p[(int)pattern] += c * (1 - toTwin);
        if (Twin(pattern) is { } twin)
            p[(int)twin] += c * toTwin;
        for (int k = 0; k < Classes; k++)
            p[k] += 0.5 * (1 - c) * Confusion[(int)pattern, k];
        if (faintToOther)
            p[(int)EegClass.Other] += 0.25 * (1 - c);
    }

    private static EegClass? Twin(EegClass pattern) => pattern switch
    {
        EegClass.Lpd => EegClass.Gpd,
        EegClass.Gpd => EegClass.Lpd,
        EegClass.Lrda => EegClass.Grda,
        EegClass.Grda => EegClass.Lrda,
        _ => null,
    };

    /// <summary>Draws the panel's votes for one window and writes the vote fractions to <paramref name="target"/>; returns the panel's size.</summary>
    public static int Vote(in SampleTruth truth, Span<float> target, ref SampleRandom random)
    {
        Span<double> evidence = stackalloc double[Classes], annotator = stackalloc double[Classes];
        Span<int> votes = stackalloc int[Classes];
        EvidenceProbabilities(truth, evidence);
        int panel = random.Int(3, 20);
        for (int a = 0; a < panel; a++)
        {
            Annotator(evidence, random.Uniform(SharpnessLow, SharpnessHigh), annotator);
            votes[Draw(annotator, ref random)]++;
        }
        for (int k = 0; k < Classes; k++)
            target[k] = votes[k] / (float)panel;
        return panel;
    }

    /// <summary>
    /// The expected vote fractions: the vote probabilities averaged over the annotators' sharpness (64-point midpoint
    /// rule), the best any model can predict; their KL to the drawn fractions is the floor that a finite panel leaves.
    /// </summary>
    public static void ExpectedVotes(in SampleTruth truth, Span<float> expected)
    {
        Span<double> evidence = stackalloc double[Classes], annotator = stackalloc double[Classes], sum = stackalloc double[Classes];
        EvidenceProbabilities(truth, evidence);
        sum.Clear();
        const int points = 64;
        for (int i = 0; i < points; i++)
        {
            Annotator(evidence, SharpnessLow + (SharpnessHigh - SharpnessLow) * (i + 0.5) / points, annotator);
            for (int k = 0; k < Classes; k++)
                sum[k] += annotator[k] / points;
        }
        for (int k = 0; k < Classes; k++)
            expected[k] = (float)sum[k];
    }

    /// <summary>One annotator's vote probabilities: the evidence to the power <paramref name="sharpness"/>, renormalised, with the lapse rate's random votes.</summary>
    private static void Annotator(ReadOnlySpan<double> evidence, double sharpness, Span<double> p)
    {
        for (int k = 0; k < Classes; k++)
            p[k] = evidence[k] > 0 ? Math.Pow(evidence[k], sharpness) : 0;
        Normalize(p);
        for (int k = 0; k < Classes; k++)
            p[k] = (1 - Lapse) * p[k] + Lapse / Classes;
    }

    private static int Draw(ReadOnlySpan<double> p, ref SampleRandom random)
    {
        double u = random.NextDouble();
        for (int k = 0; k < Classes - 1; k++)
        {
            if (u < p[k]) return k;
            u -= p[k];
        }
        return Classes - 1;
    }

    private static void Normalize(Span<double> p)
    {
        double total = 0;
        foreach (var v in p) total += v;
        for (int k = 0; k < p.Length; k++) p[k] /= total;
    }
}
