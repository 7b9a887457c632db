using System;
using SoftGen.Training;

namespace SoftGen.Data;

/// <summary>
/// Mixup (Zhang et al., 2018) for <see cref="TrainerBase.Fit(ReadOnlySpan{float}, ReadOnlySpan{float}, int, MixupOptions, IProgress{EpochReport}?, System.Threading.CancellationToken)"/>:
/// each minibatch is mixed with a shuffled copy of itself, x = lambda x_a + (1 - lambda) x_b and
/// y = lambda y_a + (1 - lambda) y_b, with one lambda ~ Beta(Alpha, Alpha) per batch.
/// </summary>
public sealed record MixupOptions
{
    /// <param name="alpha">The Beta distribution's parameter: small (0.1 to 0.4) keeps lambda near 0 or 1, 1 makes it uniform.</param>
    public MixupOptions(float alpha)
    {
        if (!(float.IsFinite(alpha) && alpha > 0f))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "Mixup's alpha must be positive and finite.");
        Alpha = alpha;
    }

    public float Alpha { get; }
}

/// <summary>The random draws behind mixup and the batch mixing itself; allocation-free.</summary>
internal static class Mixup
{
    /// <summary>The trainer's generator stream for mixup, apart from initialisation (1) and shuffling (2).</summary>
    public const uint Stream = 3;

    /// <summary>
    /// Mixes the gathered rows <paramref name="rows"/> of the data set into the batch buffers: row r becomes
    /// lambda * row[rows[r]] + (1 - lambda) * row[rows[partners[r]]], partners a uniform random permutation of the
    /// batch (Fisher-Yates), for the features and the targets alike. Returns lambda.
    /// </summary>
    public static float MixBatch(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, ReadOnlySpan<int> rows, int inputsPerRow, int classes,
        float alpha, ref DeterministicRandom random, Span<int> partners, Span<float> batchInputs, Span<float> batchTargets)
    {
        int n = rows.Length;
        float lambda = (float)Beta(ref random, alpha);
        for (int i = 0; i < n; i++) partners[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = random.NextInt(i + 1);
            (partners[i], partners[j]) = (partners[j], partners[i]);
        }

        float other = 1f - lambda;
        for (int r = 0; r < n; r++)
        {
            int a = rows[r], b = rows[partners[r]];
            Blend(inputs.Slice(a * inputsPerRow, inputsPerRow), inputs.Slice(b * inputsPerRow, inputsPerRow), lambda, other,
                batchInputs.Slice(r * inputsPerRow, inputsPerRow));
            Blend(targets.Slice(a * classes, classes), targets.Slice(b * classes, classes), lambda, other,
                batchTargets.Slice(r * classes, classes));
        }
        return lambda;
    }

    private static void Blend(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float lambda, float other, Span<float> destination)
    {
        for (int k = 0; k < destination.Length; k++) destination[k] = lambda * a[k] + other * b[k];
    }

    /// <summary>
    /// A draw from Beta(alpha, alpha) as X / (X + Y) with X, Y ~ Gamma(alpha), taken in log space
    /// (1 / (1 + exp(log Y - log X))) so that a small alpha, whose Gamma draws underflow, still gives a number in [0, 1].
    /// </summary>
    public static double Beta(ref DeterministicRandom random, double alpha)
    {
        double logX = LogGamma(ref random, alpha);
        double logY = LogGamma(ref random, alpha);
        return 1.0 / (1.0 + Math.Exp(logY - logX));
    }

    /// <summary>
    /// log of a draw from Gamma(shape, 1): Marsaglia and Tsang's method (2000) for shape &gt;= 1; below 1, their
    /// boost Gamma(a) = Gamma(a + 1) U^(1/a), added in log space.
    /// </summary>
    public static double LogGamma(ref DeterministicRandom random, double shape)
    {
        if (shape < 1)
            return LogGamma(ref random, shape + 1) + Math.Log(OpenUniform(ref random)) / shape;

        double d = shape - 1.0 / 3.0, c = 1.0 / Math.Sqrt(9 * d);
        while (true)
        {
            double x = Normal(ref random);
            double t = 1 + c * x;
            if (t <= 0) continue;
            double v = t * t * t;
            double u = OpenUniform(ref random);
            double x2 = x * x;
            if (u < 1 - 0.0331 * x2 * x2 || Math.Log(u) < 0.5 * x2 + d * (1 - v + Math.Log(v)))
                return Math.Log(d) + Math.Log(v);
        }
    }

    /// <summary>A standard normal draw (Box-Muller, one of the pair).</summary>
    public static double Normal(ref DeterministicRandom random)
    {
        double u1 = OpenUniform(ref random), u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>A uniform draw in (0, 1], safe to take the log of.</summary>
    private static double OpenUniform(ref DeterministicRandom random) => 1.0 - random.NextDouble();
}
