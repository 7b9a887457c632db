using System.Collections.Generic;
using SoftGen.Generators.Model;

namespace SoftGen.Generators.Emit;

/// <summary>
/// Writes ModelInfo's <c>layers:</c> argument: one SoftGen.Training.LayerInfo per declared layer, its init properties
/// only where they differ from the defaults. It reads the plan only; the declaration hash does not see this text.
/// </summary>
internal static class LayerListEmitter
{
    private const string Training = "global::SoftGen.Training.";

    public static void Write(SourceWriter w, ModelSpec spec, ModelPlan layers)
    {
        w.Line("    layers: new " + Training + "LayerInfo[]");
        w.Line("    {");
        foreach (var l in layers)
        {
            // The plan reads an image row flat when a Dense comes first; the layer list keeps the declared input.
            var input = l.Index == 0 && spec.Image is { } image
                ? image.Signal ? Training + "TensorShape.Sequence(" + image.Channels + ", " + image.Width + ")"
                    : Training + "TensorShape.Image(" + image.Channels + ", " + image.Height + ", " + image.Width + ")"
                : Shape(l.Input);
            var inits = Inits(l);
            w.Line("        new(" + l.Index + ", " + RuntimeNames.LayerKind(l.Kind) + ", " + RuntimeNames.Activation(l.AppliedActivation) + ", "
                + input + ", " + Shape(l.Output) + ")" + (inits.Count > 0 ? " { " + string.Join(", ", inits) + " }" : "") + ",");
        }
        w.Line("    },");
    }

    private static List<string> Inits(LayerPlan l)
    {
        var inits = new List<string>();
        if (l.HasParameters)
            inits.Add("ParameterIndex = " + l.ParameterIndex);
        if (l.Kind != LayerKind.ResidualEnd && l.Window is { } window)
            inits.Add("Window = " + Window(window));
        if (!l.Bias && l.Kind is LayerKind.Dense or LayerKind.Conv2D)
            inits.Add("Bias = false");
        if (l.Kind == LayerKind.Dropout)
            inits.Add("Rate = " + Describe.Float(l.Rate));
        if (l.Kind is LayerKind.BatchNorm or LayerKind.LayerNorm or LayerKind.GemPool)
            inits.Add("Epsilon = " + Describe.Float(l.Epsilon));
        if (l.Kind == LayerKind.BatchNorm)
            inits.Add("Momentum = " + Describe.Float(l.Momentum));
        if (l.Kind == LayerKind.ResidualEnd)
        {
            inits.Add("BlockStart = " + l.BlockStart);
            if (l.Projection is { } projection)
                inits.Add("Projection = " + Window(projection.Window));
        }
        if (l.Kind == LayerKind.SqueezeExcitation)
            inits.Add("Squeeze = " + l.Squeeze);
        if (l.Kind == LayerKind.GemPool)
        {
            inits.Add("P = " + Describe.Float(l.P));
            if (l.Learnable)
                inits.Add("Learnable = true");
        }
        return inits;
    }

    private static string Shape(TensorPlan t) =>
        t.Signal ? Training + "TensorShape.Sequence(" + t.Channels + ", " + t.Width + ")"
        : t.Spatial ? Training + "TensorShape.Image(" + t.Channels + ", " + t.Height + ", " + t.Width + ")"
        : Training + "TensorShape.Flat(" + t.Channels + ")";

    /// <summary>new(kh, kw, sh, sw, ph, pw) and the dilation and groups by name where they are not 1.</summary>
    private static string Window(ConvWindow c)
    {
        var text = "new(" + c.KernelHeight + ", " + c.KernelWidth + ", " + c.StrideHeight + ", " + c.StrideWidth + ", " + c.PaddingHeight + ", " + c.PaddingWidth;
        if (c.DilationHeight != 1)
            text += ", DilationHeight: " + c.DilationHeight;
        if (c.DilationWidth != 1)
            text += ", DilationWidth: " + c.DilationWidth;
        if (c.Groups != 1)
            text += ", Groups: " + c.Groups;
        return text + ")";
    }
}
