using System;
using System.Linq;
using SoftGen.Training;
using EndToEndModels;
using Xunit;

namespace SoftGen.Tests.EndToEnd;

/// <summary>
/// The same seed gives the same weights, bit for bit, at construction and after training; another seed gives other
/// weights; the thread count changes nothing (the kernels split work over outputs, never over a reduction).
/// </summary>
public sealed class DeterminismTests
{
    private static TrainerBase Make(string name, int seed, int threads, int batch = 16) =>
        ModelCases.Numeric[name].Create(new TrainerOptions { Optimizer = Optimizer.Adam(0.01f), BatchSize = batch, Seed = seed, ThreadCount = threads });

    [Theory]
    [MemberData(nameof(ModelCases.NumericNames), MemberType = typeof(ModelCases))]
    public void Same_seed_same_weights_before_and_after_20_steps(string name)
    {
        var m = ModelCases.Numeric[name].Reference;
        using var a = Make(name, 42, 1);
        using var b = Make(name, 42, 1);
        Check.BitEqual(TestData.Snapshot(a), TestData.Snapshot(b), "initial weights");
        foreach (var p in a.Model.Parameters)
        {
            var values = TestData.Snapshot(a)[p.Name];
            Check.AllFinite(values, p.Name);
            if (p.IsWeight)
                Assert.True(values.Distinct().Count() > values.Length / 2, $"{p.Name} is not random: {values.Distinct().Count()} distinct values");
            else
                Assert.All(values, v => Assert.Equal(0f, v));
        }

        var rng = new Random(TestData.Seed(name, 42));
        for (int step = 0; step < 20; step++)
        {
            var x = TestData.Inputs(rng, 16, m.Inputs);
            var y = TestData.Targets(rng, m, 16);
            Assert.Equal(a.TrainStep(x, y, 16), b.TrainStep(x, y, 16));
        }
        Check.BitEqual(TestData.Snapshot(a), TestData.Snapshot(b), "weights after 20 steps");
    }

    [Theory]
    [MemberData(nameof(ModelCases.NumericNames), MemberType = typeof(ModelCases))]
    public void Different_seeds_give_different_weights(string name)
    {
        using var a = Make(name, 1, 1);
        using var b = Make(name, 2, 1);
        var wa = TestData.Snapshot(a)["layers.0.weight"];
        var wb = TestData.Snapshot(b)["layers.0.weight"];
        int same = wa.Zip(wb).Count(pair => pair.First == pair.Second);
        Assert.True(same <= wa.Length / 10, $"{same} of {wa.Length} weights are equal across seeds 1 and 2");
    }

    public static TheoryData<string, int> ThreadCases => new()
    {
        { nameof(SmoothTempMlp), 37 },
        { nameof(KlMlp), 64 },
        { nameof(MultiLabelMlp), 50 },
        { nameof(PaddedMlp), 64 },
        { nameof(WideMlp), 61 },
        { nameof(GeluMultiLabel), 64 },
    };

    [Theory]
    [MemberData(nameof(ThreadCases))]
    public void Thread_count_does_not_change_the_result(string name, int rows)
    {
        var m = ModelCases.Numeric[name].Reference;
        using var one = Make(name, 5, 1, batch: 64);
        using var two = Make(name, 5, 2, batch: 64);
        using var four = Make(name, 5, 4, batch: 64);
        var rng = new Random(TestData.Seed(name, 5));
        for (int step = 0; step < 10; step++)
        {
            var x = TestData.Inputs(rng, rows, m.Inputs);
            var y = TestData.Targets(rng, m, rows);
            float loss = one.TrainStep(x, y, rows);
            Assert.Equal(loss, two.TrainStep(x, y, rows));
            Assert.Equal(loss, four.TrainStep(x, y, rows));
        }
        var expected = TestData.Snapshot(one);
        Check.BitEqual(expected, TestData.Snapshot(two), "weights with 2 threads");
        Check.BitEqual(expected, TestData.Snapshot(four), "weights with 4 threads");

        var probe = TestData.Inputs(rng, rows, m.Inputs);
        var p1 = new float[rows * m.Classes];
        var p2 = new float[rows * m.Classes];
        one.PredictProbabilities(probe, p1, rows);
        two.PredictProbabilities(probe, p2, rows);
        Assert.Equal(p1, p2);
    }

    [Fact]
    public void Mnist_sized_model_is_the_same_on_one_and_two_threads()
    {
        // Large enough that the optimizer update too runs in parallel (storage over 2^16 floats).
        var rng = new Random(8);
        const int rows = 64;
        using var one = MnistMlp.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.AdamW(1e-3f), BatchSize = rows, Seed = 3, ThreadCount = 1 });
        using var two = MnistMlp.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.AdamW(1e-3f), BatchSize = rows, Seed = 3, ThreadCount = 2 });
        var y = new float[rows * 10];
        for (int r = 0; r < rows; r++) y[r * 10 + r % 10] = 1;
        for (int step = 0; step < 10; step++)
        {
            var x = TestData.Inputs(rng, rows, 784, scale: 1);
            Assert.Equal(one.TrainStep(x, y, rows), two.TrainStep(x, y, rows));
        }
        Check.BitEqual(TestData.Snapshot(one), TestData.Snapshot(two), "weights after 10 steps");
    }

    [Fact]
    public void Fit_with_the_same_seed_repeats_exactly()
    {
        var m = ModelCases.Numeric[nameof(KlMlp)].Reference;
        var rng = new Random(9);
        const int rows = 100;
        var x = TestData.Inputs(rng, rows, m.Inputs);
        var y = TestData.Targets(rng, m, rows);
        using var a = Make(nameof(KlMlp), 13, 1);
        using var b = Make(nameof(KlMlp), 13, 2);
        var ra = new ListProgress<EpochReport>();
        var rb = new ListProgress<EpochReport>();
        a.Fit(x, y, 3, ra);
        b.Fit(x, y, 3, rb);
        Check.BitEqual(TestData.Snapshot(a), TestData.Snapshot(b), "weights after Fit");
        Assert.Equal(ra.Items.Select(r => r.MeanLoss), rb.Items.Select(r => r.MeanLoss));
        Assert.Equal(3 * ((rows + 15) / 16), a.Step);
    }
}
