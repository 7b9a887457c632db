using System.Collections.Generic;
using System.Linq;
using SoftGen.Generators.Model;
using static SoftGen.Generators.Emit.GpuGemm;

namespace SoftGen.Generators.Emit;

/// <summary>
/// Batch norm, layer norm and residual blocks in the GPU program, over SoftGen.Gpu.Kernels' BatchNorm, LayerNorm,
/// Residual and ChannelChunks: per layer a layout struct (LayerN : IBatchNormLayer, INormLayer or ITensorLayout), its
/// buffers, its one-line kernels, and their launches each way. The dataflow is the CPU program's
/// (<see cref="CpuNormEmitter"/>): a block's last batch norm without activation adds the shortcut and applies the block
/// end's activation (in prediction too: the GPU folds nothing), a projection shortcut runs before the block's last
/// layer, and the gradient of a block's input is the block's first layer's (written with an identity derivative) plus
/// the shortcut's, times the input layer's act' (a Join launch).
/// </summary>
/// <remarks>
/// Buffers, per batch norm i: <c>_saved{i}</c> [2, Channels] (the mean and 1 / sqrt(var + eps) the normalisation used)
/// and <c>_partials{i}</c> (the fixed-order reductions' chunk sums); per layer norm: <c>_saved{i}</c> and
/// <c>_rowSums{i}</c> [positions, 2], <c>_partials{i}</c>. Per projection shortcut e: <c>_sc{e}</c> (the 1x1
/// convolution's output), <c>_scn{e}</c> (its batch norm's), <c>_dsc{e}</c>, <c>_dx{e}</c> (the gradient it sends to
/// the block's input), <c>_scSaved{e}</c>, <c>_scPartials{e}</c>, <c>_scWeights{e}</c> (the dW slices).
/// </remarks>
internal static class GpuNormEmitter
{
    private const string Kernels = "global::SoftGen.Gpu.Kernels.";
    private const string Chunks = Kernels + "ChannelChunks.";

    /// <summary>True for the layers this emitter handles.</summary>
    public static bool Handles(LayerPlan l) => l.IsNorm || l.Kind == LayerKind.ResidualEnd;

    /// <summary>The dZ buffer of layer <paramref name="l"/>: a block's last layer without activation shares its block end's (as on the CPU).</summary>
    public static string Gradient(LayerPlan l) => CpuPassEmitter.SharesGradient(l) ? "_dz" + (l.Index + 1) : "_dz" + l.Index;

    /// <summary>The buffer the block that <paramref name="e"/> ends reads: the shortcut's input.</summary>
    public static string BlockInput(LayerPlan e) => e.BlockStart == 0 ? "Inputs" : "_a" + (e.BlockStart - 1);

    /// <summary>The block end whose block starts at layer <paramref name="index"/> and whose input needs a gradient; null for none.</summary>
    public static LayerPlan? JoinAt(ModelPlan layers, int index) =>
        layers.FirstOrDefault(e => e.Kind == LayerKind.ResidualEnd && e.BlockStart == index && CpuNormEmitter.BlockInputNeedsGradient(layers, e));

    /// <summary>True when a batch norm's output is never stored: it ends a block and writes the block end's output instead.</summary>
    public static bool SkipsOutput(LayerPlan l) => l.AddsResidual;

    // ---- Synthetic plans for the projection shortcut, so that the Conv2D and batch norm code serves it too ----

    /// <summary>The projection's 1x1 Conv2D as a layer plan (indexed as the block's first layer, so that it reads the user's NCHW rows where that layer does).</summary>
    public static LayerPlan ShortcutConv(LayerPlan e)
    {
        var p = e.Projection!;
        return new LayerPlan(e.BlockStart, LayerKind.Conv2D, p.Input, p.Output, ActivationKind.None, e.ParameterIndex, p.WeightOffset, p.BiasOffset,
            p.Window, Rate: 0f) { Bias = false };
    }

    private static LayerPlan ShortcutNorm(LayerPlan e)
    {
        var p = e.Projection!;
        return new LayerPlan(e.Index, LayerKind.BatchNorm, p.Output, p.Output, ActivationKind.None, e.ParameterIndex + 1, p.NormWeightOffset, p.NormBiasOffset,
            null, 0f) { Momentum = ProjectionPlan.Momentum, Epsilon = ProjectionPlan.Epsilon, StateOffset = p.StateOffset };
    }

    /// <summary>How a batch norm is named in the program: the layer's, or block end e's shortcut's.</summary>
    private sealed record BatchNormNames(string Type, string Kernel, string Saved, string Partials)
    {
        public static BatchNormNames Of(LayerPlan l) => new("Layer" + l.Index, l.Index.ToString(System.Globalization.CultureInfo.InvariantCulture), "_saved" + l.Index, "_partials" + l.Index);

        public static BatchNormNames Shortcut(LayerPlan e) => new("ShortcutNorm" + e.Index, "Shortcut" + e.Index, "_scSaved" + e.Index, "_scPartials" + e.Index);
    }

