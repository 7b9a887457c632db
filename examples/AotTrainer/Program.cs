using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Runtime.Intrinsics;
using SoftGen;
using SoftGen.Persistence;
using SoftGen.Training;

namespace AotTrainer;

/// <summary>
/// A trainer shipped as one native executable (dotnet publish -c Release; see README "Precompiled trainers").
///   train   [--data FILE] [--weights FILE] [--epochs N] [--checkpoint FILE]
///           train on the digits, save the weights (and a checkpoint), predict from the saved weights
///   predict [--data FILE] [--weights FILE] [--probabilities FILE]   held-out accuracy from saved weights; optionally
///           write the held-out inputs, logits and probabilities as safetensors (for scripts/check_safetensors_torch.py)
///   info    what this build runs on: native AOT or JIT, which vector widths are accelerated
/// FILE defaults: data/digits.csv.gz found above the working folder or the executable; digits.safetensors.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        try
        {
            return args.Length == 0 ? Usage() : args[0] switch
            {
                "train" => Train(Options.Parse(args[1..])),
                "predict" => Predict(Options.Parse(args[1..])),
                "info" when args.Length == 1 => Info(),
                _ => Usage(),
            };
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return Usage();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 1;
        }
    }

    /// <summary>
    /// True in the native executable, where nothing is JIT-compiled. (RuntimeFeature.IsDynamicCodeSupported would not
    /// tell: PublishAot turns it off under the JIT too, so that both builds behave alike.)
    /// </summary>
    private static bool AheadOfTime => System.Runtime.JitInfo.GetCompiledMethodCount() == 0;

    private static int Usage()
    {
        Console.Error.WriteLine("usage: AotTrainer train [--data FILE] [--weights FILE] [--epochs N] [--checkpoint FILE]");
        Console.Error.WriteLine("       AotTrainer predict [--data FILE] [--weights FILE] [--probabilities FILE]");
        Console.Error.WriteLine("       AotTrainer info");
        return 2;
    }

    private static int Info()
    {
        Console.WriteLine($"compiled ahead of time: {AheadOfTime}");
        Console.WriteLine($"Vector512 accelerated: {Vector512.IsHardwareAccelerated}, Vector256 accelerated: {Vector256.IsHardwareAccelerated}");
        Console.WriteLine($"model {DigitsModel.Trainer.ModelInfo.Name}: {DigitsModel.Trainer.ModelInfo.ParameterCount} parameters, declaration hash {DigitsModel.Trainer.ModelInfo.DeclarationHash}");
        return 0;
    }

    private static int Train(Options options)
    {
        var (train, holdout) = Digits.Load(options.Data);
        Console.WriteLine($"digits: {train.Count} training rows, {holdout.Count} held out (ahead of time: {AheadOfTime}, " +
            $"Vector512 {(Vector512.IsHardwareAccelerated ? "on" : "off")}, Vector256 {(Vector256.IsHardwareAccelerated ? "on" : "off")})");

        var started = Stopwatch.GetTimestamp();
        using (var trainer = DigitsModel.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.Adam(1e-3f), BatchSize = 32, Seed = 1 }))
        {
            var progress = new EpochPrinter(every: 10);
            trainer.Fit(train.Features, train.Targets, options.Epochs, progress);
            var elapsed = Stopwatch.GetElapsedTime(started);
            Console.WriteLine($"trained {options.Epochs} epochs ({trainer.Step} steps) in {elapsed.TotalSeconds:F2} s, " +
                $"{(double)train.Count * options.Epochs / elapsed.TotalSeconds:N0} samples/s");
            trainer.SaveWeights(options.Weights);
            Console.WriteLine($"saved {options.Weights} ({new FileInfo(options.Weights).Length:N0} bytes)");
            if (options.Checkpoint is { } checkpoint)
            {
                trainer.SaveCheckpoint(checkpoint);
                Console.WriteLine($"saved the checkpoint {checkpoint} (step {trainer.Step})");
            }
        }

        // Predict from the file, in a trainer that never saw the training data.
        using var fresh = DigitsModel.CreateTrainer(new TrainerOptions { BatchSize = 256, Seed = 2 });
        fresh.LoadWeights(options.Weights);
        ReportAccuracy(fresh, holdout, "from the saved weights");
        return 0;
    }

    private static int Predict(Options options)
    {
        var started = Stopwatch.GetTimestamp();
        var (_, holdout) = Digits.Load(options.Data);
        using var trainer = DigitsModel.CreateTrainer(new TrainerOptions { BatchSize = 256 });
        trainer.LoadWeights(options.Weights);
        ReportAccuracy(trainer, holdout, $"from {options.Weights}");

        if (options.Probabilities is { } path)
        {
            var logits = new float[holdout.Count * Digits.Classes];
            var probabilities = new float[holdout.Count * Digits.Classes];
            trainer.PredictLogits(holdout.Features, logits, holdout.Count);
            trainer.PredictProbabilities(holdout.Features, probabilities, holdout.Count);
            var labels = Array.ConvertAll(holdout.Labels, l => (float)l);
            SafeTensorsFile.Save(path,
            [
                new SafeTensor("inputs", [holdout.Count, Digits.Inputs], holdout.Features),
                new SafeTensor("labels", [holdout.Count], labels),
                new SafeTensor("logits", [holdout.Count, Digits.Classes], logits),
                new SafeTensor("probabilities", [holdout.Count, Digits.Classes], probabilities),
            ], new Dictionary<string, string> { ["activations"] = "relu,none", ["model"] = DigitsModel.Trainer.ModelInfo.Name });
            Console.WriteLine($"wrote the held-out inputs, logits and probabilities to {path}");
        }
        Console.WriteLine($"predict took {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F1} ms (data, weights, {holdout.Count} predictions)");
        return 0;
    }

    private static void ReportAccuracy(TrainerBase trainer, Digits holdout, string source)
    {
        var predicted = new int[holdout.Count];
        trainer.PredictClasses(holdout.Features, predicted, holdout.Count);
        int right = 0;
        for (int r = 0; r < holdout.Count; r++)
            if (predicted[r] == holdout.Labels[r]) right++;
        Console.WriteLine($"held-out accuracy {(double)right / holdout.Count:F4} ({right}/{holdout.Count}) {source}");
    }

    private sealed class EpochPrinter(int every) : IProgress<EpochReport>
    {
        public void Report(EpochReport r)
        {
            if (r.Epoch % every == 0 || r.Epoch == r.Epochs)
                Console.WriteLine($"epoch {r.Epoch,3}/{r.Epochs}  loss {r.MeanLoss:F4}");
        }
    }

    private sealed record Options(string Data, string Weights, int Epochs, string? Probabilities, string? Checkpoint)
    {
        public static Options Parse(string[] args)
        {
            string? data = null, probabilities = null, checkpoint = null;
            string weights = "digits.safetensors";
            int epochs = 40;
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
                switch (args[i])
                {
                    case "--data": data = Value(); break;
                    case "--weights": weights = Value(); break;
                    case "--probabilities": probabilities = Value(); break;
                    case "--checkpoint": checkpoint = Value(); break;
                    case "--epochs":
                        epochs = int.TryParse(Value(), out int n) && n > 0 ? n : throw new ArgumentException("--epochs needs a positive whole number.");
                        break;
                    default: throw new ArgumentException($"unknown option '{args[i]}'.");
                }
            }
            return new Options(data ?? FindBundled("digits.csv.gz"), weights, epochs, probabilities, checkpoint);
        }

        /// <summary>data/NAME in the working folder, the executable's folder, or a folder above either.</summary>
        private static string FindBundled(string name)
        {
            foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
                for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                {
                    var path = Path.Combine(dir.FullName, "data", name);
                    if (File.Exists(path)) return path;
                }
            throw new FileNotFoundException($"data/{name} was not found above {Directory.GetCurrentDirectory()}; pass --data FILE.");
        }
    }
}
