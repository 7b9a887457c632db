using System;
using System.Collections.Generic;
using System.Linq;
using SoftGen;
using SoftGen.Gpu;

namespace GpuBenchmark;

/// <summary>
/// FashionMlp on the GPU backend against the CPU backend (the verified reference): two steps at batch 256 with SGD with
/// momentum and again with Adam, then probabilities on 1024 rows (4 x the batch). Each compared tensor's error is
/// max |gpu - cpu| / max(|cpu|, 1% of the tensor's largest |cpu|), the measure of the GPU agreement tests; it passes
/// at 1e-4.
/// </summary>
/// <remarks>
/// Adam divides each update by the element's own gradient magnitude, so an element whose gradient is a near-cancellation
/// (below the 1% floor, where two fp32 summation orders legitimately differ by more than 1e-4 of its tiny value) gets
/// an update that differs by as much. Adam's parameters are therefore judged on the elements whose gradients were at
/// least 1% of their tensor's largest at both steps ("conditioned"); the worst over all elements is reported beside
/// it. SGD's update is proportional to the gradient, so its parameters are judged everywhere.
/// </remarks>
internal static class Agreement
{
    public const double Tolerance = 1e-4;
    private const int Steps = 2;

    public static Dictionary<string, object?> Run(int batch, bool cpuAccelerator)
    {
        int predictionRows = 4 * batch;
        var rows = Data.FashionMnistRows(Steps * batch + predictionRows);
        var random = new Data(seed: 2);
        var (x, y) = rows ?? (random.Features(Steps * batch + predictionRows), random.SoftTargets(Steps * batch + predictionRows));

        var errors = new Dictionary<string, Difference>();
        var informational = new Dictionary<string, Difference>();
        string? device = null;
        foreach (var (name, optimizer) in new[] { ("sgd", Optimizer.Sgd(0.05f, momentum: 0.9f)), ("adam", Optimizer.Adam(1e-3f)) })
        {
            var options = new TrainerOptions { Backend = Backend.Cpu, BatchSize = batch, Seed = 5, Optimizer = optimizer };
            using var cpu = FashionMlp.CreateTrainer(options);
            FashionMlp.Trainer gpu;
            using (cpuAccelerator ? GpuTesting.UseCpuAccelerator() : null)
                gpu = FashionMlp.CreateTrainer(options with { Backend = Backend.Gpu });
            using var _ = gpu;
            device = gpu.DeviceName;

            var conditioned = cpu.Model.Parameters.ToDictionary(p => p.Name, p => Enumerable.Repeat(true, p.Length).ToArray());
            for (int step = 1; step <= Steps; step++)
            {
                var bx = x.AsSpan((step - 1) * batch * FashionMlp.InputCount, batch * FashionMlp.InputCount);
                var by = y.AsSpan((step - 1) * batch * FashionMlp.ClassCount, batch * FashionMlp.ClassCount);
                errors[$"{name}_loss_step{step}"] = Error(new[] { cpu.TrainStep(bx, by, batch) }, new[] { gpu.TrainStep(bx, by, batch) });
                foreach (var p in cpu.Model.Parameters)
                {
                    var gradient = Read(cpu.GetGradient, p);
                    errors[$"{name}_grad_{p.Name}_step{step}"] = Error(gradient, Read(gpu.GetGradient, p));
                    float floor = 0.01f * gradient.Max(MathF.Abs);
                    for (int i = 0; i < gradient.Length; i++) conditioned[p.Name][i] &= MathF.Abs(gradient[i]) >= floor;

                    float[] expected = Read(cpu.GetParameter, p), actual = Read(gpu.GetParameter, p);
                    string key = $"{name}_{p.Name}_after_step{step}";
                    if (name == "sgd")
                        errors[key] = Error(expected, actual);
                    else
                    {
                        errors[key + "_conditioned"] = Error(expected, actual, conditioned[p.Name]);
                        informational[key + "_all_elements"] = Error(expected, actual);
                    }
                }
            }
            if (name != "adam") continue;
            var px = x.AsSpan(Steps * batch * FashionMlp.InputCount);
            float[] probabilitiesCpu = new float[predictionRows * FashionMlp.ClassCount], probabilitiesGpu = new float[probabilitiesCpu.Length];
            cpu.PredictProbabilities(px, probabilitiesCpu, predictionRows);
            gpu.PredictProbabilities(px, probabilitiesGpu, predictionRows);
            errors[$"probabilities_{predictionRows}_rows"] = Error(probabilitiesCpu, probabilitiesGpu);
        }

        return new Dictionary<string, object?>
        {
            ["mode"] = "agreement",
            ["device"] = device,
            ["batch"] = batch,
            ["data"] = rows is null ? "seeded random rows of Fashion-MNIST's shape" : "Fashion-MNIST test rows (" + Data.FashionMnistDirectory + ")",
            ["tolerance_relative"] = Tolerance,
            ["max_relative_error"] = Report(errors, judged: true),
            ["adam_parameters_all_elements"] = Report(informational, judged: false),
            ["worst"] = errors.Values.Max(e => e.Error),
            ["pass"] = errors.Values.All(e => e.Error <= Tolerance),
        };
    }

    private static Dictionary<string, object> Report(Dictionary<string, Difference> errors, bool judged) =>
        errors.ToDictionary(e => e.Key, e => judged
            ? (object)new { error = e.Value.Error, pass = e.Value.Error <= Tolerance, at = e.Value.Index, cpu = e.Value.Cpu, gpu = e.Value.Gpu }
            : new { error = e.Value.Error, at = e.Value.Index, cpu = e.Value.Cpu, gpu = e.Value.Gpu });

    private delegate void Reader(string name, Span<float> destination);

    private static float[] Read(Reader read, SoftGen.Training.ParameterInfo p)
    {
        var values = new float[p.Length];
        read(p.Name, values);
        return values;
    }

    /// <summary>A tensor's largest relative difference and the element where it is.</summary>
    private readonly record struct Difference(double Error, int Index, float Cpu, float Gpu);

    private static Difference Error(float[] expected, float[] actual, bool[]? only = null)
    {
        double scale = expected.Max(v => Math.Abs((double)v));
        var worst = new Difference(0, 0, expected[0], actual[0]);
        for (int i = 0; i < expected.Length; i++)
        {
            if (only is not null && !only[i]) continue;
            double d = Math.Abs((double)actual[i] - expected[i]) / Math.Max(Math.Abs((double)expected[i]), 0.01 * scale);
            if (double.IsNaN(d)) d = double.PositiveInfinity;
            if (d > worst.Error) worst = new Difference(d, i, expected[i], actual[i]);
        }
        return worst;
    }
}
