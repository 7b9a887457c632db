using System;
using System.Collections.Generic;
using System.Linq;
using SoftGen.Tests.Conv;
using SoftGen.Tests.EndToEnd;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Training;

/// <summary>
/// TrainStep with sample weights on generated trainers (CPU): the weighted loss and every gradient against the float64
/// reference models (each row's own reference pass, combined as sum_r w_r (l_r, grad l_r) / sum_r w_r), for every loss
/// kind, flat and per pixel; equal weights give exactly the unweighted step; a row of weight 0 is a row removed;
/// bad weights are refused with the trainer unchanged.
/// </summary>
public sealed class SampleWeightTests
{
    private const int Rows = 7;

    // Raw weights: a zero, fractions, a vote count; their sum is not the row count.
    private static readonly float[] Weights = { 3f, 0f, 0.5f, 10f, 1.25f, 2f, 7f };

    public static TheoryData<string> DenseNames => new() { "SmoothTempMlp", "KlMlp", "MultiLabelMlp" };

    public static TheoryData<string> PixelNames => new() { "PixelSoftmax", "PixelKl", "PixelSigmoid" };

    [Theory]
    [MemberData(nameof(DenseNames))]
    public void Weighted_loss_and_gradients_of_a_dense_model_match_the_reference(string name)
    {
        var c = ModelCases.Numeric[name];
        var m = c.Reference;
        var rng = new Random(TestData.Seed(name, 41));
        using var t = c.Create(new TrainerOptions { Optimizer = Optimizer.Sgd(0.05f), BatchSize = Rows, Seed = 3, ThreadCount = 2 });
        TestData.RandomizeBiases(t, m, rng);
        var p = RefParameters.Read(m, t);
        var x = TestData.Inputs(rng, Rows, m.Inputs);
        var y = TestData.Targets(rng, m, Rows);

        // sum_r w_r (l_r, grad l_r) / sum_r w_r, each row's loss and gradient from a one-row reference pass.
        double weightSum = Weights.Sum(w => (double)w), expectedLoss = 0;
        var expected = m.ParameterNames.ToDictionary(n => n, n => new double[p[n].Length]);
        for (int r = 0; r < Rows; r++)
        {
            var row = Reference.Run(p, x.AsSpan(r * m.Inputs, m.Inputs), y.AsSpan(r * m.Classes, m.Classes), 1);
            expectedLoss += Weights[r] * row.Loss / weightSum;
            foreach (var n in m.ParameterNames)
                for (int k = 0; k < expected[n].Length; k++) expected[n][k] += Weights[r] * row.Gradients[n][k] / weightSum;
        }

        float loss = t.TrainStep(x, y, Rows, Weights);
        Check.Close(expectedLoss, loss, 1e-4, 1e-6, $"{name} weighted loss");
        var g = TestData.Gradients(m, t);
        foreach (var n in m.ParameterNames)
            Check.AllClose(g[n], expected[n], 1e-4, 1e-5, 1e-9, $"{name} weighted d loss / d {n}");
    }

    [Theory]
    [MemberData(nameof(PixelNames))]
    public void Weighted_loss_and_gradients_of_a_per_pixel_model_match_the_reference(string name)
    {
        var c = ConvCases.All[name];
        var net = c.Reference;
        var rng = new Random(TestData.Seed(name, 43));
        using var t = c.Create(new TrainerOptions { Optimizer = Optimizer.Sgd(0.05f), BatchSize = Rows, Seed = 3, ThreadCount = 2 });
        ConvCases.RandomizeBiases(t, net, rng);
        var p = ConvReference.Read(net, t);
        var x = TestData.Inputs(rng, Rows, net.Input.Size);
        var y = ConvCases.Targets(rng, net, Rows);

        double weightSum = Weights.Sum(w => (double)w), expectedLoss = 0;
        var expected = net.ParameterNames.ToDictionary(n => n, n => new double[net.Length(n)]);
        for (int r = 0; r < Rows; r++)
        {
            var row = ConvReference.Run(net, p, x.AsSpan(r * net.Input.Size, net.Input.Size), y.AsSpan(r * net.OutputsPerRow, net.OutputsPerRow), 1, keep: null);
            expectedLoss += Weights[r] * row.Loss / weightSum;
            foreach (var n in net.ParameterNames)
                for (int k = 0; k < expected[n].Length; k++) expected[n][k] += Weights[r] * row.Gradients[n][k] / weightSum;
        }

        float loss = t.TrainStep(x, y, Rows, Weights);
        Check.Close(expectedLoss, loss, 1e-4, 1e-6, $"{name} weighted loss");
        var g = ConvReference.ReadGradients(net, t);
        foreach (var n in net.ParameterNames)
            Check.AllClose(g[n], expected[n], 1e-4, 1e-5, 1e-9, $"{name} weighted d loss / d {n}");
    }

    public static TheoryData<string> AllNames => new() { "SmoothTempMlp", "KlMlp", "MultiLabelMlp", "PixelSoftmax", "PixelKl", "PixelSigmoid" };

