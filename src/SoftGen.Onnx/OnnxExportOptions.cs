using System;
using System.Collections.Generic;

namespace SoftGen.Onnx;

/// <summary>Which outputs an exported graph has.</summary>
[Flags]
public enum OnnxOutputs
{
    /// <summary>"logits": the last layer's outputs, as PredictLogits gives them.</summary>
    Logits = 1,
    /// <summary>"probabilities": softmax over the classes (sigmoid for sigmoid cross-entropy) of logits / PredictionTemperature.</summary>
    Probabilities = 2,
    /// <summary>Both outputs, "logits" first.</summary>
    Both = Logits | Probabilities,
}

/// <summary>Options of <see cref="OnnxExport.ExportOnnx(SoftGen.Training.TrainerBase, string, OnnxExportOptions?)"/>.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>The lowest opset the exporter writes.</summary>
    public const int MinimumOpset = 13;

    /// <summary>The highest opset the exporter writes (and the default).</summary>
    public const int MaximumOpset = 17;

    /// <summary>The graph's outputs; both by default.</summary>
    public OnnxOutputs Outputs { get; init; } = OnnxOutputs.Both;

    /// <summary>The default-domain opset the model imports, <see cref="MinimumOpset"/> to <see cref="MaximumOpset"/>.</summary>
    public int Opset { get; init; } = MaximumOpset;

    /// <summary>The graph's name; the model class's full name when null.</summary>
    public string? ModelName { get; init; }

    /// <summary>The model's doc string; none when null.</summary>
    public string? DocString { get; init; }

    /// <summary>
    /// The classes' names, in output order, written as the metadata property "softgen.class_names" (a JSON array);
    /// the trainer does not know them, so nothing is written when null.
    /// </summary>
    public IReadOnlyList<string>? ClassNames { get; init; }
}