    // ---- Layout structs ----

    public static void WriteLayerConstants(SourceWriter w, ModelPlan layers, LayerPlan l)
    {
        switch (l.Kind)
        {
            case LayerKind.BatchNorm:
                WriteBatchNormLayout(w, "Layer" + l.Index, l, "Layer " + l.Index + "'s batch norm");
                break;
            case LayerKind.LayerNorm:
                w.Line("/// <summary>Layer " + l.Index + "'s layer norm over [rows, " + l.Output.Text + "]: gamma at " + l.WeightOffset + ", beta at " + l.BiasOffset + ".</summary>");
                using (w.Block("private readonly struct Layer" + l.Index + " : " + Kernels + "INormLayer"))
                {
                    WriteLayout(w, l.Output);
                    w.Line("public int GammaOffset => " + l.WeightOffset + ";");
                    w.Line("public int BetaOffset => " + l.BiasOffset + ";");
                    w.Line("public float Epsilon => " + Describe.Float(l.Epsilon) + ";");
                }
                break;
            default:
                w.Line("/// <summary>Block end " + l.Index + "'s tensor, [rows, " + l.Output.Text + "].</summary>");
                using (w.Block("private readonly struct Layer" + l.Index + " : " + Kernels + "ITensorLayout"))
                    WriteLayout(w, l.Output);
                if (l.Projection is not null)
                {
                    w.Line();
                    GpuConvEmitter.WriteLayerConstants(w, ShortcutConv(l), "Shortcut" + l.Index);
                    w.Line();
                    WriteBatchNormLayout(w, "ShortcutNorm" + l.Index, ShortcutNorm(l), "Block end " + l.Index + "'s shortcut batch norm");
                }
                if (JoinAt(layers, l.BlockStart) is not null)
                {
                    w.Line();
                    w.Line("/// <summary>Block end " + l.Index + "'s input A" + (l.BlockStart - 1) + ", [rows, " + layers[l.BlockStart].Input.Text + "].</summary>");
                    using (w.Block("private readonly struct BlockInput" + l.Index + " : " + Kernels + "ITensorLayout"))
                        WriteLayout(w, layers[l.BlockStart].Input);
                }
                break;
        }
    }

    private static void WriteBatchNormLayout(SourceWriter w, string type, LayerPlan l, string what)
    {
        w.Line("/// <summary>" + what + " over [rows, " + l.Output.Text + "]: gamma at " + l.WeightOffset + ", beta at " + l.BiasOffset
            + "; running mean and variance at " + l.StateOffset + " and " + (l.StateOffset + l.OutStride) + " in State.</summary>");
        using (w.Block("private readonly struct " + type + " : " + Kernels + "IBatchNormLayer"))
        {
            WriteLayout(w, l.Output);
            w.Line("public int GammaOffset => " + l.WeightOffset + ";");
            w.Line("public int BetaOffset => " + l.BiasOffset + ";");
            w.Line("public float Epsilon => " + Describe.Float(l.Epsilon) + ";");
            w.Line("public float Momentum => " + Describe.Float(l.Momentum) + ";");
            w.Line("public int MeanOffset => " + l.StateOffset + ";");
            w.Line("public int VarianceOffset => " + (l.StateOffset + l.OutStride) + ";");
        }
    }

    private static void WriteLayout(SourceWriter w, TensorPlan t)
    {
        w.Line("public int Channels => " + t.Channels + ";");
        w.Line("public int Stride => " + GpuTensors.Stride(t) + ";");
        w.Line("public int Pixels => " + t.Pixels + ";");
    }

    // ---- Buffers ----

    public static IEnumerable<string> BufferNames(ModelPlan layers, LayerPlan l)
    {
        switch (l.Kind)
        {
            case LayerKind.BatchNorm:
                return new[] { "_saved" + l.Index, "_partials" + l.Index };
            case LayerKind.LayerNorm:
                return new[] { "_saved" + l.Index, "_rowSums" + l.Index, "_partials" + l.Index };
            default:
                if (l.Projection is null)
                    return Enumerable.Empty<string>();
                var names = new List<string> { "_sc" + l.Index, "_scn" + l.Index, "_dsc" + l.Index, "_scSaved" + l.Index, "_scPartials" + l.Index, "_scWeights" + l.Index };
                if (CpuNormEmitter.BlockInputNeedsGradient(layers, l))
                    names.Add("_dx" + l.Index);
                return names;
        }
    }

