using System;
using System.Collections.Generic;
using System.Linq;
using SoftGen.Tests.EndToEnd;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Conv;

/// <summary>
/// The generated image trainers against the float64 reference (ConvReference): probabilities, logits, the loss and
/// every gradient, on odd shapes, one row to several row blocks, one to three threads; the reference against central
/// differences of its own loss; the library against differences of the library's loss.
/// </summary>
public sealed class ConvGradientTests
{
    public static TheoryData<string, int, int> Cases
    {
        get
        {
            var data = new TheoryData<string, int, int>();
            foreach (var name in ConvCases.All.Keys)
            {
                data.Add(name, 1, 1);
                data.Add(name, 5, 2);
                data.Add(name, 13, 3);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_loss_and_gradients_match_the_reference(string name, int rows, int threads)
    {
        var c = ConvCases.All[name];
        var net = c.Reference;
        var rng = new Random(TestData.Seed(name, rows));
        const int seed = 5;
        using var t = c.Create(new TrainerOptions { Optimizer = Optimizer.Sgd(0.05f), BatchSize = rows + 2, Seed = seed, ThreadCount = threads });
        ConvCases.RandomizeBiases(t, net, rng);
        var p = ConvReference.Read(net, t);
        var x = TestData.Inputs(rng, rows, net.Input.Size);
        var y = ConvCases.Targets(rng, net, rows);

        // Prediction: no dropout.
        var predicted = ConvReference.Run(net, p, x, y, rows, keep: null, backward: false);
        var probabilities = new float[rows * net.OutputsPerRow];
        t.PredictProbabilities(x, probabilities, rows);
        Check.AllClose(probabilities, predicted.Probabilities, 1e-4, 0, 1e-6, $"{name} probabilities");
        var logits = new float[rows * net.OutputsPerRow];
        t.PredictLogits(x, logits, rows);
        Check.AllClose(logits, predicted.Logits, 1e-4, 1e-5, 1e-6, $"{name} logits");

        // Training: the step's dropout masks.
        var expected = ConvReference.Run(net, p, x, y, rows, ConvCases.DropoutOf(net, seed, t.Step));
        float loss = t.TrainStep(x, y, rows);
        Check.Close(expected.Loss, loss, 1e-4, 1e-6, $"{name} loss");
        var g = ConvReference.ReadGradients(net, t);
        foreach (var tensor in net.ParameterNames)
            Check.AllClose(g[tensor], expected.Gradients[tensor], 1e-4, 1e-5, 1e-9, $"{name} d loss / d {tensor}");
    }

    /// <summary>The reference's chain rule against central differences of its own loss (h = 1e-6, in double).</summary>
    [Theory]
    [MemberData(nameof(ConvCases.Names), MemberType = typeof(ConvCases))]
    public void Reference_gradients_match_finite_differences(string name)
    {
        var c = ConvCases.All[name];
        var net = c.Reference;
        var rng = new Random(TestData.Seed(name, 11));
        const int rows = 3;
        using var t = c.Create(new TrainerOptions { BatchSize = rows, Seed = 3, ThreadCount = 1 });
        ConvCases.RandomizeBiases(t, net, rng);
        var p = ConvReference.Read(net, t);
        var x = TestData.Inputs(rng, rows, net.Input.Size);
        var y = ConvCases.Targets(rng, net, rows);
        var keep = ConvCases.DropoutOf(net, 3, 0);
        var pass = ConvReference.Run(net, p, x, y, rows, keep);

        const double h = 1e-6;
        foreach (var tensor in net.ParameterNames)
        {
            var grad = pass.Gradients[tensor];
            var picks = Enumerable.Range(0, grad.Length).OrderByDescending(k => Math.Abs(grad[k])).Take(3)
                .Concat(new[] { rng.Next(grad.Length), rng.Next(grad.Length) }).Distinct();
            foreach (int k in picks)
            {
                double value = p[tensor][k];
                p[tensor][k] = value + h;
                double plus = ConvReference.Loss(net, p, x, y, rows, keep);
                p[tensor][k] = value - h;
                double minus = ConvReference.Loss(net, p, x, y, rows, keep);
                p[tensor][k] = value;
                Check.Close(grad[k], (plus - minus) / (2 * h), 1e-5, 1e-8, $"{name} reference gradient along {tensor}[{k}]");
            }
        }
    }

    /// <summary>
    /// The library's gradients against central differences of the library's own float loss (h = 4e-3: small enough
    /// that few differences straddle a ReLU kink, large enough for float's rounding) on models
    /// without dropout (whose masks change every step): for each tensor its largest-gradient coordinates and random ones.
    /// </summary>
    [Theory]
    [MemberData(nameof(ConvCases.Names), MemberType = typeof(ConvCases))]
    public void Library_gradients_match_finite_differences_of_the_library_loss(string name)
    {
        var c = ConvCases.All[name];
        var net = c.Reference;
        if (net.Layers.Any(l => l.Kind == RefLayerKind.Dropout))
            return;
        var rng = new Random(TestData.Seed(name, 12));
        const int rows = 4;
        using var t = c.Create(new TrainerOptions { Optimizer = Optimizer.Sgd(1e-3f), BatchSize = rows, Seed = 9, ThreadCount = 2 });
        ConvCases.RandomizeBiases(t, net, rng);
        var p = ConvReference.Read(net, t);
        var x = TestData.Inputs(rng, rows, net.Input.Size);
        var y = ConvCases.Targets(rng, net, rows);
        float loss = t.TrainStep(x, y, rows);
        var g = ConvReference.ReadGradients(net, t);

        const float h = 4e-3f;
        double floor = 2e-6 * (1 + Math.Abs(loss)) / h;
        foreach (var tensor in net.ParameterNames)
        {
            var grad = g[tensor];
            var picks = Enumerable.Range(0, grad.Length).OrderByDescending(k => Math.Abs(grad[k])).Take(2)
                .Concat(new[] { rng.Next(grad.Length) }).Distinct();
            foreach (int k in picks)
            {
                float value = (float)p[tensor][k];
                double fd = (LossWith(t, p, tensor, k, value + h, x, y, rows) - LossWith(t, p, tensor, k, value - h, x, y, rows))
                    / ((double)(value + h) - (value - h));
                Check.Close(grad[k], fd, 3e-2, floor, $"{name} finite difference of the library loss along {tensor}[{k}]");
            }
        }
    }

    private static float LossWith(TrainerBase t, Dictionary<string, double[]> p, string tensor, int k, float value, float[] x, float[] y, int rows)
    {
        ConvCases.Write(t, p);
        var values = p[tensor].Select(v => (float)v).ToArray();
        values[k] = value;
        t.SetParameter(tensor, values);
        return t.TrainStep(x, y, rows);
    }

    /// <summary>The same seed gives bit-identical weights after several Adam steps, whatever the thread count (dropout included).</summary>
    [Theory]
    [MemberData(nameof(ConvCases.Names), MemberType = typeof(ConvCases))]
    public void Training_is_bit_identical_for_any_thread_count(string name)
    {
        var c = ConvCases.All[name];
        var net = c.Reference;
        var rng = new Random(TestData.Seed(name, 13));
        const int rows = 11;
        var x = TestData.Inputs(rng, rows, net.Input.Size);
        var y = ConvCases.Targets(rng, net, rows);
        Dictionary<string, float[]>? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var t = c.Create(new TrainerOptions { Optimizer = Optimizer.Adam(1e-2f), BatchSize = rows, Seed = 21, ThreadCount = threads });
            for (int step = 0; step < 3; step++)
                t.TrainStep(x, y, rows);
            var weights = TestData.Snapshot(t);
            if (first is null) first = weights;
            else Check.BitEqual(first, weights, $"{name} after 3 steps on {threads} threads");
        }
    }

    [Theory]
    [MemberData(nameof(ConvCases.Names), MemberType = typeof(ConvCases))]
    public void ModelInfo_has_PyTorch_names_and_shapes(string name)
    {
        var c = ConvCases.All[name];
        var net = c.Reference;
        Assert.Equal(net.ParameterNames.ToArray(), c.Info.ParameterNames.ToArray());
        foreach (var tensor in net.ParameterNames)
            Assert.Equal(net.ShapeOf(tensor), c.Info.FindParameter(tensor)!.Shape);
        Assert.Equal(net.Input.Size, c.Info.Inputs);
        Assert.Equal(net.Classes, c.Info.Classes);
        Assert.Equal(net.OutputsPerRow, c.Info.OutputsPerRow);
        Assert.Equal(net.ParameterNames.Sum(net.Length), c.Info.ParameterCount);
    }
}
