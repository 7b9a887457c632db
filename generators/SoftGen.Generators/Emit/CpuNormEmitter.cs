using System.Linq;
using SoftGen.Generators.Model;
using static SoftGen.Generators.Emit.CpuPassEmitter;

namespace SoftGen.Generators.Emit;

/// <summary>
/// The CPU program's batch norm, layer norm and residual blocks: their buffers, their passes each way, batch norm
/// folded into the GEMM before it for prediction, and their shape structs. <see cref="CpuPassEmitter"/> calls in here
/// for these layers.
/// </summary>
/// <remarks>
/// Buffers, per batch norm or layer norm i: the mean and 1/sqrt(var + eps) of its last training batch (<c>_mean{i}</c>,
/// <c>_invStd{i}</c>, per channel or per row) and the scratch of its fixed-order reductions (<c>_partials{i}</c>).
/// Per projection shortcut e: the 1x1 convolution's output <c>_sc{e}</c>, its batch norm's output <c>_scn{e}</c>,
/// their gradients <c>_dsc{e}</c> and (when the block's input needs one) <c>_dx{e}</c>. Per GEMM with a batch norm
/// folded in: <c>_foldedW{i}</c>, <c>_foldedB{i}</c>.
/// </remarks>
internal static class CpuNormEmitter
{
    private const string Buffer = "global::SoftGen.Cpu.FloatBuffer";
    private const string Null = "global::SoftGen.Cpu.FloatBuffer.Null";
    private const string BatchNorm = "global::SoftGen.Cpu.BatchNormKernels.";
    private const string LayerNorm = "global::SoftGen.Cpu.LayerNormKernels.";
    private const string Residual = "global::SoftGen.Cpu.ResidualKernels.";
    private const string Identity = "global::SoftGen.Cpu.Identity";

    public static bool HasFolds(ModelPlan layers) => layers.Any(l => l.FoldsNext || l.Projection is not null);

    /// <summary>True when the block that layer <paramref name="e"/> ends has an input that needs a gradient.</summary>
    public static bool BlockInputNeedsGradient(ModelPlan layers, LayerPlan e) => e.BlockStart - 1 >= layers.FirstWithParameters;

    public static void WriteBuffers(SourceWriter w, ModelPlan layers)
    {
        var norms = layers.Where(l => l.IsNorm).ToList();
        if (norms.Count > 0)
        {
            w.Line("// Per norm layer: the mean and 1 / sqrt(var + eps) of the last training batch, and the partial sums of its");
            w.Line("// fixed-order reductions (the same result on any number of threads).");
            foreach (var l in norms)
                w.Line("private readonly " + Buffer + " _mean" + l.Index + ", _invStd" + l.Index + ", _partials" + l.Index + ";");
        }
        foreach (var e in layers.Where(l => l.Projection is not null))
        {
            w.Line("// Block end " + e.Index + "'s projection shortcut: the 1x1 convolution's output and gradient, its batch norm's output,");
            w.Line("// statistics and scratch, the conv weight gradient's partial sums" + (BlockInputNeedsGradient(layers, e) ? ", the gradient it sends to the block's input" : "") + ".");
            w.Line("private readonly " + Buffer + " _sc" + e.Index + ", _dsc" + e.Index + ", _scn" + e.Index + ", _scMean" + e.Index + ", _scInvStd" + e.Index
                + ", _scPartials" + e.Index + ", _dw" + e.Index + (BlockInputNeedsGradient(layers, e) ? ", _wr" + e.Index + ", _dx" + e.Index : "") + ";");
        }
        if (HasFolds(layers))
        {
            w.Line("// Prediction: each batch norm folded into the GEMM before it (W' = W s, b' = (b - running_mean) s + beta,");
            w.Line("// s = gamma / sqrt(running_var + eps)), refreshed when the parameters or running statistics change.");
            foreach (var l in layers.Where(l => l.FoldsNext || l.Projection is not null))
                w.Line("private readonly " + Buffer + " _foldedW" + l.Index + ", _foldedB" + l.Index + ";");
            w.Line("private long _foldedVersion = -1;");
        }
    }

