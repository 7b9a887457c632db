using System;
using System.IO;
using SoftGen.Data;

namespace GpuBenchmark;

/// <summary>Batches of FashionMlp's shape: seeded random features and soft targets, or Fashion-MNIST test rows.</summary>
internal sealed class Data(int seed)
{
    public const string FashionMnistDirectory = "/usr/share/datasets/fashion-mnist";
    private readonly Random _random = new(seed);

    public float[] Features(int rows)
    {
        var x = new float[rows * FashionMlp.InputCount];
        for (int k = 0; k < x.Length; k++) x[k] = (float)_random.NextDouble();
        return x;
    }

    public float[] SoftTargets(int rows)
    {
        const int c = FashionMlp.ClassCount;
        var y = new float[rows * c];
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int k = 0; k < c; k++) sum += y[r * c + k] = (float)_random.NextDouble();
            for (int k = 0; k < c; k++) y[r * c + k] = (float)(y[r * c + k] / sum);
        }
        return y;
    }

    /// <summary>
    /// The first <paramref name="rows"/> Fashion-MNIST test images (pixels / 255) with their labels smoothed by 0.1 as soft
    /// targets, or null where the data set is not installed.
    /// </summary>
    public static (float[] X, float[] Y)? FashionMnistRows(int rows)
    {
        string images = Path.Combine(FashionMnistDirectory, "t10k-images-idx3-ubyte.gz"), labels = Path.Combine(FashionMnistDirectory, "t10k-labels-idx1-ubyte.gz");
        if (!File.Exists(images) || !File.Exists(labels)) return null;
        var i = IdxFile.Read(images);
        var l = IdxFile.Read(labels);
        if (i.ItemLength != FashionMlp.InputCount || i.Count < rows || l.Count < rows)
            throw new InvalidDataException($"{FashionMnistDirectory}: expected at least {rows} images of {FashionMlp.InputCount} pixels with labels.");
        const int c = FashionMlp.ClassCount;
        var x = new float[rows * FashionMlp.InputCount];
        for (int k = 0; k < x.Length; k++) x[k] = i.Data[k] / 255f;
        var y = new float[rows * c];
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < c; k++) y[r * c + k] = (k == l.Data[r] ? 0.9f : 0f) + 0.1f / c;
        return (x, y);
    }
}
