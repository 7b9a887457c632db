using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;

namespace AotTrainer;

/// <summary>Rows of 64 features scaled to [0, 1] with one-hot targets over 10 classes, and their labels.</summary>
internal sealed class Digits
{
    public const int Inputs = 64;
    public const int Classes = 10;

    private Digits(float[] features, float[] targets, int[] labels)
    {
        Features = features;
        Targets = targets;
        Labels = labels;
    }

    public float[] Features { get; }
    public float[] Targets { get; }
    public int[] Labels { get; }
    public int Count => Labels.Length;

    /// <summary>
    /// Reads the bundled UCI digits (gzip CSV: 64 pixel counts 0..16, then the class) and splits them as
    /// examples/Classify does: rows shuffled with System.Random(7), the first fifth held out.
    /// </summary>
    public static (Digits Train, Digits Holdout) Load(string path)
    {
        var rows = new List<(float[] X, int Label)>();
        using (var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress)))
        {
            int line = 0;
            for (var text = reader.ReadLine(); text is not null; text = reader.ReadLine())
            {
                line++;
                var fields = text.Split(',');
                if (fields.Length != Inputs + 1)
                    throw new InvalidDataException($"{path}, line {line}: {fields.Length} fields, expected {Inputs + 1}.");
                var x = new float[Inputs];
                for (int i = 0; i < Inputs; i++)
                    x[i] = float.Parse(fields[i], CultureInfo.InvariantCulture) / 16f;
                int label = int.Parse(fields[Inputs], CultureInfo.InvariantCulture);
                if ((uint)label >= Classes)
                    throw new InvalidDataException($"{path}, line {line}: class {label} is outside 0..{Classes - 1}.");
                rows.Add((x, label));
            }
        }
        var order = new int[rows.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        new Random(7).Shuffle(order);
        int held = rows.Count / 5;
        return (Make(rows, order.AsSpan(held)), Make(rows, order.AsSpan(0, held)));
    }

    private static Digits Make(List<(float[] X, int Label)> rows, ReadOnlySpan<int> order)
    {
        var features = new float[order.Length * Inputs];
        var targets = new float[order.Length * Classes];
        var labels = new int[order.Length];
        for (int r = 0; r < order.Length; r++)
        {
            var (x, label) = rows[order[r]];
            x.CopyTo(features, r * Inputs);
            targets[r * Classes + label] = 1f;
            labels[r] = label;
        }
        return new Digits(features, targets, labels);
    }
}