    [Theory]
    [MemberData(nameof(AllNames))]
    public void Equal_weights_give_exactly_the_unweighted_steps(string name)
    {
        var (create, inputs, model) = Model(name);
        var options = new TrainerOptions { Optimizer = Optimizer.Adam(0.01f), BatchSize = Rows, Seed = 9, ThreadCount = 2 };
        using var plain = create(options);
        using var weighted = create(options);
        var rng = new Random(TestData.Seed(name, 47));
        var threes = Enumerable.Repeat(3f, Rows).ToArray();
        for (int step = 0; step < 3; step++)
        {
            var (x, y) = RandomBatch(name, rng);
            float a = plain.TrainStep(x, y, Rows);
            float b = weighted.TrainStep(x, y, Rows, threes);
            Assert.Equal(BitConverter.SingleToInt32Bits(a), BitConverter.SingleToInt32Bits(b));
            Check.BitEqual(TestData.Snapshot(plain), TestData.Snapshot(weighted), $"{name} after step {step + 1}");
        }
    }

    [Theory]
    [InlineData("KlMlp")]
    [InlineData("SmoothTempMlp")]
    [InlineData("PixelSigmoid")]
    public void A_row_of_weight_zero_is_a_row_removed(string name)
    {
        var (create, inputs, model) = Model(name);
        var options = new TrainerOptions { Optimizer = Optimizer.Sgd(0.1f), BatchSize = Rows, Seed = 4, ThreadCount = 1 };
        using var full = create(options);
        using var removed = create(options);
        var (x, y) = RandomBatch(name, new Random(TestData.Seed(name, 53)));
        int outputs = model.OutputsPerRow;

        // Row 1 weighs 0 in the full batch; the other batch lacks it.
        const int gone = 1;
        var xr = x.Where((_, k) => k / inputs != gone).ToArray();
        var yr = y.Where((_, k) => k / outputs != gone).ToArray();
        var wr = Weights.Where((_, r) => r != gone).ToArray();
        Assert.Equal(0f, Weights[gone]);

        float a = full.TrainStep(x, y, Rows, Weights);
        float b = removed.TrainStep(xr, yr, Rows - 1, wr);
        Assert.Equal(b, a, 2e-6f * Math.Abs(b));
        foreach (var p in model.Parameters)
        {
            var ga = new float[p.Length];
            var gb = new float[p.Length];
            full.GetGradient(p.Name, ga);
            removed.GetGradient(p.Name, gb);
            Check.AllClose(ga, gb.Select(v => (double)v).ToArray(), 1e-5, 1e-6, 1e-9, $"{name} d loss / d {p.Name}");
        }
    }

    public static TheoryData<float[], string> BadWeights => new()
    {
        { new[] { 1f, 1f, -0.5f, 1f, 1f, 1f, 1f }, "row 2 is -0.5" },
        { new[] { 1f, 1f, 1f, 1f, float.NaN, 1f, 1f }, "row 4 is NaN" },
        { new[] { float.PositiveInfinity, 1f, 1f, 1f, 1f, 1f, 1f }, "row 0 is" },
        { new float[7], "is 0" },
        { new[] { 1f, 1f, 1f }, "3 values; one per row (7)" },
        { new float[8], "8 values; one per row (7)" },
    };

    [Theory]
    [MemberData(nameof(BadWeights))]
    public void Bad_weights_are_refused_and_the_trainer_is_unchanged(float[] weights, string message)
    {
        var (create, _, _) = Model("KlMlp");
        using var t = create(new TrainerOptions { Optimizer = Optimizer.Adam(0.01f), BatchSize = Rows, Seed = 2, ThreadCount = 1 });
        var (x, y) = RandomBatch("KlMlp", new Random(5));
        t.TrainStep(x, y, Rows, Enumerable.Range(1, Rows).Select(r => (float)r).ToArray());
        var before = TestData.Snapshot(t);

        var e = Assert.Throws<ArgumentException>(() => t.TrainStep(x, y, Rows, weights));
        Assert.Equal("weights", e.ParamName);
        Assert.Contains(message, e.Message);
        Assert.Equal(1, t.Step);
        Check.BitEqual(before, TestData.Snapshot(t), "parameters after a refused step");
    }

    [Theory]
    [InlineData("KlMlp")]
    [InlineData("PixelKl")]
    public void A_weighted_step_allocates_nothing_after_warm_up(string name)
    {
        var (create, _, _) = Model(name);
        using var t = create(new TrainerOptions { Optimizer = Optimizer.AdamW(1e-3f), BatchSize = Rows, Seed = 2, ThreadCount = 2 });
        var (x, y) = RandomBatch(name, new Random(6));
        for (int k = 0; k < 20; k++) t.TrainStep(x, y, Rows, Weights);

        // The tiered JIT can allocate once while it promotes a method: a run of 50 steps must allocate nothing once in three tries.
        long allocated = -1;
        for (int attempt = 0; attempt < 3 && allocated != 0; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int k = 0; k < 50; k++) t.TrainStep(x, y, Rows, Weights);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Assert.Equal(0, allocated);
    }

    private static (Func<TrainerOptions, TrainerBase> Create, int Inputs, ModelInfo Model) Model(string name) =>
        ModelCases.Numeric.TryGetValue(name, out var dense)
            ? (dense.Create, dense.Reference.Inputs, dense.Info)
            : (ConvCases.All[name].Create, ConvCases.All[name].Reference.Input.Size, ConvCases.All[name].Info);

    private static (float[] X, float[] Y) RandomBatch(string name, Random rng)
    {
        if (ModelCases.Numeric.TryGetValue(name, out var dense))
            return (TestData.Inputs(rng, Rows, dense.Reference.Inputs), TestData.Targets(rng, dense.Reference, Rows));
        var net = ConvCases.All[name].Reference;
        return (TestData.Inputs(rng, Rows, net.Input.Size), ConvCases.Targets(rng, net, Rows));
    }
}
