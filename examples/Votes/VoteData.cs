using System;
using System.Threading.Tasks;
using Signals;

namespace Votes;

/// <summary>
/// Simulated recordings as the contest's training CSV gives them: features [Count, 32], each class's raw vote count
/// [Count, 6] (seizure_vote ... other_vote), and, beside them, the expected vote fractions of the pool that voted
/// [Count, 6] (<see cref="AnnotatorPool.Expected"/>), which only a simulator knows. A reviewed recording was voted on by
/// 10-28 experts; the others by 1-9 screeners, most often one to three.
/// </summary>
internal sealed class VoteData
{
    public const int Classes = VotePanel.Classes;

    /// <summary>The annotator count from which a recording counts as high-vote (stage 2's rows, the contest's test set).</summary>
    public const int HighVotes = 10;

    private VoteData(int count)
    {
        Count = count;
        Features = new float[count * FeatureSimulator.Features];
        Votes = new float[count * Classes];
        Expected = new float[count * Classes];
    }

    public int Count { get; }
    public float[] Features { get; }
    public float[] Votes { get; }
    public float[] Expected { get; }

    /// <summary>
    /// <paramref name="count"/> recordings of split <paramref name="split"/> (independent random streams per split and
    /// row, so the result does not depend on the thread count), each expert-reviewed with probability
    /// <paramref name="reviewedShare"/>.
    /// </summary>
    public static VoteData Generate(int count, int seed, int split, double reviewedShare)
    {
        var data = new VoteData(count);
        Parallel.For(0, count, i =>
        {
            var random = new SampleRandom(seed, split, i);
            bool reviewed = random.Chance(reviewedShare);
            var truth = FeatureSimulator.Simulate(reviewed, data.Features.AsSpan(i * FeatureSimulator.Features, FeatureSimulator.Features), ref random);
            Span<double> evidence = stackalloc double[Classes];
            VotePanel.EvidenceProbabilities(truth, evidence);
            var pool = reviewed ? AnnotatorPool.Experts : AnnotatorPool.Screeners;
            double u = random.NextDouble();
            int annotators = reviewed ? random.Int(HighVotes, 28) : 1 + (int)(9 * u * u);
            pool.Vote(evidence, annotators, data.Votes.AsSpan(i * Classes, Classes), ref random);
            pool.Expected(evidence, data.Expected.AsSpan(i * Classes, Classes));
        });
        return data;
    }

    /// <summary>Each feature's mean and standard deviation over the rows (float64 sums in row order).</summary>
    public (float[] Mean, float[] Std) FeatureStatistics()
    {
        var mean = new float[FeatureSimulator.Features];
        var std = new float[FeatureSimulator.Features];
        for (int j = 0; j < mean.Length; j++)
        {
            double sum = 0, squares = 0;
            for (int i = 0; i < Count; i++)
            {
                double v = Features[i * mean.Length + j];
                sum += v;
                squares += v * v;
            }
            double m = sum / Count;
            mean[j] = (float)m;
            std[j] = (float)Math.Sqrt(Math.Max(squares / Count - m * m, 1e-12));
        }
        return (mean, std);
    }

    /// <summary>x := (x - mean) / std per feature (the training rows' statistics, for every set).</summary>
    public void Standardise(float[] mean, float[] std)
    {
        for (int k = 0; k < Features.Length; k++)
        {
            int j = k % mean.Length;
            Features[k] = (Features[k] - mean[j]) / std[j];
        }
    }
}
