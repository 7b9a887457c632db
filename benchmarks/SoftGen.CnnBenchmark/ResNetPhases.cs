using System;
using System.Collections.Generic;
using System.Linq;
using SoftGen.Cpu;
using Classify;
using P = Classify.FashionResNet.CpuTrainingProgram;

namespace SoftGen.CnnBenchmark;

/// <summary>
/// Each kernel of a FashionResNet training step (and of prediction), timed alone with the generated shape structs, so
/// the figures are those of the generated program's own calls; with each one's share of the measured step.
/// </summary>
internal static unsafe class ResNetPhases
{
    public sealed record Phase(string Name, double Milliseconds, double Gflop, double GflopPerSecond, double ShareOfStep);

    public static Phase[] Measure(int batch, int threads, int passes)
    {
        using var pool = new WorkerPool(threads);
        var random = new Random(1);
        var owned = new List<IntPtr>();
        FloatBuffer Buffer(long n, double scale = 0.5, double offset = 0.3)
        {
            var p = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(Math.Max(n, 16) * 4), 64);
            owned.Add((IntPtr)p);
            for (long k = 0; k < n; k++) p[k] = (float)((random.NextDouble() - offset) * scale);
            return *(FloatBuffer*)&p;
        }
        try
        {
            var parameters = Buffer(FashionResNet.Trainer.ModelInfo.StorageLength, 0.2, 0.5);
            var gradients = Buffer(FashionResNet.Trainer.ModelInfo.StorageLength, 0);
            var state = Buffer(FashionResNet.Trainer.ModelInfo.StateLength, 1, 0);
            var x = Buffer(batch * 784, 1, 0);
            FloatBuffer Image(int pixels, int channels) => Buffer((long)batch * pixels * channels);
            // Activations and gradients of each resolution; the same buffers serve every layer of a stage (timing only).
            FloatBuffer a28 = Image(784, 16), b28 = Image(784, 16), c28 = Image(784, 16), d28 = Image(784, 16);
            FloatBuffer a14 = Image(196, 32), b14 = Image(196, 32), c14 = Image(196, 32), d14 = Image(196, 32);
            FloatBuffer a7 = Image(49, 64), b7 = Image(49, 64), c7 = Image(49, 64), d7 = Image(49, 64);
            var mean = Buffer(64, 0.1);
            var invStd = Buffer(64, 1, 0);
            var bnPartials = Buffer(new[] { BatchNormKernels.PartialsLength<P.Layer1>(batch), BatchNormKernels.PartialsLength<P.Layer8>(batch),
                BatchNormKernels.PartialsLength<P.Layer13>(batch) }.Max(), 0);
            var convPartials = Buffer(new[] { ConvKernels.WeightPartialsLength<P.Layer0>(batch), ConvKernels.WeightPartialsLength<P.Layer2>(batch),
                ConvKernels.WeightPartialsLength<P.Layer7>(batch), ConvKernels.WeightPartialsLength<P.Layer9>(batch), ConvKernels.WeightPartialsLength<P.Layer12>(batch),
                ConvKernels.WeightPartialsLength<P.Layer14>(batch), ConvKernels.WeightPartialsLength<P.Shortcut11>(batch), ConvKernels.WeightPartialsLength<P.Shortcut16>(batch) }.Max(), 0);
            var rotated = Buffer(9 * 64 * 64, 0);
            var pooled = Buffer(batch * 64, 1);
            var logits = Buffer(batch * 16, 1);

            double Gemm(long pixels, int outChannels, int depth) => 2.0 * batch * pixels * outChannels * depth / 1e9;
            double stem = Gemm(784, 16, 9), c16 = Gemm(784, 16, 144), c32s2 = Gemm(196, 32, 144), c32 = Gemm(196, 32, 288),
                p32 = Gemm(196, 32, 16), c64s2 = Gemm(49, 64, 288), c64 = Gemm(49, 64, 576), p64 = Gemm(49, 64, 32);
            var W = parameters; var G = gradients;
            var phases = new List<(string Name, double Gflop, Action Run)>
            {
                ("stem conv forward", stem, () => ConvKernels.Forward<P.Layer0, Identity>(pool, x, W + P.Layer0.WeightOffset, W + P.Layer0.BiasOffset, FloatBuffer.Null, a28, batch)),
                ("batch norm forward, 28x28x16 (x3)", 0, () => BatchNormKernels.ForwardTraining<P.Layer1, Relu>(pool, a28, W + P.Layer1.WeightOffset, W + P.Layer1.BiasOffset, state + P.Layer1.RunningMeanOffset, state + P.Layer1.RunningVarOffset, 0.1f, 1e-5f, mean, invStd, bnPartials, FloatBuffer.Null, FloatBuffer.Null, b28, batch)),
                ("batch norm + residual add forward, 28x28x16", 0, () => BatchNormKernels.ForwardTraining<P.Layer5, Relu>(pool, a28, W + P.Layer5.WeightOffset, W + P.Layer5.BiasOffset, state + P.Layer5.RunningMeanOffset, state + P.Layer5.RunningVarOffset, 0.1f, 1e-5f, mean, invStd, bnPartials, c28, FloatBuffer.Null, b28, batch)),
                ("conv 16->16 3x3 forward (x2)", c16, () => ConvKernels.Forward<P.Layer2, Identity>(pool, b28, W + P.Layer2.WeightOffset, W + P.Layer2.BiasOffset, FloatBuffer.Null, a28, batch)),
                ("conv 16->32 3x3 s2 forward", c32s2, () => ConvKernels.Forward<P.Layer7, Identity>(pool, b28, W + P.Layer7.WeightOffset, W + P.Layer7.BiasOffset, FloatBuffer.Null, a14, batch)),
                ("conv 32->32 3x3 forward", c32, () => ConvKernels.Forward<P.Layer9, Identity>(pool, b14, W + P.Layer9.WeightOffset, W + P.Layer9.BiasOffset, FloatBuffer.Null, a14, batch)),
                ("projection 16->32 1x1 s2 forward", p32, () => ConvKernels.Forward<P.Shortcut11, Identity>(pool, b28, W + P.Shortcut11.WeightOffset, W + P.Shortcut11.BiasOffset, FloatBuffer.Null, c14, batch)),
                ("batch norm forward, 14x14x32 (x3)", 0, () => BatchNormKernels.ForwardTraining<P.Layer8, Relu>(pool, a14, W + P.Layer8.WeightOffset, W + P.Layer8.BiasOffset, state + P.Layer8.RunningMeanOffset, state + P.Layer8.RunningVarOffset, 0.1f, 1e-5f, mean, invStd, bnPartials, FloatBuffer.Null, FloatBuffer.Null, b14, batch)),
                ("conv 32->64 3x3 s2 forward", c64s2, () => ConvKernels.Forward<P.Layer12, Identity>(pool, b14, W + P.Layer12.WeightOffset, W + P.Layer12.BiasOffset, FloatBuffer.Null, a7, batch)),
                ("conv 64->64 3x3 forward", c64, () => ConvKernels.Forward<P.Layer14, Identity>(pool, b7, W + P.Layer14.WeightOffset, W + P.Layer14.BiasOffset, FloatBuffer.Null, a7, batch)),
                ("projection 32->64 1x1 s2 forward", p64, () => ConvKernels.Forward<P.Shortcut16, Identity>(pool, b14, W + P.Shortcut16.WeightOffset, W + P.Shortcut16.BiasOffset, FloatBuffer.Null, c7, batch)),
                ("batch norm forward, 7x7x64 (x3)", 0, () => BatchNormKernels.ForwardTraining<P.Layer13, Relu>(pool, a7, W + P.Layer13.WeightOffset, W + P.Layer13.BiasOffset, state + P.Layer13.RunningMeanOffset, state + P.Layer13.RunningVarOffset, 0.1f, 1e-5f, mean, invStd, bnPartials, FloatBuffer.Null, FloatBuffer.Null, b7, batch)),
                ("global average pool + dense forward", 0, () => { PoolKernels.GlobalAverageForward<P.Layer17>(pool, b7, pooled, batch); DenseKernels.Forward<P.Layer18, Identity>(pool, pooled, W + P.Layer18.WeightOffset, W + P.Layer18.BiasOffset, FloatBuffer.Null, logits, batch); }),
                ("batch norm backward, 28x28x16 (x5)", 0, () => BatchNormKernels.Backward<P.Layer3, Identity>(pool, d28, a28, mean, invStd, W + P.Layer3.WeightOffset, G + P.Layer3.WeightOffset, G + P.Layer3.BiasOffset, bnPartials, FloatBuffer.Null, c28, batch)),
                ("residual gradient add, 28x28x16 (x1)", 0, () => ResidualKernels.AddGradient<P.Layer6, Relu>(pool, d28, c28, FloatBuffer.Null, b28, batch)),
                ("stem conv weights", stem, () => ConvKernels.BackwardWeights<P.Layer0>(pool, x, d28, G + P.Layer0.WeightOffset, G + P.Layer0.BiasOffset, convPartials, batch)),
                ("conv 16->16 weights (x2)", c16, () => ConvKernels.BackwardWeights<P.Layer2>(pool, b28, d28, G + P.Layer2.WeightOffset, G + P.Layer2.BiasOffset, convPartials, batch)),
                ("conv 16->16 inputs (x2)", c16, () => ConvKernels.BackwardInputs<P.Layer2, Identity>(pool, d28, W + P.Layer2.WeightOffset, rotated, FloatBuffer.Null, b28, c28, batch)),
                ("conv 16->32 s2 weights", c32s2, () => ConvKernels.BackwardWeights<P.Layer7>(pool, b28, d14, G + P.Layer7.WeightOffset, G + P.Layer7.BiasOffset, convPartials, batch)),
                ("conv 16->32 s2 inputs", c32s2, () => ConvKernels.BackwardInputs<P.Layer7, Identity>(pool, d14, W + P.Layer7.WeightOffset, rotated, FloatBuffer.Null, b28, c28, batch)),
                ("conv 32->32 weights", c32, () => ConvKernels.BackwardWeights<P.Layer9>(pool, b14, d14, G + P.Layer9.WeightOffset, G + P.Layer9.BiasOffset, convPartials, batch)),
                ("conv 32->32 inputs", c32, () => ConvKernels.BackwardInputs<P.Layer9, Identity>(pool, d14, W + P.Layer9.WeightOffset, rotated, FloatBuffer.Null, b14, c14, batch)),
                ("projection 16->32 weights + inputs", 2 * p32, () => { ConvKernels.BackwardWeights<P.Shortcut11>(pool, b28, d14, G + P.Shortcut11.WeightOffset, G + P.Shortcut11.BiasOffset, convPartials, batch); ConvKernels.BackwardInputs<P.Shortcut11, Identity>(pool, d14, W + P.Shortcut11.WeightOffset, rotated, FloatBuffer.Null, b28, c28, batch); }),
                ("batch norm backward, 14x14x32 (x4)", 0, () => BatchNormKernels.Backward<P.Layer8, Identity>(pool, d14, a14, mean, invStd, W + P.Layer8.WeightOffset, G + P.Layer8.WeightOffset, G + P.Layer8.BiasOffset, bnPartials, FloatBuffer.Null, c14, batch)),
                ("conv 32->64 s2 weights", c64s2, () => ConvKernels.BackwardWeights<P.Layer12>(pool, b14, d7, G + P.Layer12.WeightOffset, G + P.Layer12.BiasOffset, convPartials, batch)),
                ("conv 32->64 s2 inputs", c64s2, () => ConvKernels.BackwardInputs<P.Layer12, Identity>(pool, d7, W + P.Layer12.WeightOffset, rotated, FloatBuffer.Null, b14, c14, batch)),
                ("conv 64->64 weights", c64, () => ConvKernels.BackwardWeights<P.Layer14>(pool, b7, d7, G + P.Layer14.WeightOffset, G + P.Layer14.BiasOffset, convPartials, batch)),
                ("conv 64->64 inputs", c64, () => ConvKernels.BackwardInputs<P.Layer14, Identity>(pool, d7, W + P.Layer14.WeightOffset, rotated, FloatBuffer.Null, b7, c7, batch)),
                ("projection 32->64 weights + inputs", 2 * p64, () => { ConvKernels.BackwardWeights<P.Shortcut16>(pool, b14, d7, G + P.Shortcut16.WeightOffset, G + P.Shortcut16.BiasOffset, convPartials, batch); ConvKernels.BackwardInputs<P.Shortcut16, Identity>(pool, d7, W + P.Shortcut16.WeightOffset, rotated, FloatBuffer.Null, b14, c14, batch); }),
                ("batch norm backward, 7x7x64 (x4)", 0, () => BatchNormKernels.Backward<P.Layer13, Identity>(pool, d7, a7, mean, invStd, W + P.Layer13.WeightOffset, G + P.Layer13.WeightOffset, G + P.Layer13.BiasOffset, bnPartials, FloatBuffer.Null, c7, batch)),
            };
            // How many times a step runs each phase (the "(xN)" in its name; 1 otherwise).
            int Count(string name) => name.Contains("(x", StringComparison.Ordinal) ? name[(name.IndexOf("(x", StringComparison.Ordinal) + 2)] - '0' : 1;
            var step = TrainStep(batch, threads, passes);
            var timed = phases.Select(p => Time(p.Name, p.Gflop, passes, p.Run)).ToList();
            return timed.Select(t => t with { ShareOfStep = Math.Round(Count(t.Name) * t.Milliseconds / step.Milliseconds, 3) })
                .Append(step with { ShareOfStep = 1 })
                .ToArray();
        }
        finally
        {
            foreach (var p in owned) System.Runtime.InteropServices.NativeMemory.AlignedFree((void*)p);
        }
    }

    /// <summary>A whole TrainStep of the generated trainer (validation, head and AdamW included).</summary>
    private static Phase TrainStep(int batch, int threads, int passes)
    {
        using var trainer = FashionResNet.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.AdamW(1e-3f), BatchSize = batch, Seed = 1, ThreadCount = threads });
        var p = Phases.TrainStep(trainer, "FashionResNet", batch, passes);
        return new Phase(p.Name, p.Milliseconds, p.Gflop, p.GflopPerSecond, 0);
    }

    /// <summary>Phases.Time's best-of-passes timing, the share of the step filled in later.</summary>
    private static Phase Time(string name, double gflop, int passes, Action run)
    {
        var p = Phases.Time(name, gflop, passes, run);
        return new Phase(p.Name, p.Milliseconds, p.Gflop, p.GflopPerSecond, 0);
    }
}
