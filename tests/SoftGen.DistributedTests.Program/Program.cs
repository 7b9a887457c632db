using System;
using System.Globalization;
using System.Security.Cryptography;
using DistributedTestModels;
using SoftGen;
using SoftGen.Distributed;
using SoftGen.Training;

// One rank of a distributed check; tests/SoftGen.Tests/Distributed/DistributedTrainingTests.cs starts it under mpirun
// and reads the "RESULT key value" lines every rank prints. Each check also trains the same model alone, in this
// process, on every rank's rows together: the reference the distributed run must equal.
using var world = MpiWorld.Initialize();
string check = args.Length > 0 ? args[0] : "";
try
{
    switch (check)
    {
        case "steps": Checks.Steps(world, weighted: false); break;
        case "weighted": Checks.Steps(world, weighted: true); break;
        case "fault": Checks.Fault(world); break;
        case "mismatch": Checks.Mismatch(world); break;
        case "fit": Checks.Fit(world); break;
        default: Console.Error.WriteLine($"unknown check '{check}': steps, weighted, fault, mismatch or fit"); return 2;
    }
}
catch (Exception e)
{
    Console.Error.WriteLine($"rank {world.Rank}: {e}");
    world.Abort(3);
}
return 0;

internal static class Checks
{
    private const int PerRank = 8, Inputs = 12, Classes = 5;

    /// <summary>20 TrainSteps; every rank's share of a global batch, uneven whenever the world has 3 ranks.</summary>
    public static void Steps(MpiWorld world, bool weighted)
    {
        int global = PerRank * world.Size - (world.Size == 3 ? 2 : 0); // 3 ranks: 22 rows, shares 8, 7, 7
        var options = new TrainerOptions { Optimizer = Optimizer.Adam(1e-2f), BatchSize = PerRank, Seed = 5, ThreadCount = 1, ClipGradientNorm = 0.5f };
        using var trainer = SmallMlp.CreateTrainer(options with { Distributed = world });
        using var alone = SmallMlp.CreateTrainer(options with { BatchSize = global });
        double worstLoss = 0;
        for (int step = 0; step < 20; step++)
        {
            var (x, y, w) = Batch(global, 100 + step);
            var (offset, rows) = Share(global, world.Rank, world.Size);
            var localX = x.AsSpan(offset * Inputs, rows * Inputs);
            var localY = y.AsSpan(offset * Classes, rows * Classes);
            float loss = weighted ? trainer.TrainStep(localX, localY, rows, w.AsSpan(offset, rows)) : trainer.TrainStep(localX, localY, rows);
            float expected = weighted ? alone.TrainStep(x, y, global, w) : alone.TrainStep(x, y, global);
            worstLoss = Math.Max(worstLoss, Math.Abs(loss - expected) / Math.Abs(expected));
        }
        Report(world, "worst_loss_rel", worstLoss);
        Report(world, "worst_weight_rel", WorstRelative(trainer, alone));
        Report(world, "hash", Hash(trainer));
    }

    /// <summary>Rank 1 passes a NaN in step 2: every rank must throw in that step, no weight changed, and go on after.</summary>
    public static void Fault(MpiWorld world)
    {
        var options = new TrainerOptions { Optimizer = Optimizer.Adam(1e-2f), BatchSize = PerRank, Seed = 5, ThreadCount = 1, Distributed = world };
        using var trainer = SmallMlp.CreateTrainer(options);
        var (x, y, _) = Batch(PerRank, world.Rank);
        trainer.TrainStep(x, y, PerRank);
        string before = Hash(trainer);
        var bad = (float[])x.Clone();
        if (world.Rank == 1) bad[3] = float.NaN;
        string thrown = "none";
        try
        {
            trainer.TrainStep(bad, y, PerRank);
        }
        catch (Exception e)
        {
            thrown = e.GetType().Name;
            Report(world, "message", e.Message.Replace('\n', ' '));
        }
        Report(world, "thrown", thrown);
        Report(world, "unchanged", Hash(trainer) == before && trainer.Step == 1 ? "yes" : "no");
        trainer.TrainStep(x, y, PerRank);
        Report(world, "step_after", trainer.Step);

        // Fit and Evaluate whose data one rank refuses: every rank throws, and nothing is trained.
        var (fx, fy, _) = Batch(20, 11);
        if (world.Rank == 1) fx[5] = float.PositiveInfinity;
        Report(world, "fit_thrown", Thrown(() => trainer.Fit(fx, fy, 1)));
        Report(world, "evaluate_thrown", Thrown(() => trainer.Evaluate(fx, fy)));
        Report(world, "step_end", trainer.Step);
        Report(world, "hash", Hash(trainer));
    }

    private static string Thrown(Action action)
    {
        try
        {
            action();
            return "none";
        }
        catch (Exception e)
        {
            return e.GetType().Name;
        }
    }

