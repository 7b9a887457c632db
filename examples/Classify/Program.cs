using System;
using System.IO;
using System.Linq;
using SoftGen;
using SoftGen.Examples;
using SoftGen.Metrics;
using SoftGen.Onnx;
using SoftGen.Training;

namespace Classify;

/// <summary>
/// Trains a generated SoftGen trainer on a real data set and prints held-out accuracy, NLL and Brier score.
///   (no arguments)                  the bundled UCI digits, 20% held out
///   --data fashion-mnist [DIR]      Fashion-MNIST's IDX files (default /usr/share/datasets/fashion-mnist)
///   --model cnn                     Fashion-MNIST with the convolutional model (FashionCnn) instead of the MLP
///   --model resnet                  Fashion-MNIST with the small ResNet (FashionResNet): batch norm, residual blocks
///   --plots DIR                     also write the held-out reliability diagram and the loss curves as PNG files in DIR
///   --save FILE                     also save the trained weights (safetensors, PyTorch's state_dict names) to FILE
///   --export-onnx FILE              also export the trained model to FILE as ONNX (SoftGen.Onnx), for ONNX Runtime
///   --evaluate FILE                 instead of training, load weights (SoftGen's or PyTorch's state_dict) and score them
///   --backend cpu|gpu|auto          where to train (default cpu); auto takes a CUDA or OpenCL GPU when there is one
/// </summary>
public static class Program
{
    private const string FashionMnistDefault = "/usr/share/datasets/fashion-mnist";

    /// <summary>Where --plots writes its PNG files; null without --plots.</summary>
    private static string? _plots;

    /// <summary>Where --save writes the trained weights; null without --save.</summary>
    private static string? _save;

    /// <summary>Where --export-onnx writes the ONNX model; null without it.</summary>
    private static string? _exportOnnx;

    /// <summary>Weights that --evaluate scores instead of training; null without it.</summary>
    private static string? _evaluate;

    /// <summary>--backend: where every trainer runs.</summary>
    private static Backend _backend = Backend.Cpu;

    public static int Main(string[] args)
    {
        try
        {
            var model = TakeModel(ref args, out var badModel);
            _plots = TakePath(ref args, "--plots", out var badPlots);
            _save = TakePath(ref args, "--save", out var badSave);
            _evaluate = TakePath(ref args, "--evaluate", out var badEvaluate);
            _exportOnnx = TakePath(ref args, "--export-onnx", out var badExport);
            var backend = TakeBackend(ref args, out var badBackend);
            if (badModel || badPlots || badSave || badEvaluate || badExport || badBackend)
                return Usage();
            _backend = backend;
            if (args.Length == 0)
                return model is null ? Digits() : FashionMnist(FashionMnistDefault, model);
            if (args[0] == "--data" && args.Length >= 2 && args[1] == "fashion-mnist" && args.Length <= 3)
                return FashionMnist(args.Length == 3 ? args[2] : FashionMnistDefault, model ?? "mlp");
            return Usage();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or NotSupportedException)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 1;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: Classify [--data fashion-mnist [DIR]] [--model mlp|cnn|resnet] [--plots DIR] [--save FILE | --evaluate FILE] [--export-onnx FILE] [--backend cpu|gpu|auto]");
        return 2;
    }

    /// <summary>Removes "--model mlp|cnn|resnet" from the arguments and returns the model's name; null without it.</summary>
    private static string? TakeModel(ref string[] args, out bool bad)
    {
        bad = false;
        int at = Array.IndexOf(args, "--model");
        if (at < 0)
            return null;
        if (at + 1 >= args.Length || args[at + 1] is not ("mlp" or "cnn" or "resnet"))
        {
            bad = true;
            return null;
        }
        var model = args[at + 1];
        args = args[..at].Concat(args[(at + 2)..]).ToArray();
        return model;
    }

    /// <summary>Removes "--plots DIR" (or "--save FILE") from the arguments and returns DIR.</summary>
    private static string? TakePath(ref string[] args, string option, out bool bad)
    {
        int at = Array.IndexOf(args, option);
        bad = at >= 0 && (at + 1 >= args.Length || args[at + 1].StartsWith("--", StringComparison.Ordinal));
        if (at < 0 || bad)
            return null;
        var directory = args[at + 1];
        args = args[..at].Concat(args[(at + 2)..]).ToArray();
        return directory;
    }

    /// <summary>Removes "--backend cpu|gpu|auto" from the arguments and returns it (Cpu when absent).</summary>
    private static Backend TakeBackend(ref string[] args, out bool bad)
    {
        int at = Array.IndexOf(args, "--backend");
        bad = at >= 0 && (at + 1 >= args.Length || args[at + 1] is not ("cpu" or "gpu" or "auto"));
        if (at < 0 || bad)
            return Backend.Cpu;
        var backend = args[at + 1] switch { "gpu" => Backend.Gpu, "auto" => Backend.Auto, _ => Backend.Cpu };
        args = args[..at].Concat(args[(at + 2)..]).ToArray();
        return backend;
    }