    public static void WriteAllocations(SourceWriter w, ModelPlan layers, LayerPlan l)
    {
        string positions = "BatchCapacity * " + l.Output.Pixels;
        switch (l.Kind)
        {
            case LayerKind.BatchNorm:
                w.Line("_saved" + l.Index + " = AllocateBuffer(" + 2 * l.Out + ").View;");
                w.Line("_partials" + l.Index + " = AllocateBuffer(" + Chunks + "PartialsLength(" + positions + ", " + l.Out + ")).View;");
                break;
            case LayerKind.LayerNorm:
                w.Line("_saved" + l.Index + " = AllocateBuffer(2L * " + positions + ").View;");
                w.Line("_rowSums" + l.Index + " = AllocateBuffer(2L * " + positions + ").View;");
                w.Line("_partials" + l.Index + " = AllocateBuffer(" + Chunks + "PartialsLength(" + positions + ", " + l.Out + ")).View;");
                break;
            default:
                if (l.Projection is not { } p)
                    return;
                string size = "(long)BatchCapacity * " + GpuTensors.RowLength(l.Output), i = l.Index.ToString(System.Globalization.CultureInfo.InvariantCulture);
                w.Line("_sc" + i + " = AllocateBuffer(" + size + ").View;");
                w.Line("_scn" + i + " = AllocateBuffer(" + size + ").View;");
                w.Line("_dsc" + i + " = AllocateBuffer(" + size + ").View;");
                w.Line("_scSaved" + i + " = AllocateBuffer(" + 2 * l.Out + ").View;");
                w.Line("_scPartials" + i + " = AllocateBuffer(" + Chunks + "PartialsLength(" + positions + ", " + l.Out + ")).View;");
                w.Line("_scWeights" + i + " = AllocateBuffer(" + GpuConvEmitter.PartialsLength(ShortcutConv(l)) + ").View;");
                if (CpuNormEmitter.BlockInputNeedsGradient(layers, l))
                    w.Line("_dx" + i + " = AllocateBuffer((long)BatchCapacity * " + GpuTensors.RowLength(p.Input) + ").View;");
                break;
        }
    }

    // ---- Kernels ----

    /// <summary>The layer's kernels, in the order the program declares them.</summary>
    public static IEnumerable<GpuKernel> KernelsOf(ModelPlan layers, LayerPlan l, ActivationKind previous, int first)
    {
        switch (l.Kind)
        {
            case LayerKind.BatchNorm:
            {
                var end = l.AddsResidual ? layers[l.Index + 1] : null;
                var activation = end?.Activation ?? l.Activation;
                var keepsZ = end?.KeepsPreActivation ?? l.KeepsPreActivation;
                foreach (var k in BatchNormForward(BatchNormNames.Of(l), activation, keepsZ, adds: end is not null, CpuPassEmitter.Formula(l)
                    + (end is null ? "" : "; adding block end " + end.Index + "'s shortcut and applying its activation: " + CpuPassEmitter.Formula(end))))
                    yield return k;
                foreach (var k in BatchNormBackward(BatchNormNames.Of(l), l.Index > first, previous))
                    yield return k;
                break;
            }
            case LayerKind.LayerNorm:
                foreach (var k in LayerNormKernels(l, previous, first))
                    yield return k;
                break;
            default:
                foreach (var k in ResidualKernels(layers, l))
                    yield return k;
                break;
        }
    }

    private static IEnumerable<GpuKernel> BatchNormForward(BatchNormNames n, ActivationKind activation, bool keepsZ, bool adds, string formula)
    {
        string bn = Kernels + "BatchNorm.", act = GpuDenseEmitter.ActivationType(activation);
        yield return new GpuKernel("Moments" + n.Kernel, new[] { "x", "partials", "int rows" },
            bn + "Moments<" + n.Type + ">(x, partials, rows)", "training, stage 1: each (chunk of positions, channel)'s mean and sum of squared deviations");
        yield return new GpuKernel("Statistics" + n.Kernel, new[] { "partials", "saved", "state", "int rows" },
            bn + "Statistics<" + n.Type + ">(partials, saved, state, rows)", "training, stage 2: the batch's mean and 1 / sqrt(var + eps), the running statistics updated");
        yield return new GpuKernel("UseRunningStatistics" + n.Kernel, new[] { "state", "saved" },
            bn + "UseRunningStatistics<" + n.Type + ">(state, saved)", "prediction: the running mean and 1 / sqrt(running_var + eps)");
        string kernel = "Normalize" + (adds ? "Adding" : "") + (keepsZ ? "KeepingZ" : "");
        var parameters = new List<string> { "x" };
        if (adds) parameters.Add("shortcut");
        parameters.AddRange(new[] { "p", "saved" });
        if (keepsZ) parameters.Add("z");
        parameters.AddRange(new[] { "a", "int rows" });
        yield return new GpuKernel("Normalize" + n.Kernel, parameters.ToArray(),
            bn + kernel + "<" + n.Type + ", " + act + ">(" + string.Join(", ", parameters.Select(Name)) + ")", formula);
    }

