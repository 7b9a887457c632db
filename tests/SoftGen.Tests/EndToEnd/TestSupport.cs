using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using SoftGen.Training;
using Xunit;
using Xunit.Sdk;

namespace SoftGen.Tests.EndToEnd;

/// <summary>Seeded random batches: inputs, targets of every kind the losses take, parameters.</summary>
internal static class TestData
{
    /// <summary>A seed from a name that does not change from run to run (string.GetHashCode does).</summary>
    public static int Seed(string name, int salt = 0)
    {
        int h = 17 + salt * 7919;
        foreach (char ch in name) h = unchecked(h * 31 + ch);
        return h & 0x7fffffff;
    }

    public static float[] Inputs(Random rng, int rows, int width, double scale = 1.5)
    {
        var x = new float[rows * width];
        for (int k = 0; k < x.Length; k++) x[k] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return x;
    }

    /// <summary>
    /// Targets for the model's loss. Softmax family, by row: one-hot; soft with exact zeros; soft, all positive;
    /// expert votes such as [5, 4, 1, 0, ...] / 10. Sigmoid: per class 0, 1, 0.1, 0.9 or uniform in [0, 1].
    /// </summary>
    public static float[] Targets(Random rng, RefModel model, int rows)
    {
        int classes = model.Classes;
        var y = new float[rows * classes];
        var w = new double[classes];
        for (int r = 0; r < rows; r++)
        {
            var row = new Span<float>(y, r * classes, classes);
            if (model.Loss == RefLoss.SigmoidCrossEntropy)
            {
                for (int c = 0; c < classes; c++)
                    row[c] = rng.Next(5) switch { 0 => 0f, 1 => 1f, 2 => 0.1f, 3 => 0.9f, _ => (float)rng.NextDouble() };
                continue;
            }
            Array.Clear(w);
            switch (r % 4)
            {
                case 0:
                    w[rng.Next(classes)] = 1;
                    break;
                case 1:
                    // Two or more classes get weight; at least one gets exactly 0 (for C > 2).
                    int keep = Math.Max(2, classes - 1 - rng.Next(Math.Max(1, classes - 2)));
                    var order = Permutation(rng, classes);
                    for (int k = 0; k < keep; k++) w[order[k]] = 0.05 + rng.NextDouble();
                    break;
                case 2:
                    for (int c = 0; c < classes; c++) w[c] = 0.05 + rng.NextDouble();
                    break;
                default:
                    var votes = Permutation(rng, classes);
                    w[votes[0]] = 5;
                    w[votes[1]] = 4;
                    if (classes > 2) w[votes[2]] = 1;
                    break;
            }
            double sum = 0;
            foreach (var v in w) sum += v;
            for (int c = 0; c < classes; c++) row[c] = (float)(w[c] / sum);
        }
        return y;
    }

    private static int[] Permutation(Random rng, int n)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    /// <summary>Biases start at 0; give them float-representable random values so that their gradients matter.</summary>
    public static void RandomizeBiases(TrainerBase trainer, RefModel model, Random rng, double scale = 0.5)
    {
        for (int i = 0; i < model.LayerCount; i++)
        {
            var b = new float[model.OutputsOf(i)];
            for (int k = 0; k < b.Length; k++) b[k] = (float)((rng.NextDouble() * 2 - 1) * scale);
            trainer.SetParameter($"layers.{i}.bias", b);
        }
    }

    public static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var d = new double[values.Length];
        for (int k = 0; k < d.Length; k++) d[k] = values[k];
        return d;
    }

    /// <summary>Every parameter tensor, by name, as float arrays (for bit-exact comparisons).</summary>
    public static Dictionary<string, float[]> Snapshot(TrainerBase trainer)
    {
        var result = new Dictionary<string, float[]>();
        foreach (var p in trainer.Model.Parameters)
        {
            var values = new float[p.Length];
            trainer.GetParameter(p.Name, values);
            result[p.Name] = values;
        }
        return result;
    }

    public static RefParameters Gradients(RefModel model, TrainerBase trainer)
    {
        var g = new RefParameters(model);
        foreach (var name in model.ParameterNames)
        {
            var target = g[name];
            var buffer = new float[target.Length];
            trainer.GetGradient(name, buffer);
            for (int k = 0; k < buffer.Length; k++) target[k] = buffer[k];
        }
        return g;
    }
}

/// <summary>Tolerant comparisons that say which element failed and by how much.</summary>
internal static class Check
{
    public static void Close(double expected, double actual, double relative, double absolute, string what)
    {
        double error = Math.Abs(actual - expected);
        if (!(error <= relative * Math.Abs(expected) + absolute))
            throw new XunitException(string.Create(CultureInfo.InvariantCulture,
                $"{what}: expected {expected:R}, got {actual:R} (error {error:E3}, allowed {relative:E1} relative + {absolute:E1})."));
    }

    /// <summary>
    /// |actual - expected| &lt;= relative |expected| + floor for every element, with
    /// floor = absoluteOfMax * max |expected| + absolute: an absolute floor scaled to the tensor's magnitude.
    /// </summary>
    public static void AllClose(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double relative, double absoluteOfMax, double absolute, string what)
    {
        var a = new double[actual.Length];
        for (int k = 0; k < a.Length; k++) a[k] = actual[k];
        AllClose(a, expected, relative, absoluteOfMax, absolute, what);
    }

    public static void AllClose(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected, double relative, double absoluteOfMax, double absolute, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double max = 0;
        foreach (var e in expected) max = Math.Max(max, Math.Abs(e));
        double floor = absoluteOfMax * max + absolute;
        int failures = 0;
        var report = new StringBuilder();
        for (int k = 0; k < expected.Length; k++)
        {
            double error = Math.Abs(actual[k] - expected[k]);
            if (error <= relative * Math.Abs(expected[k]) + floor && double.IsFinite(actual[k])) continue;
            if (failures++ < 8)
                report.Append(CultureInfo.InvariantCulture, $"\n  [{k}] expected {expected[k]:R}, got {actual[k]:R} (error {error:E3})");
        }
        if (failures > 0)
            throw new XunitException(string.Create(CultureInfo.InvariantCulture,
                $"{what}: {failures} of {expected.Length} elements differ (allowed {relative:E1} relative + {floor:E2}; max |expected| {max:E3}):{report}"));
    }

    public static void AllFinite(ReadOnlySpan<float> values, string what)
    {
        for (int k = 0; k < values.Length; k++)
            if (!float.IsFinite(values[k]))
                throw new XunitException($"{what}[{k}] is {values[k]}.");
    }

    public static void BitEqual(Dictionary<string, float[]> expected, Dictionary<string, float[]> actual, string what)
    {
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (name, e) in expected)
        {
            var a = actual[name];
            for (int k = 0; k < e.Length; k++)
                if (BitConverter.SingleToInt32Bits(e[k]) != BitConverter.SingleToInt32Bits(a[k]))
                    throw new XunitException(string.Create(CultureInfo.InvariantCulture,
                        $"{what}: {name}[{k}] is {a[k]:R}, expected exactly {e[k]:R}."));
        }
    }
}

/// <summary>An IProgress that records synchronously (Progress&lt;T&gt; posts to a thread pool).</summary>
internal sealed class ListProgress<T> : IProgress<T>
{
    public List<T> Items { get; } = new();

    public void Report(T value) => Items.Add(value);
}
