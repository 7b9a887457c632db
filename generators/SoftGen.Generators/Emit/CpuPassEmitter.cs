using System.Collections.Generic;
using System.Linq;
using SoftGen.Generators.Model;

namespace SoftGen.Generators.Emit;

/// <summary>
/// Emits the CPU program of a model: its buffers, the forward pass, the loss head, the backward pass, and the
/// layer shape structs that specialise the runtime's SIMD kernels (SoftGen.Cpu) to the declared shapes.
/// </summary>
/// <remarks>
/// Buffers, per layer i: its output A_i (<c>_a{i}</c>, <c>_logits</c> for the last), the pre-activation Z_i when the
/// activation's derivative needs it (GELU), and the gradient of the loss with respect to Z_i (<c>_dz{i}</c>,
/// <c>_dLogits</c>; for layers without an activation, Z_i = A_i). Gradients exist from the first layer with
/// parameters on: nothing before it needs one.
/// </remarks>
internal static class CpuPassEmitter
{
    private const string Buffer = "global::SoftGen.Cpu.FloatBuffer";
    private const string Null = "global::SoftGen.Cpu.FloatBuffer.Null";

    /// <summary>The layer's math, for comments: "A0 = relu(X W0^T + b0)".</summary>
    public static string Formula(LayerPlan l)
    {
        var input = l.Index == 0 ? "X" : "A" + (l.Index - 1);
        var output = "A" + l.Index;
        switch (l.Kind)
        {
            case LayerKind.Dense:
            case LayerKind.Conv2D:
                var affine = l.Kind == LayerKind.Dense
                    ? input + " W" + l.Index + "^T + b" + l.Index
                    : "conv(" + input + ", W" + l.Index + ") + b" + l.Index;
                return l.Activation == ActivationKind.None
                    ? output + " = " + affine
                    : output + " = " + Describe.ActivationFunction(l.Activation) + "(" + affine + ")";
            case LayerKind.MaxPool2D:
                return output + " = max over " + WindowSize(l) + " windows of " + input;
            case LayerKind.AvgPool2D:
                return output + " = mean over " + WindowSize(l) + " windows of " + input;
            case LayerKind.GlobalAveragePool:
                return output + " = mean of each channel of " + input + " over its pixels";
            case LayerKind.BatchNorm:
            case LayerKind.LayerNorm:
                var norm = "g" + l.Index + " (" + input + " - mean) / sqrt(var + " + Describe.Float(l.Epsilon).TrimEnd('f') + ") + b" + l.Index;
                return output + " = " + (l.Activation == ActivationKind.None ? norm : Describe.ActivationFunction(l.Activation) + "(" + norm + ")")
                    + (l.Kind == LayerKind.BatchNorm
                        ? ", mean and var per channel over the batch" + (l.Input.Spatial ? " and the pixels" : "") + " in training, the running ones in prediction"
                        : ", mean and var over each row's features");
            case LayerKind.SqueezeExcitation:
            case LayerKind.GemPool:
                return CpuChannelEmitter.Formula(l, input, output);
            case LayerKind.ResidualEnd:
                var blockInput = l.BlockStart == 0 ? "X" : "A" + (l.BlockStart - 1);
                var shortcut = l.Projection is { } p ? "bn(conv1x1(" + blockInput + ", stride " + p.StrideText + "))" : blockInput;
                var sum = input + " + " + shortcut;
                return output + " = " + (l.Activation == ActivationKind.None ? sum : Describe.ActivationFunction(l.Activation) + "(" + sum + ")");
            default:
                return output + " = " + input + " * mask / (1 - " + Describe.Float(l.Rate).TrimEnd('f') + ") in training, " + input + " in prediction";
        }
    }

    /// <summary>"2x2" (a pool's window), or "2-sample" for signals.</summary>
    private static string WindowSize(LayerPlan l) => l.Input.Signal ? l.Window!.KernelWidth + "-sample" : l.Window!.KernelHeight + "x" + l.Window.KernelWidth;

    /// <summary>The runtime class of a convolution's kernels: a GEMM-based one, or the direct depthwise one.</summary>
    internal static string ConvKernels(LayerPlan l) =>
        l.IsDepthwise ? "global::SoftGen.Cpu.DepthwiseConvKernels" : "global::SoftGen.Cpu.ConvKernels";

    internal static bool IsLast(LayerPlan l, int layerCount) => l.Index == layerCount - 1;

    internal static string Output(LayerPlan l, int layerCount) => IsLast(l, layerCount) ? "_logits" : "_a" + l.Index;

    /// <summary>
    /// The buffer of dZ for layer <paramref name="l"/>. A block's last layer without activation shares the block end's:
    /// the gradient of its output is the gradient of the sum.
    /// </summary>
    internal static string Gradient(LayerPlan l, int layerCount) => IsLast(l, layerCount) ? "_dLogits" : SharesGradient(l) ? "_dz" + (l.Index + 1) : "_dz" + l.Index;

    /// <summary>True when layer <paramref name="l"/> has no dZ buffer of its own (see <see cref="Gradient"/>).</summary>
    internal static bool SharesGradient(LayerPlan l) => l.EndsBlock && l.AppliedActivation == ActivationKind.None;

    internal static string PreActivation(int index) => "_z" + index;

