using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using SoftGen.Persistence;

namespace Signals;

/// <summary>
/// Simulated EEG windows with their panel's vote fractions: Signals [Count, 8, 2000] (PyTorch's NCL, the row layout of
/// EegNet's inputs), Targets [Count, 6], the expected vote fractions [Count, 6] (<see cref="VotePanel.ExpectedVotes"/>)
/// and each panel's size.
/// </summary>
internal sealed class SignalDataset
{
    public const int Inputs = EegSimulator.Channels * EegSimulator.Length, Classes = VotePanel.Classes;

    private SignalDataset(int count)
    {
        Count = count;
        Signals = new float[(long)count * Inputs];
        Targets = new float[count * Classes];
        Expected = new float[count * Classes];
        Annotators = new long[count];
    }

    public int Count { get; }
    public float[] Signals { get; }
    public float[] Targets { get; }
    public float[] Expected { get; }
    public long[] Annotators { get; }

    /// <summary>
    /// <paramref name="count"/> windows of split <paramref name="split"/> (0 training, 1 held out: independent streams),
    /// generated in parallel, each from its own random stream, so the result does not depend on the thread count.
    /// </summary>
    public static SignalDataset Generate(int count, int seed, int split)
    {
        var data = new SignalDataset(count);
        Parallel.For(0, count, i =>
        {
            var random = new SampleRandom(seed, split, i);
            var truth = EegSimulator.Simulate(data.Signals.AsSpan(i * Inputs, Inputs), ref random);
            data.Annotators[i] = VotePanel.Vote(truth, data.Targets.AsSpan(i * Classes, Classes), ref random);
            VotePanel.ExpectedVotes(truth, data.Expected.AsSpan(i * Classes, Classes));
        });
        return data;
    }

    /// <summary>Each channel's mean and standard deviation over every window and time step (float64 sums in a fixed order).</summary>
    public (float[] Mean, float[] Std) ChannelStatistics()
    {
        const int channels = EegSimulator.Channels, length = EegSimulator.Length;
        var mean = new float[channels];
        var std = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double sum = 0, squares = 0;
            for (int i = 0; i < Count; i++)
            {
                var channel = Signals.AsSpan(i * Inputs + c * length, length);
                foreach (var v in channel)
                {
                    sum += v;
                    squares += (double)v * v;
                }
            }
            double n = (double)Count * length, m = sum / n;
            mean[c] = (float)m;
            std[c] = (float)Math.Sqrt(Math.Max(squares / n - m * m, 1e-12));
        }
        return (mean, std);
    }

    /// <summary>x := (x - mean[c]) / std[c] on every channel (the training set's statistics, for both sets).</summary>
    public void Standardise(float[] mean, float[] std)
    {
        const int length = EegSimulator.Length;
        Parallel.For(0, Count, i =>
        {
            for (int c = 0; c < EegSimulator.Channels; c++)
            {
                float m = mean[c], scale = 1 / std[c];
                var channel = Signals.AsSpan(i * Inputs + c * length, length);
                for (int t = 0; t < length; t++)
                    channel[t] = (channel[t] - m) * scale;
            }
        });
    }

    /// <summary>Writes the set as safetensors: signals [Count, 8, 2000], targets and expected [Count, 6], annotators [Count] (I64).</summary>
    public void Save(string path, IReadOnlyDictionary<string, string> metadata) =>
        SafeTensorsFile.Save(path, new[]
        {
            new SafeTensor("signals", new[] { Count, EegSimulator.Channels, EegSimulator.Length }, Signals),
            new SafeTensor("targets", new[] { Count, Classes }, Targets),
            new SafeTensor("expected", new[] { Count, Classes }, Expected),
            SafeTensor.FromInt64("annotators", new[] { Count }, Annotators),
        }, metadata);
}
