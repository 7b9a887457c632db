using System;
using System.Collections.Generic;
using System.Linq;
using SoftGen;
using SoftGen.Gpu;

namespace GpuBenchmark;

/// <summary>
/// Where a step's time goes: FashionMlp trained and predicted inside a <see cref="LaunchProfile"/>, which synchronises
/// after every launch and copy, so each is timed on its own (its launch overhead and one synchronisation included).
/// Per launch: the median and best of the repetitions, and the GEMM FLOPs and GFLOP/s that the generated code states.
/// </summary>
internal static class KernelTimes
{
    public static Dictionary<string, object?> Run(int[] batches, int repetitions, bool cpuAccelerator)
    {
        var result = new Dictionary<string, object?> { ["mode"] = "kernels", ["repetitions"] = repetitions };
        var data = new Data(seed: 1);
        foreach (int batch in batches)
        {
            var x = data.Features(batch);
            var y = data.SoftTargets(batch);
            var p = new float[batch * FashionMlp.ClassCount];
            var profile = new LaunchProfile();
            FashionMlp.Trainer trainer;
            using (cpuAccelerator ? GpuTesting.UseCpuAccelerator() : null)
            using (LaunchProfile.Use(profile))
                trainer = FashionMlp.CreateTrainer(new TrainerOptions { Backend = Backend.Gpu, BatchSize = batch, Optimizer = Optimizer.Adam(1e-3f) });
            using var _ = trainer;
            result["device"] = trainer.DeviceName;
            result["launches_per_step"] = trainer.LaunchesPerStep;

            trainer.TrainStep(x, y, batch); // warm-up: compiles the kernels
            trainer.PredictProbabilities(x, p, batch);
            profile.Clear();
            for (int r = 0; r < repetitions; r++) trainer.TrainStep(x, y, batch);
            result[$"train_batch{batch}"] = Summarise(profile.Launches, repetitions);
            profile.Clear();
            for (int r = 0; r < repetitions; r++) trainer.PredictProbabilities(x, p, batch);
            result[$"predict_batch{batch}"] = Summarise(profile.Launches, repetitions);
        }
        return result;
    }

    /// <summary>Per name in step order: median and best milliseconds, GEMM GFLOP/s at the median; then the step's sums.</summary>
    private static object Summarise(IReadOnlyList<LaunchTime> launches, int repetitions)
    {
        var rows = launches.GroupBy(l => l.Name).Select(g =>
        {
            var ms = g.Select(l => l.Milliseconds).Order().ToArray();
            double median = ms[ms.Length / 2];
            long flops = g.First().GemmFlops;
            return new
            {
                name = g.Key,
                kind = g.First().IsCopy ? "copy" : "kernel",
                per_step = g.Count() / repetitions,
                median_ms = Math.Round(median, 4),
                best_ms = Math.Round(ms[0], 4),
                gemm_flops = flops,
                gemm_gflops_per_s = flops == 0 ? 0 : Math.Round(flops / (median * 1e6), 3),
            };
        }).ToList();
        double total = rows.Sum(r => r.median_ms * r.per_step);
        double gemmFlops = launches.Sum(l => (double)l.GemmFlops) / repetitions;
        return new
        {
            launches = rows,
            sum_of_medians_ms = Math.Round(total, 4),
            gemm_flops_per_step = gemmFlops,
            gemm_gflops_per_s_over_the_sum = Math.Round(gemmFlops / (total * 1e6), 3),
        };
    }
}