    /// <summary>True when the image input is transposed to channels-last first (more than one channel).</summary>
    internal static bool TransposesInput(ModelPlan layers) => layers[0].Input.Spatial && layers[0].Input.Channels > 1;

    /// <summary>The name of the nested class that holds the CPU program, beside the trainer.</summary>
    public const string ProgramClass = "CpuTrainingProgram";

    /// <summary>
    /// The nested CPU program: a <c>SoftGen.Cpu.CpuProgram</c> with the model's buffers (made by its constructor), the
    /// passes and the layer shape structs. Its <c>Open</c> is what the trainer hands the runtime for Backend.Cpu.
    /// </summary>
    public static void WriteProgram(SourceWriter w, ModelSpec spec, ModelPlan layers)
    {
        w.Line("/// <summary>The CPU program of " + spec.ClassName + ": its buffers and passes over SoftGen.Cpu's kernels (see the file header).</summary>");
        w.Line(TrainerEmitter.GeneratedCodeAttribute);
        using (w.Block("internal sealed class " + ProgramClass + " : global::SoftGen.Cpu.CpuProgram"))
        {
            w.Line("/// <summary>Makes the program; every buffer its passes use is made here, so a step allocates nothing.</summary>");
            w.Line("internal static global::SoftGen.Training.TrainingProgram Open(global::SoftGen.Training.ModelInfo model, global::SoftGen.TrainerOptions options) =>");
            w.Line("    new " + ProgramClass + "(model, options);");
            w.Line();
            WriteBuffers(w, layers);
            w.Line();
            using (w.Block("private " + ProgramClass + "(global::SoftGen.Training.ModelInfo model, global::SoftGen.TrainerOptions options) : base(model, options)"))
                WriteAllocations(w, layers);
            w.Line();
            WritePasses(w, spec, layers);
            w.Line();
            WriteShapes(w, spec, layers);
        }
    }

    private static void WriteBuffers(SourceWriter w, ModelPlan layers)
    {
        var n = layers.Count;
        var first = layers.FirstWithParameters;
        if (TransposesInput(layers))
            w.Line("// The input images in channels-last order [rows, h, w, " + layers[0].Input.Channels + "], for the spatial kernels.");
        if (TransposesInput(layers))
            w.Line("private readonly " + Buffer + " _x;");
        w.Line("// Layer outputs A (after the activation) and gradients dZ (before it), each [BatchCapacity, stride],");
        w.Line("// padding columns kept at 0. Made once, in the constructor.");
        foreach (var l in layers)
        {
            if (layers.FusedWithPool(l.Index))
            {
                w.Line("// (A" + l.Index + " and dZ" + l.Index + " are not stored: layer " + l.Index + " runs fused with the max pool after it.)");
                continue;
            }
            var name = Output(l, n);
            var comment = IsLast(l, n)
                ? (l.Output.Spatial
                    ? " // [rows, " + l.Output.Height + ", " + l.Output.Width + ", " + l.OutStride + "], " + l.Out + " real channels per pixel"
                    : " // [rows, " + l.OutStride + "], " + l.Out + " real columns")
                : "";
            w.Line("private readonly " + Buffer + " " + name + ";" + comment);
            if (l.KeepsPreActivation)
                w.Line("private readonly " + Buffer + " " + PreActivation(l.Index) + "; // Z" + l.Index + ", kept for the GELU derivative");
            if (l.Kind == LayerKind.Dropout)
                w.Line("private readonly " + Buffer + " _mask" + l.Index + "; // 0 or 1 / (1 - rate) per value, drawn each training step");
        }
        foreach (var l in layers.Where(l => l.Index >= first && !layers.FusedWithPool(l.Index) && !SharesGradient(l)))
            w.Line("private readonly " + Buffer + " " + Gradient(l, n) + ";");
        var transposed = layers.Where(l => l.Kind == LayerKind.Dense && l.Index > first).ToList();
        if (transposed.Count > 0)
        {
            var contiguous = transposed.Count == transposed[transposed.Count - 1].Index - transposed[0].Index + 1;
            var names = contiguous
                ? "W" + transposed[0].Index + "..W" + transposed[transposed.Count - 1].Index
                : "W" + string.Join(", W", transposed.Select(l => l.Index));
            w.Line("// " + names + " packed into column panels, refreshed each step for the input-gradient GEMMs.");
            foreach (var l in transposed)
                w.Line("private readonly " + Buffer + " _w" + l.Index + ";");
        }
        var convs = layers.Where(l => l.Kind == LayerKind.Conv2D).ToList();
        if (convs.Count > 0)
        {
            w.Line("// Conv weight gradients summed per partition of the pixels, then added in order (thread-count independent).");
            foreach (var l in convs)
                w.Line("private readonly " + Buffer + " _dw" + l.Index + ";");
        }
        var rotated = layers.Where(l => l.Kind == LayerKind.Conv2D && !l.IsDepthwise && l.Index > first).ToList();
        if (rotated.Count > 0)
        {
            w.Line("// Conv weights as [tap, out, in] (each kernel position's [in, out] block transposed), refreshed each step");
            w.Line("// for the input-gradient GEMMs.");
            foreach (var l in rotated)
                w.Line("private readonly " + Buffer + " _wr" + l.Index + ";");
        }
        CpuNormEmitter.WriteBuffers(w, layers);
        CpuChannelEmitter.WriteBuffers(w, layers);
    }

