using System;

namespace Signals;

/// <summary>
/// The patterns that define the classes, added onto a window's background at a given strength (the pattern's peak
/// amplitude in background standard deviations): one waveform over time, spread over the channels with per-channel
/// gains. Each returns its twin likeness: for a lateralised pattern the relative amplitude on the other hemisphere, for
/// a generalised one how much weaker one hemisphere is (both 0 to 0.6; the more, the more annotators take it for its twin).
/// </summary>
internal static class EegPatterns
{
    private const int Channels = EegSimulator.Channels, Length = EegSimulator.Length;
    private const double Rate = EegSimulator.Rate;

    public static double Add(Span<float> row, EegClass pattern, double strength, ref SampleRandom random)
    {
        Span<float> wave = stackalloc float[Length];
        Span<double> gains = stackalloc double[Channels];
        double twin = pattern == EegClass.Seizure ? 0 : random.Uniform(0, 0.6);
        bool lateral = pattern is EegClass.Lpd or EegClass.Lrda;
        bool left = random.Chance(0.5);
        for (int c = 0; c < Channels; c++)
        {
            double g = random.Uniform(0.7, 1.0);
            if (lateral)
                g *= EegSimulator.IsLeft(c) == left ? 1 : twin;
            else if (pattern != EegClass.Seizure)
                g *= EegSimulator.IsLeft(c) == left ? 1 - twin : 1;
            if (pattern == EegClass.Grda)
                g *= EegSimulator.IsFrontal(c) ? 1.2 : EegSimulator.IsPosterior(c) ? 0.7 : 1.0;
            gains[c] = g * strength;
        }

        switch (pattern)
        {
            case EegClass.Seizure:
                return Seizure(row, wave, gains, left, ref random);
            case EegClass.Lpd or EegClass.Gpd:
                PeriodicDischarges(wave, ref random);
                break;
            default:
                RhythmicDelta(wave, ref random);
                break;
        }
        for (int c = 0; c < Channels; c++)
        {
            var channel = row.Slice(c * Length, Length);
            float g = (float)gains[c];
            for (int t = 0; t < Length; t++)
                channel[t] += g * wave[t];
        }
        return twin;
    }

    /// <summary>
    /// An evolving rhythmic spike-and-wave discharge: from a random onset to the window's end, the frequency sweeps from
    /// 2-4 Hz up or down by a factor 1.3-2.2 and the amplitude grows; it starts on one hemisphere and spreads to the other.
    /// </summary>
    private static double Seizure(Span<float> row, Span<float> wave, ReadOnlySpan<double> gains, bool left, ref SampleRandom random)
    {
        int onset = (int)(random.Uniform(0, 4) * Rate);
        double f0 = random.Uniform(2, 4), ratio = random.Uniform(1.3, 2.2);
        double f1 = random.Chance(0.5) ? f0 * ratio : f0 / ratio;
        double spike = random.Uniform(0.6, 1.5), phase = random.NextDouble(), spread = random.Uniform(0.1, 0.4);
        int span = Length - onset;
        for (int t = onset; t < Length; t++)
        {
            double progress = (t - onset) / (double)span;
            double frequency = f0 + (f1 - f0) * progress;
            phase += frequency / Rate;
            double u = phase - Math.Floor(phase), sinceSpike = u / frequency - 0.03;
            double value = spike * Math.Exp(-sinceSpike * sinceSpike / (2 * 0.012 * 0.012)) - 0.7 * Math.Sin(2 * Math.PI * u);
            wave[t] = (float)(value * (0.4 + 0.6 * progress));
        }
        for (int c = 0; c < Channels; c++)
        {
            var channel = row.Slice(c * Length, Length);
            bool focal = EegSimulator.IsLeft(c) == left;
            for (int t = onset; t < Length; t++)
            {
                double reach = focal ? 1 : spread + (1 - spread) * (t - onset) / (double)span;
                channel[t] += (float)(gains[c] * reach) * wave[t];
            }
        }
        return 0;
    }

    /// <summary>
    /// Sharp discharges (a 80-200 ms sharp wave, then a slower opposite after-wave) every 0.5-2.5 s with 10% jitter.
    /// </summary>
    private static void PeriodicDischarges(Span<float> wave, ref SampleRandom random)
    {
        double period = random.Uniform(0.5, 2.5) * Rate, sharp = random.Uniform(0.08, 0.2) * Rate, after = random.Uniform(0.2, 0.4) * Rate;
        for (double at = random.Uniform(0, period); at < Length; at += period * random.Uniform(0.9, 1.1))
        {
            EegSimulator.AddBump(wave, at, sharp / 4, 1.0);
            EegSimulator.AddBump(wave, at + sharp / 2 + after / 2, after / 4, -0.4);
        }
    }

    /// <summary>A 0.8-3 Hz rhythm with a second harmonic (a steeper rise than fall), waxing and waning, from a random onset.</summary>
    private static void RhythmicDelta(Span<float> wave, ref SampleRandom random)
    {
        int onset = random.Chance(0.5) ? 0 : (int)(random.Uniform(0, 3) * Rate);
        double step = 2 * Math.PI * random.Uniform(0.8, 3) / Rate, phase = random.Uniform(0, 2 * Math.PI);
        double harmonic = random.Uniform(0.2, 0.5), waxStep = 2 * Math.PI * random.Uniform(0.1, 0.3) / Rate, waxPhase = random.Uniform(0, 2 * Math.PI);
        for (int t = onset; t < Length; t++)
        {
            double x = phase + step * t;
            wave[t] = (float)((Math.Sin(x) + harmonic * Math.Sin(2 * x + 0.5)) * (0.7 + 0.3 * Math.Sin(waxStep * t + waxPhase)));
        }
    }
}