    public static void WriteAllocations(SourceWriter w, ModelPlan layers)
    {
        foreach (var l in layers.Where(l => l.IsNorm))
        {
            var kernels = l.Kind == LayerKind.BatchNorm ? BatchNorm : LayerNorm;
            var statistics = l.Kind == LayerKind.BatchNorm ? "Layer" + l.Index + ".ChannelStride" : "BatchCapacity";
            w.Line("_mean" + l.Index + " = AllocateBuffer(" + statistics + ");");
            w.Line("_invStd" + l.Index + " = AllocateBuffer(" + statistics + ");");
            w.Line("_partials" + l.Index + " = AllocateBuffer(" + kernels + "PartialsLength<Layer" + l.Index + ">(BatchCapacity));");
        }
        foreach (var e in layers.Where(l => l.Projection is not null))
        {
            var i = e.Index;
            var size = "BatchCapacity * " + e.Output.RowLength;
            w.Line("_sc" + i + " = AllocateBuffer(" + size + ");");
            w.Line("_dsc" + i + " = AllocateBuffer(" + size + ");");
            w.Line("_scn" + i + " = AllocateBuffer(" + size + ");");
            w.Line("_scMean" + i + " = AllocateBuffer(ShortcutNorm" + i + ".ChannelStride);");
            w.Line("_scInvStd" + i + " = AllocateBuffer(ShortcutNorm" + i + ".ChannelStride);");
            w.Line("_scPartials" + i + " = AllocateBuffer(" + BatchNorm + "PartialsLength<ShortcutNorm" + i + ">(BatchCapacity));");
            w.Line("_dw" + i + " = AllocateBuffer(global::SoftGen.Cpu.ConvKernels.WeightPartialsLength<Shortcut" + i + ">(BatchCapacity));");
            if (BlockInputNeedsGradient(layers, e))
            {
                w.Line("_wr" + i + " = AllocateBuffer(Shortcut" + i + ".OutChannelStride * Shortcut" + i + ".InChannelStride);");
                w.Line("_dx" + i + " = AllocateBuffer(BatchCapacity * " + e.Projection!.Input.RowLength + ");");
            }
        }
        foreach (var l in layers.Where(l => l.FoldsNext))
        {
            w.Line("_foldedW" + l.Index + " = AllocateBuffer(" + l.WeightLength + ");");
            w.Line("_foldedB" + l.Index + " = AllocateBuffer(" + l.OutStride + ");");
        }
        foreach (var e in layers.Where(l => l.Projection is not null))
        {
            w.Line("_foldedW" + e.Index + " = AllocateBuffer(" + e.Projection!.Input.ChannelStride * e.OutStride + ");");
            w.Line("_foldedB" + e.Index + " = AllocateBuffer(" + e.OutStride + ");");
        }
    }

    /// <summary>The method that folds every batch norm into the GEMM before it, for prediction.</summary>
    public static void WriteFold(SourceWriter w, ModelPlan layers)
    {
        if (!HasFolds(layers))
            return;
        w.Line();
        w.Line("/// <summary>Folds each batch norm into the GEMM before it, for prediction; runs again only after the parameters or statistics changed.</summary>");
        using (w.Block("private void FoldBatchNorms()"))
        {
            foreach (var l in layers.Where(l => l.FoldsNext))
            {
                var gemm = "Layer" + l.Index;
                var norm = "Layer" + (l.Index + 1);
                w.Line("// Batch norm " + (l.Index + 1) + " into " + (l.Kind == LayerKind.Dense ? "Dense" : "Conv2D") + " " + l.Index + ".");
                w.Line(BatchNorm + "Fold(Parameters + " + gemm + ".WeightOffset, Parameters + " + gemm + ".BiasOffset, " + l.Depth + ", " + l.Out + ", " + l.OutStride + ",");
                w.Line("    Parameters + " + norm + ".WeightOffset, Parameters + " + norm + ".BiasOffset, State + " + norm + ".RunningMeanOffset, State + " + norm
                    + ".RunningVarOffset, " + Describe.Float(layers[l.Index + 1].Epsilon) + ", _foldedW" + l.Index + ", _foldedB" + l.Index + ");");
            }
            foreach (var e in layers.Where(l => l.Projection is not null))
            {
                var conv = "Shortcut" + e.Index;
                var norm = "ShortcutNorm" + e.Index;
                w.Line("// The projection shortcut's batch norm into its 1x1 convolution (block end " + e.Index + ").");
                w.Line(BatchNorm + "Fold(Parameters + " + conv + ".WeightOffset, Parameters + " + conv + ".BiasOffset, " + e.Projection!.Input.ChannelStride + ", " + e.Out + ", " + e.OutStride + ",");
                w.Line("    Parameters + " + norm + ".WeightOffset, Parameters + " + norm + ".BiasOffset, State + " + norm + ".RunningMeanOffset, State + " + norm
                    + ".RunningVarOffset, " + Describe.Float(ProjectionPlan.Epsilon) + ", _foldedW" + e.Index + ", _foldedB" + e.Index + ");");
            }
            w.Line("_foldedVersion = ParametersVersion;");
        }
    }

