using System.Collections.Generic;
using SoftGen.Generators.Model;

namespace SoftGen.Generators.Emit;

/// <summary>
/// Emits the CPU program of a model: its buffers, the forward pass, the loss head, the backward pass, and the
/// layer shape structs that specialise the runtime's SIMD kernels (SoftGen.Cpu) to the declared widths.
/// </summary>
internal static class CpuPassEmitter
{
    /// <summary>The layer's math, for comments: "A0 = relu(X W0^T + b0)".</summary>
    public static string Formula(LayerPlan l)
    {
        var input = l.Index == 0 ? "X" : "A" + (l.Index - 1);
        var affine = input + " W" + l.Index + "^T + b" + l.Index;
        return l.Activation == ActivationKind.None
            ? "A" + l.Index + " = " + affine
            : "A" + l.Index + " = " + Describe.ActivationFunction(l.Activation) + "(" + affine + ")";
    }

    private static string Output(LayerPlan l, int layerCount) => l.Index == layerCount - 1 ? "_logits" : "_a" + l.Index;

    private static string Gradient(LayerPlan l, int layerCount) => l.Index == layerCount - 1 ? "_dLogits" : "_dz" + l.Index;

    private static string Input(LayerPlan l, int layerCount) => l.Index == 0 ? "x" : Output(Previous(l), layerCount);

    private static LayerPlan Previous(LayerPlan l) => l with { Index = l.Index - 1 };

    private static string PreActivation(int index) => "_z" + index;

    public static void WriteBuffers(SourceWriter w, IReadOnlyList<LayerPlan> layers)
    {
        var n = layers.Count;
        w.Line("// Layer outputs A (after the activation) and gradients dZ (before it), each [BatchCapacity, stride],");
        w.Line("// padding columns kept at 0. Made once, in the constructor.");
        foreach (var l in layers)
        {
            var name = Output(l, n);
            w.Line("private readonly global::SoftGen.Cpu.FloatBuffer " + name + ";" + (l.Index == n - 1 ? " // [rows, " + l.OutStride + "], " + l.Out + " real columns" : ""));
            if (Describe.NeedsPreActivation(l.Activation))
                w.Line("private readonly global::SoftGen.Cpu.FloatBuffer " + PreActivation(l.Index) + "; // Z" + l.Index + ", kept for the GELU derivative");
        }
        foreach (var l in layers)
            w.Line("private readonly global::SoftGen.Cpu.FloatBuffer " + Gradient(l, n) + ";");
        if (n > 1)
        {
            w.Line("// W1..W" + (n - 1) + " in PyTorch's [out, in] layout, refreshed each step for the input-gradient GEMMs.");
            for (var i = 1; i < n; i++)
                w.Line("private readonly global::SoftGen.Cpu.FloatBuffer _w" + i + ";");
        }
    }

    public static void WriteAllocations(SourceWriter w, IReadOnlyList<LayerPlan> layers)
    {
        var n = layers.Count;
        foreach (var l in layers)
        {
            w.Line(Output(l, n) + " = AllocateBuffer(BatchCapacity * Layer" + l.Index + ".OutStride);");
            if (Describe.NeedsPreActivation(l.Activation))
                w.Line(PreActivation(l.Index) + " = AllocateBuffer(BatchCapacity * Layer" + l.Index + ".OutStride);");
            w.Line(Gradient(l, n) + " = AllocateBuffer(BatchCapacity * Layer" + l.Index + ".OutStride);");
        }
        for (var i = 1; i < n; i++)
            w.Line("_w" + i + " = AllocateBuffer(Layer" + i + ".Out * Layer" + i + ".InStride);");
    }

