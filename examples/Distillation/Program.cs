using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using SoftGen;
using SoftGen.Data;
using SoftGen.Ensembles;
using SoftGen.Examples;
using SoftGen.Metrics;
using SoftGen.Training;

namespace Distillation;

/// <summary>
/// Knowledge distillation on the bundled UCI digits: an ensemble of three wide teachers, then one small student
/// trained on the hard labels and the same student trained on the ensemble's probabilities at T = 4. Prints one
/// table (held-out accuracy, NLL, ECE) and, with --plots DIR, writes the reliability diagram and the curves.
///   Distillation [--plots DIR]
/// </summary>
public static class Program
{
    private const float Temperature = 4f;
    private const int Epochs = 60;

    public static int Main(string[] args)
    {
        string? plots = null;
        if (args.Length == 2 && args[0] == "--plots") plots = args[1];
        else if (args.Length != 0)
        {
            Console.Error.WriteLine("usage: Distillation [--plots DIR]");
            return 2;
        }

        try
        {
            Run(plots);
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 1;
        }
    }

    private static void Run(string? plots)
    {
        var all = ReadDigits(FindBundled("digits.csv.gz")).Shuffled(seed: 7);
        var (holdout, train) = all.Split(all.Count / 5);
        Console.WriteLine($"UCI digits: {train.Count} training rows, {holdout.Count} held out; {Epochs} epochs each, Adam 1e-3, batch 32");

        var curves = new List<(string Name, List<double> Loss, List<double> HeldOutNll)>();

        var teachers = new List<TeacherMlp.Trainer>();
        for (int k = 0; k < 3; k++)
        {
            var teacher = TeacherMlp.CreateTrainer(Make(seed: 11 + k));
            Train($"teacher {k + 1}", teacher, train, holdout, curves);
            teachers.Add(teacher);
        }
        using var ensemble = new Ensemble<TeacherMlp.Trainer>(teachers);

        // The ensemble's soft targets: the mean over the teachers of softmax(z / 4), for every training row.
        var soft = train.WithDistillationTargets(ensemble, Temperature);
        Console.WriteLine($"soft targets at T = {Temperature}: mean largest probability {MeanMax(soft):F3} (hard labels: 1)");

        using var hard = StudentMlp.CreateTrainer(Make(seed: 5));
        Train("student, hard labels", hard, train, holdout, curves);
        using var distilled = DistilledStudentMlp.CreateTrainer(Make(seed: 5));
        Train($"student, soft targets (T = {Temperature})", distilled, soft, holdout, curves);

        var rows = new (string Name, IClassifier Model, string Size)[]
        {
            ("student, hard labels", hard, Describe(StudentMlp.Trainer.ModelInfo)),
            ($"student, ensemble soft targets at T = {Temperature}", distilled, Describe(DistilledStudentMlp.Trainer.ModelInfo)),
            ("teacher ensemble (3, arithmetic mean)", ensemble, "3 x " + Describe(TeacherMlp.Trainer.ModelInfo)),
        };
        var reports = rows.Select(r => r.Model.Report(holdout)).ToArray();

        Console.WriteLine();
        Console.WriteLine($"Held-out digits ({holdout.Count} rows):");
        Console.WriteLine();
        Console.WriteLine("| model | parameters | accuracy | NLL | ECE (15 bins) |");
        Console.WriteLine("|---|---|---|---|---|");
        for (int i = 0; i < rows.Length; i++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {rows[i].Name} | {rows[i].Size} | {reports[i].Accuracy:F4} | {reports[i].NegativeLogLikelihood:F4} | {reports[i].ExpectedCalibrationError:F4} |"));

        if (plots is null) return;
        Console.WriteLine();
        var diagram = Plots.ReliabilityDiagram(plots, "distillation-reliability.png",
            $"Reliability on held-out digits ({holdout.Count} rows, 15 bins)",
            rows.Select((r, i) => new Plots.Reliability(r.Name, reports[i].ReliabilityBins, reports[i].ExpectedCalibrationError)).ToArray());
        Console.WriteLine("wrote " + diagram);
        var loss = Plots.EpochCurves(plots, "distillation-loss.png", "Training loss per epoch (mean over rows)", "cross-entropy",
            curves.Select(c => new Plots.Curve(c.Name, c.Loss, OnRight: c.Name.Contains("soft"))).ToArray(),
            rightLabel: $"soft-target student: T^2 CE at T = {Temperature}");
        Console.WriteLine("wrote " + loss);
        var nll = Plots.EpochCurves(plots, "distillation-heldout-nll.png", "Held-out NLL per epoch", "NLL",
            curves.Select(c => new Plots.Curve(c.Name, c.HeldOutNll)).ToArray());
        Console.WriteLine("wrote " + nll);
    }

    private static TrainerOptions Make(int seed) => new() { Optimizer = Optimizer.Adam(1e-3f), BatchSize = 32, Seed = seed };

    private static void Train(string name, TrainerBase trainer, Dataset train, Dataset holdout, List<(string, List<double>, List<double>)> curves)
    {
        var loss = new List<double>();
        var nll = new List<double>();
        EpochProgress.Run(new FitOptions { Epochs = Epochs }, o => trainer.Fit(train, o), report =>
        {
            loss.Add(report.MeanLoss);
            nll.Add(trainer.Evaluate(holdout).Nll);
            return null; // one line per model, after its training
        });
        var e = trainer.Evaluate(holdout);
        Console.WriteLine($"{name,-36} final training loss {loss[^1]:F6}  held-out accuracy {e.Accuracy:F4}  NLL {e.Nll:F6}");
        curves.Add((name, loss, nll));
    }

    /// <summary>The bundled digits: headerless CSV, 64 pixel counts 0..16 and the class, read with the toolkit's CSV reader.</summary>
    private static Dataset ReadDigits(string path)
    {
        var names = Enumerable.Range(0, 64).Select(i => $"pixel{i}").Append("digit").ToArray();
        return CsvDataset.Read(path, new CsvFormat
        {
            ColumnNames = names,
            Labels = CsvLabels.ClassColumn("digit", 10),
            FeatureScale = 1f / 16,
        });
    }

    private static double MeanMax(Dataset data)
    {
        double sum = 0;
        for (int r = 0; r < data.Count; r++)
        {
            var row = data.TargetRow(r);
            float max = 0;
            foreach (var p in row) max = Math.Max(max, p);
            sum += max;
        }
        return sum / data.Count;
    }

    private static string Describe(ModelInfo model) => model.ParameterCount.ToString("N0", CultureInfo.InvariantCulture);

    private static string FindBundled(string name)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var path = Path.Combine(dir.FullName, "data", name);
                if (File.Exists(path)) return path;
            }
        throw new FileNotFoundException($"data/{name} was not found above {Directory.GetCurrentDirectory()}; run from inside the repository.");
    }
}
