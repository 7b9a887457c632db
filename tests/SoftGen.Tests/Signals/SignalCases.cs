using System;
using System.Collections.Generic;
using SignalModels;
using SoftGen.Tests.ResidualNetworks;
using SoftGen.Training;

namespace SoftGen.Tests.Signals;

/// <summary>Each issue-14 test model with its float64 description, written from the declaration and not from the plan.</summary>
public static class SignalCases
{
    public static readonly Dictionary<string, ResidualCase> All = new()
    {
        ["TinyEegNet"] = new(o => TinyEegNet.CreateTrainer(o), () => new ResidualReference((3, 1, 23), 0,
            ROp.Conv1D(6, 5, stride: 2, padding: 2, bias: false), ROp.BatchNorm(Activation.Silu), ROp.MaxPool1D(2),
            ROp.Residual(),
            ROp.Conv1D(6, 3, padding: 2, dilation: 2, bias: false), ROp.BatchNorm(Activation.Silu),
            ROp.Conv1D(6, 3, padding: 1, groups: 6), ROp.SqueezeExcitation(2),
            ROp.EndResidual(Activation.Silu),
            ROp.Residual(),
            ROp.Conv1D(8, 3, stride: 2, padding: 1, groups: 2, bias: false), ROp.BatchNorm(),
            ROp.EndResidual(Activation.Relu),
            ROp.GemPool(), ROp.Dense(4)) { KLDivergence = true }, 3 * 23, 4),
        ["RectNet"] = new(o => RectNet.CreateTrainer(o), () => new ResidualReference((2, 7, 9), 0.05,
            ROp.Conv(4, (3, 5), (1, 2), (0, 2), Activation.Relu),
            ROp.Conv(4, 3, padding: 2, dilation: 2, groups: 4, bias: false), ROp.BatchNorm(Activation.Mish),
            ROp.SqueezeExcitation(2),
            ROp.Conv(6, 1, Activation.Elu, groups: 2),
            ROp.GemPool(2.5, learnable: false), ROp.Dense(3)), 2 * 7 * 9, 3),
        ["PositionNet"] = new(o => PositionNet.CreateTrainer(o), () => new ResidualReference((2, 1, 10), 0,
            ROp.Conv1D(5, 3, Activation.Gelu, padding: 1), ROp.AvgPool1D(2),
            ROp.Conv1D(3, 3, padding: 2, dilation: 2)) { KLDivergence = true }, 2 * 10, 3),
    };

    /// <summary>Values per target row: the classes, times the positions of a per-position head.</summary>
    public static int TargetLength(string name) => name == "PositionNet" ? 3 * 5 : All[name].Classes;

    /// <summary>Soft targets: each row (each position of a per-position head) a normalised set of random weights, some exactly 0.</summary>
    public static float[] Targets(Random rng, string name, int rows)
    {
        int classes = All[name].Classes, positions = TargetLength(name) / classes;
        var y = new float[rows * classes * positions];
        for (int r = 0; r < rows; r++)
            for (int q = 0; q < positions; q++)
            {
                double sum = 0;
                var w = new double[classes];
                for (int c = 0; c < classes; c++) sum += w[c] = rng.NextDouble() < 0.2 ? 0 : rng.NextDouble();
                if (sum == 0) { w[0] = 1; sum = 1; }
                for (int c = 0; c < classes; c++) y[(r * classes + c) * positions + q] = (float)(w[c] / sum);
            }
        return y;
    }
}
