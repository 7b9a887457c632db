using System;
using System.Collections.Generic;
using System.Linq;
using SoftGen;
using SoftGen.Gpu;

namespace GpuBenchmark;

/// <summary>
/// FashionMlp on the GPU backend against the CPU backend (the verified reference): two Adam steps at batch 256, then
/// probabilities on 1024 rows (4 x the batch; a smaller batch for the CPU accelerator's smoke check). Each compared tensor's error is max |gpu - cpu| / max(|cpu|, 1% of the tensor's largest
/// |cpu|), the measure of the GPU agreement tests; it passes at 1e-4.
/// </summary>
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

        var options = new TrainerOptions { Backend = Backend.Cpu, BatchSize = batch, Seed = 5, Optimizer = Optimizer.Adam(1e-3f) };
        using var cpu = FashionMlp.CreateTrainer(options);
        FashionMlp.Trainer gpu;
        using (cpuAccelerator ? GpuTesting.UseCpuAccelerator() : null)
            gpu = FashionMlp.CreateTrainer(options with { Backend = Backend.Gpu });
        using var _ = gpu;

        var errors = new Dictionary<string, Difference>();
        for (int step = 1; step <= Steps; step++)
        {
            var bx = x.AsSpan((step - 1) * batch * FashionMlp.InputCount, batch * FashionMlp.InputCount);
            var by = y.AsSpan((step - 1) * batch * FashionMlp.ClassCount, batch * FashionMlp.ClassCount);
            errors[$"loss_step{step}"] = Error(new[] { cpu.TrainStep(bx, by, batch) }, new[] { gpu.TrainStep(bx, by, batch) });
            foreach (var p in cpu.Model.Parameters)
            {
                errors[$"grad_{p.Name}_step{step}"] = Error(Read(cpu.GetGradient, p), Read(gpu.GetGradient, p));
                errors[$"{p.Name}_after_step{step}"] = Error(Read(cpu.GetParameter, p), Read(gpu.GetParameter, p));
            }
        }
        var px = x.AsSpan(Steps * batch * FashionMlp.InputCount);
        float[] expected = new float[predictionRows * FashionMlp.ClassCount], actual = new float[expected.Length];
        cpu.PredictProbabilities(px, expected, predictionRows);
        gpu.PredictProbabilities(px, actual, predictionRows);
        errors[$"probabilities_{predictionRows}_rows"] = Error(expected, actual);

        return new Dictionary<string, object?>
        {
            ["mode"] = "agreement",
            ["device"] = gpu.DeviceName,
            ["batch"] = batch,
            ["data"] = rows is null ? "seeded random rows of Fashion-MNIST's shape" : "Fashion-MNIST test rows (" + Data.FashionMnistDirectory + ")",
            ["tolerance_relative"] = Tolerance,
            ["max_relative_error"] = errors.ToDictionary(e => e.Key, e => (object)new
            {
                error = e.Value.Error, pass = e.Value.Error <= Tolerance, at = e.Value.Index, cpu = e.Value.Cpu, gpu = e.Value.Gpu,
            }),
            ["worst"] = errors.Values.Max(e => e.Error),
            ["pass"] = errors.Values.All(e => e.Error <= Tolerance),
        };
    }

    private delegate void Reader(string name, Span<float> destination);

    private static float[] Read(Reader read, SoftGen.Training.ParameterInfo p)
    {
        var values = new float[p.Length];
        read(p.Name, values);
        return values;
    }

    /// <summary>A tensor's largest relative difference and the element where it is.</summary>
    private readonly record struct Difference(double Error, int Index, float Cpu, float Gpu);

    private static Difference Error(float[] expected, float[] actual)
    {
        double scale = expected.Max(v => Math.Abs((double)v));
        var worst = new Difference(0, 0, expected[0], actual[0]);
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs((double)actual[i] - expected[i]) / Math.Max(Math.Abs((double)expected[i]), 0.01 * scale);
            if (double.IsNaN(d)) d = double.PositiveInfinity;
            if (d > worst.Error) worst = new Difference(d, i, expected[i], actual[i]);
        }
        return worst;
    }
}
