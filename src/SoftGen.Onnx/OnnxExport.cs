using System;
using System.IO;
using Google.Protobuf;
using SoftGen.Training;

namespace SoftGen.Onnx;

/// <summary>Writes a trained model's prediction graph as an ONNX model (IR version 8).</summary>
public static class OnnxExport
{
    /// <summary>
    /// Writes the prediction graph of <paramref name="trainer"/>'s model, with its current weights, running statistics
    /// and <see cref="TrainerBase.PredictionTemperature"/>, to the file <paramref name="path"/> (created or replaced).
    /// </summary>
    /// <exception cref="NotSupportedException">A layer the exporter does not handle; the message names it.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An opset outside 13..17, or no output selected.</exception>
    public static void ExportOnnx(this TrainerBase trainer, string path, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var model = BuildModel(trainer, options ?? new OnnxExportOptions());
        using var file = File.Create(path);
        model.WriteTo(file);
    }

    /// <summary>Writes the prediction graph of <paramref name="trainer"/>'s model to <paramref name="destination"/>.</summary>
    /// <inheritdoc cref="ExportOnnx(TrainerBase, string, OnnxExportOptions?)" path="/exception"/>
    public static void ExportOnnx(this TrainerBase trainer, Stream destination, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(destination);
        BuildModel(trainer, options ?? new OnnxExportOptions()).WriteTo(destination);
    }

    internal static Proto.ModelProto BuildModel(TrainerBase trainer, OnnxExportOptions options)
    {
        if (options.Opset is < OnnxExportOptions.MinimumOpset or > OnnxExportOptions.MaximumOpset)
            throw new ArgumentOutOfRangeException(nameof(options), options.Opset,
                $"ONNX export writes opsets {OnnxExportOptions.MinimumOpset} to {OnnxExportOptions.MaximumOpset}; opset {options.Opset} was asked for.");
        if ((options.Outputs & OnnxOutputs.Both) == 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.Outputs, "Select at least one output (logits or probabilities).");
        return new OnnxModelWriter(trainer, options).Build();
    }
}
