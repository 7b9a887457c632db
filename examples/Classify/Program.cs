using System;
using System.IO;
using SoftGen;
using SoftGen.Training;

namespace Classify;

/// <summary>
/// Trains a generated SoftGen trainer on a real data set and prints held-out accuracy, NLL and Brier score.
///   (no arguments)                  the bundled UCI digits, 20% held out
///   --data fashion-mnist [DIR]      Fashion-MNIST's IDX files (default /usr/share/datasets/fashion-mnist)
/// </summary>
public static class Program
{
    private const string FashionMnistDefault = "/usr/share/datasets/fashion-mnist";

    public static int Main(string[] args)
    {
        try
        {
            if (args.Length == 0)
                return Digits();
            if (args[0] == "--data" && args.Length >= 2 && args[1] == "fashion-mnist" && args.Length <= 3)
                return FashionMnist(args.Length == 3 ? args[2] : FashionMnistDefault);
            Console.Error.WriteLine("usage: Classify [--data fashion-mnist [DIR]]");
            return 2;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 1;
        }
    }

    private static int Digits()
    {
        var all = Datasets.Digits(FindBundled("digits.csv.gz")).Shuffled(seed: 7);
        var (holdout, train) = all.Split(all.Count / 5);
        Console.WriteLine($"UCI digits: {train.Count} training rows, {holdout.Count} held out; model {DigitsMlp.Trainer.ModelInfo.Name}");

        using var trainer = DigitsMlp.CreateTrainer(new TrainerOptions
        {
            Optimizer = Optimizer.Adam(1e-3f),
            BatchSize = 32,
            Seed = 1,
        });
        Train(trainer, train, holdout, "held-out", epochs: 40, reportEvery: 5);
        return Report(trainer, holdout, "held-out");
    }

    private static int FashionMnist(string directory)
    {
        var train = Datasets.FashionMnist(directory, train: true);
        var test = Datasets.FashionMnist(directory, train: false);
        Console.WriteLine($"Fashion-MNIST: {train.Count} training rows, {test.Count} test rows; model {FashionMlp.Trainer.ModelInfo.Name}");

        using var trainer = FashionMlp.CreateTrainer(new TrainerOptions
        {
            Optimizer = Optimizer.Adam(1e-3f),
            BatchSize = 256,
            Seed = 1,
        });
        Train(trainer, train, test, "test", epochs: 5, reportEvery: 1);
        return Report(trainer, test, "test");
    }

    private static void Train(TrainerBase trainer, Dataset train, Dataset holdout, string holdoutName, int epochs, int reportEvery)
    {
        var progress = new ConsoleProgress(report =>
        {
            if (report.Epoch % reportEvery != 0 && report.Epoch != report.Epochs)
                return;
            var check = trainer.Evaluate(holdout.Features, holdout.Targets);
            Console.WriteLine($"epoch {report.Epoch,3}/{report.Epochs}  loss {report.MeanLoss:F4}  " +
                $"{holdoutName} accuracy {check.Accuracy:F4}  {report.SamplesPerSecond,9:N0} samples/s  {report.Elapsed.TotalSeconds:F2} s");
        });
        trainer.Fit(train.Features, train.Targets, epochs, progress);
    }

    private static int Report(TrainerBase trainer, Dataset holdout, string name)
    {
        var result = trainer.Evaluate(holdout.Features, holdout.Targets);
        Console.WriteLine($"{name} accuracy {result.Accuracy:F4}  NLL {result.Nll:F4}  Brier {result.Brier:F4}  ({result.Count} rows)");
        return 0;
    }

    /// <summary>The data folder at the repository root, found from the working directory or the program's own folder.</summary>
    private static string FindBundled(string name)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var path = Path.Combine(dir.FullName, "data", name);
                if (File.Exists(path))
                    return path;
            }
        }
        throw new FileNotFoundException($"data/{name} was not found above {Directory.GetCurrentDirectory()}; run from inside the repository.");
    }

    /// <summary>Reports synchronously, on the training thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class ConsoleProgress(Action<EpochReport> report) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => report(value);
    }
}