    /// <summary>Says where a trainer runs: "backend: CPU" or the GPU's name.</summary>
    private static void PrintBackend(TrainerBase trainer) =>
        Console.WriteLine(trainer.Backend == Backend.Gpu ? $"backend: GPU, {trainer.DeviceName}" : "backend: CPU");

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
            Backend = _backend,
        });
        PrintBackend(trainer);
        Train(trainer, train, holdout, "held-out", epochs: 40, reportEvery: 5);
        return Report(trainer, holdout, "held-out");
    }

    private static int FashionMnist(string directory, string model)
    {
        var train = Datasets.FashionMnist(directory, train: true);
        var test = Datasets.FashionMnist(directory, train: false);
        if (model == "cnn")
            return FashionMnistImages(train, test, FashionCnn.CreateTrainer(Options(Optimizer.Adam(1e-3f))));
        if (model == "resnet")
            return FashionMnistImages(train, test, FashionResNet.CreateTrainer(Options(Optimizer.AdamW(1e-3f))));
        Console.WriteLine($"Fashion-MNIST: {train.Count} training rows, {test.Count} test rows; model {FashionMlp.Trainer.ModelInfo.Name}");

        using var trainer = FashionMlp.CreateTrainer(new TrainerOptions
        {
            Optimizer = Optimizer.Adam(1e-3f),
            BatchSize = 256,
            Seed = 1,
            Backend = _backend,
        });
        PrintBackend(trainer);
        Train(trainer, train, test, "test", epochs: 5, reportEvery: 1);
        return Report(trainer, test, "test");
    }

    /// <summary>The image models' options: batch 128, seed 1.</summary>
    private static TrainerOptions Options(Optimizer optimizer) => new() { Optimizer = optimizer, BatchSize = 128, Seed = 1, Backend = _backend };

    /// <summary>
    /// An image model (FashionCnn with Adam 1e-3, FashionResNet with AdamW 1e-3), label smoothing 0.1, batch 128,
    /// 5 epochs; accuracy, NLL and ECE on the test set.
    /// </summary>
    private static int FashionMnistImages(Dataset train, Dataset test, TrainerBase created)
    {
        using var trainer = created;
        Console.WriteLine($"Fashion-MNIST: {train.Count} training images, {test.Count} test images; model {trainer.Model.Name} " +
            $"({trainer.Model.ParameterCount:N0} parameters)");
        PrintBackend(trainer);
        if (_evaluate is null)
            Train(trainer, train, test, "test", epochs: 5, reportEvery: 1);
        else
        {
            trainer.LoadWeights(_evaluate, requireSameDeclaration: false);
            Console.WriteLine($"weights loaded from {_evaluate}");
            if (_save is not null)
            {
                trainer.SaveWeights(_save);
                Console.WriteLine($"weights saved to {_save}");
            }
            ExportOnnx(trainer);
        }
        var result = trainer.Evaluate(test.Features, test.Targets);
        var probabilities = new float[test.Count * test.Classes];
        trainer.PredictProbabilities(test.Features, probabilities, test.Count);
        Console.WriteLine($"test accuracy {result.Accuracy:F4}  NLL {result.Nll:F4}  ECE {ProbabilityMetrics.ExpectedCalibrationError(probabilities, test.Targets, test.Classes):F4}  " +
            $"Brier {result.Brier:F4}  ({result.Count} images)");
        return 0;
    }

    private static void Train(TrainerBase trainer, Dataset train, Dataset holdout, string holdoutName, int epochs, int reportEvery)
    {
        var loss = new System.Collections.Generic.List<double>();
        var holdoutNll = new System.Collections.Generic.List<double>();
        var options = new FitOptions { Epochs = epochs, ValidationInputs = holdout.Features, ValidationTargets = holdout.Targets };
        EpochProgress.Run(options, o => trainer.Fit(train.Features, train.Targets, o), report =>
        {
            var check = report.Validation!.Value;
            loss.Add(report.MeanLoss);
            holdoutNll.Add(check.Loss);
            if (report.Epoch % reportEvery != 0 && report.Epoch != report.Epochs)
                return null;
            return $"epoch {report.Epoch,3}/{report.Epochs}  loss {report.MeanLoss:F4}  " +
                $"{holdoutName} accuracy {check.Accuracy:F4}  {report.SamplesPerSecond,9:N0} samples/s  {report.Elapsed.TotalSeconds:F2} s";
        });
        if (_plots is not null)
            WritePlots(trainer, holdout, holdoutName, loss, holdoutNll);
        if (_save is not null)
        {
            trainer.SaveWeights(_save);
            Console.WriteLine($"weights saved to {_save}");
        }
        ExportOnnx(trainer);
    }

    /// <summary>--export-onnx: the prediction graph with the trained weights, for ONNX Runtime and other runtimes.</summary>
    private static void ExportOnnx(TrainerBase trainer)
    {
        if (_exportOnnx is null)
            return;
        trainer.ExportOnnx(_exportOnnx);
        Console.WriteLine($"ONNX model written to {_exportOnnx} ({new FileInfo(_exportOnnx).Length:N0} bytes)");
    }

    /// <summary>--plots: the reliability diagram on the held-out rows and the per-epoch curves, named after the model.</summary>
    private static void WritePlots(TrainerBase trainer, Dataset holdout, string holdoutName,
        System.Collections.Generic.List<double> loss, System.Collections.Generic.List<double> holdoutNll)
    {
        var name = trainer.Model.Name[(trainer.Model.Name.LastIndexOf('.') + 1)..];
        var report = ProbabilityMetrics.Evaluate(trainer, holdout.Features, holdout.Targets);
        Console.WriteLine($"{holdoutName} ECE {report.ExpectedCalibrationError:F4} (15 bins)");
        Console.WriteLine("wrote " + Plots.ReliabilityDiagram(_plots!, $"{name}-reliability.png",
            $"{name}: reliability on {holdout.Count} {holdoutName} rows (15 bins)",
            new[] { new Plots.Reliability(name, report.ReliabilityBins, report.ExpectedCalibrationError) }));
        Console.WriteLine("wrote " + Plots.EpochCurves(_plots!, $"{name}-loss.png", $"{name}: loss per epoch", "mean loss / NLL", new[]
        {
            new Plots.Curve("training loss (the model's own, label smoothing included)", loss),
            new Plots.Curve($"{holdoutName} NLL", holdoutNll, Dashed: true),
        }));
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
}
