using System;
using SoftGen.Data;

namespace SoftGen.Calibration;

/// <summary>
/// Temperature scaling (Guo et al., 2017): one scalar T that divides the logits, chosen to minimise the negative
/// log-likelihood of held-out targets. It changes how confident the probabilities are, never which class wins.
/// </summary>
public static class TemperatureScaling
{
    /// <summary>The smallest temperature the search considers.</summary>
    public const double MinTemperature = 0.01;

    /// <summary>The largest temperature the search considers.</summary>
    public const double MaxTemperature = 100;

    /// <summary>The search stops when the bracket on log T is narrower than this.</summary>
    public const double Tolerance = 1e-4;

    /// <summary>
    /// The temperature that minimises <see cref="NegativeLogLikelihood"/> of <paramref name="targets"/> under
    /// logits [rows, classes] / T: a golden-section search over log T in [log 0.01, log 100] down to a bracket of
    /// 1e-4. For the softmax the NLL is convex in 1/T, so it has one minimum; an optimum outside the range gives
    /// the nearer end.
    /// </summary>
    public static float Fit(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int classes, TargetKind kind = TargetKind.Distribution)
    {
        Check(logits, targets, classes, kind);
        var data = new Problem(logits.ToArray(), targets.ToArray(), classes, kind);
        double invPhi = (Math.Sqrt(5) - 1) / 2;
        double a = Math.Log(MinTemperature), b = Math.Log(MaxTemperature);
        double c = b - invPhi * (b - a), d = a + invPhi * (b - a);
        double fc = data.Nll(Math.Exp(c)), fd = data.Nll(Math.Exp(d));
        while (b - a > Tolerance)
        {
            if (fc <= fd)
            {
                b = d;
                d = c;
                fd = fc;
                c = b - invPhi * (b - a);
                fc = data.Nll(Math.Exp(c));
            }
            else
            {
                a = c;
                c = d;
                fc = fd;
                d = a + invPhi * (b - a);
                fd = data.Nll(Math.Exp(d));
            }
        }
        return (float)Math.Exp((a + b) / 2);
    }

    /// <summary>
    /// Mean negative log-likelihood of the targets under logits / T, in double: -sum_c y_c log softmax(z / T)_c per
    /// row, averaged over the rows; for <see cref="TargetKind.PerClass"/>, the binary cross-entropy of sigmoid(z / T)
    /// averaged over every element.
    /// </summary>
    public static double NegativeLogLikelihood(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int classes, float temperature,
        TargetKind kind = TargetKind.Distribution)
    {
        Check(logits, targets, classes, kind);
        Labels.CheckTemperature(temperature, nameof(temperature));
        return new Problem(logits.ToArray(), targets.ToArray(), classes, kind).Nll(temperature);
    }

    private static void Check(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int classes, TargetKind kind)
    {
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), classes, "There must be at least one class.");
        if (kind is not (TargetKind.Distribution or TargetKind.PerClass)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown target kind.");
        if (logits.Length == 0 || logits.Length % classes != 0)
            throw new ArgumentException($"logits has {logits.Length} values; it needs one or more whole rows of {classes}.", nameof(logits));
        if (targets.Length != logits.Length)
            throw new ArgumentException($"targets has {targets.Length} values but logits has {logits.Length}; they need the same rows.", nameof(targets));
        for (int k = 0; k < logits.Length; k++)
            if (!float.IsFinite(logits[k]))
                throw new ArgumentException($"Logit row {k / classes}, class {k % classes} is {logits[k]}; logits must be finite.", nameof(logits));
        for (int k = 0; k < targets.Length; k++)
            if (!float.IsFinite(targets[k]) || targets[k] < 0)
                throw new ArgumentException($"Target row {k / classes}, class {k % classes} is {targets[k]}; targets must be finite and non-negative.", nameof(targets));
    }

    private sealed class Problem(float[] logits, float[] targets, int classes, TargetKind kind)
    {
        public double Nll(double temperature)
        {
            double inverse = 1.0 / temperature, total = 0;
            if (kind == TargetKind.PerClass)
            {
                for (int k = 0; k < logits.Length; k++)
                {
                    double z = logits[k] * inverse, y = targets[k];
                    total += y * Tempered.Softplus(-z) + (1 - y) * Tempered.Softplus(z);
                }
                return total / logits.Length;
            }

            for (int start = 0; start < logits.Length; start += classes)
            {
                double max = double.NegativeInfinity;
                for (int c = 0; c < classes; c++) max = Math.Max(max, logits[start + c]);
                double sum = 0;
                for (int c = 0; c < classes; c++) sum += Math.Exp((logits[start + c] - max) * inverse);
                double logSum = Math.Log(sum);
                for (int c = 0; c < classes; c++)
                {
                    double y = targets[start + c];
                    if (y > 0) total += y * (logSum - (logits[start + c] - max) * inverse);
                }
            }
            return total / (logits.Length / classes);
        }
    }
}