    private static void WriteAllocations(SourceWriter w, ModelPlan layers)
    {
        var n = layers.Count;
        var first = layers.FirstWithParameters;
        if (TransposesInput(layers))
            w.Line("_x = AllocateBuffer(BatchCapacity * " + layers[0].Input.RowLength + ");");
        foreach (var l in layers.Where(l => !layers.FusedWithPool(l.Index)))
        {
            var size = "BatchCapacity * " + RowLength(l);
            w.Line(Output(l, n) + " = AllocateBuffer(" + size + ");");
            if (l.KeepsPreActivation)
                w.Line(PreActivation(l.Index) + " = AllocateBuffer(" + size + ");");
            if (l.Kind == LayerKind.Dropout)
                w.Line("_mask" + l.Index + " = AllocateBuffer(" + size + ");");
            if (l.Index >= first && !SharesGradient(l))
                w.Line(Gradient(l, n) + " = AllocateBuffer(" + size + ");");
        }
        foreach (var l in layers.Where(l => l.Kind == LayerKind.Dense && l.Index > first))
            w.Line("_w" + l.Index + " = AllocateBuffer(Layer" + l.Index + ".Out * Layer" + l.Index + ".InStride);");
        foreach (var l in layers.Where(l => l.Kind == LayerKind.Conv2D))
            w.Line("_dw" + l.Index + " = AllocateBuffer(" + ConvKernels(l) + ".WeightPartialsLength<Layer" + l.Index + ">(BatchCapacity));");
        foreach (var l in layers.Where(l => l.Kind == LayerKind.Conv2D && !l.IsDepthwise && l.Index > first))
            w.Line("_wr" + l.Index + " = AllocateBuffer(" + l.Taps + " * Layer" + l.Index + ".OutChannelStride * Layer" + l.Index + ".InChannelStride);");
        CpuNormEmitter.WriteAllocations(w, layers);
        CpuChannelEmitter.WriteAllocations(w, layers);
    }

    /// <summary>The output's floats per row, as an expression on the layer's shape struct where it has one.</summary>
    private static string RowLength(LayerPlan l) => l.Kind switch
    {
        LayerKind.Dense => "Layer" + l.Index + ".OutStride",
        _ => Describe.Int(l.Output.RowLength),
    };

    private static void WritePasses(SourceWriter w, ModelSpec spec, ModelPlan layers)
    {
        var n = layers.Count;
        var last = layers[n - 1];
        var first = layers.FirstWithParameters;
        var forward = spec.HasDropout ? "Forward(x, rows, training: true, step);" : layers.HasTrainingMode ? "Forward(x, rows, training: true);" : "Forward(x, rows);";
        var predict = spec.HasDropout ? "Forward(x, rows, training: false, step: 0);" : layers.HasTrainingMode ? "Forward(x, rows, training: false);" : "Forward(x, rows);";
        var head = spec.PerPixel ? "global::SoftGen.Cpu.ConvHeadKernels" : "global::SoftGen.Cpu.HeadKernels";
        var headShape = spec.PerPixel ? "Logits" : "Layer" + last.Index;
        var rowShape = spec.PerPixel
            ? "[rows, " + spec.Classes + ", " + last.Output.Height + ", " + last.Output.Width + "]"
            : "[rows, " + spec.Classes + "]";

        w.Line("/// <summary>Forward, loss and backward for rows 0..rows-1; the gradients land in <c>Gradients</c>.</summary>");
        using (w.Block("public override float ComputeLossAndGradients(" + Buffer + " x, " + Buffer + " y, " + Buffer + " weights, int rows, long step)"))
        {
            w.Line(forward);
            w.Line();
            WriteLossHead(w, spec, head, headShape);
            for (var i = n - 1; i >= first; i--)
            {
                if (layers.FusedWithPool(i))
                    continue; // its backward ran with the pool's
                w.Line();
                WriteBackward(w, layers, i, first);
            }
            w.Line();
            w.Line("return loss;");
        }
        w.Line();
        w.Line("/// <summary>Forward for rows 0..rows-1, then the probabilities " + rowShape + ".</summary>");
        using (w.Block("public override void ComputeProbabilities(" + Buffer + " x, " + Buffer + " probabilities, int rows)"))
        {
            w.Line(predict);
            var where = spec.PerPixel ? "at each pixel" : "of each row";
            if (spec.Loss.Kind == LossKindSpec.SigmoidCrossEntropy)
            {
                w.Line("// Per-class sigmoid of the logits.");
                w.Line(head + ".Sigmoid<" + headShape + ">(_logits, probabilities, rows);");
            }
            else
            {
                w.Line("// Softmax over the " + spec.Classes + " logits " + where + " (temperature 1: the model's own probabilities).");
                w.Line(head + ".Softmax<" + headShape + ">(_logits, probabilities, rows);");
            }
        }
        w.Line();
        w.Line("/// <summary>Forward for rows 0..rows-1, then the logits " + rowShape + " without the padding columns.</summary>");
        using (w.Block("public override void ComputeLogits(" + Buffer + " x, " + Buffer + " logits, int rows)"))
        {
            w.Line(predict);
            w.Line(head + ".CopyLogits<" + headShape + ">(_logits, logits, rows);");
        }
        w.Line();
        WriteForward(w, spec, layers);
        CpuNormEmitter.WriteFold(w, layers);
    }

