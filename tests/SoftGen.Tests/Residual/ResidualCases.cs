using System;
using System.Collections.Generic;
using System.Linq;
using ResidualModels;
using SoftGen.Tests.EndToEnd;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.ResidualNetworks;

/// <summary>Each residual test model with its float64 description, written from the declaration and not from the plan.</summary>
public sealed record ResidualCase(Func<TrainerOptions, TrainerBase> Create, Func<ResidualReference> Reference, int Inputs, int Classes);

public static class ResidualCases
{
    public static readonly Dictionary<string, ResidualCase> All = new()
    {
        ["TinyResNet"] = new(o => TinyResNet.CreateTrainer(o), () => new ResidualReference((3, 5, 7), 0.1,
            ROp.Conv(4, 3, padding: 1, bias: false), ROp.BatchNorm(Activation.Relu),
            ROp.Residual(),
            ROp.Conv(4, 3, padding: 1, bias: false), ROp.BatchNorm(Activation.Relu),
            ROp.Conv(4, 3, padding: 1, bias: false), ROp.BatchNorm(),
            ROp.EndResidual(Activation.Relu),
            ROp.Residual(),
            ROp.Conv(6, 3, stride: 2, padding: 1, bias: false), ROp.BatchNorm(Activation.Silu),
            ROp.Conv(6, 3, padding: 1, bias: false), ROp.BatchNorm(),
            ROp.EndResidual(Activation.Mish),
            ROp.Gap(), ROp.Dense(3)), 3 * 5 * 7, 3),
        ["NormMlp"] = new(o => NormMlp.CreateTrainer(o), () => new ResidualReference((6, 1, 1), 0,
            ROp.Dense(10, bias: false), ROp.BatchNorm(Activation.Elu, momentum: 0.2f),
            ROp.Residual(),
            ROp.Dense(10), ROp.LayerNorm(Activation.Gelu), ROp.Dense(10, Activation.Tanh),
            ROp.EndResidual(Activation.Silu),
            ROp.Dense(4)), 6, 4),
        ["ConvBnNet"] = new(o => ConvBnNet.CreateTrainer(o), () => new ResidualReference((2, 6, 6), 0,
            ROp.Conv(5, 3, Activation.Relu, padding: 1), ROp.BatchNorm(epsilon: 1e-3f),
            ROp.Residual(),
            ROp.Conv(5, 3, Activation.LeakyRelu, padding: 1), ROp.MaxPool(2), ROp.Conv(7, 1),
            ROp.EndResidual(),
            ROp.Gap(), ROp.Dense(8, Activation.Relu), ROp.BatchNorm(Activation.Tanh), ROp.Dense(3)), 2 * 6 * 6, 3),
    };

    public static TheoryData<string> Names
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var name in All.Keys) data.Add(name);
            return data;
        }
    }

    /// <summary>Soft targets: rows of random positive weights, normalised.</summary>
    public static float[] Targets(Random rng, int rows, int classes)
    {
        var y = new float[rows * classes];
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += y[r * classes + c] = (float)rng.NextDouble();
            for (int c = 0; c < classes; c++) y[r * classes + c] = (float)(y[r * classes + c] / sum);
        }
        return y;
    }

    /// <summary>
    /// Every norm layer's gamma and beta, every bias and every running statistic set to random values, so that no
    /// term of the math is hidden behind an initial 1 or 0.
    /// </summary>
    public static void Randomize(TrainerBase trainer, ResidualReference reference, Random rng)
    {
        if (reference.Parameters.Count == 0) reference.Describe();
        foreach (var (name, length) in reference.Parameters.Concat(reference.Buffers))
        {
            bool isScaleOrVariance = name.EndsWith(".running_var", StringComparison.Ordinal)
                || (name.EndsWith(".weight", StringComparison.Ordinal) && IsNorm(trainer, name));
            bool isExponent = name.EndsWith(".p", StringComparison.Ordinal); // GeM's p, kept in [2, 4]
            if (!isScaleOrVariance && name.EndsWith(".weight", StringComparison.Ordinal)) continue;
            var values = new float[length];
            for (int i = 0; i < length; i++)
                values[i] = isExponent ? (float)(2 + 2 * rng.NextDouble())
                    : isScaleOrVariance ? (float)(0.5 + rng.NextDouble()) : (float)(rng.NextDouble() - 0.5);
            if (reference.Buffers.Contains((name, length))) trainer.SetBuffer(name, values);
            else trainer.SetParameter(name, values);
        }
    }

    /// <summary>
    /// A randomised trainer against its float64 reference: prediction with the running statistics, the training loss,
    /// every gradient against central differences of the reference's loss, and the running statistics after the step.
    /// </summary>
    public static void CheckAgainstReference(ResidualCase c, string name, int rows, int threads, Func<Random, float[]> targets)
    {
        var reference = c.Reference();
        var rng = new Random(TestData.Seed(name, rows));
        using var t = c.Create(new TrainerOptions { Optimizer = Optimizer.Sgd(0.05f), BatchSize = rows + 1, Seed = 7, ThreadCount = threads });
        Randomize(t, reference, rng);
        reference.Read(t);
        var x = TestData.Inputs(rng, rows, c.Inputs);
        var y = targets(rng);

        var expectedLogits = reference.Run(reference.InputOf(x, rows), training: false);
        var logits = new float[expectedLogits.Data.Length];
        t.PredictLogits(x, logits, rows);
        Check.AllClose(logits, expectedLogits.Data, 1e-4, 1e-5, 1e-6, $"{name} prediction logits");

        var gradients = reference.Gradients(x, y, rows);
        var expectedLoss = reference.Loss(reference.Run(reference.InputOf(x, rows), training: true), y);
        float loss = t.TrainStep(x, y, rows);
        Check.Close(expectedLoss, loss, 1e-4, 1e-6, $"{name} loss");
        foreach (var (parameter, length) in reference.Parameters)
        {
            var g = new float[length];
            t.GetGradient(parameter, g);
            Check.AllClose(g, gradients[parameter], 2e-3, 2e-4, 1e-6, $"{name} d loss / d {parameter}");
        }
        foreach (var (buffer, length) in reference.Buffers)
        {
            var v = new float[length];
            t.GetBuffer(buffer, v);
            Check.AllClose(v, reference.State[buffer], 1e-5, 1e-6, 1e-7, $"{name} {buffer} after one step");
        }
    }

    private static bool IsNorm(TrainerBase trainer, string weight) => trainer.Model.FindParameter(weight)?.Init == ParameterInit.Ones;
}
