using System;
using Xunit;

namespace SoftGen.Tests.EndToEnd;

/// <summary>
/// Whole training steps against the reference: at each step the loss and gradients against the reference at the
/// trainer's current parameters, then the parameters after the update against the reference optimizer (double, with
/// its own moment buffers) fed the same gradients. SGD with momentum for 3 steps (the buffer builds up), Adam and
/// AdamW for 5 (bias correction changes every step), a new random batch each step.
/// </summary>
public sealed class OptimizerStepTests
{
    public static TheoryData<string, string> Cases
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var name in ModelCases.Numeric.Keys)
                foreach (var optimizer in new[] { "sgd", "adam", "adamw" })
                    data.Add(name, optimizer);
            return data;
        }
    }

    private static Optimizer Make(string kind) => kind switch
    {
        "sgd" => Optimizer.Sgd(0.1f, 0.9f),
        "adam" => Optimizer.Adam(0.01f),
        _ => Optimizer.AdamW(0.01f, 0.1f),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Steps_match_the_reference_optimizer(string name, string kind)
    {
        var c = ModelCases.Numeric[name];
        var m = c.Reference;
        var optimizer = Make(kind);
        var rng = new Random(TestData.Seed(name + kind));
        using var t = c.Create(new TrainerOptions { Optimizer = optimizer, BatchSize = 8, Seed = 3, ThreadCount = 1 });
        TestData.RandomizeBiases(t, m, rng);
        var tracked = RefParameters.Read(m, t);
        var reference = new RefOptimizer(optimizer);
        int steps = kind == "sgd" ? 3 : 5;
        double lr = optimizer.LearningRate;

        for (int step = 1; step <= steps; step++)
        {
            int rows = step % 2 == 0 ? 5 : 8;
            var x = TestData.Inputs(rng, rows, m.Inputs);
            var y = TestData.Targets(rng, m, rows);
            var before = RefParameters.Read(m, t);
            var expected = Reference.Run(before, x, y, rows);

            float loss = t.TrainStep(x, y, rows);
            Assert.Equal(step, t.Step);
            Check.Close(expected.Loss, loss, 1e-4, 1e-6, $"{name} {kind} step {step} loss");
            var g = TestData.Gradients(m, t);
            foreach (var tensor in m.ParameterNames)
                Check.AllClose(g[tensor], expected.Gradients[tensor], 1e-4, 1e-5, 1e-9, $"{name} {kind} step {step} d loss / d {tensor}");

            reference.Step(tracked, g);
            var after = RefParameters.Read(m, t);
            foreach (var tensor in m.ParameterNames)
                // A few float ulps of the parameter, plus float rounding of an update of size ~lr.
                Check.AllClose(after[tensor], tracked[tensor], 1e-6, 0, 2e-6 * lr, $"{name} {kind} parameters {tensor} after step {step}");
        }
    }

    /// <summary>SGD with momentum, entirely in the reference (its own gradients), against the trainer over 4 steps.</summary>
    [Theory]
    [MemberData(nameof(ModelCases.NumericNames), MemberType = typeof(ModelCases))]
    public void Sgd_momentum_trajectory_matches_the_reference(string name)
    {
        var c = ModelCases.Numeric[name];
        var m = c.Reference;
        var optimizer = Optimizer.Sgd(0.05f, 0.9f);
        var rng = new Random(TestData.Seed(name, 11));
        using var t = c.Create(new TrainerOptions { Optimizer = optimizer, BatchSize = 8, Seed = 4, ThreadCount = 1 });
        TestData.RandomizeBiases(t, m, rng);
        var p = RefParameters.Read(m, t);
        var reference = new RefOptimizer(optimizer);
        var x = TestData.Inputs(rng, 8, m.Inputs);
        var y = TestData.Targets(rng, m, 8);
        for (int step = 1; step <= 4; step++)
        {
            var expected = Reference.Run(p, x, y, 8);
            float loss = t.TrainStep(x, y, 8);
            Check.Close(expected.Loss, loss, 1e-4, 1e-6, $"{name} loss at step {step}");
            reference.Step(p, expected.Gradients);
        }
        var after = RefParameters.Read(m, t);
        foreach (var tensor in m.ParameterNames)
            Check.AllClose(after[tensor], p[tensor], 1e-5, 1e-5, 1e-6, $"{name} {tensor} after 4 SGD steps");
    }
}