    private static void WriteForward(SourceWriter w, ModelSpec spec, ModelPlan layers)
    {
        var n = layers.Count;
        var denseOnly = layers.All(l => l.Kind == LayerKind.Dense);
        w.Line(denseOnly
            ? "/// <summary>The forward pass: each layer is one GEMM with the bias and activation fused into its epilogue.</summary>"
            : "/// <summary>The forward pass: each Conv2D and Dense layer is one GEMM with the bias and activation fused into its epilogue.</summary>");
        if (spec.HasDropout)
            w.Line("/// <remarks>Dropout applies only when <paramref name=\"training\"/> is true (its masks drawn for <paramref name=\"step\"/>); otherwise its input passes through.</remarks>");
        if (layers.Any(l => l.Kind == LayerKind.BatchNorm || l.Projection is not null))
            w.Line("/// <remarks>Batch norm uses the batch's statistics (and updates the running ones) when <paramref name=\"training\"/> is true, the running statistics otherwise.</remarks>");
        var parameters = spec.HasDropout ? ", bool training, long step" : layers.HasTrainingMode ? ", bool training" : "";
        using (w.Block("private void Forward(" + Buffer + " x, int rows" + parameters + ")"))
        {
            CpuNormEmitter.WriteFoldCheck(w, layers);
            var inputs = new string[n];
            // What each layer reads: the input, or the output of the layer before it (a dropout's output only in training).
            var source = "x";
            if (TransposesInput(layers))
            {
                var input = layers[0].Input;
                w.Line("// The input rows [rows, " + input.Channels + ", " + input.Height + ", " + input.Width + "] (NCHW) to channels-last [rows, "
                    + input.Height + ", " + input.Width + ", " + input.Channels + "].");
                w.Line("global::SoftGen.Cpu.ConvKernels.ToChannelsLast(Pool, x, _x, rows, " + input.Channels + ", " + input.Pixels + ");");
                source = "_x";
            }
            for (var i = 0; i < n; i++)
            {
                var l = layers[i];
                var output = Output(l, n);
                var shape = "Layer" + i;
                inputs[i] = source;
                if (l.EndsBlock && layers[i + 1].Projection is not null)
                    CpuNormEmitter.WriteProjectionForward(w, layers[i + 1], inputs[layers[i + 1].BlockStart]);
                if (layers.FusedWithPool(i))
                {
                    var pool = layers[i + 1];
                    w.Line("// Layers " + i + " and " + (i + 1) + ": " + Formula(l) + ", " + Describe.ConvText(l) + ", then " + Formula(pool) + ",");
                    w.Line("// [rows, " + l.Input.Text + "] -> [rows, " + pool.Output.Text + "]: one pass, the convolution's output kept in cache, never stored.");
                    w.Line("global::SoftGen.Cpu.ConvKernels.ForwardMaxPool<" + shape + ", Layer" + (i + 1) + ", " + RuntimeNames.ActivationType(l.Activation) + ">(Pool, "
                        + source + ", Parameters + " + shape + ".WeightOffset, Parameters + " + shape + ".BiasOffset, " + Output(pool, n) + ", rows);");
                    source = Output(pool, n);
                    i++;
                    continue;
                }
                switch (l.Kind)
                {
                    case LayerKind.Dense:
                    {
                        var z = l.KeepsPreActivation ? PreActivation(i) : Null;
                        w.Line("// Layer " + i + ": " + Formula(l) + ", [rows, " + l.Input.Real + "] -> [rows, " + l.Out + "]"
                            + (l.Input.Spatial ? " (the image flattened in PyTorch's c, h, w order)." : "."));
                        WriteGemmForward(w, layers, l, "global::SoftGen.Cpu.DenseKernels.Forward<" + shape + ", " + RuntimeNames.ActivationType(l.Activation) + ">(Pool, " + source
                            + ", Parameters + " + shape + ".WeightOffset, Parameters + " + shape + ".BiasOffset, " + z + ", " + output + ", rows);", source);
                        break;
                    }
                    case LayerKind.Conv2D:
                    {
                        var z = l.KeepsPreActivation ? PreActivation(i) : Null;
                        w.Line("// Layer " + i + ": " + Formula(l) + ", " + Describe.ConvText(l) + ", [rows, " + l.Input.Text + "] -> [rows, " + l.Output.Text + "].");
                        WriteGemmForward(w, layers, l, ConvKernels(l) + ".Forward<" + shape + ", " + RuntimeNames.ActivationType(l.Activation) + ">(Pool, " + source
                            + ", Parameters + " + shape + ".WeightOffset, Parameters + " + shape + ".BiasOffset, " + z + ", " + output + ", rows);", source);
                        break;
                    }
                    case LayerKind.BatchNorm:
                        CpuNormEmitter.WriteBatchNormForward(w, layers, l, source, l.AddsResidual ? inputs[layers[i + 1].BlockStart] : null);
                        break;
                    case LayerKind.LayerNorm:
                        CpuNormEmitter.WriteLayerNormForward(w, layers, l, source);
                        break;
                    case LayerKind.ResidualEnd:
                        CpuNormEmitter.WriteResidualForward(w, layers, l, source, inputs[l.BlockStart]);
                        break;
                    case LayerKind.MaxPool2D:
                    case LayerKind.AvgPool2D:
                        w.Line("// Layer " + i + ": " + Formula(l) + ", [rows, " + l.Input.Text + "] -> [rows, " + l.Output.Text + "].");
                        w.Line("global::SoftGen.Cpu.PoolKernels." + (l.Kind == LayerKind.MaxPool2D ? "MaxForward" : "AverageForward")
                            + "<" + shape + ">(Pool, " + source + ", " + output + ", rows);");
                        break;
                    case LayerKind.GlobalAveragePool:
                        w.Line("// Layer " + i + ": " + Formula(l) + ", [rows, " + l.Input.Text + "] -> [rows, " + l.Output.Text + "].");
                        w.Line("global::SoftGen.Cpu.PoolKernels.GlobalAverageForward<" + shape + ">(Pool, " + source + ", " + output + ", rows);");
                        break;
                    case LayerKind.SqueezeExcitation:
                    case LayerKind.GemPool:
                        CpuChannelEmitter.WriteForward(w, layers, l, source);
                        break;
                    default:
                    {
                        var local = "a" + i;
                        w.Line("// Layer " + i + ": dropout, rate " + Describe.Float(l.Rate).TrimEnd('f') + ": " + Formula(l) + ".");
                        w.Line("// The mask comes from the trainer's seed, the step and the layer index.");
                        w.Line("var " + local + " = " + source + ";");
                        using (w.Block("if (training)"))
                        {
                            w.Line("global::SoftGen.Cpu.DropoutKernels.Forward(Pool, " + source + ", " + output + ", _mask" + i + ", rows, "
                                + l.Input.Pixels + ", " + l.Input.Channels + ", " + l.Input.ChannelStride + ", " + Describe.Float(l.Rate)
                                + ", Seed, step, layer: " + i + ");");
                            w.Line(local + " = " + output + ";");
                        }
                        source = local;
                        continue;
                    }
                }
                source = output;
            }
        }
    }

