using SoftGen.Generators.Model;

namespace SoftGen.Generators.Emit;

/// <summary>
/// A Dense layer in the GPU program. The GEMM kernels live in SoftGen.Gpu (SoftGen.Gpu.Kernels.DenseForward and
/// DenseBackward, with their math and tiling); per layer the program declares its sizes as a struct type
/// (LayerN : IDenseLayer) and one-line kernels that pick the runtime kernel for the layer's activation, the previous
/// layer's activation and the tile shape. ILGPU compiles each as its own kernel with those sizes as constants.
/// </summary>
internal static class GpuDenseEmitter
{
    private const string Kernels = "global::SoftGen.Gpu.Kernels.";
    private const string View = GpuEmitter.FloatView;

    /// <summary>The runtime struct of <paramref name="activation"/> (SoftGen.Gpu.Kernels.IGpuActivation).</summary>
    public static string ActivationType(ActivationKind activation) =>
        Kernels + (activation == ActivationKind.None ? "Identity" : activation.ToString()) + "Activation";

    public static string LayerType(LayerPlan l) => "Layer" + l.Index;

    /// <summary>The backward kernel's buffers: x[, zPrev], p, dz, g, dzPrev, rows, weightTiles; the first layer with parameters: x, dz, g, rows.</summary>
    public static string[] BackwardTypes(LayerPlan l, ActivationKind previous, bool inputGradient) => !inputGradient
        ? new[] { "View", "View", "View", "int" }
        : LayerPlan.NeedsPreActivation(previous)
            ? new[] { "View", "View", "View", "View", "View", "View", "int", "int" }
            : new[] { "View", "View", "View", "View", "View", "int", "int" };

    public static void WriteLayerConstants(SourceWriter w, LayerPlan l)
    {
        w.Line("/// <summary>Layer " + l.Index + "'s sizes: [rows, " + l.In + "] -> [rows, " + l.Out + "]" + (l.Input.Spatial ? " (the stored image: weight rows follow its [pixel, channel stride] storage)" : "")
            + "; Wt at " + l.WeightOffset + " ([" + l.In + ", " + l.OutStride + "]), b at " + l.BiasOffset + ".</summary>");
        using (w.Block("private readonly struct " + LayerType(l) + " : " + Kernels + "IDenseLayer"))
        {
            w.Line("public int In => " + l.In + ";");
            w.Line("public int Out => " + l.Out + ";");
            w.Line("public int WeightOffset => " + l.WeightOffset + ";");
            w.Line("public int WeightStride => " + l.OutStride + ";");
            w.Line("public int BiasOffset => " + l.BiasOffset + ";");
        }
    }

    public static void WriteForward(SourceWriter w, LayerPlan l, GemmShape shape)
    {
        bool keepsZ = l.KeepsPreActivation;
        string kernel = (shape == GemmShape.Large ? "Large" : "Small") + (keepsZ ? "KeepingZ" : "");
        w.Line("/// <summary>Layer " + l.Index + " forward in " + shape.Text + " tiles: " + CpuPassEmitter.Formula(l) + (keepsZ ? ", keeping Z" + l.Index : "") + ".</summary>");
        w.Line("private static void Forward" + l.Index + shape.Suffix + "(" + View + " x, " + View + " p, " + (keepsZ ? View + " z, " : "") + View + " a, int rows) =>");
        w.Line("    " + Kernels + "DenseForward." + kernel + "<" + LayerType(l) + ", " + ActivationType(l.Activation) + ">(x, p, " + (keepsZ ? "z, " : "") + "a, rows);");
    }

    public static void WriteBackward(SourceWriter w, LayerPlan l, ActivationKind previous, bool inputGradient, GemmShape shape)
    {
        string size = shape == GemmShape.Large ? "Large" : "Small", call = Kernels + "DenseBackward." + size;
        string head = "/// <summary>Layer " + l.Index + " backward in " + shape.Text + " tiles: dW" + l.Index + " and db" + l.Index;
        string name = "private static void Backward" + l.Index + shape.Suffix;
        if (!inputGradient)
        {
            w.Line(head + " (nothing before layer " + l.Index + " needs a gradient).</summary>");
            w.Line(name + "(" + View + " x, " + View + " dz, " + View + " g, int rows) =>");
            w.Line("    " + call + "Weights<" + LayerType(l) + ">(x, dz, g, rows);");
        }
        else if (LayerPlan.NeedsPreActivation(previous))
        {
            w.Line(head + ", dZ" + (l.Index - 1) + " = dZ" + l.Index + " W" + l.Index + " * " + Describe.ActivationFunction(previous) + "'(Z" + (l.Index - 1) + ").</summary>");
            w.Line(name + "(" + View + " x, " + View + " zPrev, " + View + " p, " + View + " dz, " + View + " g, " + View + " dzPrev, int rows, int weightTiles) =>");
            w.Line("    " + call + "AfterPreActivation<" + LayerType(l) + ", " + ActivationType(previous) + ">(x, zPrev, p, dz, g, dzPrev, rows, weightTiles);");
        }
        else
        {
            w.Line(head + ", dZ" + (l.Index - 1) + " = dZ" + l.Index + " W" + l.Index
                + (previous == ActivationKind.None ? "" : " * " + Describe.ActivationFunction(previous) + "'(A" + (l.Index - 1) + ")") + ".</summary>");
            w.Line(name + "(" + View + " x, " + View + " p, " + View + " dz, " + View + " g, " + View + " dzPrev, int rows, int weightTiles) =>");
            w.Line("    " + call + "<" + LayerType(l) + ", " + ActivationType(previous) + ">(x, p, dz, g, dzPrev, rows, weightTiles);");
        }
    }
}
