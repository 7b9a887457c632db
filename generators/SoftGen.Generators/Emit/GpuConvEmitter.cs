using System.Linq;
using System.Collections.Generic;
using SoftGen.Generators.Model;
using static SoftGen.Generators.Emit.GpuGemm;

namespace SoftGen.Generators.Emit;

/// <summary>
/// A Conv2D layer in the GPU program. The implicit-GEMM kernels live in SoftGen.Gpu (SoftGen.Gpu.Kernels.Conv2DForward
/// and Conv2DBackward, with their math, tiling and the dW slices); per layer the program declares its geometry as a
/// struct type (LayerN : IConvLayer) and one-line kernels that pick the runtime kernel for the layer's activation and
/// the previous layer's. The host side is here: the slice count of the dW reduction and the partials' size.
/// </summary>
internal static class GpuConvEmitter
{
    /// <summary>Output pixels per slice of the dW reduction: 16 k-steps of the tile.</summary>
    public const int SliceLength = 256;

    private const string Kernels = "global::SoftGen.Gpu.Kernels.";
    private const string View = GpuEmitter.FloatView;

    /// <summary>
    /// Conv2D backward: (x, dz, partials, rows, slices) for the first layer with parameters; else (x, [zPrev,] p, dz,
    /// partials, dzPrev, rows, slices), Z_prev after an activation whose derivative needs it.
    /// </summary>
    public static string[] BackwardTypes(ActivationKind previous, bool inputGradient) => !inputGradient
        ? new[] { "View", "View", "View", "int", "int" }
        : LayerPlan.NeedsPreActivation(previous)
            ? new[] { "View", "View", "View", "View", "View", "View", "int", "int" }
            : new[] { "View", "View", "View", "View", "View", "int", "int" };

    /// <summary>SumWeights(partials, g, slices).</summary>
    public static readonly string[] SumTypes = { "View", "View", "int" };

    /// <summary>The most slices: 64, fewer where the partials would pass 2^24 floats.</summary>
    public static int MaxSlices(LayerPlan l) => System.Math.Max(1, System.Math.Min(64, (1 << 24) / ((Depth(l) + 1) * l.Out)));

    /// <summary>Floats of the partial dW sums: [MaxSlices, Depth + 1, filters].</summary>
    public static int PartialsLength(LayerPlan l) => MaxSlices(l) * (Depth(l) + 1) * l.Out;

    /// <summary>The host's slice count for a batch: one per SliceLength output pixels, at most MaxSlices.</summary>
    public static string Slices(LayerPlan l) =>
        "global::System.Math.Min(" + MaxSlices(l) + ", (rows * " + l.Output.Pixels + " + " + (SliceLength - 1) + ") / " + SliceLength + ")";

    /// <summary>The GEMM depth of the forward pass and the rows of dW before the bias row.</summary>
    private static int Depth(LayerPlan l) => l.Taps * l.Input.Channels;

    /// <summary>Groups of the weight-gradient part of the backward kernel.</summary>
    public static int WeightTiles(LayerPlan l) => Tiles(Depth(l) + 1) * Tiles(l.Out);

    public static void WriteLayerConstants(SourceWriter w, LayerPlan l) => WriteLayerConstants(w, l, "Layer" + l.Index);

    /// <summary>The geometry struct <paramref name="name"/> of <paramref name="l"/> (a layer, or a projection shortcut's 1x1 convolution).</summary>
    public static void WriteLayerConstants(SourceWriter w, LayerPlan l, string name)
    {
        w.Line("/// <summary>" + (name == "Layer" + l.Index ? "Layer " + l.Index : name) + "'s geometry: " + Describe.ConvText(l) + ", [rows, " + l.Input.Text + "] -> [rows, " + l.Output.Text + "]; "
            + (l.IsDepthwise
                ? "W at " + l.WeightOffset + " ([" + l.Taps + ", " + l.OutStride + "], one column per channel)"
                : "Wt at " + l.WeightOffset + " ([" + l.Taps + " x " + l.Input.ChannelStride + ", " + l.OutStride + "]" + (l.Groups > 1 ? ", block-diagonal" : "") + ")")
            + ", b at " + l.BiasOffset + ".</summary>");
        using (w.Block("private readonly struct " + name + " : " + Kernels + "IConvLayer"))
        {
            w.Line("public int InChannels => " + l.Input.Channels + ";");
            w.Line("public int InStride => " + l.Input.ChannelStride + ";");
            w.Line("public int InHeight => " + l.Input.Height + ";");
            w.Line("public int InWidth => " + l.Input.Width + ";");
            w.Line("public bool ReadsNchw => " + (GpuTensors.ReadsNchw(l) ? "true" : "false") + ";");
            WriteWindow(w, l.Window!);
            w.Line("public int OutHeight => " + l.Output.Height + ";");
            w.Line("public int OutWidth => " + l.Output.Width + ";");
            w.Line("public int Filters => " + l.Out + ";");
            w.Line("public int OutStride => " + l.OutStride + ";");
            w.Line("public int WeightOffset => " + l.WeightOffset + ";");
            w.Line("public int BiasOffset => " + l.BiasOffset + ";");
        }
    }