    /// <summary>A Dense or Conv2D forward; before a batch norm, prediction runs it with the batch norm folded in.</summary>
    private static void WriteGemmForward(SourceWriter w, ModelPlan layers, LayerPlan l, string call, string source)
    {
        if (!l.FoldsNext)
        {
            w.Line(call);
            return;
        }
        w.Line("if (training)");
        w.Line("    " + call);
        w.Line("else // batch norm " + (l.Index + 1) + " folded in: one GEMM writes A" + (l.Index + 1));
        w.Line("    " + CpuNormEmitter.FoldedGemm(layers, l, source));
    }

    private static void WriteLossHead(SourceWriter w, ModelSpec spec, string head, string shape)
    {
        var mean = spec.PerPixel ? "rows * pixels" : "rows";
        switch (spec.Loss.Kind)
        {
            case LossKindSpec.SoftmaxCrossEntropy:
                var smoothing = spec.Loss.LabelSmoothing;
                var temperature = spec.Loss.Temperature;
                var target = smoothing != 0f ? "y' = " + (1f - smoothing).ToString("R", System.Globalization.CultureInfo.InvariantCulture)
                    + " y + " + Describe.Float(smoothing).TrimEnd('f') + " / " + spec.Classes : "y' = y";
                w.Line("// Loss head: " + Describe.Loss(spec.Loss, spec.PerPixel) + "; " + target + ".");
                w.Line(temperature != 1f
                    ? "// loss = T^2 CE(y', softmax(z / T)); dLogits = T (softmax(z / T) - y') / " + mean + ", T = " + Describe.Float(temperature).TrimEnd('f') + "."
                    : "// dLogits = (softmax(z) - y') / " + mean + ".");
                WriteWeightsNote(w, spec);
                w.Line("var loss = " + head + ".SoftmaxCrossEntropy<" + shape + ">(_logits, y, weights, _dLogits, rows, labelSmoothing: "
                    + Describe.Float(smoothing) + ", temperature: " + Describe.Float(temperature) + ");");
                break;
            case LossKindSpec.KLDivergence:
                w.Line("// Loss head: " + Describe.Loss(spec.Loss, spec.PerPixel) + "; dLogits = (softmax(z) - y) / " + mean + ".");
                WriteWeightsNote(w, spec);
                w.Line("var loss = " + head + ".KLDivergence<" + shape + ">(_logits, y, weights, _dLogits, rows);");
                break;
            default:
                w.Line("// Loss head: " + Describe.Loss(spec.Loss, spec.PerPixel) + ", max(z, 0) - z y + log(1 + exp(-|z|));");
                w.Line("// dLogits = (sigmoid(z) - y) / (" + mean + " * " + spec.Classes + ").");
                WriteWeightsNote(w, spec);
                w.Line("var loss = " + head + ".SigmoidCrossEntropy<" + shape + ">(_logits, y, weights, _dLogits, rows);");
                break;
        }
    }

