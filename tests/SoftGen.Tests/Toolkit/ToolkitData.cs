using System;

namespace SoftGen.Tests.Toolkit;

internal static class ToolkitData
{
    /// <summary>
    /// Three overlapping Gaussian blobs in four dimensions (unit variance, centres 1.5 apart), one-hot targets:
    /// no classifier can be certain, so a model that is certain is overconfident.
    /// </summary>
    public static (float[] X, float[] Y) Blobs(int rows, int seed)
    {
        var random = new Random(seed);
        var x = new float[rows * 4];
        var y = new float[rows * 3];
        for (int r = 0; r < rows; r++)
        {
            int c = r % 3;
            for (int i = 0; i < 4; i++)
            {
                double centre = i == c ? 1.5 : 0;
                double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
                x[r * 4 + i] = (float)(centre + Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
            }
            y[r * 3 + c] = 1;
        }
        return (x, y);
    }

    /// <summary>softmax(z / T) of each row in double: the test's own reference.</summary>
    public static double[] Softmax(float[] logits, int classes, double temperature)
    {
        var p = new double[logits.Length];
        for (int s = 0; s < logits.Length; s += classes)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int c = 0; c < classes; c++) max = Math.Max(max, logits[s + c] / temperature);
            for (int c = 0; c < classes; c++) sum += p[s + c] = Math.Exp(logits[s + c] / temperature - max);
            for (int c = 0; c < classes; c++) p[s + c] /= sum;
        }
        return p;
    }

    /// <summary>Mean -sum y log softmax(z / T) in double, the test's own NLL.</summary>
    public static double Nll(float[] logits, float[] targets, int classes, double temperature)
    {
        var p = Softmax(logits, classes, temperature);
        double total = 0;
        for (int k = 0; k < p.Length; k++)
            if (targets[k] > 0) total -= targets[k] * Math.Log(p[k]);
        return total / (p.Length / classes);
    }
}