    private static IEnumerable<GpuKernel> BatchNormBackward(BatchNormNames n, bool inputGradient, ActivationKind previous)
    {
        string bn = Kernels + "BatchNorm.";
        yield return new GpuKernel("GradientChunks" + n.Kernel, new[] { "x", "dz", "saved", "partials", "int rows" },
            bn + "GradientChunks<" + n.Type + ">(x, dz, saved, partials, rows)", "backward, stage 1: each (chunk, channel)'s sums of dZ and dZ xhat");
        yield return new GpuKernel("ParameterGradients" + n.Kernel, new[] { "partials", "g", "int rows" },
            Chunks + "ParameterGradients<" + n.Type + ">(partials, g, rows)", "backward, stage 2: dBeta and dGamma, the chunks added in order");
        if (!inputGradient)
            yield break;
        if (LayerPlan.NeedsPreActivation(previous))
            yield return new GpuKernel("InputGradient" + n.Kernel, new[] { "x", "zPrev", "dz", "p", "saved", "g", "dzPrev", "int rows" },
                bn + "InputGradientAfterPreActivation<" + n.Type + ", " + GpuDenseEmitter.ActivationType(previous) + ">(x, zPrev, dz, p, saved, g, dzPrev, rows)",
                "backward: dZ_prev = gamma invStd (dZ - mean(dZ) - xhat mean(dZ xhat)) * " + Describe.ActivationFunction(previous) + "'(Z_prev)");
        else
            yield return new GpuKernel("InputGradient" + n.Kernel, new[] { "x", "dz", "p", "saved", "g", "dzPrev", "int rows" },
                bn + "InputGradient<" + n.Type + ", " + GpuDenseEmitter.ActivationType(previous) + ">(x, dz, p, saved, g, dzPrev, rows)",
                "backward: dZ_prev = gamma invStd (dZ - mean(dZ) - xhat mean(dZ xhat))" + Derivative(previous, "A_prev"));
    }

    private static IEnumerable<GpuKernel> LayerNormKernels(LayerPlan l, ActivationKind previous, int first)
    {
        string ln = Kernels + "LayerNorm.", type = "Layer" + l.Index, i = l.Index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        yield return new GpuKernel("Statistics" + i, new[] { "x", "saved", "int rows" },
            ln + "Statistics<" + type + ">(x, saved, rows)", "each position's mean and 1 / sqrt(var + eps) over its features");
        var keepsZ = l.KeepsPreActivation;
        yield return new GpuKernel("Normalize" + i, keepsZ ? new[] { "x", "p", "saved", "z", "a", "int rows" } : new[] { "x", "p", "saved", "a", "int rows" },
            ln + (keepsZ ? "NormalizeKeepingZ" : "Normalize") + "<" + type + ", " + GpuDenseEmitter.ActivationType(l.Activation) + ">(x, p, saved, " + (keepsZ ? "z, " : "") + "a, rows)",
            CpuPassEmitter.Formula(l));
        bool inputGradient = l.Index > first;
        if (inputGradient)
            yield return new GpuKernel("RowGradients" + i, new[] { "x", "dz", "p", "saved", "rowSums", "int rows" },
                ln + "RowGradients<" + type + ">(x, dz, p, saved, rowSums, rows)", "backward: each position's sums of dZ gamma and dZ gamma xhat");
        yield return new GpuKernel("ParameterChunks" + i, new[] { "x", "dz", "saved", "partials", "int rows" },
            ln + "ParameterChunks<" + type + ">(x, dz, saved, partials, rows)", "backward, stage 1: each (chunk, feature)'s sums of dZ and dZ xhat");
        yield return new GpuKernel("ParameterGradients" + i, new[] { "partials", "g", "int rows" },
            Chunks + "ParameterGradients<" + type + ">(partials, g, rows)", "backward, stage 2: dBeta and dGamma, the chunks added in order");
        if (!inputGradient)
            yield break;
        if (LayerPlan.NeedsPreActivation(previous))
            yield return new GpuKernel("InputGradient" + i, new[] { "x", "zPrev", "dz", "p", "saved", "rowSums", "dzPrev", "int rows" },
                ln + "InputGradientAfterPreActivation<" + type + ", " + GpuDenseEmitter.ActivationType(previous) + ">(x, zPrev, dz, p, saved, rowSums, dzPrev, rows)",
                "backward: dZ_prev = invStd (dZ gamma - mean(dZ gamma) - xhat mean(dZ gamma xhat)) * " + Describe.ActivationFunction(previous) + "'(Z_prev)");
        else
            yield return new GpuKernel("InputGradient" + i, new[] { "x", "dz", "p", "saved", "rowSums", "dzPrev", "int rows" },
                ln + "InputGradient<" + type + ", " + GpuDenseEmitter.ActivationType(previous) + ">(x, dz, p, saved, rowSums, dzPrev, rows)",
                "backward: dZ_prev = invStd (dZ gamma - mean(dZ gamma) - xhat mean(dZ gamma xhat))" + Derivative(previous, "A_prev"));
    }