    /// <summary>At the top of Forward: prediction refreshes the folded weights when stale; training makes them stale.</summary>
    public static void WriteFoldCheck(SourceWriter w, ModelPlan layers)
    {
        if (!HasFolds(layers))
            return;
        w.Line("// Training changes the running statistics; prediction folds them into the GEMMs when they are stale.");
        w.Line("if (training) _foldedVersion = -1;");
        w.Line("else if (_foldedVersion != ParametersVersion) FoldBatchNorms();");
    }

    /// <summary>
    /// A Dense or Conv2D followed by a batch norm, in prediction: the GEMM with the folded weights and the batch norm's
    /// activation writes the batch norm's output directly.
    /// </summary>
    public static string FoldedGemm(ModelPlan layers, LayerPlan l, string source)
    {
        var norm = layers[l.Index + 1];
        var kernels = l.Kind == LayerKind.Dense ? "global::SoftGen.Cpu.DenseKernels" : ConvKernels(l);
        // Prediction runs no backward pass, so it keeps no pre-activation Z.
        return kernels + ".Forward<Layer" + l.Index + ", " + RuntimeNames.ActivationType(norm.Activation) + ">(Pool, " + source
            + ", _foldedW" + l.Index + ", _foldedB" + l.Index + ", " + Null + ", " + Output(norm, layers.Count) + ", rows);";
    }

    /// <summary>The shortcut of a projection block, computed before the block's last layer (which may add it).</summary>
    public static void WriteProjectionForward(SourceWriter w, LayerPlan e, string blockInput)
    {
        var p = e.Projection!;
        var i = e.Index;
        w.Line("// Block end " + i + "'s shortcut: 1x1 " + (p.Input.Signal ? "Conv1D" : "Conv2D") + ", stride " + p.StrideText + ", no bias, then batch norm, [rows, " + p.Input.Text + "] -> [rows, " + e.Output.Text + "].");
        using (w.Block("if (training)"))
        {
            w.Line("global::SoftGen.Cpu.ConvKernels.Forward<Shortcut" + i + ", " + Identity + ">(Pool, " + blockInput + ", Parameters + Shortcut" + i + ".WeightOffset, Parameters + Shortcut" + i
                + ".BiasOffset, " + Null + ", _sc" + i + ", rows);");
            w.Line(BatchNorm + "ForwardTraining<ShortcutNorm" + i + ", " + Identity + ">(Pool, _sc" + i + ", Parameters + ShortcutNorm" + i + ".WeightOffset, Parameters + ShortcutNorm" + i
                + ".BiasOffset,");
            w.Line("    State + ShortcutNorm" + i + ".RunningMeanOffset, State + ShortcutNorm" + i + ".RunningVarOffset, " + Describe.Float(ProjectionPlan.Momentum) + ", "
                + Describe.Float(ProjectionPlan.Epsilon) + ", _scMean" + i + ", _scInvStd" + i + ", _scPartials" + i + ", " + Null + ", " + Null + ", _scn" + i + ", rows);");
        }
        w.Line("else");
        w.Line("    global::SoftGen.Cpu.ConvKernels.Forward<Shortcut" + i + ", " + Identity + ">(Pool, " + blockInput + ", _foldedW" + i + ", _foldedB" + i + ", " + Null + ", _scn" + i + ", rows);");
    }

