using System;
using System.IO;
using SoftGen.Data;

namespace SoftGen.Benchmarks;

/// <summary>One Fashion-MNIST split: pixels / 255 as features [Count, 784] and one-hot targets [Count, 10].</summary>
internal sealed record FashionMnist(float[] Features, float[] Targets, byte[] Labels, int Count)
{
    public const int Inputs = 784;
    public const int Classes = 10;
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    public static FashionMnist Load(string directory, bool train)
    {
        string prefix = train ? "train" : "t10k";
        var images = IdxFile.Read(Find(directory, prefix + "-images-idx3-ubyte"));
        var labels = IdxFile.Read(Find(directory, prefix + "-labels-idx1-ubyte"));
        if (images.Count != labels.Count || images.ItemLength != Inputs)
            throw new InvalidDataException($"{directory}: {images.Count} images of {images.ItemLength} pixels and {labels.Count} labels; expected equal counts of {Inputs}-pixel images.");
        var features = new float[images.Data.Length];
        for (int i = 0; i < features.Length; i++)
            features[i] = images.Data[i] / 255f;
        var targets = new float[labels.Count * Classes];
        for (int i = 0; i < labels.Count; i++)
        {
            if (labels.Data[i] >= Classes)
                throw new InvalidDataException($"{directory}: label {labels.Data[i]} of item {i} is outside 0..9.");
            targets[i * Classes + labels.Data[i]] = 1f;
        }
        return new FashionMnist(features, targets, labels.Data, labels.Count);
    }

    private static string Find(string directory, string name)
    {
        foreach (var candidate in new[] { name + ".gz", name })
        {
            string path = Path.Combine(directory, candidate);
            if (File.Exists(path))
                return path;
        }
        throw new FileNotFoundException(
            $"{name}(.gz) is not in {directory}. Install Fashion-MNIST with 'apt-get install dataset-fashion-mnist' or pass --data DIR.");
    }
}
