using System;
using SoftGen.Cpu;
using SoftGen.Training;

namespace SoftGen.Tests.Training;

/// <summary>
/// A hand-written stand-in for a generated trainer: one dense layer, 3 inputs, 2 classes, softmax cross-entropy
/// (or sigmoid BCE), with PyTorch's layout in storage (weight [o, i] at i * 16 + o, bias at 48 + o).
/// Its program (<see cref="LinearProgram"/>) runs plain scalar loops over preallocated arrays, so it allocates nothing.
/// </summary>
internal sealed unsafe class LinearTrainer : TrainerBase
{
    public const int In = 3, Out = 2, Stride = 16, BiasOffset = 48, StorageLength = 64;

    public LinearTrainer(TrainerOptions options, LossKind loss = LossKind.SoftmaxCrossEntropy,
        ParameterInit weightInit = ParameterInit.KaimingUniform, float gain = 1.4142135f)
        : base(MakeModel(loss, weightInit, gain), options, LinearProgram.Open)
    {
    }

    public static ModelInfo MakeModel(LossKind loss = LossKind.SoftmaxCrossEntropy, ParameterInit weightInit = ParameterInit.KaimingUniform, float gain = 1.4142135f) =>
        new("Tests.Linear", In, Out, loss, 0f, 1f, StorageLength,
            new[]
            {
                new ParameterInfo("layers.0.weight", Out, In, 0, Stride, weightInit, gain),
                new ParameterInfo("layers.0.bias", Out, 1, BiasOffset, Stride, ParameterInit.Zeros, 1f),
            },
            "test");

    private LinearProgram Linear => (LinearProgram)Program;

    /// <summary>When set, ComputeLossAndGradients returns this instead of the loss (after writing the gradients).</summary>
    public float? ForcedLoss { get => Linear.ForcedLoss; set => Linear.ForcedLoss = value; }

    public int ForwardCalls => Linear.ForwardCalls;
    public int LargestRows => Linear.LargestRows;

    public float StorageAt(int index) => Linear.StorageAddress[index];
    public float GradientAt(int index) => Linear.GradientAddress[index];
    public int Capacity => BatchCapacity;
    public float* Scratch => Linear.Scratch;
    public float* StorageAddress => Linear.StorageAddress;
}

/// <summary>The CPU program of <see cref="LinearTrainer"/>.</summary>
internal sealed unsafe class LinearProgram : CpuProgram
{
    private const int In = LinearTrainer.In, Out = LinearTrainer.Out, Stride = LinearTrainer.Stride;
    private const int BiasOffset = LinearTrainer.BiasOffset, StorageLength = LinearTrainer.StorageLength;

    private readonly double[] _logits = new double[Out];
    private readonly float* _scratch;
    private readonly bool _sigmoid;

    public static TrainingProgram Open(ModelInfo model, TrainerOptions options) => new LinearProgram(model, options);

    private LinearProgram(ModelInfo model, TrainerOptions options) : base(model, options)
    {
        _sigmoid = model.Loss == LossKind.SigmoidCrossEntropy;
        _scratch = AllocateBuffer(Out);
    }

    private float* P => Parameters;
    private float* G => Gradients;

    public float? ForcedLoss { get; set; }
    public int ForwardCalls { get; private set; }
    public int LargestRows { get; private set; }
    public float* Scratch => _scratch;
    public float* StorageAddress => P;
    public float* GradientAddress => G;

    private void Logits(float* x)
    {
        for (int o = 0; o < Out; o++)
        {
            double z = P[BiasOffset + o];
            for (int i = 0; i < In; i++) z += (double)P[i * Stride + o] * x[i];
            _logits[o] = z;
        }
    }

    private void Probabilities(Span<double> p)
    {
        if (_sigmoid)
        {
            for (int o = 0; o < Out; o++) p[o] = 1 / (1 + Math.Exp(-_logits[o]));
            return;
        }
        double max = Math.Max(_logits[0], _logits[1]);
        double sum = 0;
        for (int o = 0; o < Out; o++) sum += p[o] = Math.Exp(_logits[o] - max);
        for (int o = 0; o < Out; o++) p[o] /= sum;
    }

