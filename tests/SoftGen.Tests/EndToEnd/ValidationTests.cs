using System;
using SoftGen.Training;
using EndToEndModels;
using Xunit;

namespace SoftGen.Tests.EndToEnd;

/// <summary>
/// Bad input to a generated trainer: an ArgumentException that names what and where (the row, and for a sum the
/// sum found), thrown before anything changes. Afterwards the parameters are bit-identical, the step count has
/// not moved, and the optimizer state is untouched: the next valid step gives exactly what a fresh trainer's first
/// step gives (Adam, whose moments would show any stray update).
/// </summary>
public sealed class ValidationTests
{
    private const int Capacity = 4;

    private static ModelCase ModelFor(string @case) => ModelCases.Numeric[
        @case.StartsWith("bce", StringComparison.Ordinal) ? nameof(MultiLabelMlp)
        : @case.StartsWith("ce", StringComparison.Ordinal) ? nameof(SmoothTempMlp)
        : nameof(KlMlp)];

    private static TrainerBase Make(ModelCase c) =>
        c.Create(new TrainerOptions { Optimizer = Optimizer.Adam(0.01f), BatchSize = Capacity, Seed = 12, ThreadCount = 1 });

    private static (float[] X, float[] Y) ValidBatch(RefModel m, int rows = Capacity)
    {
        var rng = new Random(77);
        return (TestData.Inputs(rng, rows, m.Inputs), TestData.Targets(rng, m, rows));
    }

    private static void SetRow(float[] y, int classes, int row, params float[] values)
    {
        Array.Clear(y, row * classes, classes);
        values.CopyTo(y, row * classes);
    }