    /// <summary>The shortcut's value in the block's sum: the block's input, or the projection's output.</summary>
    public static string Shortcut(LayerPlan e, string blockInput) => e.Projection is null ? blockInput : "_scn" + e.Index;

    public static void WriteBatchNormForward(SourceWriter w, ModelPlan layers, LayerPlan l, string source, string? blockInput)
    {
        var n = layers.Count;
        var shape = "Layer" + l.Index;
        var folded = layers[l.Index - 1].FoldsNext;
        var parameters = "Parameters + " + shape + ".WeightOffset, Parameters + " + shape + ".BiasOffset";
        var running = "State + " + shape + ".RunningMeanOffset, State + " + shape + ".RunningVarOffset";
        w.Line("// Layer " + l.Index + ": " + Formula(l) + ", [rows, " + l.Output.Text + "].");
        string act = RuntimeNames.ActivationType(l.Activation), z = l.KeepsPreActivation ? PreActivation(l.Index) : Null, output = Output(l, n), residual = Null;
        if (l.AddsResidual)
        {
            var end = layers[l.Index + 1];
            w.Line("// In training the pass also adds block end " + end.Index + "'s shortcut and applies its activation: " + Formula(end) + ".");
            act = RuntimeNames.ActivationType(end.Activation);
            z = end.KeepsPreActivation ? PreActivation(end.Index) : Null;
            output = Output(end, n);
            residual = Shortcut(end, blockInput!);
        }
        if (folded)
            w.Line("// In prediction the GEMM before it, with the batch norm folded in, wrote A" + l.Index + ".");
        using (w.Block("if (training)"))
        {
            w.Line(BatchNorm + "ForwardTraining<" + shape + ", " + act + ">(Pool, " + source + ", " + parameters + ",");
            w.Line("    " + running + ", " + Describe.Float(l.Momentum) + ", " + Describe.Float(l.Epsilon) + ", _mean" + l.Index + ", _invStd" + l.Index
                + ", _partials" + l.Index + ", " + residual + ", " + z + ", " + output + ", rows);");
        }
        if (folded)
            return;
        w.Line("else");
        w.Line("    " + BatchNorm + "ForwardInference<" + shape + ", " + RuntimeNames.ActivationType(l.Activation) + ">(Pool, " + source + ", " + parameters + ", " + running
            + ", " + Describe.Float(l.Epsilon) + ", " + Null + ", " + Output(l, n) + ", rows);");
    }

    public static void WriteLayerNormForward(SourceWriter w, ModelPlan layers, LayerPlan l, string source)
    {
        var shape = "Layer" + l.Index;
        var z = l.KeepsPreActivation ? PreActivation(l.Index) : Null;
        w.Line("// Layer " + l.Index + ": " + Formula(l) + ", [rows, " + l.Output.Text + "].");
        w.Line(LayerNorm + "Forward<" + shape + ", " + RuntimeNames.ActivationType(l.Activation) + ">(Pool, " + source + ", Parameters + " + shape + ".WeightOffset, Parameters + "
            + shape + ".BiasOffset, " + Describe.Float(l.Epsilon) + ",");
        w.Line("    _mean" + l.Index + ", _invStd" + l.Index + ", " + z + ", " + Output(l, layers.Count) + ", rows);");
    }

    public static void WriteResidualForward(SourceWriter w, ModelPlan layers, LayerPlan e, string source, string blockInput)
    {
        // Z is kept for the backward pass only: prediction skips writing it.
        var predictionOnly = layers[e.Index - 1].AddsResidual;
        var z = !e.KeepsPreActivation || predictionOnly ? Null
            : layers.HasTrainingMode ? "training ? " + PreActivation(e.Index) + " : " + Null
            : PreActivation(e.Index);
        var add = Residual + "Add<Layer" + e.Index + ", " + RuntimeNames.ActivationType(e.Activation) + ">(Pool, " + source + ", " + Shortcut(e, blockInput)
            + ", " + z + ", " + Output(e, layers.Count) + ", rows);";
        w.Line("// Layer " + e.Index + ": " + Formula(e) + ", [rows, " + e.Output.Text + "].");
        if (predictionOnly)
        {
            w.Line("// (In training the block's last batch norm has added it.)");
            w.Line("if (!training)");
            w.Line("    " + add);
        }
        else
            w.Line(add);
    }

