using System;
using SoftGen.Training;
using EndToEndModels;
using Xunit;

namespace SoftGen.Tests.EndToEnd;

/// <summary>
/// Steady state allocates nothing: after warm-up, 100 TrainStep, PredictProbabilities and PredictClasses calls add
/// 0 bytes to the calling thread's allocation count, with worker threads in use (ThreadCount = 2).
/// </summary>
public sealed class AllocationTests
{
    private static void AssertNoAllocation(TrainerBase t, float[] x, float[] y, int rows, int classes)
    {
        var p = new float[rows * classes];
        var predicted = new int[rows];
        for (int k = 0; k < 5; k++)
        {
            t.TrainStep(x, y, rows);
            t.PredictProbabilities(x, p, rows);
            t.PredictClasses(x, predicted, rows);
        }

        long start = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 100; k++) t.TrainStep(x, y, rows);
        long afterTrain = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 100; k++) t.PredictProbabilities(x, p, rows);
        long afterPredict = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 100; k++) t.PredictClasses(x, predicted, rows);
        long afterClasses = GC.GetAllocatedBytesForCurrentThread();

        Assert.Equal(0, afterTrain - start);
        Assert.Equal(0, afterPredict - afterTrain);
        Assert.Equal(0, afterClasses - afterPredict);
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("adamw")]
    public void Mnist_sized_training_and_prediction_allocate_nothing(string optimizer)
    {
        var rng = new Random(31);
        const int rows = 64;
        var x = TestData.Inputs(rng, rows, 784, scale: 1);
        var y = new float[rows * 10];
        for (int r = 0; r < rows; r++)
        {
            y[r * 10 + r % 10] = 0.9f;
            y[r * 10 + (r + 3) % 10] = 0.1f;
        }
        using var t = MnistMlp.CreateTrainer(new TrainerOptions
        {
            Optimizer = optimizer == "sgd" ? Optimizer.Sgd(0.01f, 0.9f) : Optimizer.AdamW(1e-3f),
            BatchSize = rows,
            Seed = 1,
            ThreadCount = 2,
        });
        AssertNoAllocation(t, x, y, rows, 10);
    }

    /// <summary>The other loss heads and activations (and a partial batch) allocate nothing either.</summary>
    [Theory]
    [MemberData(nameof(ModelCases.NumericNames), MemberType = typeof(ModelCases))]
    public void Every_test_model_allocates_nothing(string name)
    {
        var c = ModelCases.Numeric[name];
        var rng = new Random(32);
        const int rows = 29;
        var x = TestData.Inputs(rng, rows, c.Reference.Inputs);
        var y = TestData.Targets(rng, c.Reference, rows);
        using var t = c.Create(new TrainerOptions { Optimizer = Optimizer.Adam(1e-3f), BatchSize = 32, Seed = 1, ThreadCount = 2 });
        AssertNoAllocation(t, x, y, rows, c.Reference.Classes);
    }

    /// <summary>The residual models (batch norm, layer norm, projection shortcuts, folded prediction) allocate nothing either.</summary>
    [Theory]
    [MemberData(nameof(ResidualNetworks.ResidualCases.Names), MemberType = typeof(ResidualNetworks.ResidualCases))]
    public void Every_residual_model_allocates_nothing(string name)
    {
        var c = ResidualNetworks.ResidualCases.All[name];
        var rng = new Random(33);
        const int rows = 13;
        var x = TestData.Inputs(rng, rows, c.Inputs);
        var y = ResidualNetworks.ResidualCases.Targets(rng, rows, c.Classes);
        using var t = c.Create(new TrainerOptions { Optimizer = Optimizer.AdamW(1e-3f), BatchSize = 16, Seed = 1, ThreadCount = 2 });
        AssertNoAllocation(t, x, y, rows, c.Classes);
    }
}
