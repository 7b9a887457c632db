using System;
using System.Globalization;
using System.IO;
using System.IO.Compression;
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
    /// <summary>The bundled UCI digits: headerless CSV, 64 pixel counts 0..16 then the class 0..9 per line.</summary>
    public static Dataset Digits(string path)
    {
        const int inputs = 64, classes = 10;
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        var features = new System.Collections.Generic.List<float>();
        var targets = new System.Collections.Generic.List<float>();
        var lineNumber = 0;
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            var fields = line.Split(',');
            if (fields.Length != inputs + 1)
                throw new InvalidDataException($"{path}, line {lineNumber}: {fields.Length} fields, expected {inputs + 1}.");
            for (var i = 0; i < inputs; i++)
                features.Add(float.Parse(fields[i], CultureInfo.InvariantCulture) / 16f);
            var label = int.Parse(fields[inputs], CultureInfo.InvariantCulture);
            if ((uint)label >= classes)
                throw new InvalidDataException($"{path}, line {lineNumber}: class {label} is outside 0..{classes - 1}.");
            for (var c = 0; c < classes; c++)
                targets.Add(c == label ? 1f : 0f);
        }
        return new Dataset(features.ToArray(), targets.ToArray(), lineNumber, inputs, classes);
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
