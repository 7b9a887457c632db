using System;
using System.Collections.Generic;
using System.Linq;
using ConvModels;
using SoftGen.Cpu;
using SoftGen.Tests.EndToEnd;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Conv;

/// <summary>A declared image model, its generated trainer factory and an independent float64 description of it.</summary>
public sealed record ConvCase(string Name, RefNet Reference, Func<TrainerOptions, TrainerBase> Create, ModelInfo Info)
{
    public override string ToString() => Name;
}

public static class ConvCases
{
    private static ConvCase Case(string name, RefNet net, Func<TrainerOptions, TrainerBase> create, ModelInfo info) => new(name, net, create, info);

    private static RefLayer Conv(int f, int k, Activation a = Activation.None, int stride = 1, int padding = 0) => RefLayer.Conv(f, k, a, stride, padding);

    public static readonly IReadOnlyDictionary<string, ConvCase> All = new[]
    {
        Case(nameof(OddConvNet),
            new RefNet(new RefShape(3, 5, 7), new[] { Conv(4, 3, Activation.Relu, padding: 1), Conv(5, 3, Activation.Tanh, stride: 2), RefLayer.Dense(3) },
                RefLoss.SoftmaxCrossEntropy, labelSmoothing: 0.1f),
            o => OddConvNet.CreateTrainer(o), OddConvNet.Trainer.ModelInfo),
        Case(nameof(PoolNet),
            new RefNet(new RefShape(2, 6, 6), new[] { Conv(3, 3, Activation.LeakyRelu, padding: 1), RefLayer.MaxPool(2), Conv(17, 1, Activation.Gelu),
                RefLayer.AvgPool(3), RefLayer.Dense(4) }, RefLoss.KLDivergence),
            o => PoolNet.CreateTrainer(o), PoolNet.Trainer.ModelInfo),
        Case(nameof(GapNet),
            new RefNet(new RefShape(1, 7, 5), new[] { Conv(6, 3, Activation.Sigmoid, stride: 2, padding: 1), RefLayer.Gap(), RefLayer.Dense(3) },
                RefLoss.SigmoidCrossEntropy),
            o => GapNet.CreateTrainer(o), GapNet.Trainer.ModelInfo),
        Case(nameof(DropoutNet),
            new RefNet(new RefShape(1, 6, 6), new[] { Conv(4, 3, Activation.Relu, padding: 1), RefLayer.Dropout(0.3f), Conv(18, 3, Activation.Relu, stride: 2, padding: 1),
                RefLayer.MaxPool(3), RefLayer.Dense(8, Activation.Tanh), RefLayer.Dropout(0.5f), RefLayer.Dense(3) }, RefLoss.SoftmaxCrossEntropy),
            o => DropoutNet.CreateTrainer(o), DropoutNet.Trainer.ModelInfo),
        Case(nameof(PixelKl),
            new RefNet(new RefShape(2, 5, 7), new[] { Conv(8, 3, Activation.Relu, padding: 1), Conv(3, 1) }, RefLoss.KLDivergence),
            o => PixelKl.CreateTrainer(o), PixelKl.Trainer.ModelInfo),
        Case(nameof(PixelSoftmax),
            new RefNet(new RefShape(1, 4, 6), new[] { Conv(5, 3, Activation.Tanh, padding: 1), Conv(2, 3, padding: 1) }, RefLoss.SoftmaxCrossEntropy,
                labelSmoothing: 0.2f, temperature: 2f),
            o => PixelSoftmax.CreateTrainer(o), PixelSoftmax.Trainer.ModelInfo),
        Case(nameof(PixelSigmoid),
            new RefNet(new RefShape(1, 7, 5), new[] { Conv(4, 3, Activation.Gelu, stride: 2), Conv(2, 1) }, RefLoss.SigmoidCrossEntropy),
            o => PixelSigmoid.CreateTrainer(o), PixelSigmoid.Trainer.ModelInfo),
    }.ToDictionary(c => c.Name);

    public static TheoryData<string> Names
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var name in All.Keys) data.Add(name);
            return data;
        }
    }

    /// <summary>The keep decisions of the dropout layers in the trainer's next step (its seed and step count).</summary>
    public static Func<int, long, bool> DropoutOf(RefNet net, int seed, long step) =>
        (layer, index) => DropoutKernels.IsKept((float)net.Layers[layer].Rate, seed, step, layer, index);

    /// <summary>
    /// Targets per row (and per pixel for a per-pixel head), NCHW. Softmax family: one-hot; soft with exact zeros;
    /// soft, all positive. Sigmoid: per value 0, 1, 0.1, 0.9 or uniform.
    /// </summary>
    public static float[] Targets(Random rng, RefNet net, int rows)
    {
        int classes = net.Classes, pixels = net.Pixels;
        var y = new float[rows * classes * pixels];
        var w = new double[classes];
        for (int r = 0; r < rows; r++)
            for (int p = 0; p < pixels; p++)
            {
                if (net.Loss == RefLoss.SigmoidCrossEntropy)
                {
                    for (int c = 0; c < classes; c++)
                        y[(r * classes + c) * pixels + p] = rng.Next(5) switch { 0 => 0f, 1 => 1f, 2 => 0.1f, 3 => 0.9f, _ => (float)rng.NextDouble() };
                    continue;
                }
                Array.Clear(w);
                switch ((r + p) % 3)
                {
                    case 0:
                        w[rng.Next(classes)] = 1;
                        break;
                    case 1:
                        w[rng.Next(classes)] = 0.2 + rng.NextDouble();
                        w[rng.Next(classes)] += 0.2 + rng.NextDouble();
                        break;
                    default:
                        for (int c = 0; c < classes; c++) w[c] = 0.05 + rng.NextDouble();
                        break;
                }
                double sum = w.Sum();
                for (int c = 0; c < classes; c++) y[(r * classes + c) * pixels + p] = (float)(w[c] / sum);
            }
        return y;
    }

    /// <summary>Biases start at 0; give them random float values so that their gradients matter.</summary>
    public static void RandomizeBiases(TrainerBase trainer, RefNet net, Random rng)
    {
        foreach (var name in net.ParameterNames.Where(n => n.EndsWith(".bias", StringComparison.Ordinal)))
        {
            var b = new float[net.Length(name)];
            for (int k = 0; k < b.Length; k++) b[k] = (float)((rng.NextDouble() * 2 - 1) * 0.3);
            trainer.SetParameter(name, b);
        }
    }

    public static void Write(TrainerBase trainer, Dictionary<string, double[]> parameters)
    {
        foreach (var (name, values) in parameters)
            trainer.SetParameter(name, values.Select(v => (float)v).ToArray());
    }
}
