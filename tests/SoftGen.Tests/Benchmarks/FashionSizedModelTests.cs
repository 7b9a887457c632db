using System;
using SoftGen.Tests.EndToEnd;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Benchmarks;

/// <summary>The benchmark's workload, 784-512-256-10 ReLU with label smoothing 0.1 (the same declaration as Classify.FashionMlp).</summary>
[SoftModel(Inputs = 784, Classes = 10)]
[Dense(512, Activation.Relu)]
[Dense(256, Activation.Relu)]
[Dense(10)]
[SoftmaxCrossEntropy(LabelSmoothing = 0.1f)]
public partial class BenchmarkMlp;

/// <summary>
/// The benchmark's model at the benchmark's batch size: the thread count changes no bit of the loss, the gradients,
/// the weights after Adam steps or the probabilities; and one step agrees with the float64 reference. At this size
/// every GEMM runs as many 8 x 32 tiles split over the threads, with packed panels (the small test models of
/// EndToEnd/DeterminismTests mostly fit in one tile row).
/// </summary>
public sealed class FashionSizedModelTests
{
    private static readonly RefModel Reference = new(784,
        new[] { (512, Activation.Relu), (256, Activation.Relu), (10, Activation.None) }, RefLoss.SoftmaxCrossEntropy, LabelSmoothing: 0.1);

    private static BenchmarkMlp.Trainer Make(int threads) =>
        BenchmarkMlp.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.Adam(1e-3f), BatchSize = 256, Seed = 11, ThreadCount = threads });

    /// <summary>Pixel-like inputs in [0, 1], a third of them 0, and one-hot or soft targets.</summary>
    private static (float[] X, float[] Y) Batch(Random rng, int rows)
    {
        var x = new float[rows * 784];
        for (int k = 0; k < x.Length; k++) x[k] = rng.Next(3) == 0 ? 0f : (float)rng.NextDouble();
        return (x, TestData.Targets(rng, Reference, rows));
    }

    [Theory]
    [InlineData(256)] // full batch: 32 row tiles
    [InlineData(203)] // a short last tile (203 = 25 x 8 + 3)
    public void Thread_count_does_not_change_any_bit(int rows)
    {
        using var one = Make(1);
        using var two = Make(2);
        using var three = Make(3);
        var rng = new Random(rows);
        for (int step = 0; step < 3; step++)
        {
            var (x, y) = Batch(rng, rows);
            float loss = one.TrainStep(x, y, rows);
            Assert.Equal(loss, two.TrainStep(x, y, rows));
            Assert.Equal(loss, three.TrainStep(x, y, rows));
        }
        foreach (var name in Reference.ParameterNames)
        {
            var expected = new float[one.Model.FindParameter(name)!.Length];
            var actual = new float[expected.Length];
            one.GetGradient(name, expected);
            two.GetGradient(name, actual);
            Assert.Equal(expected, actual);
            three.GetGradient(name, actual);
            Assert.Equal(expected, actual);
        }
        var weights = TestData.Snapshot(one);
        Check.BitEqual(weights, TestData.Snapshot(two), "weights after 3 Adam steps on 2 threads");
        Check.BitEqual(weights, TestData.Snapshot(three), "weights after 3 Adam steps on 3 threads");

        // Inference at the benchmark's batch of 1024 rows (4 calls of 256 inside PredictProbabilities).
        var (probe, _) = Batch(rng, 1024);
        var p1 = new float[1024 * 10];
        var p2 = new float[1024 * 10];
        one.PredictProbabilities(probe, p1, 1024);
        two.PredictProbabilities(probe, p2, 1024);
        Assert.Equal(p1, p2);
        three.PredictProbabilities(probe, p2, 1024);
        Assert.Equal(p1, p2);
    }

    [Fact]
    public void One_step_matches_the_float64_reference()
    {
        const int rows = 203;
        using var trainer = Make(2);
        var rng = new Random(5);
        TestData.RandomizeBiases(trainer, Reference, rng, scale: 0.1);
        var parameters = RefParameters.Read(Reference, trainer);
        var (x, y) = Batch(rng, rows);
        var expected = EndToEnd.Reference.Run(parameters, x, y, rows);

        var probabilities = new float[rows * 10];
        trainer.PredictProbabilities(x, probabilities, rows);
        Check.AllClose(probabilities, expected.Probabilities, 1e-4, 0, 1e-6, "probabilities");

        float loss = trainer.TrainStep(x, y, rows);
        Check.Close(expected.Loss, loss, 1e-5, 1e-7, "loss");
        var gradients = TestData.Gradients(Reference, trainer);
        foreach (var name in Reference.ParameterNames)
            Check.AllClose(gradients[name], expected.Gradients[name], 1e-4, 1e-5, 1e-9, $"d loss / d {name}");
    }
}
