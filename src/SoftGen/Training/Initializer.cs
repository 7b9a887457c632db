using System;
using System.Collections.Generic;

namespace SoftGen.Training;

/// <summary>
/// Fills the parameters from the trainer's init stream, in table order and, within a parameter, in PyTorch's
/// row-major order ([o, i]); Zeros and Ones draw nothing. Padding is left untouched (0).
/// </summary>
internal static unsafe class Initializer
{
    public static void Initialize(float* storage, IReadOnlyList<ParameterInfo> parameters, ref DeterministicRandom random)
    {
        foreach (var p in parameters)
        {
            double bound = Bound(p);
            for (int o = 0; o < p.Rows; o++)
                for (int i = 0; i < p.Columns; i++)
                {
                    // U(-bound, bound) from 53 random bits; the arithmetic is all IEEE-exact, so it is the same everywhere.
                    float value = p.Init switch
                    {
                        ParameterInit.Zeros => 0f,
                        ParameterInit.Ones => 1f,
                        ParameterInit.Constant => p.Gain,
                        _ => (float)(bound * (2.0 * random.NextDouble() - 1.0)),
                    };
                    storage[ParameterLayout.Index(p, o, i)] = value;
                }
        }
    }

    /// <summary>Batch norm's running statistics as PyTorch starts them: running_mean 0, running_var 1 (padding 0).</summary>
    public static void InitializeState(float* state, IReadOnlyList<BatchNormInfo> batchNorms)
    {
        foreach (var b in batchNorms)
            for (int c = 0; c < b.Channels; c++)
            {
                state[b.RunningMeanOffset + c] = 0f;
                state[b.RunningVarOffset + c] = 1f;
            }
    }

    /// <summary>The half-width of the uniform distribution; fan_in = Columns, fan_out = Rows (times the kernel area for a Conv2D), as PyTorch.</summary>
    public static double Bound(ParameterInfo p) => p.Init switch
    {
        ParameterInit.Zeros or ParameterInit.Ones or ParameterInit.Constant => 0.0,
        ParameterInit.KaimingUniform => p.Gain * Math.Sqrt(3.0 / p.Columns),
        ParameterInit.GlorotUniform => p.Gain * Math.Sqrt(6.0 / (p.Columns + p.FanOut)),
        _ => throw new ArgumentOutOfRangeException(nameof(p), p.Init, $"Parameter '{p.Name}' has an unknown initialisation rule."),
    };
}
