using System;

namespace Signals;

/// <summary>
/// Draws one EEG-like window: 8 channels (Fp1, C3, P3, O1 on the left, Fp2, C4, P4, O2 on the right) of 2,000
/// samples, 10 s at 200 Hz, row-major [channel, time]. Every window has a background (pink noise partly shared across
/// channels, a posterior alpha rhythm, low beta), some have artefacts (eye blinks, muscle bursts, electrode pops), and
/// all but the "other" class carry their class's pattern (<see cref="EegPatterns"/>) at a random strength, sometimes
/// with a weaker second pattern. Amplitudes are in units of the background's standard deviation before a per-window
/// gain.
/// </summary>
internal static class EegSimulator
{
    public const int Channels = 8, Length = 2000;
    public const double Rate = 200;

    /// <summary>The class frequencies: "other" the most common, as in the contest.</summary>
    private static readonly double[] Prior = { 0.15, 0.15, 0.15, 0.12, 0.13, 0.30 };

    public static bool IsLeft(int channel) => channel < Channels / 2;
    public static bool IsFrontal(int channel) => channel % 4 == 0;
    public static bool IsPosterior(int channel) => channel % 4 >= 2;

    /// <summary>Fills <paramref name="row"/> [Channels * Length] and says what is in it.</summary>
    public static SampleTruth Simulate(Span<float> row, ref SampleRandom random)
    {
        var primary = DrawClass(ref random);
        float gain = (float)random.Uniform(0.5, 2.0);
        Background(row, ref random);
        int artefacts = Artefacts(row, ref random);

        double strength = 0, twin = 0, secondStrength = 0, secondTwin = 0;
        EegClass? secondary = null;
        if (primary != EegClass.Other)
        {
            strength = random.Uniform(0.25, 2.5);
            twin = EegPatterns.Add(row, primary, strength, ref random);
        }
        if (random.Chance(0.3))
        {
            var second = (EegClass)random.Int(0, 4);
            if (second != primary)
            {
                secondary = second;
                secondStrength = primary == EegClass.Other ? random.Uniform(0.1, 0.8) : strength * random.Uniform(0.2, 0.8);
                secondTwin = EegPatterns.Add(row, second, secondStrength, ref random);
            }
        }
        for (int i = 0; i < row.Length; i++)
            row[i] *= gain;
        return new SampleTruth(primary, strength, twin, secondary, secondStrength, secondTwin, artefacts);
    }

    private static EegClass DrawClass(ref SampleRandom random)
    {
        double u = random.NextDouble();
        for (int k = 0; k < Prior.Length - 1; k++)
        {
            if (u < Prior[k]) return (EegClass)k;
            u -= Prior[k];
        }
        return EegClass.Other;
    }

    /// <summary>Pink noise (half of its variance shared by all channels), alpha over the back of the head, beta everywhere.</summary>
    private static void Background(Span<float> row, ref SampleRandom random)
    {
        Span<float> shared = stackalloc float[Length];
        PinkNoise(shared, ref random);
        double alphaFrequency = random.Uniform(8, 12), alphaAmplitude = random.Uniform(0, 1.2);
        double betaFrequency = random.Uniform(15, 25), betaAmplitude = random.Uniform(0, 0.4);
        double envelopeFrequency = random.Uniform(0.1, 0.5), envelopePhase = random.Uniform(0, 2 * Math.PI);
        for (int c = 0; c < Channels; c++)
        {
            var channel = row.Slice(c * Length, Length);
            PinkNoise(channel, ref random);
            double alpha = alphaAmplitude * (IsPosterior(c) ? 1.0 : IsFrontal(c) ? 0.2 : 0.5);
            var alphaWave = new Oscillator(alphaFrequency, random.Uniform(0, 0.5));
            var betaWave = new Oscillator(betaFrequency, random.Uniform(0, 2 * Math.PI));
            var envelope = new Oscillator(envelopeFrequency, envelopePhase);
            for (int t = 0; t < Length; t++)
            {
                double rhythm = alpha * (1 + 0.5 * envelope.Next()) * alphaWave.Next() + betaAmplitude * betaWave.Next();
                channel[t] = (float)(0.8660254 * channel[t] + 0.5 * shared[t] + rhythm);
            }
        }
    }

    /// <summary>
    /// Unit-variance 1/f noise: Paul Kellet's three-pole filter of white noise (its output's standard deviation is
    /// 2.99 for unit white noise), started from its stationary spread so that the window has no warm-up transient.
    /// </summary>
    private static void PinkNoise(Span<float> destination, ref SampleRandom random)
    {
        float b0 = 1.446f * random.Noise(), b1 = 1.100f * random.Noise(), b2 = 1.281f * random.Noise();
        for (int t = 0; t < destination.Length; t++)
        {
            float w = random.Noise();
            b0 = 0.99765f * b0 + w * 0.0990460f;
            b1 = 0.96300f * b1 + w * 0.2965164f;
            b2 = 0.57000f * b2 + w * 1.0526913f;
            destination[t] = (b0 + b1 + b2 + w * 0.1848f) * (1 / 2.99f);
        }
    }

    /// <summary>Eye blinks on the frontal channels, a muscle burst on one side, an electrode pop; returns how many kinds were added.</summary>
    private static int Artefacts(Span<float> row, ref SampleRandom random)
    {
        int kinds = 0;
        if (random.Chance(0.4))
        {
            kinds++;
            int blinks = random.Int(1, 4);
            for (int b = 0; b < blinks; b++)
            {
                double at = random.Uniform(0, Length), amplitude = random.Uniform(2, 5), width = random.Uniform(0.08, 0.15) * Rate;
                for (int c = 0; c < Channels; c++)
                {
                    double spread = IsFrontal(c) ? 1.0 : c % 4 == 1 ? 0.3 : 0.0;
                    if (spread > 0)
                        AddBump(row.Slice(c * Length, Length), at, width, amplitude * spread);
                }
            }
        }
        if (random.Chance(0.3))
        {
            kinds++;
            bool left = random.Chance(0.5);
            int start = random.Int(0, Length - 100), length = random.Int(100, 400);
            double amplitude = random.Uniform(1, 3);
            for (int c = 0; c < Channels; c++)
            {
                if (IsLeft(c) != left) continue;
                var channel = row.Slice(c * Length, Length);
                for (int t = start; t < Math.Min(Length, start + length); t++)
                    channel[t] += (float)amplitude * random.Noise();
            }
        }
        if (random.Chance(0.15))
        {
            kinds++;
            var channel = row.Slice(random.Int(0, Channels - 1) * Length, Length);
            int at = random.Int(0, Length - 1);
            double step = random.Uniform(3, 8) * (random.Chance(0.5) ? 1 : -1), decay = Math.Exp(-1 / (0.3 * Rate));
            for (int t = at; t < Length; t++, step *= decay)
                channel[t] += (float)step;
        }
        return kinds;
    }

    /// <summary>Adds a Gaussian bump centred at <paramref name="at"/> samples with standard deviation <paramref name="width"/> samples.</summary>
    public static void AddBump(Span<float> channel, double at, double width, double amplitude)
    {
        int from = Math.Max(0, (int)(at - 4 * width)), to = Math.Min(channel.Length, (int)(at + 4 * width) + 1);
        for (int t = from; t < to; t++)
        {
            double z = (t - at) / width;
            channel[t] += (float)(amplitude * Math.Exp(-0.5 * z * z));
        }
    }
}