    /// <summary>The loss head's comment on sample weights, written before its call.</summary>
    private static void WriteWeightsNote(SourceWriter w, ModelSpec spec) =>
        w.Line("// Sample weights (unless Null): weights[r] (mean 1) scales row r's loss" + (spec.PerPixel ? " (its pixels' mean)" : "") + " and its dLogits.");

    private static void WriteBackward(SourceWriter w, ModelPlan layers, int i, int first)
    {
        var n = layers.Count;
        var l = layers[i];
        var previous = i > first ? layers[i - 1] : null;
        var dz = Gradient(l, n);
        var input = i == 0 ? (TransposesInput(layers) ? "_x" : "x") : Output(layers[i - 1], n);
        var shape = "Layer" + i;

        // The chain rule into the layer before: dZ(i-1) = (gradient of A(i-1)) * act'(i-1). When A(i-1) is a residual
        // block's input, its gradient also comes from the shortcut: this layer writes dA(i-1), and the shortcut's
        // gradient and act'(i-1) are applied after it.
        var blockEnd = layers.FirstOrDefault(e => e.Kind == LayerKind.ResidualEnd && e.BlockStart == i && CpuNormEmitter.BlockInputNeedsGradient(layers, e));
        string derivativeText = "", prevAct = "", prevZ = "", prevA = "", dzPrev = "";
        if (previous is not null)
        {
            var act = blockEnd is null ? previous.AppliedActivation : ActivationKind.None;
            derivativeText = act == ActivationKind.None
                ? ""
                : " * " + Describe.ActivationFunction(act) + "'(" + (previous.KeepsPreActivation ? "Z" : "A") + (i - 1) + ")";
            prevAct = RuntimeNames.ActivationType(act);
            prevZ = previous.KeepsPreActivation && blockEnd is null ? PreActivation(previous.Index) : Null;
            prevA = Output(previous, n);
            dzPrev = Gradient(previous, n);
        }

        switch (l.Kind)
        {
            case LayerKind.Dense:
                w.Line("// Layer " + i + " backward: dW" + i + " = dZ" + i + "^T " + (i == 0 ? "X" : "A" + (i - 1))
                    + ", db" + i + " = column sums of dZ" + i + (previous is null ? (i == 0 ? " (the inputs need no gradient)." : " (nothing before it needs a gradient).") : ";"));
                if (previous is not null)
                    w.Line("// dZ" + (i - 1) + " = (dZ" + i + " W" + i + ")" + derivativeText + ".");
                w.Line("global::SoftGen.Cpu.DenseKernels.BackwardWeights<" + shape + ">(Pool, " + input + ", " + dz
                    + ", Gradients + " + shape + ".WeightOffset, Gradients + " + shape + ".BiasOffset, rows);");
                WriteNoBias(w, l);
                if (previous is not null)
                    w.Line("global::SoftGen.Cpu.DenseKernels.BackwardInputs<" + shape + ", " + prevAct + ">(Pool, " + dz
                        + ", Parameters + " + shape + ".WeightOffset, _w" + i + ", " + prevZ + ", " + prevA + ", " + dzPrev + ", rows);");
                break;
            case LayerKind.Conv2D:
                w.Line("// Layer " + i + " backward: dW" + i + " = sum over pixels of dZ" + i + " (x) the input " + (l.IsDepthwise ? "windows" : "patches") + " of " + (i == 0 ? "X" : "A" + (i - 1))
                    + (l.IsDepthwise ? " (per channel)" : "") + ", db" + i + " = sums of dZ" + i + " over pixels" + (previous is null ? (i == 0 ? " (the inputs need no gradient)." : " (nothing before it needs a gradient).") : ";"));
                if (previous is not null)
                    w.Line("// dZ" + (i - 1) + " = (the transposed convolution of dZ" + i + " with W" + i + ")" + derivativeText + ".");
                w.Line(ConvKernels(l) + ".BackwardWeights<" + shape + ">(Pool, " + input + ", " + dz
                    + ", Gradients + " + shape + ".WeightOffset, Gradients + " + shape + ".BiasOffset, _dw" + i + ", rows);");
                WriteNoBias(w, l);
                if (previous is not null)
                    w.Line(ConvKernels(l) + ".BackwardInputs<" + shape + ", " + prevAct + ">(Pool, " + dz
                        + ", Parameters + " + shape + ".WeightOffset, " + (l.IsDepthwise ? "" : "_wr" + i + ", ") + prevZ + ", " + prevA + ", " + dzPrev + ", rows);");
                break;
            case LayerKind.MaxPool2D when layers.FusedWithPool(i - 1):
            {
                var conv = "Layer" + (i - 1);
                w.Line("// Layers " + i + " and " + (i - 1) + " backward, fused: Z" + (i - 1) + " recomputed a band of windows at a time; each window's gradient");
                w.Line("// goes to its (first) largest input, dZ" + (i - 1) + " = that" + derivativeText + " (in cache, never stored);");
                w.Line("// dW" + (i - 1) + " = sum over pixels of dZ" + (i - 1) + " (x) the input patches of X, db" + (i - 1) + " = sums of dZ" + (i - 1)
                    + " over pixels (the inputs need no gradient).");
                w.Line("global::SoftGen.Cpu.ConvKernels.BackwardWeightsMaxPool<" + conv + ", " + shape + ", " + prevAct + ">(Pool, " + (TransposesInput(layers) ? "_x" : "x")
                    + ", Parameters + " + conv + ".WeightOffset, Parameters + " + conv + ".BiasOffset, " + Output(l, n) + ", " + dz + ",");
                w.Line("    Gradients + " + conv + ".WeightOffset, Gradients + " + conv + ".BiasOffset, _dw" + (i - 1) + ", rows);");
                break;
            }
            case LayerKind.MaxPool2D:
                w.Line("// Layer " + i + " backward: each window's gradient goes to its (first) largest input; dZ" + (i - 1) + " = that" + derivativeText + ".");
                w.Line("global::SoftGen.Cpu.PoolKernels.MaxBackward<" + shape + ", " + prevAct + ">(Pool, " + dz + ", " + Output(l, n) + ", "
                    + prevZ + ", " + prevA + ", " + dzPrev + ", rows);");
                break;
            case LayerKind.AvgPool2D:
                w.Line("// Layer " + i + " backward: each window's gradient spread evenly over its " + l.Taps + " inputs; dZ" + (i - 1) + " = that" + derivativeText + ".");
                w.Line("global::SoftGen.Cpu.PoolKernels.AverageBackward<" + shape + ", " + prevAct + ">(Pool, " + dz + ", "
                    + prevZ + ", " + prevA + ", " + dzPrev + ", rows);");
                break;
            case LayerKind.GlobalAveragePool:
                w.Line("// Layer " + i + " backward: each channel's gradient spread evenly over its " + l.Input.Pixels + " pixels; dZ" + (i - 1) + " = that" + derivativeText + ".");
                w.Line("global::SoftGen.Cpu.PoolKernels.GlobalAverageBackward<" + shape + ", " + prevAct + ">(Pool, " + dz + ", "
                    + prevZ + ", " + prevA + ", " + dzPrev + ", rows);");
                break;
            case LayerKind.BatchNorm:
            case LayerKind.LayerNorm:
                CpuNormEmitter.WriteNormBackward(w, layers, l, prevAct, prevZ, dzPrev, derivativeText);
                break;
            case LayerKind.SqueezeExcitation:
            case LayerKind.GemPool:
                CpuChannelEmitter.WriteBackward(w, l, dz, input, prevAct, prevZ, prevA, dzPrev, derivativeText, previous is not null);
                break;
            case LayerKind.ResidualEnd:
                var blockInput = l.BlockStart == 0 ? (TransposesInput(layers) ? "_x" : "x") : Output(layers[l.BlockStart - 1], n);
                CpuNormEmitter.WriteResidualBackward(w, layers, l, blockInput);
                break;
            default:
                w.Line("// Layer " + i + " backward (dropout): dZ" + (i - 1) + " = dA" + i + " * mask" + i + derivativeText + ".");
                w.Line("global::SoftGen.Cpu.DropoutKernels.Backward<" + prevAct + ">(Pool, " + dz + ", _mask" + i + ", "
                    + prevZ + ", " + prevA + ", " + dzPrev + ", rows * " + l.Output.RowLength + ");");
                break;
        }
        if (blockEnd is not null)
            CpuNormEmitter.WriteShortcutGradient(w, layers, blockEnd);
    }

