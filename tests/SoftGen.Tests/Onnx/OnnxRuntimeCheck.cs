using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SoftGen.Training;

namespace SoftGen.Tests.Onnx;

/// <summary>The worst differences between ONNX Runtime's outputs and the trainer's own predictions.</summary>
internal sealed record OnnxComparison(double WorstLogitsRelative, double WorstProbabilitiesRelative, double WorstProbabilityValue, double WorstAbsolute,
    string? FirstViolation);

/// <summary>Runs an exported model in ONNX Runtime (CPU execution provider) and compares it with PredictLogits and PredictProbabilities.</summary>
/// <remarks>
/// A probability p passes when |onnx - p| &lt;= 1e-5 p + 1e-6. A logit is a sum whose terms ONNX Runtime adds in
/// another order, so a logit near 0 can carry the rounding of its larger neighbours: it passes when
/// |onnx - z| &lt;= 1e-5 max(|z|, the largest |logit| of its row or pixel) + 1e-6. The reported relative differences
/// divide by the same scale.
/// </remarks>
internal static class OnnxRuntimeCheck
{
    /// <summary>Relative tolerance of every comparison.</summary>
    public const double Relative = 1e-5;

    /// <summary>Absolute floor, for values near 0 (probabilities of unlikely classes).</summary>
    public const double AbsoluteFloor = 1e-6;

    public static Dictionary<string, float[]> Run(byte[] model, float[] inputs, int rows, long[] rowDims)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        var tensor = new DenseTensor<float>(inputs, [rows, .. rowDims.Select(d => (int)d)]);
        using var results = session.Run(new[] { NamedOnnxValue.CreateFromTensor("input", tensor) });
        return results.ToDictionary(r => r.Name, r => r.AsEnumerable<float>().ToArray());
    }

    /// <summary>Inputs [rows, ...] of the model's input shape: the declared [C, H, W], [C, L] or [F].</summary>
    public static long[] RowDims(ModelInfo model)
    {
        var shape = model.Layers[0].Input;
        return shape.Signal ? [shape.Channels, shape.Width] : shape.Spatial ? [shape.Channels, shape.Height, shape.Width] : [shape.Channels];
    }

    public static OnnxComparison Compare(TrainerBase trainer, byte[] model, float[] inputs, int rows)
    {
        var outputs = Run(model, inputs, rows, RowDims(trainer.Model));
        int classes = trainer.Model.Classes, pixels = trainer.Model.OutputPixels;
        var logits = new float[rows * trainer.Model.OutputsPerRow];
        var probabilities = new float[logits.Length];
        trainer.PredictLogits(inputs, logits, rows);
        trainer.PredictProbabilities(inputs, probabilities, rows);

        string? firstViolation = null;
        double worstAbsolute = 0, worstValue = 0;
        double Worst(string name, float[] expected, float[] actual, bool scaleByPixel)
        {
            if (actual.Length != expected.Length) throw new InvalidOperationException($"ONNX Runtime gave {actual.Length} {name}, the trainer {expected.Length}.");
            double worst = 0;
            for (int i = 0; i < expected.Length; i++)
            {
                double e = expected[i], difference = Math.Abs(actual[i] - e), scale = Math.Abs(e);
                if (scaleByPixel)
                {
                    int row = i / (classes * pixels), pixel = i % pixels;
                    for (int c = 0; c < classes; c++) scale = Math.Max(scale, Math.Abs(expected[(row * classes + c) * pixels + pixel]));
                }
                if (!(difference <= Relative * scale + AbsoluteFloor))
                    firstViolation ??= $"{name}[{i}]: ONNX Runtime {actual[i]:R}, trainer {expected[i]:R}";
                if (scale > 0 && difference / scale > worst)
                {
                    worst = difference / scale;
                    worstValue = e;
                }
                worstAbsolute = Math.Max(worstAbsolute, difference);
            }
            return worst;
        }
        double worstLogits = Worst("logits", logits, outputs["logits"], scaleByPixel: true);
        double worstProbabilities = Worst("probabilities", probabilities, outputs["probabilities"], scaleByPixel: false);
        return new OnnxComparison(worstLogits, worstProbabilities, worstValue, worstAbsolute, firstViolation);
    }
}
