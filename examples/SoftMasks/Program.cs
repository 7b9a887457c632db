using System;
using System.Globalization;
using System.IO;
using SoftGen;
using SoftGen.Data;
using SoftGen.Examples;

namespace SoftMasks;

/// <summary>
/// Per-pixel soft labels: from Fashion-MNIST images, targets that give each pixel a probability of being garment (the
/// garment mask, blurred so that edges are uncertain); a fully convolutional SoftGen model learns them from noisy
/// images with KL at every pixel. Prints the held-out per-pixel KL and writes a PNG of inputs, targets and predictions.
///   SoftMasks [--data DIR] [--png PATH (default artifacts/softmasks.png)] [--train N] [--epochs N]
/// </summary>
public static class Program
{
    private const int Side = 28;

    public static int Main(string[] args)
    {
        string directory = "/usr/share/datasets/fashion-mnist", png = Path.Combine("artifacts", "softmasks.png");
        int trainCount = 12000, testCount = 2000, epochs = 3;
        for (int i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length) return Usage();
            switch (args[i])
            {
                case "--data": directory = args[i + 1]; break;
                case "--png": png = args[i + 1]; break;
                case "--train" when int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0: trainCount = n; break;
                case "--epochs" when int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var e) && e > 0: epochs = e; break;
                default: return Usage();
            }
        }

        try
        {
            var train = Images(directory, "train-images-idx3-ubyte", trainCount);
            var test = Images(directory, "t10k-images-idx3-ubyte", testCount);
            trainCount = train.Length / (Side * Side);
            testCount = test.Length / (Side * Side);
            var trainX = Masks.Noisy(train, 0.15, seed: 1);
            var testX = Masks.Noisy(test, 0.15, seed: 2);
            var trainY = Masks.Targets(train, trainCount, Side);
            var testY = Masks.Targets(test, testCount, Side);
            Console.WriteLine($"SoftMasks: {trainCount} training and {testCount} held-out Fashion-MNIST images, noise sigma 0.15; targets: " +
                $"P(garment) per pixel, the mask (pixel > {Masks.Threshold}) blurred by a Gaussian of sigma 1");
            Console.WriteLine($"model {MaskNet.Trainer.ModelInfo.Name}: {MaskNet.Trainer.ModelInfo.ParameterCount:N0} parameters, " +
                $"{MaskNet.ClassCount} classes at each of {MaskNet.OutputHeight}x{MaskNet.OutputWidth} pixels, KL per pixel");

            using var trainer = MaskNet.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.Adam(2e-3f), BatchSize = 64, Seed = 1 });
            var before = trainer.Evaluate(testX, testY);
            Console.WriteLine($"before training: held-out KL per pixel {before.Kl:F4}");
            EpochProgress.Run(new FitOptions { Epochs = epochs }, o => trainer.Fit(trainX, trainY, o), report =>
            {
                var check = trainer.Evaluate(testX, testY);
                return $"epoch {report.Epoch}/{report.Epochs}  loss {report.MeanLoss:F4}  held-out KL per pixel {check.Kl:F4}  " +
                    $"{report.SamplesPerSecond:N0} images/s";
            });

            var result = trainer.Evaluate(testX, testY);
            Console.WriteLine($"held-out per-pixel KL {result.Kl:F4}  NLL {result.Nll:F4}  pixel accuracy {result.Accuracy:F4}  Brier {result.Brier:F4}  " +
                $"({result.Count} images x {Side * Side} pixels)");

            const int shown = 8;
            var probabilities = new float[shown * 2 * Side * Side];
            trainer.PredictProbabilities(testX.AsSpan(0, shown * Side * Side), probabilities, shown);
            var folder = Path.GetDirectoryName(Path.GetFullPath(png));
            if (folder is not null) Directory.CreateDirectory(folder);
            WriteSheet(png, testX, testY, probabilities, shown);
            Console.WriteLine($"wrote {Path.GetFullPath(png)}: per image, the noisy input, the target P(garment) and the predicted P(garment)");
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 1;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: SoftMasks [--data DIR] [--png PATH] [--train N] [--epochs N]");
        return 2;
    }

    /// <summary>The first <paramref name="count"/> images of an IDX file, scaled to [0, 1].</summary>
    private static float[] Images(string directory, string name, int count)
    {
        var path = Path.Combine(directory, name + ".gz");
        if (!File.Exists(path)) path = Path.Combine(directory, name);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{name}(.gz) is not in {directory}; install Fashion-MNIST with 'apt-get install dataset-fashion-mnist' or pass --data DIR.");
        var file = IdxFile.Read(path);
        if (file.ItemLength != Side * Side)
            throw new InvalidDataException($"{path} holds items of {file.ItemLength} values, not {Side}x{Side} images.");
        count = Math.Min(count, file.Count);
        var images = new float[count * Side * Side];
        for (int k = 0; k < images.Length; k++)
            images[k] = file.Data[k] / 255f;
        return images;
    }

    /// <summary>One row per image, three 28x28 panels (input, target, prediction) scaled up 3 times, 4-pixel gaps.</summary>
    private static void WriteSheet(string path, float[] inputs, float[] targets, float[] predictions, int count)
    {
        const int scale = 3, gap = 4, panel = Side * scale;
        int width = 3 * panel + 4 * gap, height = count * panel + (count + 1) * gap;
        var pixels = new byte[width * height];
        Array.Fill(pixels, (byte)128);
        int area = Side * Side;
        for (int i = 0; i < count; i++)
        {
            var panels = new Func<int, float>[]
            {
                p => inputs[i * area + p],
                p => targets[(i * 2 + 1) * area + p],
                p => predictions[(i * 2 + 1) * area + p],
            };
            for (int j = 0; j < 3; j++)
                for (int y = 0; y < panel; y++)
                    for (int x = 0; x < panel; x++)
                    {
                        float v = panels[j]((y / scale) * Side + x / scale);
                        pixels[(gap + i * (panel + gap) + y) * width + gap + j * (panel + gap) + x] = (byte)Math.Round(Math.Clamp(v, 0f, 1f) * 255);
                    }
        }
        Png.WriteGray(path, pixels, width, height);
    }
}