    /// <summary>Backward of a batch norm or layer norm: dGamma, dBeta, and dZ of the layer before (its activation derivative fused).</summary>
    public static void WriteNormBackward(SourceWriter w, ModelPlan layers, LayerPlan l, string previousActivation, string previousZ, string previousGradient, string derivativeText)
    {
        var n = layers.Count;
        var shape = "Layer" + l.Index;
        var kernels = l.Kind == LayerKind.BatchNorm ? BatchNorm : LayerNorm;
        var over = l.Kind == LayerKind.BatchNorm ? "the batch" + (l.Input.Spatial ? " and pixels" : "") : "each row";
        w.Line("// Layer " + l.Index + " backward: dg" + l.Index + " = sum of dZ" + l.Index + " xhat, db" + l.Index + " = sum of dZ" + l.Index + " over the batch"
            + (l.Input.Spatial ? " and pixels" : "") + ";");
        w.Line("// dZ" + (l.Index - 1) + " = g invStd (dZ" + l.Index + " - mean(dZ" + l.Index + ") - xhat mean(dZ" + l.Index + " xhat)), means over " + over + derivativeText + ".");
        w.Line(kernels + "Backward<" + shape + ", " + previousActivation + ">(Pool, " + Gradient(l, n) + ", " + Output(layers[l.Index - 1], n) + ", _mean" + l.Index + ", _invStd" + l.Index
            + ", Parameters + " + shape + ".WeightOffset,");
        w.Line("    Gradients + " + shape + ".WeightOffset, Gradients + " + shape + ".BiasOffset, _partials" + l.Index + ", " + previousZ + ", " + previousGradient + ", rows);");
    }

    /// <summary>
    /// Backward of a block end: the sum's gradient dZ_e flows into the block (times the block's last activation
    /// derivative) and into the shortcut (through the projection's batch norm and convolution).
    /// </summary>
    public static void WriteResidualBackward(SourceWriter w, ModelPlan layers, LayerPlan e, string blockInput)
    {
        var n = layers.Count;
        var last = layers[e.Index - 1];
        var i = e.Index;
        if (!SharesGradient(last))
        {
            var act = last.AppliedActivation;
            w.Line("// Layer " + i + " backward: dZ" + last.Index + " = dZ" + i + " * " + Describe.ActivationFunction(act) + "'(" + (last.KeepsPreActivation ? "Z" : "A") + last.Index + ").");
            w.Line(Residual + "ActivationBackward<Layer" + i + ", " + RuntimeNames.ActivationType(act) + ">(Pool, " + Gradient(e, n) + ", "
                + (last.KeepsPreActivation ? PreActivation(last.Index) : Null) + ", " + Output(last, n) + ", " + Gradient(last, n) + ", rows);");
        }
        else
            w.Line("// Layer " + i + " backward: dZ" + last.Index + " is dZ" + i + " itself (one buffer), the block's last layer having no activation.");
        if (e.Projection is null)
        {
            if (BlockInputNeedsGradient(layers, e))
                w.Line("// The identity shortcut passes dZ" + i + " to the block's input, added after the block's first layer's backward.");
            return;
        }
        var needsInput = BlockInputNeedsGradient(layers, e);
        w.Line("// The projection shortcut backward: its batch norm, then its 1x1 convolution's dW" + (needsInput ? " and the gradient of the block's input" : "") + ".");
        w.Line(BatchNorm + "Backward<ShortcutNorm" + i + ", " + Identity + ">(Pool, " + Gradient(e, n) + ", _sc" + i + ", _scMean" + i + ", _scInvStd" + i
            + ", Parameters + ShortcutNorm" + i + ".WeightOffset,");
        w.Line("    Gradients + ShortcutNorm" + i + ".WeightOffset, Gradients + ShortcutNorm" + i + ".BiasOffset, _scPartials" + i + ", " + Null + ", _dsc" + i + ", rows);");
        w.Line("global::SoftGen.Cpu.ConvKernels.BackwardWeights<Shortcut" + i + ">(Pool, " + blockInput + ", _dsc" + i + ", Gradients + Shortcut" + i
            + ".WeightOffset, Gradients + Shortcut" + i + ".BiasOffset, _dw" + i + ", rows);");
        w.Line("(Gradients + Shortcut" + i + ".BiasOffset).Clear(Shortcut" + i + ".OutChannelStride); // the shortcut has no bias");
        if (needsInput)
            w.Line("global::SoftGen.Cpu.ConvKernels.BackwardInputs<Shortcut" + i + ", " + Identity + ">(Pool, _dsc" + i + ", Parameters + Shortcut" + i + ".WeightOffset, _wr" + i
                + ", " + Null + ", " + blockInput + ", _dx" + i + ", rows);");
    }

