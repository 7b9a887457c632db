using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SoftGen.Training;

namespace SoftGen.Tests.Onnx;

/// <summary>The worst differences between ONNX Runtime's outputs and the trainer's own predictions.</summary>
internal sealed record OnnxComparison(double WorstLogitsRelative, double WorstProbabilitiesRelative, double WorstAbsolute, int Violations);

/// <summary>Runs an exported model in ONNX Runtime (CPU execution provider) and compares it with PredictLogits and PredictProbabilities.</summary>
internal static class OnnxRuntimeCheck
{
    /// <summary>Relative tolerance of every comparison.</summary>
    public const double Relative = 1e-5;

    /// <summary>Absolute floor, for values near 0 (probabilities of unlikely classes, logits that cancel).</summary>
    public const double AbsoluteFloor = 1e-6;

    /// <summary>Denominator floor of the reported relative differences.</summary>
    private const double ReportFloor = 1e-2;

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
        var logits = new float[rows * trainer.Model.OutputsPerRow];
        var probabilities = new float[logits.Length];
        trainer.PredictLogits(inputs, logits, rows);
        trainer.PredictProbabilities(inputs, probabilities, rows);

        int violations = 0;
        double worstAbsolute = 0;
        double Worst(float[] expected, float[] actual)
        {
            if (actual.Length != expected.Length) throw new InvalidOperationException($"ONNX Runtime gave {actual.Length} values, the trainer {expected.Length}.");
            double worst = 0;
            for (int i = 0; i < expected.Length; i++)
            {
                double e = expected[i], difference = Math.Abs(actual[i] - e);
                if (!(difference <= Relative * Math.Abs(e) + AbsoluteFloor)) violations++;
                worst = Math.Max(worst, difference / Math.Max(Math.Abs(e), ReportFloor));
                worstAbsolute = Math.Max(worstAbsolute, difference);
            }
            return worst;
        }
        return new OnnxComparison(Worst(logits, outputs["logits"]), Worst(probabilities, outputs["probabilities"]), worstAbsolute, violations);
    }
}