    private static IEnumerable<GpuKernel> ResidualKernels(ModelPlan layers, LayerPlan e)
    {
        string residual = Kernels + "Residual.", type = "Layer" + e.Index, i = e.Index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var last = layers[e.Index - 1];
        if (!last.AddsResidual)
        {
            var keepsZ = e.KeepsPreActivation;
            yield return new GpuKernel("Add" + i, keepsZ ? new[] { "block", "shortcut", "z", "a", "int rows" } : new[] { "block", "shortcut", "a", "int rows" },
                residual + (keepsZ ? "AddKeepingZ" : "Add") + "<" + type + ", " + GpuDenseEmitter.ActivationType(e.Activation) + ">(block, shortcut, " + (keepsZ ? "z, " : "") + "a, rows)",
                CpuPassEmitter.Formula(e));
        }
        if (!CpuPassEmitter.SharesGradient(last))
        {
            var act = last.AppliedActivation;
            yield return LayerPlan.NeedsPreActivation(act)
                ? new GpuKernel("Backward" + i, new[] { "dOut", "z", "dIn", "int rows" },
                    residual + "BackwardAfterPreActivation<" + type + ", " + GpuDenseEmitter.ActivationType(act) + ">(dOut, z, dIn, rows)",
                    "backward: dZ" + last.Index + " = dZ" + i + " * " + Describe.ActivationFunction(act) + "'(Z" + last.Index + ")")
                : new GpuKernel("Backward" + i, new[] { "dOut", "a", "dIn", "int rows" },
                    residual + "Backward<" + type + ", " + GpuDenseEmitter.ActivationType(act) + ">(dOut, a, dIn, rows)",
                    "backward: dZ" + last.Index + " = dZ" + i + Derivative(act, "A" + last.Index));
        }
        if (e.Projection is not null)
        {
            bool inputGradient = CpuNormEmitter.BlockInputNeedsGradient(layers, e);
            yield return new GpuKernel("ShortcutForward" + i, new[] { "x", "p", "a", "int rows" },
                Kernels + "Conv2DForward.Run<Shortcut" + i + ", " + Kernels + "IdentityActivation>(x, p, a, rows)",
                "the shortcut's 1x1 convolution, stride " + e.Projection.StrideText + ", no bias (its bias storage stays 0)");
            foreach (var k in BatchNormForward(BatchNormNames.Shortcut(e), ActivationKind.None, keepsZ: false, adds: false, "the shortcut's batch norm"))
                yield return k;
            foreach (var k in BatchNormBackward(BatchNormNames.Shortcut(e), inputGradient: true, ActivationKind.None))
                yield return k;
            yield return inputGradient
                ? new GpuKernel("ShortcutBackward" + i, new[] { "x", "p", "dz", "partials", "dzPrev", "int rows", "int slices" },
                    Kernels + "Conv2DBackward.WithInput<Shortcut" + i + ", " + Kernels + "IdentityActivation>(x, p, dz, partials, dzPrev, rows, slices)",
                    "the shortcut convolution's dW by slice of the pixels, and its gradient of the block's input")
                : new GpuKernel("ShortcutBackward" + i, new[] { "x", "dz", "partials", "int rows", "int slices" },
                    Kernels + "Conv2DBackward.Weights<Shortcut" + i + ">(x, dz, partials, rows, slices)",
                    "the shortcut convolution's dW by slice of the pixels");
            yield return new GpuKernel("ShortcutSumWeights" + i, new[] { "partials", "g", "int slices" },
                Kernels + "Conv2DBackward.SumWeights<Shortcut" + i + ">(partials, g, slices)", "the shortcut convolution's dW: the slices' partials added in order");
        }
        if (CpuNormEmitter.BlockInputNeedsGradient(layers, e))
        {
            var input = layers[e.BlockStart - 1];
            var act = input.AppliedActivation;
            string what = "the gradient of A" + input.Index + ", which feeds block " + e.BlockStart + ".." + (e.Index - 1) + " and its shortcut: dZ" + input.Index
                + " = (the block's + the shortcut's)";
            yield return LayerPlan.NeedsPreActivation(act)
                ? new GpuKernel("Join" + i, new[] { "dz", "shortcutGradient", "z", "int rows" },
                    residual + "JoinAfterPreActivation<BlockInput" + i + ", " + GpuDenseEmitter.ActivationType(act) + ">(dz, shortcutGradient, z, rows)",
                    what + " * " + Describe.ActivationFunction(act) + "'(Z" + input.Index + ")")
                : new GpuKernel("Join" + i, new[] { "dz", "shortcutGradient", "a", "int rows" },
                    residual + "Join<BlockInput" + i + ", " + GpuDenseEmitter.ActivationType(act) + ">(dz, shortcutGradient, a, rows)",
                    what + Derivative(act, "A" + input.Index));
        }
    }

    private static string Derivative(ActivationKind act, string of) =>
        act == ActivationKind.None ? "" : " * " + Describe.ActivationFunction(act) + "'(" + of + ")";

    private static string Name(string parameter) => parameter.StartsWith("int ", System.StringComparison.Ordinal) ? parameter.Substring(4) : parameter;

    // ---- Launches ----

    private static string Config(string threads) => "new global::ILGPU.KernelConfig(" + GpuTensors.Groups(threads) + ", Threads)";

    private static string ElementThreads(string type) => Chunks + "ElementThreads<" + type + ">(rows)";

