using System;
using SoftGen.Training;

namespace SoftGen.Tests.Onnx;

/// <summary>The test models the ONNX export is checked on: every layer kind, activation, loss and head.</summary>
internal static class OnnxExportTestModels
{
    private static TrainerOptions Options => new() { Optimizer = Optimizer.Adam(0.01f), BatchSize = 16, Seed = 5, ThreadCount = 2, Backend = _backend };

    /// <summary>The backend <see cref="Create"/> asks for (set by <see cref="Trained"/> for the duration of a call).</summary>
    [ThreadStatic] private static Backend _backend;

    /// <summary>Name, then a prediction temperature other than 1 for some.</summary>
    public static readonly (string Name, float Temperature)[] All =
    [
        // MLPs: every loss, Tanh, Gelu, Relu, LeakyRelu, Sigmoid
        ("SmoothTempMlp", 1f), ("KlMlp", 1.7f), ("MultiLabelMlp", 0.6f), ("LinearSoftmax", 1f), ("PaddedMlp", 1f),
        ("GeluMultiLabel", 1f), ("MnistMlp", 2.5f),
        // CNNs: convolutions, pools, dropout, flatten, per-pixel heads
        ("OddConvNet", 1f), ("PoolNet", 1.3f), ("GapNet", 1f), ("DropoutNet", 1f), ("PixelKl", 1f), ("PixelSoftmax", 0.8f),
        ("PixelSigmoid", 1.5f), ("MnistCnn", 1f),
        // norms and residual blocks: Silu, Mish, Elu
        ("TinyResNet", 1f), ("NormMlp", 1.2f), ("ConvBnNet", 1f),
        // signals: Conv1D, groups, dilation, squeeze-excitation, GeM, per-position head
        ("TinyEegNet", 1f), ("RectNet", 1f), ("PositionNet", 2f), ("GpuChannelEdgeNet", 1f), ("GpuDepthwiseFirstNet", 1f),
        ("GpuSignalConvNet", 1f), ("GpuRectConvNet", 1f),
    ];

    public static TrainerBase Create(string name) => name switch
    {
        "SmoothTempMlp" => EndToEndModels.SmoothTempMlp.CreateTrainer(Options),
        "KlMlp" => EndToEndModels.KlMlp.CreateTrainer(Options),
        "MultiLabelMlp" => EndToEndModels.MultiLabelMlp.CreateTrainer(Options),
        "LinearSoftmax" => EndToEndModels.LinearSoftmax.CreateTrainer(Options),
        "PaddedMlp" => EndToEndModels.PaddedMlp.CreateTrainer(Options),
        "GeluMultiLabel" => EndToEndModels.GeluMultiLabel.CreateTrainer(Options),
        "MnistMlp" => EndToEndModels.MnistMlp.CreateTrainer(Options),
        "OddConvNet" => ConvModels.OddConvNet.CreateTrainer(Options),
        "PoolNet" => ConvModels.PoolNet.CreateTrainer(Options),
        "GapNet" => ConvModels.GapNet.CreateTrainer(Options),
        "DropoutNet" => ConvModels.DropoutNet.CreateTrainer(Options),
        "PixelKl" => ConvModels.PixelKl.CreateTrainer(Options),
        "PixelSoftmax" => ConvModels.PixelSoftmax.CreateTrainer(Options),
        "PixelSigmoid" => ConvModels.PixelSigmoid.CreateTrainer(Options),
        "MnistCnn" => ConvModels.MnistCnn.CreateTrainer(Options),
        "TinyResNet" => ResidualModels.TinyResNet.CreateTrainer(Options),
        "NormMlp" => ResidualModels.NormMlp.CreateTrainer(Options),
        "ConvBnNet" => ResidualModels.ConvBnNet.CreateTrainer(Options),
        "TinyEegNet" => SignalModels.TinyEegNet.CreateTrainer(Options),
        "RectNet" => SignalModels.RectNet.CreateTrainer(Options),
        "PositionNet" => SignalModels.PositionNet.CreateTrainer(Options),
        "GpuChannelEdgeNet" => GpuChannelModels.GpuChannelEdgeNet.CreateTrainer(Options),
        "GpuDepthwiseFirstNet" => GpuChannelModels.GpuDepthwiseFirstNet.CreateTrainer(Options),
        "GpuSignalConvNet" => GpuSignalModels.GpuSignalConvNet.CreateTrainer(Options),
        "GpuRectConvNet" => GpuSignalModels.GpuRectConvNet.CreateTrainer(Options),
        _ => throw new ArgumentException($"No ONNX test model {name}.", nameof(name)),
    };

    /// <summary>Uniform inputs in [-1.5, 1.5), [rows, Inputs].</summary>
    public static float[] Inputs(ModelInfo model, int rows, int seed)
    {
        var random = new Random(seed);
        var inputs = new float[rows * model.Inputs];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = (float)(3 * random.NextDouble() - 1.5);
        return inputs;
    }

    /// <summary>Targets [rows, Classes, pixels]: distributions over the classes at each pixel, or values in [0, 1] for sigmoid models.</summary>
    public static float[] Targets(ModelInfo model, int rows, int seed)
    {
        var random = new Random(seed);
        int classes = model.Classes, pixels = model.OutputPixels;
        var targets = new float[rows * classes * pixels];
        for (int i = 0; i < targets.Length; i++) targets[i] = (float)random.NextDouble();
        if (!model.TargetsAreDistributions) return targets;
        for (int i = 0; i < targets.Length; i++) targets[i] += 0.05f;
        for (int r = 0; r < rows; r++)
            for (int p = 0; p < pixels; p++)
            {
                double sum = 0;
                for (int c = 0; c < classes; c++) sum += targets[(r * classes + c) * pixels + p];
                for (int c = 0; c < classes; c++) targets[(r * classes + c) * pixels + p] = (float)(targets[(r * classes + c) * pixels + p] / sum);
            }
        return targets;
    }

    /// <summary>A trainer of the model after two training steps, so that its weights (and running statistics) are not the initial ones.</summary>
    public static TrainerBase Trained(string name, float temperature, Backend backend = Backend.Cpu)
    {
        _backend = backend;
        TrainerBase trainer;
        try { trainer = Create(name); }
        finally { _backend = Backend.Cpu; }
        const int rows = 16;
        for (int step = 0; step < 2; step++)
            trainer.TrainStep(Inputs(trainer.Model, rows, 100 + step), Targets(trainer.Model, rows, 200 + step), rows);
        trainer.PredictionTemperature = temperature;
        return trainer;
    }
}
