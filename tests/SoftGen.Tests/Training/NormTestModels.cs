using System;
using SoftGen.Cpu;
using SoftGen.Training;

namespace SoftGen.Tests.Training;

/// <summary>
/// A hand-written stand-in for a generated trainer with one batch norm: BatchNorm1d over the 3 inputs (layers.0, with
/// running statistics) then Dense 3 -> 2 (layers.1), softmax cross-entropy; momentum 0.1, epsilon 1e-5. Storage:
/// gamma [16] at 0, beta [16] at 16, the dense weight's transpose [3, 16] at 32, its bias at 80; state: running_mean
/// at 0, running_var at 16. Its program (<see cref="NormLinearProgram"/>) is plain scalar loops.
/// </summary>
internal sealed class NormLinearTrainer : TrainerBase
{
    public const int Features = 3, Classes = 2, Stride = 16;
    public const int GammaOffset = 0, BetaOffset = 16, WeightOffset = 32, BiasOffset = 80, StorageLength = 96;
    public const int MeanOffset = 0, VarOffset = 16, StateLength = 32;
    public const double Momentum = 0.1, Epsilon = 1e-5;

    public NormLinearTrainer(TrainerOptions options, Func<ModelInfo, TrainerOptions, bool, TrainingProgram?>? openGpu = null)
        : base(MakeModel(), options, (model, o) => new NormLinearProgram(model, o), openGpu)
    {
    }

    public static ModelInfo MakeModel(int pixels = 1) =>
        new("Tests.NormLinear", Features, Classes, LossKind.SoftmaxCrossEntropy, 0f, 1f, StorageLength,
            new[]
            {
                new ParameterInfo("layers.0.weight", Features, 1, GammaOffset, 1, ParameterInit.Ones, 0f) { OneDimensional = true },
                new ParameterInfo("layers.0.bias", Features, 1, BetaOffset, 1, ParameterInit.Zeros, 0f),
                new ParameterInfo("layers.1.weight", Classes, Features, WeightOffset, Stride, ParameterInit.GlorotUniform, 1f),
                new ParameterInfo("layers.1.bias", Classes, 1, BiasOffset, 1, ParameterInit.Zeros, 0f),
            },
            "norm-linear", batchNorms: new[] { new BatchNormInfo(0, Features, MeanOffset, VarOffset, pixels) }, stateLength: StateLength);

    public NormLinearProgram? Cpu => Program as NormLinearProgram;

    /// <summary>The program's <see cref="TrainingProgram.ParametersVersion"/>.</summary>
    public long ParametersVersion => Program is NormLinearProgram cpu ? cpu.Version : throw new InvalidOperationException("CPU only");
}

/// <summary>
/// The CPU program of <see cref="NormLinearTrainer"/>: training normalises with the batch's mean and biased variance
/// and moves the running statistics (PyTorch's rule, unbiased variance); prediction normalises with the running ones.
/// </summary>
internal sealed unsafe class NormLinearProgram(ModelInfo model, TrainerOptions options) : CpuProgram(model, options)
{
    private const int F = NormLinearTrainer.Features, K = NormLinearTrainer.Classes, S = NormLinearTrainer.Stride;
    private readonly double[] _mean = new double[F], _inverseStd = new double[F];
    private readonly double[] _y = new double[F], _logits = new double[K], _dy = new double[F];

    private float* P => Parameters;
    private float* G => Gradients;
    private float* St => State;

    public int ForwardCalls { get; private set; }
    public long Version => ParametersVersion;

    public override float ComputeLossAndGradients(FloatBuffer inputs, FloatBuffer targets, FloatBuffer weights, int rows, long step)
    {
        ForwardCalls++;
        float* x = inputs, t = targets;
        for (int c = 0; c < F; c++)
        {
            double sum = 0, squares = 0;
            for (int r = 0; r < rows; r++) sum += x[r * F + c];
            double mean = sum / rows;
            for (int r = 0; r < rows; r++) squares += (x[r * F + c] - mean) * (x[r * F + c] - mean);
            double variance = squares / rows;
            _mean[c] = mean;
            _inverseStd[c] = 1 / Math.Sqrt(variance + NormLinearTrainer.Epsilon);
            St[NormLinearTrainer.MeanOffset + c] = (float)((1 - NormLinearTrainer.Momentum) * St[NormLinearTrainer.MeanOffset + c] + NormLinearTrainer.Momentum * mean);
            St[NormLinearTrainer.VarOffset + c] = (float)((1 - NormLinearTrainer.Momentum) * St[NormLinearTrainer.VarOffset + c]
                + NormLinearTrainer.Momentum * squares / (rows - 1));
        }

        for (int k = 0; k < NormLinearTrainer.StorageLength; k++) G[k] = 0;
        double loss = 0;
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < F; c++)
                _y[c] = P[NormLinearTrainer.GammaOffset + c] * (x[r * F + c] - _mean[c]) * _inverseStd[c] + P[NormLinearTrainer.BetaOffset + c];
            Dense();
            double max = Math.Max(_logits[0], _logits[1]), sum = 0;
            for (int o = 0; o < K; o++) sum += Math.Exp(_logits[o] - max);
            Array.Clear(_dy);
            for (int o = 0; o < K; o++)
            {
                double logP = _logits[o] - max - Math.Log(sum);
                loss -= t[r * K + o] * logP;
                double d = (Math.Exp(logP) - t[r * K + o]) / rows;
                G[NormLinearTrainer.BiasOffset + o] += (float)d;
                for (int c = 0; c < F; c++)
                {
                    G[NormLinearTrainer.WeightOffset + c * S + o] += (float)(d * _y[c]);
                    _dy[c] += d * P[NormLinearTrainer.WeightOffset + c * S + o];
                }
            }
            for (int c = 0; c < F; c++)
            {
                G[NormLinearTrainer.GammaOffset + c] += (float)(_dy[c] * (x[r * F + c] - _mean[c]) * _inverseStd[c]);
                G[NormLinearTrainer.BetaOffset + c] += (float)_dy[c];
            }
        }
        return (float)(loss / rows);
    }

    public override void ComputeLogits(FloatBuffer inputs, FloatBuffer logits, int rows)
    {
        float* x = inputs, z = logits;
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < F; c++)
                _y[c] = P[NormLinearTrainer.GammaOffset + c] * (x[r * F + c] - St[NormLinearTrainer.MeanOffset + c])
                    / Math.Sqrt(St[NormLinearTrainer.VarOffset + c] + NormLinearTrainer.Epsilon) + P[NormLinearTrainer.BetaOffset + c];
            Dense();
            for (int o = 0; o < K; o++) z[r * K + o] = (float)_logits[o];
        }
    }

    public override void ComputeProbabilities(FloatBuffer inputs, FloatBuffer probabilities, int rows)
    {
        ComputeLogits(inputs, probabilities, rows);
        float* p = probabilities;
        for (int r = 0; r < rows; r++)
        {
            double max = Math.Max(p[r * K], p[r * K + 1]), sum = 0;
            for (int o = 0; o < K; o++) sum += Math.Exp(p[r * K + o] - max);
            for (int o = 0; o < K; o++) p[r * K + o] = (float)(Math.Exp(p[r * K + o] - max) / sum);
        }
    }

    private void Dense()
    {
        for (int o = 0; o < K; o++)
        {
            double z = P[NormLinearTrainer.BiasOffset + o];
            for (int c = 0; c < F; c++) z += P[NormLinearTrainer.WeightOffset + c * S + o] * _y[c];
            _logits[o] = z;
        }
    }
}
