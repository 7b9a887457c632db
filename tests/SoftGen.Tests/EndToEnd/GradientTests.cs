using System;
using System.Linq;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.EndToEnd;

/// <summary>
/// The generated trainers against the float64 reference: the loss TrainStep returns, every gradient GetGradient
/// gives, PredictProbabilities, PredictClasses and Evaluate, on random batches with one-hot, zero-containing and
/// soft targets; then the library's gradients against central differences of the library's own loss.
/// </summary>
public sealed class GradientTests
{
    // Gradients: relative 1e-4, with a floor of 1e-5 of the tensor's largest gradient (float rounding in p - y,
    // where p is close to y, is about 1e-7 of the scale; a wrong term is of the order of the gradient itself).
    private const double GradientRelative = 1e-4, GradientFloorOfMax = 1e-5, GradientFloor = 1e-9;

    /// <summary>(model, rows, threads): one row; a partial batch; a batch over several row blocks, on three threads.</summary>
    public static TheoryData<string, int, int> Cases
    {
        get
        {
            var data = new TheoryData<string, int, int>();
            foreach (var name in ModelCases.Numeric.Keys)
            {
                data.Add(name, 1, 1);
                data.Add(name, 6, 1);
                data.Add(name, 37, 3);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Loss_gradients_and_probabilities_match_the_reference(string name, int rows, int threads)
    {
        var c = ModelCases.Numeric[name];
        var m = c.Reference;
        var rng = new Random(TestData.Seed(name, rows));
        using var t = c.Create(new TrainerOptions { Optimizer = Optimizer.Sgd(0.05f), BatchSize = rows + 3, Seed = 5, ThreadCount = threads });
        TestData.RandomizeBiases(t, m, rng);
        var p = RefParameters.Read(m, t);
        var x = TestData.Inputs(rng, rows, m.Inputs);
        var y = TestData.Targets(rng, m, rows);
        var expected = Reference.Run(p, x, y, rows);

        var probabilities = new float[rows * m.Classes];
        t.PredictProbabilities(x, probabilities, rows);
        Check.AllClose(probabilities, expected.Probabilities, 1e-4, 0, 1e-6, $"{name} probabilities");

        var classes = new int[rows];
        t.PredictClasses(x, classes, rows);
        for (int r = 0; r < rows; r++)
        {
            var row = expected.Probabilities.AsSpan(r * m.Classes, m.Classes).ToArray();
            var sorted = row.OrderByDescending(v => v).ToArray();
            if (sorted[0] - sorted[1] > 1e-5) // not a near tie
                Assert.Equal(Array.IndexOf(row, sorted[0]), classes[r]);
        }

        float loss = t.TrainStep(x, y, rows);
        Check.Close(expected.Loss, loss, 1e-4, 1e-6, $"{name} loss");
        var g = TestData.Gradients(m, t);
        foreach (var tensor in m.ParameterNames)
            Check.AllClose(g[tensor], expected.Gradients[tensor], GradientRelative, GradientFloorOfMax, GradientFloor, $"{name} d loss / d {tensor}");
    }

    /// <summary>Evaluate's metrics at the trainer's parameters against the reference's probabilities.</summary>
    [Theory]
    [MemberData(nameof(ModelCases.NumericNames), MemberType = typeof(ModelCases))]
    public void Evaluate_matches_the_reference(string name)
    {
        var c = ModelCases.Numeric[name];
        var m = c.Reference;
        var rng = new Random(TestData.Seed(name, 3));
        const int rows = 23; // more than one batch of 8
        using var t = c.Create(new TrainerOptions { BatchSize = 8, Seed = 2, ThreadCount = 1 });
        TestData.RandomizeBiases(t, m, rng);
        var x = TestData.Inputs(rng, rows, m.Inputs);
        var y = TestData.Targets(rng, m, rows);
        var p = Reference.Run(RefParameters.Read(m, t), x, y, rows, backward: false).Probabilities;
        var e = t.Evaluate(x, y);

        // PredictProbabilities over more rows than BatchSize (it works through them a batch at a time).
        var predicted = new float[rows * m.Classes];
        t.PredictProbabilities(x, predicted, rows);
        Check.AllClose(predicted, p, 1e-4, 0, 1e-6, $"{name} probabilities of {rows} rows in batches of 8");

        int classes = m.Classes;
        double correct = 0, nll = 0, kl = 0, brier = 0;
        bool sigmoid = m.Loss == RefLoss.SigmoidCrossEntropy;
        for (int r = 0; r < rows; r++)
        {
            int bestP = 0, bestY = 0;
            for (int k = 0; k < classes; k++)
            {
                double pk = p[r * classes + k], yk = y[r * classes + k];
                if (pk > p[r * classes + bestP]) bestP = k;
                if (yk > y[r * classes + bestY]) bestY = k;
                brier += (pk - yk) * (pk - yk);
                if (yk > 0)
                {
                    nll -= yk * Math.Log(pk);
                    kl += yk * Math.Log(yk / pk);
                }
                if (sigmoid && yk < 1)
                {
                    nll -= (1 - yk) * Math.Log(1 - pk);
                    kl += (1 - yk) * Math.Log((1 - yk) / (1 - pk));
                }
            }
            if (bestP == bestY) correct++;
        }
        double divisor = sigmoid ? rows * classes : rows;
        Assert.Equal(rows, e.Count);
        Check.Close(nll / divisor, e.Nll, 1e-4, 1e-6, $"{name} Nll");
        Check.Close(kl / divisor, e.Kl, 1e-4, 1e-6, $"{name} Kl");
        Check.Close(brier / divisor, e.Brier, 1e-4, 1e-6, $"{name} Brier");
        if (!sigmoid) Assert.Equal(correct / rows, e.Accuracy, 1e-12);
    }

    /// <summary>
    /// The library's gradients against central differences of the library's own loss (float, h = 1e-2), each loss
    /// taken by a TrainStep from the same parameters (TrainStep returns the loss from before its update): for each
    /// tensor its three largest-gradient coordinates and two seeded random ones.
    /// </summary>
    [Theory]
    [MemberData(nameof(ModelCases.NumericNames), MemberType = typeof(ModelCases))]
    public void Library_gradients_match_finite_differences_of_the_library_loss(string name)
    {
        var c = ModelCases.Numeric[name];
        var m = c.Reference;
        var rng = new Random(TestData.Seed(name, 4));
        const int rows = 8;
        using var t = c.Create(new TrainerOptions { Optimizer = Optimizer.Sgd(1e-3f), BatchSize = rows, Seed = 9, ThreadCount = 1 });
        TestData.RandomizeBiases(t, m, rng);
        var p = RefParameters.Read(m, t);
        var x = TestData.Inputs(rng, rows, m.Inputs);
        var y = TestData.Targets(rng, m, rows);
        float loss = t.TrainStep(x, y, rows);
        var g = TestData.Gradients(m, t);

        const float h = 1e-2f;
        // Float rounding of a loss near |loss| is a few ulps; divided by 2h it is the floor of what differences see.
        double floor = 2e-6 * (1 + Math.Abs(loss)) / h;
        foreach (var tensor in m.ParameterNames)
        {
            var grad = g[tensor];
            var picks = Enumerable.Range(0, grad.Length).OrderByDescending(k => Math.Abs(grad[k])).Take(3)
                .Concat(new[] { rng.Next(grad.Length), rng.Next(grad.Length) }).Distinct();
            foreach (int k in picks)
            {
                float value = (float)p[tensor][k];
                float plus = value + h, minus = value - h;
                double fd = (LossWith(t, p, tensor, k, plus, x, y, rows) - LossWith(t, p, tensor, k, minus, x, y, rows)) / ((double)plus - minus);
                Check.Close(grad[k], fd, 2e-2, floor, $"{name} finite difference of the library loss along {tensor}[{k}]");
            }
        }

        // The evaluations above restored the parameters before each step; the loss at p is still what it was.
        p.Write(t);
        Assert.Equal(loss, t.TrainStep(x, y, rows));
    }

    /// <summary>Spans that start 1, 2 or 3 floats past an array's start (not 16- or 64-byte aligned) give the same bits.</summary>
    [Theory]
    [MemberData(nameof(ModelCases.NumericNames), MemberType = typeof(ModelCases))]
    public void Unaligned_spans_give_identical_results(string name)
    {
        var c = ModelCases.Numeric[name];
        var m = c.Reference;
        var rng = new Random(TestData.Seed(name, 6));
        const int rows = 19;
        var x = TestData.Inputs(rng, rows, m.Inputs);
        var y = TestData.Targets(rng, m, rows);
        var options = new TrainerOptions { Optimizer = Optimizer.Adam(0.01f), BatchSize = rows, Seed = 4, ThreadCount = 2 };
        using var aligned = c.Create(options);
        float expectedLoss = aligned.TrainStep(x, y, rows);
        var expectedP = new float[rows * m.Classes];
        aligned.PredictProbabilities(x, expectedP, rows);
        var expected = TestData.Snapshot(aligned);

        for (int offset = 1; offset <= 3; offset++)
        {
            var xs = new float[x.Length + offset];
            var ys = new float[y.Length + offset + 1];
            x.CopyTo(xs, offset);
            y.CopyTo(ys, offset + 1);
            using var t = c.Create(options);
            Assert.Equal(expectedLoss, t.TrainStep(xs.AsSpan(offset), ys.AsSpan(offset + 1), rows));
            Check.BitEqual(expected, TestData.Snapshot(t), $"parameters after a step on inputs at offset {offset}");
            var ps = new float[expectedP.Length + offset];
            t.PredictProbabilities(xs.AsSpan(offset), ps.AsSpan(offset), rows);
            Assert.Equal(expectedP, ps[offset..]);
        }
    }

    private static float LossWith(TrainerBase t, RefParameters p, string tensor, int k, float value, float[] x, float[] y, int rows)
    {
        p.Write(t);
        var values = p[tensor].Select(v => (float)v).ToArray();
        values[k] = value;
        t.SetParameter(tensor, values);
        return t.TrainStep(x, y, rows);
    }
}
