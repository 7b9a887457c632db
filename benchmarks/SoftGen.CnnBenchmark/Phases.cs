using System;
using System.Diagnostics;
using SoftGen.Cpu;
using Classify;

namespace SoftGen.CnnBenchmark;

/// <summary>The shapes of FashionCnn's layers, for timing each kernel on its own (the same constants the generator emits).</summary>
internal readonly struct Conv1 : IConvShape
{
    public static int InChannels => 1; public static int InChannelStride => 1; public static int InHeight => 28; public static int InWidth => 28;
    public static int OutChannels => 32; public static int OutChannelStride => 32; public static int OutHeight => 28; public static int OutWidth => 28;
    public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
    public static int PaddingHeight => 1; public static int PaddingWidth => 1; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 1;
}

internal readonly struct Pool1 : IPoolShape
{
    public static int Channels => 32; public static int ChannelStride => 32; public static int Height => 28; public static int Width => 28; public static int SizeHeight => 2; public static int SizeWidth => 2;
}

internal readonly struct Conv2 : IConvShape
{
    public static int InChannels => 32; public static int InChannelStride => 32; public static int InHeight => 14; public static int InWidth => 14;
    public static int OutChannels => 64; public static int OutChannelStride => 64; public static int OutHeight => 14; public static int OutWidth => 14;
    public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
    public static int PaddingHeight => 1; public static int PaddingWidth => 1; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 1;
}

internal readonly struct Pool2 : IPoolShape
{
    public static int Channels => 64; public static int ChannelStride => 64; public static int Height => 14; public static int Width => 14; public static int SizeHeight => 2; public static int SizeWidth => 2;
}

internal readonly struct Dense1 : IDenseShape
{
    public static int In => 3136; public static int InStride => 3136; public static int Out => 128; public static int OutStride => 128;
}

internal readonly struct Dense2 : IDenseShape
{
    public static int In => 128; public static int InStride => 128; public static int Out => 10; public static int OutStride => 16;
}

/// <summary>Each phase of a FashionCnn training step, timed alone: the best of several passes, with its GFLOP/s.</summary>
internal static unsafe class Phases
{
    public sealed record Phase(string Name, double Milliseconds, double Gflop, double GflopPerSecond);

    public static Phase[] Measure(int batch, int threads, int passes)
    {
        using var pool = new WorkerPool(threads);
        var random = new Random(1);
        float* Buffer(long n, bool fill)
        {
            var p = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(n * 4), 64);
            for (long k = 0; k < n; k++) p[k] = fill ? (float)(random.NextDouble() - 0.3) : 0f;
            return p;
        }
        var x = Buffer(batch * 784, true);
        var w1 = Buffer(9 * 32 + 32, true);
        var a1 = Buffer(batch * 25088, false);
        var d1 = Buffer(batch * 25088, true);
        var p1 = Buffer(batch * 6272, false);
        var dp1 = Buffer(batch * 6272, true);
        var w2 = Buffer(288 * 64 + 64, true);
        var wr2 = Buffer(9 * 64 * 32, false);
        var a2 = Buffer(batch * 12544, false);
        var d2 = Buffer(batch * 12544, true);
        var p2 = Buffer(batch * 3136, false);
        var dp2 = Buffer(batch * 3136, true);
        var w3 = Buffer(3136 * 128 + 128, true);
        var w3t = Buffer(3136 * 128, false);
        var a3 = Buffer(batch * 128, false);
        var d3 = Buffer(batch * 128, true);
        var g1 = Buffer(9 * 32 + 32, false);
        var g2 = Buffer(288 * 64 + 64, false);
        var g3 = Buffer(3136 * 128 + 128, false);
        var partials1 = Buffer(ConvKernels.WeightPartialsLength<Conv1>(batch), false);
        var partials2 = Buffer(ConvKernels.WeightPartialsLength<Conv2>(batch), false);
        ConvKernels.Forward<Conv1, Relu>(pool, x, w1, w1 + 288, null, a1, batch);
        ConvKernels.Forward<Conv2, Relu>(pool, p1, w2, w2 + 18432, null, a2, batch);

