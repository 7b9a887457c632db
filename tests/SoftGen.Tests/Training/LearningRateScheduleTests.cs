using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text.Json;
using EndToEndModels;
using SoftGen.Tests.EndToEnd;
using SoftGen.Tests.ResidualNetworks;
using Xunit;

namespace SoftGen.Tests.Training;

/// <summary>
/// The learning-rate schedules against PyTorch's rates step by step (tests/SoftGen.Tests/Training/lr_schedules.json,
/// written by scripts/lr_schedules.py with torch.optim.lr_scheduler), their use in the updates, and exact resume.
/// </summary>
public sealed class LearningRateScheduleTests
{
    private static string ThisDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;

    private static JsonElement Case(string name)
    {
        using var file = JsonDocument.Parse(File.ReadAllText(Path.Combine(ThisDirectory(), "lr_schedules.json")));
        return file.RootElement.GetProperty("cases").GetProperty(name).Clone();
    }

    public static TheoryData<string> Names => new() { "step", "cosine", "warmup_cosine", "one_cycle" };

    private static LearningRateSchedule Schedule(string name) => name switch
    {
        "step" => LearningRateSchedule.Step(7, 0.5),
        "cosine" => LearningRateSchedule.Cosine(30, 0.001),
        "warmup_cosine" => LearningRateSchedule.WarmupCosine(5, 40, startFactor: 0.1),
        _ => LearningRateSchedule.OneCycle(0.01, 40, pctStart: 0.3),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Rates_and_beta1_match_pytorch_step_by_step(string name)
    {
        var c = Case(name);
        var schedule = Schedule(name);
        double baseRate = c.GetProperty("base").GetDouble();
        var rates = c.GetProperty("rates");
        for (int k = 0; k < rates.GetArrayLength(); k++)
            Check.Close(rates[k].GetDouble(), schedule.RateAt(baseRate, k), 1e-12, 1e-18, $"{name} rate of update {k + 1}");
        if (c.TryGetProperty("beta1", out var beta1))
            for (int k = 0; k < beta1.GetArrayLength(); k++)
                Check.Close(beta1[k].GetDouble(), schedule.Beta1At(0.9, k), 1e-12, 1e-18, $"{name} beta1 of update {k + 1}");
    }

    [Fact]
    public void Each_sgd_update_uses_the_scheduled_rate()
    {
        var rates = Case("cosine").GetProperty("rates");
        using var t = KlMlp.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.Sgd(0.1f), Schedule = LearningRateSchedule.Cosine(30, 0.001), BatchSize = 4, Seed = 3 });
        var rng = new Random(2);
        for (int step = 0; step < 6; step++)
        {
            // PyTorch's rates start from 0.1 in double, SoftGen's from 0.1f.
            double rate = t.LearningRate;
            Check.Close(rates[step].GetDouble(), rate, 1e-7, 1e-12, $"rate of update {step + 1}");
            var before = TestData.Snapshot(t);
            t.TrainStep(TestData.Inputs(rng, 4, 6), ResidualCases.Targets(rng, 4, 6), 4);
            var after = TestData.Snapshot(t);
            foreach (var p in t.Model.Parameters)
            {
                var g = new float[p.Length];
                t.GetGradient(p.Name, g);
                for (int i = 0; i < p.Length; i++)
                    Check.Close(before[p.Name][i] - rate * g[i], after[p.Name][i], 1e-6, 1e-9, $"{p.Name}[{i}] after update {step + 1}");
            }
        }
    }

    [Fact]
    public void A_checkpoint_resumes_a_schedule_exactly()
    {
        var rng = new Random(9);
        var batches = new (float[] X, float[] Y)[10];
        for (int b = 0; b < batches.Length; b++) batches[b] = (TestData.Inputs(rng, 4, 6), ResidualCases.Targets(rng, 4, 6));
        var options = new TrainerOptions { Optimizer = Optimizer.AdamW(1e-2f), Schedule = LearningRateSchedule.OneCycle(0.02, 10), BatchSize = 4, Seed = 5 };
        using var straight = KlMlp.CreateTrainer(options);
        foreach (var (x, y) in batches) straight.TrainStep(x, y, 4);

        var path = Path.Combine(Path.GetTempPath(), "softgen-schedule-" + Guid.NewGuid().ToString("N") + ".ckpt");
        try
        {
            using (var first = KlMlp.CreateTrainer(options))
            {
                for (int b = 0; b < 4; b++) first.TrainStep(batches[b].X, batches[b].Y, 4);
                first.SaveCheckpoint(path);
            }
            using var resumed = KlMlp.CreateTrainer(options);
            resumed.LoadCheckpoint(path);
            Assert.Equal(4, resumed.Step);
            for (int b = 4; b < batches.Length; b++) resumed.TrainStep(batches[b].X, batches[b].Y, 4);
            Check.BitEqual(TestData.Snapshot(straight), TestData.Snapshot(resumed), "one-cycle run resumed after 4 of 10 updates");

            // Past its 10 updates the one-cycle schedule refuses a step, as PyTorch's does, and nothing changes.
            var before = TestData.Snapshot(resumed);
            var e = Assert.Throws<InvalidOperationException>(() => resumed.TrainStep(batches[0].X, batches[0].Y, 4));
            Assert.Contains("defined for 10 updates", e.Message);
            Check.BitEqual(before, TestData.Snapshot(resumed), "after the refused step");
            Assert.Equal(10, resumed.Step);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
