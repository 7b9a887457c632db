using System;
using Xunit;

namespace SoftGen.Tests.Training;

public sealed class AllocationTests
{
    [Theory]
    [InlineData("sgd")]
    [InlineData("adamw")]
    public void TrainStep_and_Predict_allocate_nothing_after_warm_up(string optimizer)
    {
        var (x, y) = Data.Make(8);
        var p = new float[16];
        var classes = new int[8];
        using var t = new LinearTrainer(Data.Options(optimizer == "sgd" ? Optimizer.Sgd(0.01f, 0.9f) : Optimizer.AdamW(1e-3f), batchSize: 8));
        for (int k = 0; k < 10; k++)
        {
            t.TrainStep(x, y, 8);
            t.PredictProbabilities(x, p, 8);
            t.PredictClasses(x, classes, 8);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 100; k++) t.TrainStep(x, y, 8);
        long afterTrain = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 100; k++) t.PredictProbabilities(x, p, 8);
        long afterPredict = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 100; k++) t.PredictClasses(x, classes, 8);
        long afterClasses = GC.GetAllocatedBytesForCurrentThread();

        Assert.Equal(0, afterTrain - before);
        Assert.Equal(0, afterPredict - afterTrain);
        Assert.Equal(0, afterClasses - afterPredict);
    }
}

public sealed unsafe class BufferTests
{
    [Fact]
    public void AllocateBuffer_and_storage_are_64_byte_aligned_and_zeroed()
    {
        using var t = new LinearTrainer(Data.Options(Optimizer.Adam()));
        Assert.Equal(0UL, (ulong)t.Scratch % 64);
        for (int k = 0; k < 16; k++) Assert.Equal(0f, t.Scratch[k]); // 2 floats asked for, rounded up to 16
        Assert.Equal(0UL, (ulong)t.StorageAddress % 64);
    }
}
