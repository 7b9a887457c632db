using System;
using System.Globalization;
using System.Text;

namespace SoftGen.Metrics;

/// <summary>Counts of rows by actual class (the target's argmax) and predicted class (the prediction's argmax).</summary>
public sealed class ConfusionMatrix
{
    private readonly long[] _counts;

    internal ConfusionMatrix(int classes, long[] counts)
    {
        Classes = classes;
        _counts = counts;
    }

    public int Classes { get; }

    /// <summary>Rows of class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    public long this[int actual, int predicted]
    {
        get
        {
            if ((uint)actual >= (uint)Classes) throw new ArgumentOutOfRangeException(nameof(actual), actual, $"Classes are 0..{Classes - 1}.");
            if ((uint)predicted >= (uint)Classes) throw new ArgumentOutOfRangeException(nameof(predicted), predicted, $"Classes are 0..{Classes - 1}.");
            return _counts[actual * Classes + predicted];
        }
    }

    /// <summary>All rows counted.</summary>
    public long Total
    {
        get
        {
            long total = 0;
            foreach (long n in _counts) total += n;
            return total;
        }
    }

    /// <summary>Of the rows of class <paramref name="c"/>, the fraction predicted as c (NaN if there are none).</summary>
    public double Recall(int c)
    {
        long row = 0;
        for (int p = 0; p < Classes; p++) row += this[c, p];
        return row == 0 ? double.NaN : (double)this[c, c] / row;
    }

    /// <summary>Of the rows predicted as <paramref name="c"/>, the fraction that are of class c (NaN if there are none).</summary>
    public double Precision(int c)
    {
        long column = 0;
        for (int a = 0; a < Classes; a++) column += this[a, c];
        return column == 0 ? double.NaN : (double)this[c, c] / column;
    }

    /// <summary>A table: one line per actual class, one column per predicted class.</summary>
    public override string ToString()
    {
        int width = Math.Max(Classes.ToString(CultureInfo.InvariantCulture).Length, 1);
        foreach (long n in _counts) width = Math.Max(width, n.ToString(CultureInfo.InvariantCulture).Length);
        var text = new StringBuilder();
        text.Append("actual\\predicted".PadRight(18));
        for (int p = 0; p < Classes; p++) text.Append(' ').Append(p.ToString(CultureInfo.InvariantCulture).PadLeft(width));
        text.AppendLine();
        for (int a = 0; a < Classes; a++)
        {
            text.Append(a.ToString(CultureInfo.InvariantCulture).PadRight(18));
            for (int p = 0; p < Classes; p++) text.Append(' ').Append(this[a, p].ToString(CultureInfo.InvariantCulture).PadLeft(width));
            text.AppendLine();
        }
        return text.ToString();
    }
}
