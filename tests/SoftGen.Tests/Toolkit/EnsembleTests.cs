using System;
using System.Collections.Generic;
using SoftGen.Ensembles;
using SoftGen.Training;
using ToolkitModels;
using Xunit;

namespace SoftGen.Tests.Toolkit;

public sealed class EnsembleTests
{
    private const int Rows = 40;

    private static List<BlobMlp.Trainer> Members(int batchSize = 16)
    {
        var (x, y) = ToolkitData.Blobs(120, seed: 21);
        var members = new List<BlobMlp.Trainer>();
        for (int k = 0; k < 3; k++)
        {
            var t = BlobMlp.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.Adam(0.02f), BatchSize = batchSize + k, Seed = 10 + k, ThreadCount = 1 });
            t.Fit(x, y, 2 + k);
            members.Add(t);
        }
        return members;
    }

    private static (float[] X, float[] Y) Test() => ToolkitData.Blobs(Rows, seed: 22);

    [Fact]
    public void Arithmetic_mean_of_the_members_probabilities()
    {
        var (x, _) = Test();
        using var ensemble = new Ensemble<BlobMlp.Trainer>(Members());
        Assert.Equal(EnsembleAveraging.Arithmetic, ensemble.Averaging);
        ensemble.Members[1].PredictionTemperature = 1.7f; // each member predicts at its own temperature
        var expected = new double[Rows * 3];
        foreach (var m in ensemble.Members)
        {
            var p = new float[Rows * 3];
            m.PredictProbabilities(x, p, Rows);
            for (int k = 0; k < p.Length; k++) expected[k] += p[k] / 3.0;
        }
        var actual = new float[Rows * 3];
        ensemble.PredictProbabilities(x, actual, Rows);
        for (int k = 0; k < actual.Length; k++) Assert.Equal(expected[k], actual[k], 1e-6);
    }

    [Fact]
    public void Geometric_mean_is_the_normalised_exp_of_the_mean_log_probability()
    {
        var (x, _) = Test();
        using var ensemble = new Ensemble<BlobMlp.Trainer>(Members(), EnsembleAveraging.Geometric);
        ensemble.Members[2].PredictionTemperature = 0.8f;
        var logMean = new double[Rows * 3];
        foreach (var m in ensemble.Members)
        {
            var p = new float[Rows * 3];
            m.PredictProbabilities(x, p, Rows);
            for (int k = 0; k < p.Length; k++) logMean[k] += Math.Log(p[k]) / 3;
        }
        var actual = new float[Rows * 3];
        ensemble.PredictProbabilities(x, actual, Rows);
        for (int r = 0; r < Rows; r++)
        {
            double sum = 0;
            for (int c = 0; c < 3; c++) sum += Math.Exp(logMean[r * 3 + c]);
            for (int c = 0; c < 3; c++) Assert.Equal(Math.Exp(logMean[r * 3 + c]) / sum, actual[r * 3 + c], 1e-5);
        }
    }

    [Fact]
    public void Tempered_predictions_average_the_members_tempered_softmax()
    {
        var (x, _) = Test();
        using var ensemble = new Ensemble<BlobMlp.Trainer>(Members());
        ensemble.Members[0].PredictionTemperature = 3f; // not used by PredictTempered
        var expected = new double[Rows * 3];
        var logitSum = new float[Rows * 3];
        foreach (var m in ensemble.Members)
        {
            var z = new float[Rows * 3];
            m.PredictLogits(x, z, Rows);
            var p = ToolkitData.Softmax(z, 3, 4);
            for (int k = 0; k < p.Length; k++)
            {
                expected[k] += p[k] / 3;
                logitSum[k] += z[k] / 3f;
            }
        }
        var actual = new float[Rows * 3];
        ensemble.PredictTempered(x, actual, Rows, 4f);
        for (int k = 0; k < actual.Length; k++) Assert.Equal(expected[k], actual[k], 1e-6);

        using var geometric = new Ensemble<BlobMlp.Trainer>(ensemble.Members, EnsembleAveraging.Geometric, leaveMembersOpen: true);
        var g = new float[Rows * 3];
        geometric.PredictTempered(x, g, Rows, 4f);
        var expectedG = ToolkitData.Softmax(logitSum, 3, 4);
        for (int k = 0; k < g.Length; k++) Assert.Equal(expectedG[k], g[k], 1e-5);
    }

    [Fact]
    public void Classes_and_evaluation_follow_the_averaged_probabilities()
    {
        var (x, y) = Test();
        using var ensemble = new Ensemble<BlobMlp.Trainer>(Members(batchSize: 7)); // chunks of 7 rows
        var p = new float[Rows * 3];
        ensemble.PredictProbabilities(x, p, Rows);
        var classes = new int[Rows];
        ensemble.PredictClasses(x, classes, Rows);
        double correct = 0, nll = 0, brier = 0;
        for (int r = 0; r < Rows; r++)
        {
            int best = 0;
            for (int c = 1; c < 3; c++) if (p[r * 3 + c] > p[r * 3 + best]) best = c;
            Assert.Equal(best, classes[r]);
            int actual = Array.IndexOf(y, 1f, r * 3, 3) - r * 3;
            if (best == actual) correct++;
            nll -= Math.Log(p[r * 3 + actual]);
            for (int c = 0; c < 3; c++) brier += Math.Pow(p[r * 3 + c] - y[r * 3 + c], 2);
        }
        var e = ensemble.Evaluate(x, y);
        Assert.Equal(Rows, e.Count);
        Assert.Equal(correct / Rows, e.Accuracy, 1e-12);
        Assert.Equal(nll / Rows, e.Nll, 1e-6);
        Assert.Equal(nll / Rows, e.Kl, 1e-6); // one-hot targets
        Assert.Equal(brier / Rows, e.Brier, 1e-6);
    }

    [Fact]
    public void Predicting_allocates_nothing()
    {
        var (x, y) = Test();
        using var ensemble = new Ensemble<BlobMlp.Trainer>(Members(batchSize: 8), EnsembleAveraging.Geometric);
        var p = new float[Rows * 3];
        var classes = new int[Rows];
        ensemble.PredictProbabilities(x, p, Rows);
        ensemble.PredictTempered(x, p, Rows, 2f);
        ensemble.PredictClasses(x, classes, Rows);
        ensemble.Evaluate(x, y);
        long before = GC.GetAllocatedBytesForCurrentThread();
        ensemble.PredictProbabilities(x, p, Rows);
        ensemble.PredictTempered(x, p, Rows, 2f);
        ensemble.PredictClasses(x, classes, Rows);
        ensemble.Evaluate(x, y);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Members_must_be_of_one_model_and_are_disposed_with_the_ensemble()
    {
        using var a = BlobMlp.CreateTrainer(new TrainerOptions { BatchSize = 4, ThreadCount = 1 });
        using var kl = BlobKl.CreateTrainer(new TrainerOptions { BatchSize = 4, ThreadCount = 1 });
        var e = Assert.Throws<ArgumentException>(() => new Ensemble<TrainerBase>(new TrainerBase[] { a, kl }));
        Assert.Contains("Member 1 is a ToolkitModels.BlobKl", e.Message);
        Assert.Throws<ArgumentException>(() => new Ensemble<BlobMlp.Trainer>(Array.Empty<BlobMlp.Trainer>()));

        var members = Members();
        var owning = new Ensemble<BlobMlp.Trainer>(members);
        owning.Dispose();
        Assert.Throws<ObjectDisposedException>(() => members[0].PredictClasses(new float[4], new int[1], 1));
        Assert.Throws<ObjectDisposedException>(() => owning.PredictClasses(new float[4], new int[1], 1));

        var kept = Members();
        new Ensemble<BlobMlp.Trainer>(kept, leaveMembersOpen: true).Dispose();
        kept[0].PredictClasses(new float[4], new int[1], 1);
        foreach (var m in kept) m.Dispose();
    }

    [Fact]
    public void Bad_input_is_refused_before_predicting()
    {
        var (x, y) = Test();
        using var ensemble = new Ensemble<BlobMlp.Trainer>(Members());
        x[9] = float.NaN; // row 2, column 1
        var ex = Assert.Throws<ArgumentException>(() => ensemble.Evaluate(x, y));
        Assert.Contains("row 2, column 1", ex.Message);
        x[9] = 0;
        y[5] = 0.5f; // row 1 sums to 1.5
        ex = Assert.Throws<ArgumentException>(() => ensemble.Evaluate(x, y));
        Assert.Contains("row 1", ex.Message);
        Assert.Throws<ArgumentException>(() => ensemble.PredictProbabilities(x, new float[5], Rows));
        Assert.Throws<ArgumentOutOfRangeException>(() => ensemble.PredictTempered(x, new float[Rows * 3], Rows, 0f));
    }
}