    private static string ChunkThreads(string type) => Chunks + "ChunkThreads<" + type + ">(rows)";

    private static string Launch(string kernel, string config, string args) => "_" + char.ToLowerInvariant(kernel[0]) + kernel.Substring(1) + "(Stream, " + config + ", " + args + ");";

    private static string AfterLaunch(string name) => "AfterLaunch(\"" + name + "\");";

    /// <summary>Launches of a training step's forward pass for layer <paramref name="l"/> (the projection shortcut counted at its block end).</summary>
    public static int ForwardLaunches(ModelPlan layers, LayerPlan l) => l.Kind switch
    {
        LayerKind.BatchNorm => 3,
        LayerKind.LayerNorm => 2,
        _ => (layers[l.Index - 1].AddsResidual ? 0 : 1) + (l.Projection is null ? 0 : 4),
    };

    /// <summary>Launches of the backward pass for layer <paramref name="l"/>, at or after the first layer with parameters (a block end counts its Join).</summary>
    public static int BackwardLaunches(ModelPlan layers, LayerPlan l, int first) => l.Kind switch
    {
        LayerKind.BatchNorm => l.Index > first ? 3 : 2,
        LayerKind.LayerNorm => l.Index > first ? 4 : 2,
        _ => (CpuPassEmitter.SharesGradient(layers[l.Index - 1]) ? 0 : 1) + (l.Projection is null ? 0 : 5)
            + (CpuNormEmitter.BlockInputNeedsGradient(layers, l) ? 1 : 0),
    };

    /// <summary>The projection shortcut of block end <paramref name="e"/>, launched before the block's last layer: _scn{e}.</summary>
    public static void WriteProjectionForward(SourceWriter w, LayerPlan e)
    {
        var conv = ShortcutConv(e);
        var i = e.Index;
        w.Line("// Block end " + i + "'s shortcut: 1x1 Conv2D, stride " + e.Projection!.StrideText + ", no bias, then batch norm, [rows, " + conv.Input.Text + "] -> [rows, " + e.Output.Text + "].");
        w.Line(Launch("ShortcutForward" + i, "new global::ILGPU.KernelConfig(" + Tiles("rows * " + conv.Output.Pixels) + " * " + Tiles(conv.Out) + ", Threads)",
            BlockInput(e) + ", Parameters, _sc" + i + ", rows"));
        w.Line("AfterLaunch(\"ShortcutForward" + i + "\", gemmFlops: 2L * rows * " + conv.Output.Pixels + " * " + conv.Input.Channels + " * " + conv.Out + ");");
        WriteBatchNormForward(w, BatchNormNames.Shortcut(e), "_sc" + i, null, null, "_scn" + i);
    }

    /// <summary>A batch norm's or layer norm's forward launches; a block end's add (unless its batch norm did it).</summary>
    public static void WriteForward(SourceWriter w, ModelPlan layers, LayerPlan l)
    {
        var source = GpuTensors.Source(l);
        switch (l.Kind)
        {
            case LayerKind.BatchNorm:
            {
                var end = l.AddsResidual ? layers[l.Index + 1] : null;
                var keepsZ = end?.KeepsPreActivation ?? l.KeepsPreActivation;
                var output = end ?? l;
                w.Line("// Layer " + l.Index + ": " + CpuPassEmitter.Formula(l) + ".");
                if (end is not null)
                    w.Line("// It also adds block end " + end.Index + "'s shortcut and applies its activation: " + CpuPassEmitter.Formula(end) + ".");
                WriteBatchNormForward(w, BatchNormNames.Of(l), source, end is null ? null : Shortcut(end), keepsZ ? "_z" + output.Index : null, "_a" + output.Index);
                break;
            }
            case LayerKind.LayerNorm:
            {
                string type = "Layer" + l.Index, i = l.Index.ToString(System.Globalization.CultureInfo.InvariantCulture);
                w.Line("// Layer " + i + ": " + CpuPassEmitter.Formula(l) + ".");
                w.Line(Launch("Statistics" + i, Config("rows * " + l.Output.Pixels), source + ", _saved" + i + ", rows"));
                w.Line(AfterLaunch("Statistics" + i));
                w.Line(Launch("Normalize" + i, Config(ElementThreads(type)), source + ", Parameters, _saved" + i + ", " + (l.KeepsPreActivation ? "_z" + i + ", " : "") + "_a" + i + ", rows"));
                w.Line(AfterLaunch("Normalize" + i));
                break;
            }
            default:
                if (layers[l.Index - 1].AddsResidual)
                    return;
                w.Line("// Layer " + l.Index + ": " + CpuPassEmitter.Formula(l) + ".");
                w.Line(Launch("Add" + l.Index, Config(ElementThreads("Layer" + l.Index)), source + ", " + Shortcut(l) + ", " + (l.KeepsPreActivation ? "_z" + l.Index + ", " : "")
                    + "_a" + l.Index + ", rows"));
                w.Line(AfterLaunch("Add" + l.Index));
                break;
        }
    }