        double conv1 = 2.0 * batch * 784 * 32 * 9 / 1e9, conv2 = 2.0 * batch * 196 * 64 * 288 / 1e9, dense1 = 2.0 * batch * 3136 * 128 / 1e9;
        return new[]
        {
            Time("conv1+pool1 forward", conv1, passes, () => ConvKernels.ForwardMaxPool<Conv1, Pool1, Relu>(pool, x, w1, w1 + 288, p1, batch)),
            Time("conv2 forward", conv2, passes, () => ConvKernels.Forward<Conv2, Relu>(pool, p1, w2, w2 + 18432, null, a2, batch)),
            Time("pool2 forward", 0, passes, () => PoolKernels.MaxForward<Pool2>(pool, a2, p2, batch)),
            Time("dense1 forward", dense1, passes, () => DenseKernels.Forward<Dense1, Relu>(pool, p2, w3, w3 + 401408, null, a3, batch)),
            Time("dense1 weights", dense1, passes, () => DenseKernels.BackwardWeights<Dense1>(pool, p2, d3, g3, g3 + 401408, batch)),
            Time("dense1 inputs", dense1, passes, () => DenseKernels.BackwardInputs<Dense1, Identity>(pool, d3, w3, w3t, null, p2, dp2, batch)),
            Time("pool2 backward", 0, passes, () => PoolKernels.MaxBackward<Pool2, Relu>(pool, dp2, p2, null, a2, d2, batch)),
            Time("conv2 weights", conv2, passes, () => ConvKernels.BackwardWeights<Conv2>(pool, p1, d2, g2, g2 + 18432, partials2, batch)),
            Time("conv2 inputs", conv2, passes, () => ConvKernels.BackwardInputs<Conv2, Identity>(pool, d2, w2, wr2, null, p1, dp1, batch)),
            Time("pool1+conv1 weights", conv1, passes, () => ConvKernels.BackwardWeightsMaxPool<Conv1, Pool1, Relu>(pool, x, w1, w1 + 288, p1, dp1, g1, g1 + 288, partials1, batch)),
            // The same work unfused (what a step ran before the fusion), for comparison: not part of the step.
            Time("unfused: conv1 forward", conv1, passes, () => ConvKernels.Forward<Conv1, Relu>(pool, x, w1, w1 + 288, null, a1, batch)),
            Time("unfused: pool1 forward", 0, passes, () => PoolKernels.MaxForward<Pool1>(pool, a1, p1, batch)),
            Time("unfused: pool1 backward", 0, passes, () => PoolKernels.MaxBackward<Pool1, Relu>(pool, dp1, p1, null, a1, d1, batch)),
            Time("unfused: conv1 weights", conv1, passes, () => ConvKernels.BackwardWeights<Conv1>(pool, x, d1, g1, g1 + 288, partials1, batch)),
            TrainStep(batch, threads, passes),
        };
    }

    /// <summary>A whole TrainStep of the generated trainer (validation, head and Adam included), to compare with the sum of the phases.</summary>
    private static Phase TrainStep(int batch, int threads, int passes)
    {
        using var trainer = FashionCnn.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.Adam(1e-3f), BatchSize = batch, Seed = 1, ThreadCount = threads });
        return TrainStep(trainer, "FashionCnn", batch, passes);
    }

    /// <summary>The best of <paramref name="passes"/> TrainSteps of <paramref name="trainer"/> on a random batch of images with one-hot targets.</summary>
    internal static Phase TrainStep(SoftGen.Training.TrainerBase trainer, string model, int batch, int passes)
    {
        var random = new Random(2);
        var images = new float[batch * 784];
        var targets = new float[batch * 10];
        for (int i = 0; i < images.Length; i++) images[i] = (float)random.NextDouble();
        for (int r = 0; r < batch; r++) targets[r * 10 + random.Next(10)] = 1f;
        return Time("training step", 3 * Program.FlopPerSample(model) * batch / 1e9, passes, () => trainer.TrainStep(images, targets, batch));
    }

    internal static Phase Time(string name, double gflop, int passes, Action run)
    {
        run();
        double best = double.MaxValue;
        for (int p = 0; p < passes; p++)
        {
            long start = Stopwatch.GetTimestamp();
            run();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        return new Phase(name, Math.Round(best, 3), Math.Round(gflop, 4), gflop > 0 ? Math.Round(gflop / (best / 1000), 1) : 0);
    }
}