    public override float ComputeLossAndGradients(FloatBuffer inputs, FloatBuffer targets, FloatBuffer weights, int rows, long step)
    {
        ForwardCalls++;
        LargestRows = Math.Max(LargestRows, rows);
        for (int k = 0; k < StorageLength; k++) G[k] = 0;
        Span<double> p = stackalloc double[Out];
        double loss = 0;
        double scale = _sigmoid ? 1.0 / (rows * Out) : 1.0 / rows;
        for (int r = 0; r < rows; r++)
        {
            float* x = (float*)inputs + r * In;
            float* y = (float*)targets + r * Out;
            Logits(x);
            Probabilities(p);
            for (int o = 0; o < Out; o++)
            {
                loss -= _sigmoid ? y[o] * Math.Log(p[o]) + (1 - y[o]) * Math.Log(1 - p[o]) : y[o] * Math.Log(p[o]);
                float d = (float)((p[o] - y[o]) * scale);
                G[BiasOffset + o] += d;
                for (int i = 0; i < In; i++) G[i * Stride + o] += d * x[i];
            }
        }
        return ForcedLoss ?? (float)(loss * scale);
    }

    public override void ComputeProbabilities(FloatBuffer inputs, FloatBuffer probabilities, int rows)
    {
        LargestRows = Math.Max(LargestRows, rows);
        Span<double> p = stackalloc double[Out];
        for (int r = 0; r < rows; r++)
        {
            Logits((float*)inputs + r * In);
            Probabilities(p);
            for (int o = 0; o < Out; o++) ((float*)probabilities)[r * Out + o] = (float)p[o];
        }
    }

    public override void ComputeLogits(FloatBuffer inputs, FloatBuffer logits, int rows)
    {
        for (int r = 0; r < rows; r++)
        {
            Logits((float*)inputs + r * In);
            for (int o = 0; o < Out; o++) ((float*)logits)[r * Out + o] = (float)_logits[o];
        }
    }
}

/// <summary>A trainer whose "probabilities" are its inputs, to score hand-made predictions with Evaluate.</summary>
internal sealed unsafe class EchoTrainer : TrainerBase
{
    public EchoTrainer(int classes, LossKind loss, int batchSize)
        : base(new ModelInfo("Tests.Echo", classes, classes, loss, 0f, 1f, 16,
            new[] { new ParameterInfo("bias", classes, 1, 0, 16, ParameterInit.Zeros, 1f) }, "echo"),
            new TrainerOptions { BatchSize = batchSize, ThreadCount = 1 }, (model, options) => new Program(model, options))
    {
    }

    private new sealed class Program(ModelInfo model, TrainerOptions options) : CpuProgram(model, options)
    {
        private readonly int _classes = model.Classes;

        public override float ComputeLossAndGradients(FloatBuffer inputs, FloatBuffer targets, FloatBuffer weights, int rows, long step) => 0f;

        public override void ComputeProbabilities(FloatBuffer inputs, FloatBuffer probabilities, int rows)
        {
            for (int k = 0; k < rows * _classes; k++) ((float*)probabilities)[k] = ((float*)inputs)[k];
        }

        public override void ComputeLogits(FloatBuffer inputs, FloatBuffer logits, int rows) =>
            ComputeProbabilities(inputs, logits, rows);
    }
}

internal static class Data
{
    /// <summary>A small, nearly separable two-class problem with soft targets.</summary>
    public static (float[] X, float[] Y) Make(int rows, int seed = 1)
    {
        var random = new Random(seed);
        var x = new float[rows * LinearTrainer.In];
        var y = new float[rows * LinearTrainer.Out];
        for (int r = 0; r < rows; r++)
        {
            double s = 0;
            for (int i = 0; i < LinearTrainer.In; i++)
            {
                float v = (float)(random.NextDouble() * 2 - 1);
                x[r * LinearTrainer.In + i] = v;
                s += (i + 1) * v;
            }
            float p = s > 0 ? 0.9f : 0.2f;
            y[r * 2] = p;
            y[r * 2 + 1] = 1 - p;
        }
        return (x, y);
    }

    public static TrainerOptions Options(Optimizer optimizer, int batchSize = 4, int seed = 7) =>
        new() { Optimizer = optimizer, BatchSize = batchSize, Seed = seed, ThreadCount = 1 };
}