    public static TheoryData<string> Cases => new()
    {
        "inputs-short", "inputs-long", "targets-short", "targets-long", "batch-over-capacity", "batch-zero",
        "nan-input", "inf-input", "negative-inf-input", "negative-target", "nan-target", "inf-target",
        "sum-0.9", "sum-1.1", "ce-sum-0.9", "bce-1.5", "bce-negative",
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bad_train_step_input_throws_and_changes_nothing(string @case)
    {
        var c = ModelFor(@case);
        var m = c.Reference;
        int classes = m.Classes, inputs = m.Inputs;
        var (x, y) = ValidBatch(m);
        int rows = Capacity;
        string[] fragments;
        switch (@case)
        {
            case "inputs-short": x = x[..^1]; fragments = new[] { "inputs" }; break;
            case "inputs-long": x = new float[x.Length + inputs]; fragments = new[] { "inputs" }; break;
            case "targets-short": y = y[..^1]; fragments = new[] { "targets" }; break;
            case "targets-long": y = new float[y.Length + 1]; fragments = new[] { "targets" }; break;
            case "batch-over-capacity":
                (x, y) = ValidBatch(m, Capacity + 1);
                rows = Capacity + 1;
                fragments = new[] { "batchSize" };
                break;
            case "batch-zero": rows = 0; x = Array.Empty<float>(); y = Array.Empty<float>(); fragments = new[] { "batchSize" }; break;
            case "nan-input": x[2 * inputs + 3] = float.NaN; fragments = new[] { "row 2", "NaN" }; break;
            case "inf-input": x[1 * inputs + 0] = float.PositiveInfinity; fragments = new[] { "row 1" }; break;
            case "negative-inf-input": x[3 * inputs + inputs - 1] = float.NegativeInfinity; fragments = new[] { "row 3" }; break;
            case "negative-target": SetRow(y, classes, 1, 0.6f, 0.5f, -0.1f); fragments = new[] { "row 1", "-0.1" }; break;
            case "nan-target": SetRow(y, classes, 3, 0.5f, float.NaN, 0.5f); fragments = new[] { "row 3", "NaN" }; break;
            case "inf-target": SetRow(y, classes, 0, float.PositiveInfinity); fragments = new[] { "row 0" }; break;
            case "sum-0.9": SetRow(y, classes, 2, 0.5f, 0.4f); fragments = new[] { "row 2", "0.9" }; break;
            case "sum-1.1": SetRow(y, classes, 1, 0.5f, 0.4f, 0.2f); fragments = new[] { "row 1", "1.1" }; break;
            case "ce-sum-0.9": SetRow(y, classes, 3, 0.3f, 0.6f); fragments = new[] { "row 3", "0.9" }; break;
            case "bce-1.5": y[2 * classes + 1] = 1.5f; fragments = new[] { "row 2", "1.5" }; break;
            case "bce-negative": y[1 * classes + 3] = -0.25f; fragments = new[] { "row 1", "-0.25" }; break;
            default: throw new ArgumentOutOfRangeException(nameof(@case));
        }

        using var t = Make(c);
        var before = TestData.Snapshot(t);
        var e = Assert.ThrowsAny<ArgumentException>(() => t.TrainStep(x, y, rows));
        foreach (var fragment in fragments)
            Assert.Contains(fragment, e.Message, StringComparison.OrdinalIgnoreCase);
        Check.BitEqual(before, TestData.Snapshot(t), "parameters after the rejected step");
        Assert.Equal(0, t.Step);

        // The optimizer state too is untouched: the next valid step matches a fresh trainer's first step bit for bit.
        var (vx, vy) = ValidBatch(m);
        using var fresh = Make(c);
        Assert.Equal(fresh.TrainStep(vx, vy, Capacity), t.TrainStep(vx, vy, Capacity));
        Check.BitEqual(TestData.Snapshot(fresh), TestData.Snapshot(t), "parameters after the next valid step");
    }

    [Fact]
    public void A_rejected_step_after_training_leaves_the_weights_and_moments_alone()
    {
        var c = ModelCases.Numeric[nameof(KlMlp)];
        var (x, y) = ValidBatch(c.Reference);
        using var a = Make(c);
        using var b = Make(c);
        for (int k = 0; k < 3; k++)
        {
            a.TrainStep(x, y, Capacity);
            b.TrainStep(x, y, Capacity);
        }
        var bad = (float[])y.Clone();
        SetRow(bad, 6, 2, 0.5f, 0.4f);
        Assert.ThrowsAny<ArgumentException>(() => a.TrainStep(x, bad, Capacity));
        Assert.Equal(3, a.Step);
        Assert.Equal(b.TrainStep(x, y, Capacity), a.TrainStep(x, y, Capacity));
        Check.BitEqual(TestData.Snapshot(b), TestData.Snapshot(a), "parameters");
    }

    [Fact]
    public void Predict_rejects_non_finite_inputs_and_wrong_lengths()
    {
        var c = ModelCases.Numeric[nameof(KlMlp)];
        using var t = Make(c);
        var (x, _) = ValidBatch(c.Reference);
        var p = new float[Capacity * 6];
        x[1 * 6 + 2] = float.NaN;
        var e = Assert.ThrowsAny<ArgumentException>(() => t.PredictProbabilities(x, p, Capacity));
        Assert.Contains("row 1", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.ThrowsAny<ArgumentException>(() => t.PredictClasses(x, new int[Capacity], Capacity));
        x[1 * 6 + 2] = 0;
        Assert.ThrowsAny<ArgumentException>(() => t.PredictProbabilities(x, new float[Capacity * 6 - 1], Capacity));
        Assert.ThrowsAny<ArgumentException>(() => t.PredictProbabilities(x[..^1], p, Capacity));
        Assert.ThrowsAny<ArgumentException>(() => t.PredictClasses(x, new int[Capacity - 1], Capacity));
    }

    [Fact]
    public void Fit_and_Evaluate_name_the_bad_row_of_the_whole_data_set()
    {
        var c = ModelCases.Numeric[nameof(KlMlp)];
        var rng = new Random(3);
        const int rows = 30;
        var x = TestData.Inputs(rng, rows, 6);
        var y = TestData.Targets(rng, c.Reference, rows);
        SetRow(y, 6, 17, 0.5f, 0.4f); // beyond the first batch of 4
        using var t = Make(c);
        var before = TestData.Snapshot(t);
        var e = Assert.ThrowsAny<ArgumentException>(() => t.Fit(x, y, 2));
        Assert.Contains("row 17", e.Message, StringComparison.OrdinalIgnoreCase);
        Check.BitEqual(before, TestData.Snapshot(t), "parameters after the rejected Fit");
        Assert.Equal(0, t.Step);
        e = Assert.ThrowsAny<ArgumentException>(() => t.Evaluate(x, y));
        Assert.Contains("row 17", e.Message, StringComparison.OrdinalIgnoreCase);

        x[23 * 6 + 1] = float.PositiveInfinity;
        y = TestData.Targets(rng, c.Reference, rows);
        e = Assert.ThrowsAny<ArgumentException>(() => t.Fit(x, y, 1));
        Assert.Contains("row 23", e.Message, StringComparison.OrdinalIgnoreCase);
        Check.BitEqual(before, TestData.Snapshot(t), "parameters after the rejected Fit");
    }

    [Fact]
    public void SetParameter_rejects_non_finite_values_and_wrong_shapes()
    {
        var c = ModelCases.Numeric[nameof(KlMlp)];
        using var t = Make(c);
        var before = TestData.Snapshot(t);
        var w = (float[])before["layers.1.weight"].Clone();
        w[5] = float.NaN;
        Assert.ThrowsAny<ArgumentException>(() => t.SetParameter("layers.1.weight", w));
        Assert.ThrowsAny<ArgumentException>(() => t.SetParameter("layers.1.weight", new float[w.Length - 1]));
        Assert.ThrowsAny<ArgumentException>(() => t.SetParameter("layers.9.weight", new float[1]));
        Assert.ThrowsAny<ArgumentException>(() => t.GetGradient("layers.0.bias", new float[8]));
        Check.BitEqual(before, TestData.Snapshot(t), "parameters");
    }
}