    /// <summary>A Dense or Conv2D without bias: its bias storage stays 0, so its gradient must be 0 too.</summary>
    private static void WriteNoBias(SourceWriter w, LayerPlan l)
    {
        if (!l.Bias)
            w.Line("(Gradients + Layer" + l.Index + ".BiasOffset).Clear(Layer" + l.Index + "." + (l.Kind == LayerKind.Dense ? "OutStride" : l.IsDepthwise ? "ChannelStride" : "OutChannelStride") + "); // no bias: its storage stays 0");
    }

    private static void WriteShapes(SourceWriter w, ModelSpec spec, ModelPlan layers)
    {
        var denseOnly = layers.All(l => l.Kind == LayerKind.Dense);
        w.Line("// The layer shapes as types: the CPU kernels are generic over them, so the JIT compiles each kernel");
        if (denseOnly)
            w.Line("// with these widths as constants. Storage: Wt [In, OutStride] (W transposed, zero padded), then b [OutStride].");
        else
        {
            w.Line("// with these sizes as constants. Images are stored channels-last, [rows, height, width, channel stride].");
            w.Line("// Dense storage: Wt [In, OutStride] (W transposed, zero padded), then b [OutStride]. Conv2D storage:");
            w.Line("// Wt [kernel position, InChannelStride, OutChannelStride], then b [OutChannelStride].");
        }
        var written = 0;
        foreach (var l in layers)
        {
            if (l.Kind == LayerKind.Dropout)
                continue;
            if (written++ > 0)
                w.Line();
            switch (l.Kind)
            {
                case LayerKind.Dense:
                    using (w.Block("internal readonly struct Layer" + l.Index + " : global::SoftGen.Cpu.IDenseShape"))
                    {
                        w.Line("public const int WeightOffset = " + l.WeightOffset + ";");
                        w.Line("public const int BiasOffset = " + l.BiasOffset + ";");
                        w.Line("public static int In => " + l.In + ";");
                        w.Line("public static int InStride => " + l.InStride + ";");
                        w.Line("public static int Out => " + l.Out + ";");
                        w.Line("public static int OutStride => " + l.OutStride + ";");
                    }
                    break;
                case LayerKind.Conv2D:
                    if (l.IsDepthwise)
                        WriteDepthwiseShape(w, l);
                    else
                        WriteConvShape(w, "Layer" + l.Index, l.WeightOffset, l.BiasOffset + ";", l.Input, l.Output, l.Window!);
                    break;
                case LayerKind.MaxPool2D:
                case LayerKind.AvgPool2D:
                    using (w.Block("internal readonly struct Layer" + l.Index + " : global::SoftGen.Cpu.IPoolShape"))
                    {
                        WriteSpatial(w, l.Input);
                        w.Line("public static int SizeHeight => " + l.Window!.KernelHeight + ";");
                        w.Line("public static int SizeWidth => " + l.Window.KernelWidth + ";");
                    }
                    break;
                case LayerKind.SqueezeExcitation:
                case LayerKind.GemPool:
                    CpuChannelEmitter.WriteShape(w, l);
                    break;
                case LayerKind.BatchNorm:
                case LayerKind.LayerNorm:
                case LayerKind.ResidualEnd:
                    CpuNormEmitter.WriteShapes(w, layers, l);
                    break;
                default:
                    using (w.Block("internal readonly struct Layer" + l.Index + " : global::SoftGen.Cpu.ISpatialShape"))
                        WriteSpatial(w, l.Input);
                    break;
            }
        }
        if (spec.PerPixel)
        {
            w.Line();
            w.Line("// The per-pixel logits: the last layer's output.");
            using (w.Block("private readonly struct Logits : global::SoftGen.Cpu.ISpatialShape"))
                WriteSpatial(w, layers[layers.Count - 1].Output);
        }
    }