    /// <summary>The shortcut's value in block end <paramref name="e"/>'s sum.</summary>
    private static string Shortcut(LayerPlan e) => e.Projection is null ? BlockInput(e) : "_scn" + e.Index;

    private static void WriteBatchNormForward(SourceWriter w, BatchNormNames n, string source, string? shortcut, string? z, string output)
    {
        using (w.Block("if (training)"))
        {
            w.Line(Launch("Moments" + n.Kernel, Config(ChunkThreads(n.Type)), source + ", " + n.Partials + ", rows"));
            w.Line(AfterLaunch("Moments" + n.Kernel));
            w.Line(Launch("Statistics" + n.Kernel, Config("default(" + n.Type + ").Channels"), n.Partials + ", " + n.Saved + ", State, rows"));
            w.Line(AfterLaunch("Statistics" + n.Kernel));
        }
        using (w.Block("else"))
        {
            w.Line(Launch("UseRunningStatistics" + n.Kernel, Config("default(" + n.Type + ").Channels"), "State, " + n.Saved));
            w.Line(AfterLaunch("UseRunningStatistics" + n.Kernel));
        }
        w.Line(Launch("Normalize" + n.Kernel, Config(ElementThreads(n.Type)),
            source + ", " + (shortcut is null ? "" : shortcut + ", ") + "Parameters, " + n.Saved + ", " + (z is null ? "" : z + ", ") + output + ", rows"));
        w.Line(AfterLaunch("Normalize" + n.Kernel));
    }

    /// <summary>
    /// A norm layer's or block end's backward launches. <paramref name="zPrev"/>: Z of the layer before where its act'
    /// needs it ("" otherwise); <paramref name="dzPrev"/>: its dZ, null before the first layer with parameters.
    /// </summary>
    public static void WriteBackward(SourceWriter w, ModelPlan layers, LayerPlan l, string zPrev, string? dzPrev)
    {
        var source = GpuTensors.Source(l);
        var i = l.Index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        switch (l.Kind)
        {
            case LayerKind.BatchNorm:
                w.Line("// Layer " + i + " backward: dGamma, dBeta" + (dzPrev is null ? "." : ", dZ" + (l.Index - 1) + "."));
                WriteBatchNormBackward(w, BatchNormNames.Of(l), source, Gradient(l), zPrev, dzPrev);
                break;
            case LayerKind.LayerNorm:
            {
                string type = "Layer" + i, dz = Gradient(l);
                w.Line("// Layer " + i + " backward: dGamma, dBeta" + (dzPrev is null ? "." : ", dZ" + (l.Index - 1) + "."));
                if (dzPrev is not null)
                {
                    w.Line(Launch("RowGradients" + i, Config("rows * " + l.Output.Pixels), source + ", " + dz + ", Parameters, _saved" + i + ", _rowSums" + i + ", rows"));
                    w.Line(AfterLaunch("RowGradients" + i));
                }
                w.Line(Launch("ParameterChunks" + i, Config(ChunkThreads(type)), source + ", " + dz + ", _saved" + i + ", _partials" + i + ", rows"));
                w.Line(AfterLaunch("ParameterChunks" + i));
                w.Line(Launch("ParameterGradients" + i, Config("default(" + type + ").Channels"), "_partials" + i + ", Gradients, rows"));
                w.Line(AfterLaunch("ParameterGradients" + i));
                if (dzPrev is not null)
                {
                    w.Line(Launch("InputGradient" + i, Config(ElementThreads(type)), source + ", " + zPrev + dz + ", Parameters, _saved" + i + ", _rowSums" + i + ", " + dzPrev + ", rows"));
                    w.Line(AfterLaunch("InputGradient" + i));
                }
                break;
            }
            default:
                WriteResidualBackward(w, layers, l);
                break;
        }
    }

    private static void WriteBatchNormBackward(SourceWriter w, BatchNormNames n, string source, string dz, string zPrev, string? dzPrev)
    {
        w.Line(Launch("GradientChunks" + n.Kernel, Config(ChunkThreads(n.Type)), source + ", " + dz + ", " + n.Saved + ", " + n.Partials + ", rows"));
        w.Line(AfterLaunch("GradientChunks" + n.Kernel));
        w.Line(Launch("ParameterGradients" + n.Kernel, Config("default(" + n.Type + ").Channels"), n.Partials + ", Gradients, rows"));
        w.Line(AfterLaunch("ParameterGradients" + n.Kernel));
        if (dzPrev is null)
            return;
        w.Line(Launch("InputGradient" + n.Kernel, Config(ElementThreads(n.Type)), source + ", " + zPrev + dz + ", Parameters, " + n.Saved + ", Gradients, " + dzPrev + ", rows"));
        w.Line(AfterLaunch("InputGradient" + n.Kernel));
    }

