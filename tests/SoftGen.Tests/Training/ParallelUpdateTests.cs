using System;
using SoftGen.Cpu;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Training;

/// <summary>Storage large enough for the optimizer to split its update over the pool.</summary>
public sealed class ParallelUpdateTests
{
    private sealed unsafe class WideTrainer(int threads, Optimizer optimizer) : TrainerBase(Model, new TrainerOptions
    {
        Optimizer = optimizer, BatchSize = 1, ThreadCount = threads, Seed = 5,
    }, (model, options) => new WideProgram(model, options))
    {
        // [250, 300] stored transposed with stride 256: 76,800 floats, columns 250..255 of each stored row padding.
        public static readonly new ModelInfo Model = new("Tests.Wide", 300, 250, LossKind.SoftmaxCrossEntropy, 0, 1, 300 * 256,
            new[] { new ParameterInfo("layers.0.weight", 250, 300, 0, 256, ParameterInit.GlorotUniform, 1f) }, "wide");

        public float[] Storage()
        {
            var s = new float[Model.StorageLength];
            new ReadOnlySpan<float>((float*)Program.AccessHost(willWrite: false).Parameters, s.Length).CopyTo(s);
            return s;
        }

        private sealed class WideProgram(ModelInfo model, TrainerOptions options) : CpuProgram(model, options)
        {
            public override float ComputeLossAndGradients(FloatBuffer inputs, FloatBuffer targets, FloatBuffer weights, int rows, long step)
            {
                for (int i = 0; i < 300; i++)
                    for (int o = 0; o < 250; o++)
                        ((float*)Gradients)[i * 256 + o] = MathF.Sin(0.001f * (i * 250 + o) + step);
                return 1f;
            }

            public override void ComputeProbabilities(FloatBuffer inputs, FloatBuffer probabilities, int rows) { }

            public override void ComputeLogits(FloatBuffer inputs, FloatBuffer logits, int rows) { }
        }
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd)]
    [InlineData(OptimizerKind.AdamW)]
    public void Results_do_not_depend_on_the_thread_count_and_padding_stays_zero(OptimizerKind kind)
    {
        Optimizer Make() => kind == OptimizerKind.Sgd ? Optimizer.Sgd(0.1f, 0.9f) : Optimizer.AdamW(0.01f);
        using var one = new WideTrainer(1, Make());
        using var four = new WideTrainer(4, Make());
        var x = new float[300];
        var y = new float[250];
        y[3] = 1;
        for (int k = 0; k < 3; k++)
        {
            one.TrainStep(x, y, 1);
            four.TrainStep(x, y, 1);
        }
        var a = one.Storage();
        Assert.Equal(a, four.Storage());
        for (int k = 0; k < a.Length; k++)
            if (k % 256 >= 250) Assert.Equal(0f, a[k]);
        Assert.NotEqual(0f, a[0]);
    }
}
