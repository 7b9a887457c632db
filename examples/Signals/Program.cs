using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using SoftGen;
using SoftGen.Examples;
using SoftGen.Metrics;
using SoftGen.Persistence;
using SoftGen.Training;

namespace Signals;

/// <summary>
/// Trains <see cref="EegNet"/> on simulated 8-channel EEG windows with the vote fractions of a simulated expert panel
/// as soft targets (KL loss), and prints the held-out KL (batch mean, the HMS contest's metric), accuracy against the
/// majority vote and ECE, beside the uniform prediction, the prior, the untrained model and the noise floor.
///   --epochs N        training epochs (default 5)
///   --train N         training windows (default 12000)
///   --test N          held-out windows (default 2000)
///   --seed N          the data's and the trainer's seed (default 1)
///   --threads N       worker threads (default: all cores)
///   --save FILE       also save the trained weights (safetensors, PyTorch's state_dict names) to FILE
///   --backend B       cpu (default), gpu, or auto (a CUDA or OpenCL GPU when there is one)
///   --write-data DIR  also write the standardised data sets as DIR/train.safetensors and DIR/test.safetensors, and
///                     after training the held-out probabilities as DIR/predictions.safetensors
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var options = Options.Parse(args);
        if (options is null)
        {
            Console.Error.WriteLine("usage: Signals [--epochs N] [--train N] [--test N] [--seed N] [--threads N] [--save FILE] [--write-data DIR] [--backend cpu|gpu|auto]");
            return 2;
        }
        try
        {
            return Run(options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 1;
        }
    }

    private static int Run(Options options)
    {
        var clock = Stopwatch.StartNew();
        var train = SignalDataset.Generate(options.Train, options.Seed, split: 0);
        var test = SignalDataset.Generate(options.Test, options.Seed, split: 1);
        var (mean, std) = train.ChannelStatistics();
        train.Standardise(mean, std);
        test.Standardise(mean, std);
        Console.WriteLine($"simulated {train.Count:N0} training and {test.Count:N0} held-out windows (8 channels x 2,000 samples, " +
            $"3-20 annotators each) in {clock.Elapsed.TotalSeconds:F1} s");
        if (options.WriteData is { } directory)
            WriteData(directory, train, test, options.Seed);

        using var trainer = EegNet.CreateTrainer(new TrainerOptions
        {
            Optimizer = Optimizer.AdamW(1e-3f),
            BatchSize = 64,
            Seed = options.Seed,
            ThreadCount = options.Threads,
            Backend = options.Backend,
        });
        Console.WriteLine($"model {trainer.Model.Name}, {trainer.Model.ParameterCount:N0} parameters; AdamW 1e-3, batch 64, {options.Epochs} epochs; backend {trainer.Backend}");

        var baselines = new List<(string Name, ClassificationReport Report)>
        {
            ("uniform prediction", Score(Constant(test.Count, Uniform()), test.Targets)),
            ("prior (mean training target)", Score(Constant(test.Count, MeanTarget(train)), test.Targets)),
            ("untrained EegNet", Score(Predict(trainer, test), test.Targets)),
        };
        var fit = new FitOptions { Epochs = options.Epochs, ValidationInputs = test.Signals, ValidationTargets = test.Targets };
        EpochProgress.Run(fit, o => trainer.Fit(train.Signals, train.Targets, o), report =>
            $"epoch {report.Epoch,2}/{report.Epochs}  loss {report.MeanLoss:F4}  held-out KL {report.Validation!.Value.Kl:F4}  " +
            $"accuracy {report.Validation.Value.Accuracy:F4}  {report.SamplesPerSecond,6:N0} samples/s  {report.Elapsed.TotalSeconds:F1} s");
        if (options.Save is { } save)
        {
            trainer.SaveWeights(save);
            Console.WriteLine($"weights saved to {save}");
        }

        var trained = Predict(trainer, test);
        baselines.Add(("trained EegNet", Score(trained, test.Targets)));
        if (options.WriteData is { } folder)
        {
            // For benchmarks/pytorch_signals.py --evaluate, which compares PyTorch's probabilities with these.
            var path = Path.Combine(folder, "predictions.safetensors");
            SafeTensorsFile.Save(path, new[] { new SafeTensor("probabilities", new[] { test.Count, SignalDataset.Classes }, trained) });
            Console.WriteLine($"wrote {path}");
        }
        baselines.Add(("expected votes (the floor)", Score(test.Expected, test.Targets)));
        Console.WriteLine();
        Console.WriteLine($"held out ({test.Count:N0} windows)              KL   accuracy      ECE");
        foreach (var (name, report) in baselines)
            Console.WriteLine($"  {name,-30} {report.KLDivergence,7:F4} {report.Accuracy,10:F4} {report.ExpectedCalibrationError,8:F4}");
        Console.WriteLine("KL: mean over windows of sum_k y log(y / p) (KLDivLoss batchmean); accuracy: argmax p against the majority vote " +
            "(ties to the first class); ECE: 15 bins of the top probability.");
        return 0;
    }

    private static float[] Predict(TrainerBase trainer, SignalDataset data)
    {
        var probabilities = new float[data.Count * SignalDataset.Classes];
        trainer.PredictProbabilities(data.Signals, probabilities, data.Count);
        return probabilities;
    }

    private static ClassificationReport Score(float[] probabilities, float[] targets)
    {
        var metrics = new ClassificationMetrics(SignalDataset.Classes);
        metrics.Add(probabilities, targets);
        return metrics.Report();
    }

    private static float[] Uniform()
    {
        var p = new float[SignalDataset.Classes];
        Array.Fill(p, 1f / p.Length);
        return p;
    }

    private static float[] MeanTarget(SignalDataset data)
    {
        var sums = new double[SignalDataset.Classes];
        for (int i = 0; i < data.Targets.Length; i++)
            sums[i % sums.Length] += data.Targets[i];
        return Array.ConvertAll(sums, s => (float)(s / data.Count));
    }

    private static float[] Constant(int count, float[] row)
    {
        var rows = new float[count * row.Length];
        for (int i = 0; i < count; i++)
            row.CopyTo(rows, i * row.Length);
        return rows;
    }

    private static void WriteData(string directory, SignalDataset train, SignalDataset test, int seed)
    {
        Directory.CreateDirectory(directory);
        var metadata = new Dictionary<string, string>
        {
            ["seed"] = seed.ToString(CultureInfo.InvariantCulture),
            ["classes"] = "seizure,lpd,gpd,lrda,grda,other",
            ["standardised"] = "per channel with the training set's mean and standard deviation",
        };
        foreach (var (name, data) in new[] { ("train", train), ("test", test) })
        {
            var path = Path.Combine(directory, name + ".safetensors");
            data.Save(path, metadata);
            Console.WriteLine($"wrote {path}");
        }
    }
}
