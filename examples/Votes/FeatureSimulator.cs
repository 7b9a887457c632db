using System;
using Signals;

namespace Votes;

/// <summary>
/// One recording reduced to the 32 features a spectrogram front end might give (instead of the raw 8-channel signal
/// of examples/Signals, so that a small MLP trains in seconds): per hemisphere, the log power of eight descriptors
/// (periodic discharges, rhythmic delta, an evolving fast rhythm, spikes, alpha, muscle, blinks, electrode drift),
/// their eight left-right asymmetries, and eight features of pure noise. The patterns are those of
/// <see cref="EegClass"/>: a lateralised one is strong on one side and, as far as its twin likeness goes, on the other
/// too; a generalised one is on both sides, lopsided as far as its twin likeness goes. Every log power carries noise,
/// and a per-recording gain scales all powers.
/// </summary>
internal static class FeatureSimulator
{
    public const int Features = 32;
    private const int Descriptors = 8;
    private const int Periodic = 0, Delta = 1, Evolving = 2, Spikes = 3, Alpha = 4, Muscle = 5, Blinks = 6, Drift = 7;
    private const float PowerNoise = 0.35f;

    /// <summary>
    /// Class frequencies of the two cohorts: the recordings the experts reviewed (the contest's test set is of these)
    /// and the quickly screened ones, most of them seizure or "other".
    /// </summary>
    private static readonly double[] ReviewedPrior = { 0.12, 0.17, 0.17, 0.12, 0.12, 0.30 };
    private static readonly double[] ScreenedPrior = { 0.28, 0.10, 0.06, 0.10, 0.06, 0.40 };

    /// <summary>Writes <paramref name="features"/> [<see cref="Features"/>] and says what is in the recording.</summary>
    public static SampleTruth Simulate(bool reviewed, Span<float> features, ref SampleRandom random)
    {
        Span<double> power = stackalloc double[2 * Descriptors];
        power.Clear();
        var primary = Draw(reviewed ? ReviewedPrior : ScreenedPrior, ref random);
        double strength = 0, twin = 0, secondStrength = 0, secondTwin = 0;
        EegClass? secondary = null;
        if (primary != EegClass.Other)
        {
            strength = random.Uniform(0.25, 2.5);
            twin = AddPattern(power, primary, strength, ref random);
        }
        if (random.Chance(0.3))
        {
            var second = (EegClass)random.Int(0, 4);
            if (second != primary)
            {
                secondary = second;
                secondStrength = primary == EegClass.Other ? random.Uniform(0.1, 0.8) : strength * random.Uniform(0.2, 0.8);
                secondTwin = AddPattern(power, second, secondStrength, ref random);
            }
        }
        int artefacts = 0;
        foreach (var (descriptor, chance) in new[] { (Blinks, 0.4), (Muscle, 0.3), (Drift, 0.15) })
        {
            if (!random.Chance(chance)) continue;
            artefacts++;
            int side = random.Int(0, 1);
            double amplitude = random.Uniform(1, 3);
            power[side * Descriptors + descriptor] += amplitude * amplitude;
            power[(1 - side) * Descriptors + descriptor] += descriptor == Muscle ? 0 : amplitude * amplitude * random.Uniform(0.5, 1);
        }
        double alpha = random.Uniform(0, 1.2), gain = random.Uniform(0.6, 1.6);
        for (int h = 0; h < 2; h++)
            power[h * Descriptors + Alpha] += alpha * alpha * random.Uniform(0.7, 1.3);

        for (int i = 0; i < 2 * Descriptors; i++)
            features[i] = (float)Math.Log(0.25 + gain * power[i]) + PowerNoise * random.Noise();
        for (int d = 0; d < Descriptors; d++)
            features[2 * Descriptors + d] = features[d] - features[Descriptors + d] + PowerNoise * random.Noise();
        for (int i = 3 * Descriptors; i < Features; i++)
            features[i] = random.Noise();
        return new SampleTruth(primary, strength, twin, secondary, secondStrength, secondTwin, artefacts);
    }

    /// <summary>Adds a pattern's power [hemisphere, descriptor]; returns its twin likeness.</summary>
    private static double AddPattern(Span<double> power, EegClass pattern, double strength, ref SampleRandom random)
    {
        double s2 = strength * strength, twin = random.NextDouble();
        int side = random.Int(0, 1), other = 1 - side;
        switch (pattern)
        {
            case EegClass.Seizure:
                power[side * Descriptors + Evolving] += s2;
                power[other * Descriptors + Evolving] += s2 * random.Uniform(0.1, 0.7);
                power[side * Descriptors + Spikes] += 0.5 * s2;
                return 0;
            case EegClass.Lpd or EegClass.Lrda:
            {
                int descriptor = pattern == EegClass.Lpd ? Periodic : Delta;
                power[side * Descriptors + descriptor] += s2;
                power[other * Descriptors + descriptor] += s2 * 0.8 * twin;
                if (pattern == EegClass.Lpd) power[side * Descriptors + Spikes] += 0.4 * s2;
                return twin;
            }
            default: // Gpd, Grda
            {
                int descriptor = pattern == EegClass.Gpd ? Periodic : Delta;
                power[side * Descriptors + descriptor] += s2;
                power[other * Descriptors + descriptor] += s2 * (1 - 0.8 * twin);
                if (pattern == EegClass.Gpd)
                {
                    power[Spikes] += 0.3 * s2;
                    power[Descriptors + Spikes] += 0.3 * s2;
                }
                return twin;
            }
        }
    }

    private static EegClass Draw(double[] prior, ref SampleRandom random)
    {
        double u = random.NextDouble();
        for (int k = 0; k < prior.Length - 1; k++)
        {
            if (u < prior[k]) return (EegClass)k;
            u -= prior[k];
        }
        return EegClass.Other;
    }
}
