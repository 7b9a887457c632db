using System;
using System.Globalization;
using System.IO;
using SoftGen.Data;

namespace Classify;

/// <summary>Features [Count, Inputs] scaled to [0, 1], and one-hot targets [Count, Classes].</summary>
internal sealed record Dataset(float[] Features, float[] Targets, int Count, int Inputs, int Classes)
{
    public ReadOnlySpan<float> FeatureRows(int start, int count) => Features.AsSpan(start * Inputs, count * Inputs);

    public ReadOnlySpan<float> TargetRows(int start, int count) => Targets.AsSpan(start * Classes, count * Classes);

    /// <summary>The same rows in a seeded random order.</summary>
    public Dataset Shuffled(int seed)
    {
        var order = new int[Count];
        for (var i = 0; i < Count; i++)
            order[i] = i;
        new Random(seed).Shuffle(order);
        var features = new float[Features.Length];
        var targets = new float[Targets.Length];
        for (var i = 0; i < Count; i++)
        {
            FeatureRows(order[i], 1).CopyTo(features.AsSpan(i * Inputs, Inputs));
            TargetRows(order[i], 1).CopyTo(targets.AsSpan(i * Classes, Classes));
        }
        return this with { Features = features, Targets = targets };
    }

    public (Dataset Head, Dataset Tail) Split(int firstCount) => (
        new Dataset(FeatureRows(0, firstCount).ToArray(), TargetRows(0, firstCount).ToArray(), firstCount, Inputs, Classes),
        new Dataset(FeatureRows(firstCount, Count - firstCount).ToArray(), TargetRows(firstCount, Count - firstCount).ToArray(), Count - firstCount, Inputs, Classes));
}

internal static class Datasets
{
    /// <summary>
    /// The bundled UCI digits: headerless CSV, 64 pixel counts 0..16 then the class 0..9 per line, read with SoftGen's
    /// CSV reader (errors name the line) and scaled to [0, 1].
    /// </summary>
    public static Dataset Digits(string path)
    {
        var columns = new string[65];
        for (var i = 0; i < 64; i++)
            columns[i] = "pixel" + i.ToString(CultureInfo.InvariantCulture);
        columns[64] = "digit";
        var digits = CsvDataset.Read(path, new CsvFormat
        {
            ColumnNames = columns,
            Labels = CsvLabels.ClassColumn("digit", 10),
            FeatureScale = 1f / 16, // a power of two: the same floats as dividing by 16
        });
        return new Dataset(digits.Features.ToArray(), digits.Targets.ToArray(), digits.Count, digits.Inputs, digits.Classes);
    }

    /// <summary>Fashion-MNIST's train or test split from its (gzip) IDX files.</summary>
    public static Dataset FashionMnist(string directory, bool train)
    {
        var prefix = train ? "train" : "t10k";
        var images = IdxFile.Read(Find(directory, prefix + "-images-idx3-ubyte"));
        var labels = IdxFile.Read(Find(directory, prefix + "-labels-idx1-ubyte"));
        if (images.Count != labels.Count)
            throw new InvalidDataException($"{directory}: {images.Count} images but {labels.Count} labels.");
        const int classes = 10;
        var features = new float[images.Data.Length];
        for (var i = 0; i < features.Length; i++)
            features[i] = images.Data[i] / 255f;
        var targets = new float[labels.Count * classes];
        for (var i = 0; i < labels.Count; i++)
        {
            if (labels.Data[i] >= classes)
                throw new InvalidDataException($"{directory}: label {labels.Data[i]} of item {i} is outside 0..9.");
            targets[i * classes + labels.Data[i]] = 1f;
        }
        return new Dataset(features, targets, images.Count, images.ItemLength, classes);
    }

    private static string Find(string directory, string name)
    {
        foreach (var candidate in new[] { name + ".gz", name })
        {
            var path = Path.Combine(directory, candidate);
            if (File.Exists(path))
                return path;
        }
        throw new FileNotFoundException(
            $"{name}(.gz) is not in {directory}. Install Fashion-MNIST with 'apt-get install dataset-fashion-mnist' or pass its folder after --data fashion-mnist.");
    }
}
