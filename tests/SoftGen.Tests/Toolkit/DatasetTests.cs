using System;
using SoftGen.Data;
using ToolkitModels;
using Xunit;

namespace SoftGen.Tests.Toolkit;

public sealed class DatasetTests
{
    private static float[] Features(int rows, int inputs)
    {
        var f = new float[rows * inputs];
        for (int k = 0; k < f.Length; k++) f[k] = k;
        return f;
    }

    [Fact]
    public void Holds_rows_and_gives_them_back()
    {
        var d = new Dataset(Features(3, 2), new float[] { 1, 0, 0.25f, 0.75f, 0, 1 }, 2, 2);
        Assert.Equal(3, d.Count);
        Assert.Equal(new float[] { 2, 3 }, d.FeatureRow(1).ToArray());
        Assert.Equal(new[] { 0.25f, 0.75f }, d.TargetRow(1).ToArray());
        Assert.Equal(new[] { 0, 1, 1 }, d.TargetClasses());
        var (head, tail) = d.Split(1);
        Assert.Equal(1, head.Count);
        Assert.Equal(2, tail.Count);
        Assert.Equal(new float[] { 2, 3, 4, 5 }, tail.Features.ToArray());
        var picked = d.Select(new[] { 2, 0 });
        Assert.Equal(new float[] { 4, 5, 0, 1 }, picked.Features.ToArray());
        Assert.Equal(new float[] { 0, 1, 1, 0 }, picked.Targets.ToArray());
    }

    [Fact]
    public void Shuffled_is_a_seeded_permutation()
    {
        var d = new Dataset(Features(50, 1), Labels.OneHot(new int[50], 2), 1, 2);
        var a = d.Shuffled(3).Features.ToArray();
        Assert.Equal(a, d.Shuffled(3).Features.ToArray());
        Assert.NotEqual(a, d.Shuffled(4).Features.ToArray());
        Assert.NotEqual(d.Features.ToArray(), a);
        Array.Sort(a);
        Assert.Equal(d.Features.ToArray(), a);
    }

    [Fact]
    public void The_first_bad_feature_is_named_by_row_and_column()
    {
        var f = Features(4, 3);
        f[7] = float.NaN;           // row 2, column 1
        f[11] = float.PositiveInfinity;
        var e = Assert.Throws<ArgumentException>(() => new Dataset(f, Labels.OneHot(new int[4], 2), 3, 2));
        Assert.Contains("Feature row 2, column 1 is NaN", e.Message);
    }

    [Fact]
    public void The_first_bad_target_is_named_by_row_and_class()
    {
        var y = Labels.OneHot(new[] { 0, 1, 2 }, 3);
        y[4] = -0.5f; // row 1, class 1
        var e = Assert.Throws<ArgumentException>(() => new Dataset(Features(3, 2), y, 2, 3));
        Assert.Contains("Target row 1, class 1 is -0.5", e.Message);

        y = Labels.OneHot(new[] { 0, 1, 2 }, 3);
        y[8] = float.NaN;
        e = Assert.Throws<ArgumentException>(() => new Dataset(Features(3, 2), y, 2, 3));
        Assert.Contains("Target row 2, class 2 is NaN", e.Message);

        y = Labels.OneHot(new[] { 0, 1, 2 }, 3);
        y[3] = 0.002f; // row 1 sums to 1.002
        e = Assert.Throws<ArgumentException>(() => new Dataset(Features(3, 2), y, 2, 3));
        Assert.Contains("Target row 1 sums to 1.002", e.Message);
        y[3] = 0.0009f; // within 1e-3
        Assert.Equal(3, new Dataset(Features(3, 2), y, 2, 3).Count);

        // Per-class targets need not sum to 1, but each is a probability.
        var multi = new float[] { 1, 1, 0.5f, 0, 1.5f, 0 };
        e = Assert.Throws<ArgumentException>(() => new Dataset(Features(2, 2), multi, 2, 3, TargetKind.PerClass));
        Assert.Contains("Target row 1, class 1 is 1.5", e.Message);
    }

    [Fact]
    public void Width_mismatches_are_reported()
    {
        var e = Assert.Throws<ArgumentException>(() => new Dataset(new float[7], Labels.OneHot(new int[2], 2), 3, 2));
        Assert.Contains("not a whole number of rows of 3 features", e.Message);
        e = Assert.Throws<ArgumentException>(() => new Dataset(new float[6], new float[5], 3, 2));
        Assert.Contains("not a whole number of rows of 2 classes", e.Message);
        e = Assert.Throws<ArgumentException>(() => new Dataset(new float[6], Labels.OneHot(new int[3], 2), 3, 2));
        Assert.Contains("features has 2 rows of 3 but targets has 3 rows of 2", e.Message);

        var d = new Dataset(new float[6], Labels.OneHot(new int[2], 3), 3, 3);
        e = Assert.Throws<ArgumentException>(() => d.CheckFits(BlobMlp.Trainer.ModelInfo));
        Assert.Contains("3 features per row but model ToolkitModels.BlobMlp takes 4 inputs", e.Message);
        var wide = new Dataset(new float[8], Labels.OneHot(new int[2], 2), 4, 2);
        e = Assert.Throws<ArgumentException>(() => wide.CheckFits(BlobMlp.Trainer.ModelInfo));
        Assert.Contains("2 target columns per row but model ToolkitModels.BlobMlp has 3 classes", e.Message);
        var perClass = new Dataset(new float[8], new float[6], 4, 3, TargetKind.PerClass);
        e = Assert.Throws<ArgumentException>(() => perClass.CheckFits(BlobMlp.Trainer.ModelInfo));
        Assert.Contains("needs targets that are distributions", e.Message);
        perClass.CheckFits(BlobMultiLabel.Trainer.ModelInfo);
    }

    [Fact]
    public void Trainers_fit_and_evaluate_a_dataset()
    {
        var (x, y) = ToolkitData.Blobs(90, seed: 8);
        var data = new Dataset(x, y, 4, 3);
        using var t = BlobMlp.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.Adam(0.02f), BatchSize = 16, Seed = 1, ThreadCount = 1 });
        using var same = BlobMlp.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.Adam(0.02f), BatchSize = 16, Seed = 1, ThreadCount = 1 });
        t.Fit(data, 5);
        same.Fit(x, y, 5);
        Assert.Equal(same.Evaluate(x, y), t.Evaluate(data));
        var report = t.Report(data, topK: 2);
        Assert.Equal(90, report.Count);
        Assert.Equal(t.Evaluate(data).Accuracy, report.Accuracy, 1e-12);

        var narrow = new Dataset(new float[6], Labels.OneHot(new int[2], 3), 3, 3);
        var e = Assert.Throws<ArgumentException>(() => t.Fit(narrow, 1));
        Assert.Contains("takes 4 inputs", e.Message);
    }
}