    public static void WritePasses(SourceWriter w, ModelSpec spec, IReadOnlyList<LayerPlan> layers)
    {
        var n = layers.Count;
        var last = layers[n - 1];

        w.Line("/// <summary>Forward, loss and backward for rows 0..rows-1; the gradients land in <c>Gradients</c>.</summary>");
        using (w.Block("protected override float ComputeLossAndGradients(global::SoftGen.Cpu.FloatBuffer x, global::SoftGen.Cpu.FloatBuffer y, int rows)"))
        {
            w.Line("Forward(x, rows);");
            w.Line();
            WriteLossHead(w, spec, last);
            for (var i = n - 1; i >= 0; i--)
            {
                w.Line();
                WriteBackward(w, layers[i], i > 0 ? layers[i - 1] : null, n);
            }
            w.Line();
            w.Line("return loss;");
        }
        w.Line();
        w.Line("/// <summary>Forward for rows 0..rows-1, then the probabilities [rows, " + spec.Classes + "].</summary>");
        using (w.Block("protected override void ComputeProbabilities(global::SoftGen.Cpu.FloatBuffer x, global::SoftGen.Cpu.FloatBuffer probabilities, int rows)"))
        {
            w.Line("Forward(x, rows);");
            if (spec.Loss.Kind == LossKindSpec.SigmoidCrossEntropy)
            {
                w.Line("// Per-class sigmoid of the logits.");
                w.Line("global::SoftGen.Cpu.HeadKernels.Sigmoid<Layer" + last.Index + ">(_logits, probabilities, rows);");
            }
            else
            {
                w.Line("// Softmax over the " + spec.Classes + " logits of each row (temperature 1: the model's own probabilities).");
                w.Line("global::SoftGen.Cpu.HeadKernels.Softmax<Layer" + last.Index + ">(_logits, probabilities, rows);");
            }
        }
        w.Line();
        w.Line("/// <summary>Forward for rows 0..rows-1, then the logits [rows, " + spec.Classes + "] without the padding columns.</summary>");
        using (w.Block("protected override void ComputeLogits(global::SoftGen.Cpu.FloatBuffer x, global::SoftGen.Cpu.FloatBuffer logits, int rows)"))
        {
            w.Line("Forward(x, rows);");
            w.Line("global::SoftGen.Cpu.HeadKernels.CopyLogits<Layer" + last.Index + ">(_logits, logits, rows);");
        }
        w.Line();
        w.Line("/// <summary>The forward pass: each layer is one GEMM with the bias and activation fused into its epilogue.</summary>");
        using (w.Block("private void Forward(global::SoftGen.Cpu.FloatBuffer x, int rows)"))
        {
            for (var i = 0; i < n; i++)
            {
                var l = layers[i];
                var z = Describe.NeedsPreActivation(l.Activation) ? PreActivation(i) : "global::SoftGen.Cpu.FloatBuffer.Null";
                w.Line("// Layer " + i + ": " + Formula(l) + ", [rows, " + l.In + "] -> [rows, " + l.Out + "].");
                w.Line("global::SoftGen.Cpu.DenseKernels.Forward<Layer" + i + ", " + Describe.ActivationType(l.Activation) + ">(Pool, " + Input(l, n)
                    + ", Parameters + Layer" + i + ".WeightOffset, Parameters + Layer" + i + ".BiasOffset, " + z + ", " + Output(l, n) + ", rows);");
            }
        }
    }

