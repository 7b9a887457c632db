using System;

namespace SoftGen.Calibration;

/// <summary>Probabilities from logits at a temperature, row by row in double; the destination may be the logits themselves.</summary>
internal static class Tempered
{
    /// <summary>
    /// softmax(z / T) over each row's <paramref name="classes"/> logits (max subtracted first). Rows of a per-pixel model
    /// are NCHW, [classes, pixels]: the softmax then runs over the classes at each pixel, which lie
    /// <paramref name="pixels"/> apart.
    /// </summary>
    public static void Softmax(ReadOnlySpan<float> logits, int classes, float temperature, Span<float> destination, int pixels = 1)
    {
        double inverse = 1.0 / temperature;
        int length = classes * pixels;
        for (int start = 0; start < logits.Length; start += length)
            for (int q = start; q < start + pixels; q++)
            {
                double max = logits[q];
                for (int c = 1; c < classes; c++) max = Math.Max(max, logits[q + c * pixels]);
                double sum = 0;
                for (int c = 0; c < classes; c++) sum += Math.Exp((logits[q + c * pixels] - max) * inverse);
                double scale = 1.0 / sum;
                for (int c = 0; c < classes; c++)
                    destination[q + c * pixels] = (float)(Math.Exp((logits[q + c * pixels] - max) * inverse) * scale);
            }
    }

    /// <summary>sigmoid(z / T) for every element, in the form that cannot overflow.</summary>
    public static void Sigmoid(ReadOnlySpan<float> logits, float temperature, Span<float> destination)
    {
        double inverse = 1.0 / temperature;
        for (int k = 0; k < logits.Length; k++)
        {
            double z = logits[k] * inverse;
            destination[k] = (float)(z >= 0 ? 1.0 / (1.0 + Math.Exp(-z)) : Math.Exp(z) / (1.0 + Math.Exp(z)));
        }
    }

    /// <summary>log(1 + exp(x)) without overflow.</summary>
    public static double Softplus(double x) => x > 0 ? x + Math.Log(1 + Math.Exp(-x)) : Math.Log(1 + Math.Exp(x));
}