    private static void WriteWindow(SourceWriter w, ConvWindow window)
    {
        w.Line("public int KernelHeight => " + window.KernelHeight + ";");
        w.Line("public int KernelWidth => " + window.KernelWidth + ";");
        w.Line("public int StrideHeight => " + window.StrideHeight + ";");
        w.Line("public int StrideWidth => " + window.StrideWidth + ";");
        w.Line("public int PaddingHeight => " + window.PaddingHeight + ";");
        w.Line("public int PaddingWidth => " + window.PaddingWidth + ";");
        w.Line("public int DilationHeight => " + window.DilationHeight + ";");
        w.Line("public int DilationWidth => " + window.DilationWidth + ";");
        w.Line("public int Groups => " + window.Groups + ";");
    }

    public static void WriteForward(SourceWriter w, LayerPlan l)
    {
        bool keepsZ = l.KeepsPreActivation;
        w.Line("/// <summary>Layer " + l.Index + " forward: " + CpuPassEmitter.Formula(l) + (keepsZ ? ", keeping Z" + l.Index : "") + ".</summary>");
        w.Line("private static void Forward" + l.Index + "(" + View + " x, " + View + " p, " + (keepsZ ? View + " z, " : "") + View + " a, int rows) =>");
        w.Line("    " + Kernels + "Conv2DForward." + (keepsZ ? "RunKeepingZ" : "Run") + "<Layer" + l.Index + ", " + GpuDenseEmitter.ActivationType(l.Activation) + ">(x, p, "
            + (keepsZ ? "z, " : "") + "a, rows);");
    }

    public static void WriteBackward(SourceWriter w, LayerPlan l, ActivationKind previous, bool inputGradient)
    {
        int i = l.Index;
        string call = Kernels + "Conv2DBackward.", layer = "Layer" + i;
        if (!inputGradient)
        {
            w.Line("/// <summary>Layer " + i + " backward: dW" + i + " and db" + i + " by slice of the pixels (nothing before layer " + i + " needs a gradient).</summary>");
            w.Line("private static void Backward" + i + "(" + View + " x, " + View + " dz, " + View + " partials, int rows, int slices) =>");
            w.Line("    " + call + "Weights<" + layer + ">(x, dz, partials, rows, slices);");
        }
        else if (LayerPlan.NeedsPreActivation(previous))
        {
            w.Line("/// <summary>Layer " + i + " backward: dW" + i + " and db" + i + " by slice of the pixels, dZ" + (i - 1) + " = convT(dZ" + i + ", W" + i + ") * "
                + Describe.ActivationFunction(previous) + "'(Z" + (i - 1) + ").</summary>");
            w.Line("private static void Backward" + i + "(" + View + " x, " + View + " zPrev, " + View + " p, " + View + " dz, " + View + " partials, " + View + " dzPrev, int rows, int slices) =>");
            w.Line("    " + call + "AfterPreActivation<" + layer + ", " + GpuDenseEmitter.ActivationType(previous) + ">(x, zPrev, p, dz, partials, dzPrev, rows, slices);");
        }
        else
        {
            w.Line("/// <summary>Layer " + i + " backward: dW" + i + " and db" + i + " by slice of the pixels, dZ" + (i - 1) + " = convT(dZ" + i + ", W" + i + ")"
                + (previous == ActivationKind.None ? "" : " * " + Describe.ActivationFunction(previous) + "'(A" + (i - 1) + ")") + ".</summary>");
            w.Line("private static void Backward" + i + "(" + View + " x, " + View + " p, " + View + " dz, " + View + " partials, " + View + " dzPrev, int rows, int slices) =>");
            w.Line("    " + call + "WithInput<" + layer + ", " + GpuDenseEmitter.ActivationType(previous) + ">(x, p, dz, partials, dzPrev, rows, slices);");
        }
        w.Line();
        w.Line("/// <summary>Layer " + i + "'s weight gradients: the slices' partials added in order.</summary>");
        w.Line("private static void SumWeights" + i + "(" + View + " partials, " + View + " g, int slices) => " + call + "SumWeights<" + layer + ">(partials, g, slices);");
    }
}