    /// <summary>
    /// An IConvShape struct: a Conv2D's (a Conv1D's is one of height 1), or a projection shortcut's 1x1 one.
    /// <paramref name="biasOffset"/> is the bias offset's line tail (the offset, ";" and any comment).
    /// </summary>
    internal static void WriteConvShape(SourceWriter w, string name, int weightOffset, string biasOffset, TensorPlan input, TensorPlan output, ConvWindow window)
    {
        using (w.Block("internal readonly struct " + name + " : global::SoftGen.Cpu.IConvShape"))
        {
            w.Line("public const int WeightOffset = " + weightOffset + ";");
            w.Line("public const int BiasOffset = " + biasOffset);
            w.Line("public static int InChannels => " + input.Channels + ";");
            w.Line("public static int InChannelStride => " + input.ChannelStride + ";");
            w.Line("public static int InHeight => " + input.Height + ";");
            w.Line("public static int InWidth => " + input.Width + ";");
            w.Line("public static int OutChannels => " + output.Channels + ";");
            w.Line("public static int OutChannelStride => " + output.ChannelStride + ";");
            w.Line("public static int OutHeight => " + output.Height + ";");
            w.Line("public static int OutWidth => " + output.Width + ";");
            WriteWindow(w, window);
            w.Line("public static int Groups => " + window.Groups + ";");
        }
    }

    /// <summary>The window members a convolution's shape struct shares with a depthwise one.</summary>
    private static void WriteWindow(SourceWriter w, ConvWindow window)
    {
        w.Line("public static int KernelHeight => " + window.KernelHeight + ";");
        w.Line("public static int KernelWidth => " + window.KernelWidth + ";");
        w.Line("public static int StrideHeight => " + window.StrideHeight + ";");
        w.Line("public static int StrideWidth => " + window.StrideWidth + ";");
        w.Line("public static int PaddingHeight => " + window.PaddingHeight + ";");
        w.Line("public static int PaddingWidth => " + window.PaddingWidth + ";");
        w.Line("public static int DilationHeight => " + window.DilationHeight + ";");
        w.Line("public static int DilationWidth => " + window.DilationWidth + ";");
    }

    /// <summary>An IDepthwiseConvShape struct: a convolution with one input channel per filter.</summary>
    private static void WriteDepthwiseShape(SourceWriter w, LayerPlan l)
    {
        using (w.Block("internal readonly struct Layer" + l.Index + " : global::SoftGen.Cpu.IDepthwiseConvShape"))
        {
            w.Line("public const int WeightOffset = " + l.WeightOffset + ";");
            w.Line("public const int BiasOffset = " + l.BiasOffset + ";");
            w.Line("public static int Channels => " + l.Out + ";");
            w.Line("public static int ChannelStride => " + l.OutStride + ";");
            w.Line("public static int InHeight => " + l.Input.Height + ";");
            w.Line("public static int InWidth => " + l.Input.Width + ";");
            w.Line("public static int OutHeight => " + l.Output.Height + ";");
            w.Line("public static int OutWidth => " + l.Output.Width + ";");
            WriteWindow(w, l.Window!);
        }
    }

    /// <summary>An ISpatialShape's members for tensor <paramref name="t"/>.</summary>
    internal static void WriteSpatial(SourceWriter w, TensorPlan t)
    {
        w.Line("public static int Channels => " + t.Channels + ";");
        w.Line("public static int ChannelStride => " + t.ChannelStride + ";");
        w.Line("public static int Height => " + t.Height + ";");
        w.Line("public static int Width => " + t.Width + ";");
    }
}
