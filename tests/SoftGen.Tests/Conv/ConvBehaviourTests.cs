using System;
using System.Linq;
using ConvModels;
using SoftGen.Cpu;
using SoftGen.Tests.EndToEnd;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Conv;

/// <summary>Per-pixel targets and metrics, dropout's masks, and the allocation contract for image models.</summary>
public sealed class ConvBehaviourTests
{
    private static void AssertNoAllocation(TrainerBase t, float[] x, float[] y, int rows)
    {
        var p = new float[rows * t.Model.OutputsPerRow];
        var predicted = new int[rows * t.Model.OutputPixels];
        for (int k = 0; k < 5; k++)
        {
            t.TrainStep(x, y, rows);
            t.PredictProbabilities(x, p, rows);
            t.PredictClasses(x, predicted, rows);
        }
        long start = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 20; k++) t.TrainStep(x, y, rows);
        long afterTrain = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 20; k++) t.PredictProbabilities(x, p, rows);
        long afterPredict = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 20; k++) t.PredictClasses(x, predicted, rows);
        long afterClasses = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, afterTrain - start);
        Assert.Equal(0, afterPredict - afterTrain);
        Assert.Equal(0, afterClasses - afterPredict);
    }

    [Fact]
    public void An_mnist_sized_cnn_with_dropout_allocates_nothing_per_step()
    {
        var rng = new Random(41);
        const int rows = 32;
        var x = TestData.Inputs(rng, rows, 784, scale: 1);
        var y = new float[rows * 10];
        for (int r = 0; r < rows; r++) y[r * 10 + r % 10] = 1f;
        using var t = MnistCnn.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.AdamW(1e-3f), BatchSize = rows, Seed = 1, ThreadCount = 2 });
        AssertNoAllocation(t, x, y, rows);
    }

    [Fact]
    public void A_per_pixel_model_allocates_nothing_per_step()
    {
        var c = ConvCases.All[nameof(PixelKl)];
        var rng = new Random(42);
        const int rows = 9;
        var x = TestData.Inputs(rng, rows, c.Reference.Input.Size);
        var y = ConvCases.Targets(rng, c.Reference, rows);
        using var t = c.Create(new TrainerOptions { BatchSize = 16, Seed = 1, ThreadCount = 2 });
        AssertNoAllocation(t, x, y, rows);
    }

    [Fact]
    public void Per_pixel_targets_are_checked_at_every_pixel_and_named()
    {
        var c = ConvCases.All[nameof(PixelKl)]; // 3 classes at 5x7 pixels
        var rng = new Random(43);
        const int rows = 3;
        var x = TestData.Inputs(rng, rows, c.Reference.Input.Size);
        var y = ConvCases.Targets(rng, c.Reference, rows);
        using var t = c.Create(new TrainerOptions { BatchSize = rows, Seed = 1, ThreadCount = 1 });
        var before = TestData.Snapshot(t);

        int pixel = 2 * 7 + 3; // (y 2, x 3) of row 1, class 0
        var bad = (float[])y.Clone();
        bad[(1 * 3 + 0) * 35 + pixel] += 0.5f;
        var e = Assert.Throws<ArgumentException>(() => t.TrainStep(x, bad, rows));
        Assert.Contains("Target row 1, pixel (y 2, x 3) sums to", e.Message);
        Assert.Contains("at every pixel", e.Message);

        var negative = (float[])y.Clone();
        negative[(2 * 3 + 1) * 35 + 34] = -0.25f;
        e = Assert.Throws<ArgumentException>(() => t.TrainStep(x, negative, rows));
        Assert.Contains("Target row 2, pixel (y 4, x 6), class 1 is -0.25", e.Message);

        // A row of classes without the pixels is the wrong length.
        e = Assert.Throws<ArgumentException>(() => t.TrainStep(x, new float[rows * 3], rows));
        Assert.Contains($"need {rows * 3 * 35}", e.Message);
        Check.BitEqual(before, TestData.Snapshot(t), "parameters after rejected steps");
        // Calibration checks its targets the same way (per-pixel temperature scaling itself: PixelCalibrationTests).
        e = Assert.Throws<ArgumentException>(() => t.CalibrateTemperature(x, bad));
        Assert.Contains("Target row 1, pixel (y 2, x 3) sums to", e.Message);
    }

    [Theory]
    [InlineData(nameof(PixelKl))]
    [InlineData(nameof(PixelSoftmax))]
    [InlineData(nameof(PixelSigmoid))]
    public void Evaluate_and_PredictClasses_score_every_pixel(string name)
    {
        var c = ConvCases.All[name];
        var net = c.Reference;
        var rng = new Random(TestData.Seed(name, 44));
        const int rows = 7; // two batches of 4
        using var t = c.Create(new TrainerOptions { BatchSize = 4, Seed = 2, ThreadCount = 2 });
        ConvCases.RandomizeBiases(t, net, rng);
        var x = TestData.Inputs(rng, rows, net.Input.Size);
        var y = ConvCases.Targets(rng, net, rows);
        var p = ConvReference.Run(net, ConvReference.Read(net, t), x, y, rows, keep: null, backward: false).Probabilities;
        var e = t.Evaluate(x, y);

        int classes = net.Classes, pixels = net.Pixels;
        bool sigmoid = net.Loss == RefLoss.SigmoidCrossEntropy;
        double correct = 0, nll = 0, kl = 0, brier = 0;
        var predicted = new int[rows * pixels];
        t.PredictClasses(x, predicted, rows);
        for (int r = 0; r < rows; r++)
            for (int q = 0; q < pixels; q++)
            {
                int bestP = 0, bestY = 0;
                var column = Enumerable.Range(0, classes).Select(k => p[(r * classes + k) * pixels + q]).ToArray();
                for (int k = 0; k < classes; k++)
                {
                    double pk = column[k], yk = y[(r * classes + k) * pixels + q];
                    if (pk > column[bestP]) bestP = k;
                    if (yk > y[(r * classes + bestY) * pixels + q]) bestY = k;
                    brier += (pk - yk) * (pk - yk);
                    if (yk > 0) { nll -= yk * Math.Log(pk); kl += yk * Math.Log(yk / pk); }
                    if (sigmoid && yk < 1) { nll -= (1 - yk) * Math.Log(1 - pk); kl += (1 - yk) * Math.Log((1 - yk) / (1 - pk)); }
                    if (sigmoid && (pk >= 0.5) == (yk >= 0.5)) correct++;
                }
                if (!sigmoid && bestP == bestY) correct++;
                var sorted = column.OrderByDescending(v => v).ToArray();
                if (sorted[0] - sorted[1] > 1e-5)
                    Assert.Equal(bestP, predicted[r * pixels + q]);
            }
        double divisor = rows * pixels * (sigmoid ? classes : 1);
        Assert.Equal(rows, e.Count);
        Check.Close(correct / divisor, e.Accuracy, 1e-9, 1e-9, $"{name} accuracy");
        Check.Close(nll / divisor, e.Nll, 1e-4, 1e-6, $"{name} NLL");
        Check.Close(kl / divisor, e.Kl, 1e-4, 1e-6, $"{name} KL");
        Check.Close(brier / divisor, e.Brier, 1e-4, 1e-6, $"{name} Brier");
    }

    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.5f)]
    [InlineData(0.8f)]
    public void Dropout_keeps_about_one_minus_the_rate_and_draws_anew_each_step_and_layer(float rate)
    {
        const int n = 200_000;
        int kept = 0, sameStep = 0, sameLayer = 0;
        for (long k = 0; k < n; k++)
        {
            bool keep = DropoutKernels.IsKept(rate, 7, 3, 1, k);
            if (keep) kept++;
            if (keep == DropoutKernels.IsKept(rate, 7, 4, 1, k)) sameStep++;
            if (keep == DropoutKernels.IsKept(rate, 7, 3, 2, k)) sameLayer++;
        }
        // Binomial standard deviation is at most sqrt(n / 4) ~ 224; allow 5 of them.
        Assert.InRange(kept, n * (1 - rate) - 1120, n * (1 - rate) + 1120);
        // Independent draws agree with probability q^2 + (1 - q)^2.
        double agree = (1 - rate) * (1 - rate) + rate * rate;
        Assert.InRange(sameStep, n * agree - 1120, n * agree + 1120);
        Assert.InRange(sameLayer, n * agree - 1120, n * agree + 1120);
        Assert.True(DropoutKernels.IsKept(0f, 1, 0, 0, 123));
    }

    [Fact]
    public void Dropout_acts_in_training_only_and_repeats_with_the_seed()
    {
        var c = ConvCases.All[nameof(DropoutNet)];
        var net = c.Reference;
        var rng = new Random(45);
        const int rows = 6;
        var x = TestData.Inputs(rng, rows, net.Input.Size);
        var y = ConvCases.Targets(rng, net, rows);
        var options = new TrainerOptions { Optimizer = Optimizer.Adam(1e-2f), BatchSize = rows, Seed = 8, ThreadCount = 2 };
        using var a = c.Create(options);
        using var b = c.Create(options);

        // Prediction is deterministic: no masks.
        var p1 = new float[rows * 3];
        var p2 = new float[rows * 3];
        a.PredictProbabilities(x, p1, rows);
        a.PredictProbabilities(x, p2, rows);
        Assert.Equal(p1, p2);

        // Training draws new masks each step: from the same weights two steps see different losses.
        var start = ConvReference.Read(net, a);
        float first = a.TrainStep(x, y, rows);
        ConvCases.Write(a, start);
        float second = a.TrainStep(x, y, rows);
        Assert.NotEqual(first, second);

        // The same seed repeats the masks and so the weights.
        var reference = ConvReference.Read(net, b);
        Assert.Equal(start.Keys, reference.Keys);
        float bFirst = b.TrainStep(x, y, rows);
        Assert.Equal(first, bFirst);
    }
}