    /// <summary>Rank 1 asks for another batch size: every rank's creation must throw, naming both sizes.</summary>
    public static void Mismatch(MpiWorld world)
    {
        var options = new TrainerOptions { BatchSize = world.Rank == 1 ? 16 : PerRank, ThreadCount = 1, Distributed = world };
        try
        {
            using var trainer = SmallMlp.CreateTrainer(options);
            Report(world, "thrown", "none");
        }
        catch (Exception e)
        {
            Report(world, "thrown", e.GetType().Name);
            Report(world, "message", e.Message.Replace('\n', ' '));
        }
    }

    /// <summary>
    /// Fit for 3 epochs over 101 rows (last global batch uneven), then Evaluate of each rank's share of a test set:
    /// both must equal one process's Fit at the global batch size and its Evaluate of the whole set.
    /// </summary>
    public static void Fit(MpiWorld world)
    {
        const int count = 101, testCount = 37;
        var options = new TrainerOptions { Optimizer = Optimizer.Sgd(0.05f, momentum: 0.9f), BatchSize = PerRank, Seed = 9, ThreadCount = 1 };
        using var trainer = SmallMlp.CreateTrainer(options with { Distributed = world });
        using var alone = SmallMlp.CreateTrainer(options with { BatchSize = PerRank * world.Size });
        var (x, y, _) = Batch(count, 7);
        var fit = trainer.Fit(x, y, new FitOptions { Epochs = 3 });
        var reference = alone.Fit(x, y, new FitOptions { Epochs = 3 });
        double worstLoss = 0;
        for (int e = 0; e < 3; e++)
        {
            worstLoss = Math.Max(worstLoss, Math.Abs(fit.History[e].MeanLoss - reference.History[e].MeanLoss) / reference.History[e].MeanLoss);
            Report(world, $"samples_{e + 1}", fit.History[e].Samples);
        }
        Report(world, "worst_loss_rel", worstLoss);
        Report(world, "worst_weight_rel", WorstRelative(trainer, alone));
        Report(world, "hash", Hash(trainer));

        var (tx, ty, _) = Batch(testCount, 8);
        var (offset, rows) = Share(testCount, world.Rank, world.Size);
        var local = trainer.Evaluate(tx.AsSpan(offset * Inputs, rows * Inputs), ty.AsSpan(offset * Classes, rows * Classes));
        var whole = alone.Evaluate(tx, ty);
        Report(world, "evaluate_rows", local.Count);
        Report(world, "evaluate_nll_rel", Math.Abs(local.Nll - whole.Nll) / whole.Nll);
        Report(world, "evaluate_accuracy_diff", Math.Abs(local.Accuracy - whole.Accuracy));
    }

    private static (int Offset, int Rows) Share(int rows, int rank, int size)
    {
        int each = rows / size, extra = rows % size;
        return (rank * each + Math.Min(rank, extra), each + (rank < extra ? 1 : 0));
    }

    /// <summary>Rows of inputs in [-1, 1), soft targets (positive, summing to 1) and weights in [0.25, 2), from a seed.</summary>
    private static (float[] X, float[] Y, float[] W) Batch(int rows, int seed)
    {
        var random = new Random(seed);
        var x = new float[rows * Inputs];
        var y = new float[rows * Classes];
        var w = new float[rows];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1);
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int c = 0; c < Classes; c++) sum += y[r * Classes + c] = (float)(random.NextDouble() + 0.05);
            for (int c = 0; c < Classes; c++) y[r * Classes + c] = (float)(y[r * Classes + c] / sum);
            w[r] = (float)(0.25 + random.NextDouble() * 1.75);
        }
        return (x, y, w);
    }

    /// <summary>The largest |a - b| / max(|b|, 0.01) over every parameter element (weights near 0 compare absolutely).</summary>
    private static double WorstRelative(TrainerBase a, TrainerBase b)
    {
        double worst = 0;
        foreach (var p in a.Model.Parameters)
        {
            var u = new float[p.Length];
            var v = new float[p.Length];
            a.GetParameter(p.Name, u);
            b.GetParameter(p.Name, v);
            for (int i = 0; i < u.Length; i++) worst = Math.Max(worst, Math.Abs(u[i] - v[i]) / Math.Max(Math.Abs(v[i]), 1e-2));
        }
        return worst;
    }

    /// <summary>SHA-256 of every parameter's bits, to compare the ranks bit for bit.</summary>
    private static string Hash(TrainerBase trainer)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var p in trainer.Model.Parameters)
        {
            var values = new float[p.Length];
            trainer.GetParameter(p.Name, values);
            sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        }
        return Convert.ToHexString(sha.GetHashAndReset());
    }

    private static void Report(MpiWorld world, string key, object value) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {world.Rank} {key} {value}"));
}
