using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace SoftGen.Training;

/// <summary>
/// Per-row sample weights: their checks (each finite and non-negative, a positive sum) and their normalisation to
/// the s_r = w_r rows / sum w that the loss heads take, so that a head's mean_r(s_r l_r) is the weighted mean
/// sum w_r l_r / sum w_r.
/// </summary>
internal static unsafe class SampleWeights
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the first bad row, or if the length is not <paramref name="rows"/> or the sum is 0.</summary>
    public static void Check(ReadOnlySpan<float> weights, int rows, string paramName)
    {
        if (weights.Length != rows)
            throw new ArgumentException($"{paramName} has {weights.Length} values; one per row ({rows}) is needed.", paramName);
        double sum = 0;
        for (int r = 0; r < weights.Length; r++)
        {
            float w = weights[r];
            if (!(float.IsFinite(w) && w >= 0f)) ThrowWeight(paramName, r, w);
            sum += w;
        }
        if (!(sum > 0))
            throw new ArgumentException($"Every one of the {rows} sample weights in {paramName} is 0; at least one row needs a positive weight.", paramName);
    }

    /// <summary>sum_r w_r in double, in row order.</summary>
    public static double Sum(float* weights, int rows)
    {
        double sum = 0;
        for (int r = 0; r < rows; r++) sum += weights[r];
        return sum;
    }

    /// <summary>
    /// Writes s_r = w_r rows / sum w (in double, stored as float) to <paramref name="destination"/> and returns it; or
    /// returns null when every s_r is exactly 1 (equal weights), for which the unweighted loss is the same loss and
    /// the heads' unweighted path gives it bit for bit. The weights must have a positive sum.
    /// </summary>
    public static float* Normalize(float* weights, int rows, float* destination)
    {
        double sum = Sum(weights, rows);
        bool equal = true;
        for (int r = 0; r < rows; r++)
        {
            float s = (float)((double)weights[r] * rows / sum); // equal weights give exactly 1
            destination[r] = s;
            equal &= s == 1f;
        }
        return equal ? null : destination;
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowWeight(string paramName, int row, float value) =>
        throw new ArgumentException($"The sample weight of row {row} is {value}; weights must be finite and non-negative.", paramName);
}