    private static void WriteLossHead(SourceWriter w, ModelSpec spec, LayerPlan last)
    {
        var shape = "Layer" + last.Index;
        switch (spec.Loss.Kind)
        {
            case LossKindSpec.SoftmaxCrossEntropy:
                var smoothing = spec.Loss.LabelSmoothing;
                var temperature = spec.Loss.Temperature;
                var target = smoothing != 0f ? "y' = " + (1f - smoothing).ToString("R", System.Globalization.CultureInfo.InvariantCulture)
                    + " y + " + Describe.Float(smoothing).TrimEnd('f') + " / " + spec.Classes : "y' = y";
                w.Line("// Loss head: " + Describe.Loss(spec.Loss) + "; " + target + ".");
                w.Line(temperature != 1f
                    ? "// loss = T^2 CE(y', softmax(z / T)); dLogits = T (softmax(z / T) - y') / rows, T = " + Describe.Float(temperature).TrimEnd('f') + "."
                    : "// dLogits = (softmax(z) - y') / rows.");
                w.Line("var loss = global::SoftGen.Cpu.HeadKernels.SoftmaxCrossEntropy<" + shape + ">(_logits, y, _dLogits, rows, labelSmoothing: "
                    + Describe.Float(smoothing) + ", temperature: " + Describe.Float(temperature) + ");");
                break;
            case LossKindSpec.KLDivergence:
                w.Line("// Loss head: " + Describe.Loss(spec.Loss) + "; dLogits = (softmax(z) - y) / rows.");
                w.Line("var loss = global::SoftGen.Cpu.HeadKernels.KLDivergence<" + shape + ">(_logits, y, _dLogits, rows);");
                break;
            default:
                w.Line("// Loss head: " + Describe.Loss(spec.Loss) + ", max(z, 0) - z y + log(1 + exp(-|z|));");
                w.Line("// dLogits = (sigmoid(z) - y) / (rows * " + spec.Classes + ").");
                w.Line("var loss = global::SoftGen.Cpu.HeadKernels.SigmoidCrossEntropy<" + shape + ">(_logits, y, _dLogits, rows);");
                break;
        }
    }

    private static void WriteBackward(SourceWriter w, LayerPlan l, LayerPlan? previous, int n)
    {
        var i = l.Index;
        var dz = Gradient(l, n);
        w.Line("// Layer " + i + " backward: dW" + i + " = dZ" + i + "^T " + (i == 0 ? "X" : "A" + (i - 1))
            + ", db" + i + " = column sums of dZ" + i + (previous is null ? " (the inputs need no gradient)." : ";"));
        if (previous is not null)
        {
            var derivative = previous.Activation == ActivationKind.None
                ? ""
                : " * " + Describe.ActivationFunction(previous.Activation) + "'(" + (Describe.NeedsPreActivation(previous.Activation) ? "Z" : "A") + (i - 1) + ")";
            w.Line("// dZ" + (i - 1) + " = (dZ" + i + " W" + i + ")" + derivative + ".");
        }
        w.Line("global::SoftGen.Cpu.DenseKernels.BackwardWeights<Layer" + i + ">(Pool, " + Input(l, n) + ", " + dz
            + ", Gradients + Layer" + i + ".WeightOffset, Gradients + Layer" + i + ".BiasOffset, rows);");
        if (previous is not null)
        {
            var prevZ = Describe.NeedsPreActivation(previous.Activation) ? PreActivation(previous.Index) : "global::SoftGen.Cpu.FloatBuffer.Null";
            w.Line("global::SoftGen.Cpu.DenseKernels.BackwardInputs<Layer" + i + ", " + Describe.ActivationType(previous.Activation) + ">(Pool, " + dz
                + ", Parameters + Layer" + i + ".WeightOffset, _w" + i + ", " + prevZ + ", " + Output(previous, n) + ", " + Gradient(previous, n) + ", rows);");
        }
    }

    public static void WriteShapes(SourceWriter w, IReadOnlyList<LayerPlan> layers)
    {
        w.Line("// The layer shapes as types: the CPU kernels are generic over them, so the JIT compiles each kernel");
        w.Line("// with these widths as constants. Storage: Wt [In, OutStride] (W transposed, zero padded), then b [OutStride].");
        for (var i = 0; i < layers.Count; i++)
        {
            var l = layers[i];
            if (i > 0)
                w.Line();
            using (w.Block("private readonly struct Layer" + i + " : global::SoftGen.Cpu.IDenseShape"))
            {
                w.Line("public const int WeightOffset = " + l.WeightOffset + ";");
                w.Line("public const int BiasOffset = " + l.BiasOffset + ";");
                w.Line("public static int In => " + l.In + ";");
                w.Line("public static int InStride => " + l.InStride + ";");
                w.Line("public static int Out => " + l.Out + ";");
                w.Line("public static int OutStride => " + l.OutStride + ";");
            }
        }
    }
}