    private static void WriteResidualBackward(SourceWriter w, ModelPlan layers, LayerPlan e)
    {
        var i = e.Index;
        var last = layers[i - 1];
        var dz = Gradient(e);
        if (CpuPassEmitter.SharesGradient(last))
            w.Line("// Layer " + i + " backward: dZ" + last.Index + " is dZ" + i + " itself (one buffer), the block's last layer having no activation.");
        else
        {
            w.Line("// Layer " + i + " backward: dZ" + last.Index + " = dZ" + i + Derivative(last.AppliedActivation, (last.KeepsPreActivation ? "Z" : "A") + last.Index) + ".");
            w.Line(Launch("Backward" + i, Config(ElementThreads("Layer" + i)), dz + ", " + (last.KeepsPreActivation ? "_z" : "_a") + last.Index + ", " + Gradient(last) + ", rows"));
            w.Line(AfterLaunch("Backward" + i));
        }
        if (e.Projection is null)
        {
            if (CpuNormEmitter.BlockInputNeedsGradient(layers, e))
                w.Line("// The identity shortcut passes dZ" + i + " to the block's input: Join" + i + " adds it after layer " + e.BlockStart + "'s backward.");
            return;
        }
        var conv = ShortcutConv(e);
        bool inputGradient = CpuNormEmitter.BlockInputNeedsGradient(layers, e);
        w.Line("// The projection shortcut backward: its batch norm, then its 1x1 convolution's dW" + (inputGradient ? " and the gradient of the block's input" : "") + ".");
        WriteBatchNormBackward(w, BatchNormNames.Shortcut(e), "_sc" + i, dz, "", "_dsc" + i);
        w.Line("int scSlices" + i + " = " + GpuConvEmitter.Slices(conv) + ";");
        var grid = GpuConvEmitter.WeightTiles(conv) + " * scSlices" + i + (inputGradient ? " + " + Tiles("rows * " + conv.Input.Pixels) + " * " + Tiles(conv.Input.Channels) : "");
        w.Line(Launch("ShortcutBackward" + i, "new global::ILGPU.KernelConfig(" + grid + ", Threads)",
            BlockInput(e) + ", " + (inputGradient ? "Parameters, " : "") + "_dsc" + i + ", _scWeights" + i + (inputGradient ? ", _dx" + i : "") + ", rows, scSlices" + i));
        w.Line("AfterLaunch(\"ShortcutBackward" + i + "\", gemmFlops: 2L * rows * (" + conv.Output.Pixels + " * " + (conv.Input.Channels + 1) + " * " + conv.Out
            + (inputGradient ? " + " + conv.Input.Pixels + " * " + conv.Out + " * " + conv.Input.Channels : "") + "));");
        w.Line(Launch("ShortcutSumWeights" + i, "new global::ILGPU.KernelConfig(" + GpuTensors.Groups(Describe.Int((conv.Input.Channels + 1) * conv.Out)) + ", Threads)",
            "_scWeights" + i + ", Gradients, scSlices" + i));
        w.Line(AfterLaunch("ShortcutSumWeights" + i));
        w.Line("ClearGradient(" + conv.BiasOffset + ", " + conv.Out + "); // the shortcut has no bias: its gradient stays 0");
    }

    /// <summary>After the backward of block <paramref name="e"/>'s first layer, which wrote dA of the block's input: the shortcut's gradient added, then act'.</summary>
    public static void WriteJoin(SourceWriter w, ModelPlan layers, LayerPlan e)
    {
        var input = layers[e.BlockStart - 1];
        var i = e.Index;
        w.Line("// A" + input.Index + " feeds block " + e.BlockStart + ".." + (i - 1) + " and its shortcut: dZ" + input.Index + " = (the block's gradient + the shortcut's)"
            + Derivative(input.AppliedActivation, (input.KeepsPreActivation ? "Z" : "A") + input.Index) + ".");
        w.Line(Launch("Join" + i, Config(ElementThreads("BlockInput" + i)), Gradient(input) + ", " + (e.Projection is null ? Gradient(e) : "_dx" + i) + ", "
            + (input.KeepsPreActivation ? "_z" : "_a") + input.Index + ", rows"));
        w.Line(AfterLaunch("Join" + i));
    }
}

/// <summary>
/// A generated kernel: its method, its parameters ("x": a float view; "int rows": an int), the runtime call its body
/// makes and what it computes (for its summary).
/// </summary>
internal sealed record GpuKernel(string Method, string[] Parameters, string Call, string Summary)
{
    /// <summary>The parameter types as <see cref="GpuEmitter"/>'s kernel list writes them ("View" for a float view).</summary>
    public string[] Types => Parameters.Select(p => p.StartsWith("int ", System.StringComparison.Ordinal) ? "int" : "View").ToArray();

    public void Write(SourceWriter w, string owner)
    {
        w.Line("/// <summary>" + owner + ": " + Summary + ".</summary>");
        w.Line("private static void " + Method + "(" + string.Join(", ", Parameters.Select(p => p.StartsWith("int ", System.StringComparison.Ordinal) ? p : GpuEmitter.FloatView + " " + p)) + ") =>");
        w.Line("    " + Call + ";");
    }
}