    /// <summary>
    /// After the backward of block <paramref name="e"/>'s first layer, which wrote dA of the block's input: add the
    /// shortcut's gradient, then the input layer's activation derivative.
    /// </summary>
    public static void WriteShortcutGradient(SourceWriter w, ModelPlan layers, LayerPlan e)
    {
        var n = layers.Count;
        var input = layers[e.BlockStart - 1];
        var act = input.AppliedActivation;
        var gradient = e.Projection is null ? Gradient(e, n) : "_dx" + e.Index;
        var shape = e.Projection is null ? "Layer" + e.Index : "BlockInput" + e.Index;
        w.Line("// A" + input.Index + " feeds block " + e.BlockStart + ".." + (e.Index - 1) + " and its shortcut: dZ" + input.Index + " = (the block's gradient + the shortcut's)"
            + (act == ActivationKind.None ? "" : " * " + Describe.ActivationFunction(act) + "'(" + (input.KeepsPreActivation ? "Z" : "A") + input.Index + ")") + ".");
        w.Line(Residual + "AddGradient<" + shape + ", " + RuntimeNames.ActivationType(act) + ">(Pool, " + Gradient(input, n) + ", " + gradient + ", "
            + (input.KeepsPreActivation ? PreActivation(input.Index) : Null) + ", " + Output(input, n) + ", rows);");
    }

    /// <summary>The shape structs of a norm layer, a block end and a projection shortcut.</summary>
    public static void WriteShapes(SourceWriter w, ModelPlan layers, LayerPlan l)
    {
        if (l.IsNorm)
            WriteNormShape(w, "Layer" + l.Index, l.WeightOffset, l.BiasOffset, l.Kind == LayerKind.BatchNorm ? l.StateOffset : -1, l.Output);
        else
            using (w.Block("internal readonly struct Layer" + l.Index + " : global::SoftGen.Cpu.ISpatialShape"))
                WriteSpatial(w, l.Output);
        if (l.Projection is not { } p)
            return;
        w.Line();
        WriteConvShape(w, "Shortcut" + l.Index, p.WeightOffset, p.BiasOffset + "; // kept at 0: no bias", p.Input, l.Output, p.Window);
        w.Line();
        WriteNormShape(w, "ShortcutNorm" + l.Index, p.NormWeightOffset, p.NormBiasOffset, p.StateOffset, l.Output);
        w.Line();
        using (w.Block("internal readonly struct BlockInput" + l.Index + " : global::SoftGen.Cpu.ISpatialShape"))
            WriteSpatial(w, p.Input);
    }

    /// <summary>A norm layer's shape struct: gamma and beta, the running statistics (a batch norm: <paramref name="stateOffset"/> &gt;= 0), the tensor.</summary>
    private static void WriteNormShape(SourceWriter w, string name, int weightOffset, int biasOffset, int stateOffset, TensorPlan t)
    {
        using (w.Block("internal readonly struct " + name + " : global::SoftGen.Cpu.ISpatialShape"))
        {
            w.Line("public const int WeightOffset = " + weightOffset + "; // gamma");
            w.Line("public const int BiasOffset = " + biasOffset + "; // beta");
            if (stateOffset >= 0)
            {
                w.Line("public const int RunningMeanOffset = " + stateOffset + "; // in State");
                w.Line("public const int RunningVarOffset = " + (stateOffset + t.ChannelStride) + ";");
            }
            WriteSpatial(w, t);
        }
    }
}
