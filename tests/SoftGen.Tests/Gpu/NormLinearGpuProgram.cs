using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using SoftGen.Gpu;
using SoftGen.Tests.Training;
using SoftGen.Training;

namespace SoftGen.Tests.Gpu;

/// <summary>
/// The GPU program of <see cref="NormLinearTrainer"/>, hand-written: each pass is one single-threaded kernel (the
/// model is tiny), so that the tests exercise GpuProgram's device state buffer and its host mirror, not a kernel's speed.
/// </summary>
internal sealed class NormLinearGpuProgram : GpuProgram
{
    private const int F = NormLinearTrainer.Features, K = NormLinearTrainer.Classes, S = NormLinearTrainer.Stride;
    private const float Momentum = (float)NormLinearTrainer.Momentum, Epsilon = (float)NormLinearTrainer.Epsilon;

    private readonly MemoryBuffer1D<float, Stride1D.Dense> _normalised, _statistics, _logits;
    private readonly System.Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> _forward;
    private readonly System.Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> _backward;
    private readonly System.Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int> _probabilities;

    public static TrainingProgram? Open(ModelInfo model, TrainerOptions options, bool required) =>
        GpuDevice.Open(required) is { } device ? new NormLinearGpuProgram(device, model, options) : null;

    private NormLinearGpuProgram(GpuDevice device, ModelInfo model, TrainerOptions options) : base(device, model, options)
    {
        _normalised = AllocateBuffer((long)BatchCapacity * F);
        _statistics = AllocateBuffer(2 * F);
        _logits = AllocateBuffer((long)BatchCapacity * K);
        _forward = Accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(Forward);
        _backward = Accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(LossAndBackward);
        _probabilities = Accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(Softmax);
    }

    public override int LaunchesPerStep => 3;

    protected override ArrayView<float> Logits => _logits.View;

    protected override void LaunchForward(int rows, bool training, long step) =>
        _forward(Stream, 1, Inputs, Parameters, State, _statistics.View, _normalised.View, _logits.View, rows, training ? 1 : 0);

    protected override void LaunchLossAndBackward(int rows, bool weighted, long step) =>
        _backward(Stream, 1, Targets, Parameters, _normalised.View, _logits.View, _statistics.View, Gradients, Loss, rows);

    protected override void LaunchProbabilities(int rows) => _probabilities(Stream, 1, _logits.View, Output, rows);

    /// <summary>Batch or running statistics into statistics (mean, then 1 / std), the normalised inputs, the logits.</summary>
    private static void Forward(Index1D index, ArrayView<float> x, ArrayView<float> p, ArrayView<float> state,
        ArrayView<float> statistics, ArrayView<float> y, ArrayView<float> logits, int rows, int training)
    {
        for (int c = 0; c < F; c++)
        {
            if (training != 0)
            {
                float sum = 0f, squares = 0f;
                for (int r = 0; r < rows; r++) sum += x[r * F + c];
                float mean = sum / rows;
                for (int r = 0; r < rows; r++) squares += (x[r * F + c] - mean) * (x[r * F + c] - mean);
                statistics[c] = mean;
                statistics[F + c] = XMath.Rsqrt(squares / rows + Epsilon);
                state[NormLinearTrainer.MeanOffset + c] = (1f - Momentum) * state[NormLinearTrainer.MeanOffset + c] + Momentum * mean;
                state[NormLinearTrainer.VarOffset + c] = (1f - Momentum) * state[NormLinearTrainer.VarOffset + c] + Momentum * squares / (rows - 1);
            }
            else
            {
                statistics[c] = state[NormLinearTrainer.MeanOffset + c];
                statistics[F + c] = XMath.Rsqrt(state[NormLinearTrainer.VarOffset + c] + Epsilon);
            }
            for (int r = 0; r < rows; r++)
                y[r * F + c] = p[NormLinearTrainer.GammaOffset + c] * (x[r * F + c] - statistics[c]) * statistics[F + c] + p[NormLinearTrainer.BetaOffset + c];
        }
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < K; o++)
            {
                float z = p[NormLinearTrainer.BiasOffset + o];
                for (int c = 0; c < F; c++) z += p[NormLinearTrainer.WeightOffset + c * S + o] * y[r * F + c];
                logits[r * K + o] = z;
            }
    }

    /// <summary>Softmax cross-entropy's mean loss and every gradient (input x is recovered from y, gamma and the statistics).</summary>
    private static void LossAndBackward(Index1D index, ArrayView<float> t, ArrayView<float> p, ArrayView<float> y,
        ArrayView<float> logits, ArrayView<float> statistics, ArrayView<float> g, ArrayView<float> loss, int rows)
    {
        for (int k = 0; k < NormLinearTrainer.StorageLength; k++) g[k] = 0f;
        float total = 0f;
        for (int r = 0; r < rows; r++)
        {
            float max = XMath.Max(logits[r * K], logits[r * K + 1]);
            float sum = 0f;
            for (int o = 0; o < K; o++) sum += XMath.Exp(logits[r * K + o] - max);
            for (int o = 0; o < K; o++)
            {
                float logP = logits[r * K + o] - max - XMath.Log(sum);
                total -= t[r * K + o] * logP;
                float d = (XMath.Exp(logP) - t[r * K + o]) / rows;
                g[NormLinearTrainer.BiasOffset + o] += d;
                for (int c = 0; c < F; c++)
                {
                    g[NormLinearTrainer.WeightOffset + c * S + o] += d * y[r * F + c];
                    float dy = d * p[NormLinearTrainer.WeightOffset + c * S + o];
                    float xHat = (y[r * F + c] - p[NormLinearTrainer.BetaOffset + c]) / p[NormLinearTrainer.GammaOffset + c];
                    g[NormLinearTrainer.GammaOffset + c] += dy * xHat;
                    g[NormLinearTrainer.BetaOffset + c] += dy;
                }
            }
        }
        loss[0] = total / rows;
    }

    private static void Softmax(Index1D index, ArrayView<float> logits, ArrayView<float> output, int rows)
    {
        for (int r = 0; r < rows; r++)
        {
            float max = XMath.Max(logits[r * K], logits[r * K + 1]);
            float sum = 0f;
            for (int o = 0; o < K; o++) sum += XMath.Exp(logits[r * K + o] - max);
            for (int o = 0; o < K; o++) output[r * K + o] = XMath.Exp(logits[r * K + o] - max) / sum;
        }
    }
}
