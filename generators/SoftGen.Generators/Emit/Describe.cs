using System.Globalization;
using SoftGen.Generators.Model;

namespace SoftGen.Generators.Emit;

/// <summary>The words and literals the emitters write, in one place so that comments and code agree.</summary>
internal static class Describe
{
    public static string Float(float value) =>
        value.ToString("R", CultureInfo.InvariantCulture) + "f";

    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>"a", "a and b", "a, b and c".</summary>
    public static string List(System.Collections.Generic.IReadOnlyList<string> items) =>
        items.Count <= 1 ? string.Join("", items) : string.Join(", ", System.Linq.Enumerable.Take(items, items.Count - 1)) + " and " + items[items.Count - 1];

    public static string Thousands(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string ActivationName(ActivationKind activation) => activation switch
    {
        ActivationKind.None => "none",
        ActivationKind.Relu => "ReLU",
        ActivationKind.LeakyRelu => "leaky ReLU (0.01)",
        ActivationKind.Tanh => "tanh",
        ActivationKind.Sigmoid => "sigmoid",
        ActivationKind.Gelu => "GELU (erf)",
        ActivationKind.Silu => "SiLU",
        ActivationKind.Elu => "ELU",
        _ => "Mish",
    };

    /// <summary>The activation as a function name in formulas: "relu(...)".</summary>
    public static string ActivationFunction(ActivationKind activation) => activation switch
    {
        ActivationKind.LeakyRelu => "leaky_relu",
        _ => activation.ToString().ToLowerInvariant(),
    };

    public static string Loss(LossSpec loss, bool perPixel = false) => loss.Kind switch
    {
        LossKindSpec.SoftmaxCrossEntropy => "softmax cross-entropy"
            + (loss.LabelSmoothing != 0f ? ", label smoothing " + loss.LabelSmoothing.ToString("R", CultureInfo.InvariantCulture) : "")
            + (loss.Temperature != 1f ? ", temperature " + loss.Temperature.ToString("R", CultureInfo.InvariantCulture) + " (loss scaled by T^2)" : "")
            + (perPixel ? " at each pixel, mean over the batch and the pixels" : ", mean over the batch"),
        LossKindSpec.KLDivergence => perPixel
            ? "KL(target || softmax(logits)) at each pixel, mean over the batch and the pixels"
            : "KL(target || softmax(logits)), mean over the batch",
        _ => "sigmoid binary cross-entropy, mean over every element",
    };

    /// <summary>"Conv2D 3x3" with the stride and padding when they are not 1 and 0 ("Conv1D k7 s2 p3" in a signal model).</summary>
    public static string LayerKindText(LayerPlan l) => l.Kind switch
    {
        LayerKind.Dense => "Dense",
        LayerKind.Conv2D => (l.Input.Signal ? "Conv1D " : "Conv2D ") + WindowText(l.Window!, l.Input.Signal),
        LayerKind.MaxPool2D => (l.Input.Signal ? "MaxPool1D " : "MaxPool2D ") + PoolText(l.Window!, l.Input.Signal),
        LayerKind.AvgPool2D => (l.Input.Signal ? "AvgPool1D " : "AvgPool2D ") + PoolText(l.Window!, l.Input.Signal),
        LayerKind.GlobalAveragePool => "GlobalAveragePool",
        LayerKind.BatchNorm => "BatchNorm",
        LayerKind.LayerNorm => "LayerNorm",
        LayerKind.ResidualEnd => "EndResidual " + l.BlockStart + ".." + (l.Index - 1) + (l.Projection is null ? "" : " (projection)"),
        LayerKind.SqueezeExcitation => "SqueezeExcitation " + l.Out + "/" + l.Squeeze,
        LayerKind.GemPool => "GemPool p" + l.P.ToString("R", CultureInfo.InvariantCulture) + (l.Learnable ? "" : " fixed"),
        _ => "Dropout " + l.Rate.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary>"3x3 s2 p1", "1x7 s1x2 p0x3 d2 g4", or for signals "k7 s2 p3 d2".</summary>
    private static string WindowText(ConvWindow w, bool signal)
    {
        string Pair(int height, int width) => AxisPair(height, width, signal);
        var text = signal ? "k" + w.KernelWidth : w.KernelHeight + "x" + w.KernelWidth;
        if (signal ? w.StrideWidth != 1 : w.StrideHeight != 1 || w.StrideWidth != 1)
            text += " s" + Pair(w.StrideHeight, w.StrideWidth);
        if (signal ? w.PaddingWidth != 0 : w.PaddingHeight != 0 || w.PaddingWidth != 0)
            text += " p" + Pair(w.PaddingHeight, w.PaddingWidth);
        if (w.DilationWidth != 1 || w.DilationHeight != 1)
            text += " d" + Pair(w.DilationHeight, w.DilationWidth);
        if (w.Groups != 1)
            text += " g" + w.Groups;
        return text;
    }

    private static string PoolText(ConvWindow w, bool signal) => AxisPair(w.KernelHeight, w.KernelWidth, signal);

    /// <summary>One figure for a signal's width or the same value both ways, "hxw" otherwise.</summary>
    private static string AxisPair(int height, int width, bool signal) =>
        signal || height == width ? width.ToString(CultureInfo.InvariantCulture) : height + "x" + width;

    /// <summary>"3x3 kernel, stride 1, padding 1" (with the dilation and groups when there are any); "7-tap kernel, ..." for signals.</summary>
    public static string ConvText(LayerPlan l)
    {
        var w = l.Window!;
        string Pair(int height, int width) => AxisPair(height, width, l.Input.Signal);
        var text = (l.Input.Signal ? w.KernelWidth + "-tap kernel" : w.KernelHeight + "x" + w.KernelWidth + " kernel")
            + ", stride " + Pair(w.StrideHeight, w.StrideWidth) + ", padding " + Pair(w.PaddingHeight, w.PaddingWidth);
        if (w.DilationHeight != 1 || w.DilationWidth != 1)
            text += ", dilation " + Pair(w.DilationHeight, w.DilationWidth);
        if (l.IsDepthwise)
            text += ", depthwise";
        else if (w.Groups != 1)
            text += ", " + w.Groups + " groups";
        return text;
    }

    /// <summary>
    /// The declaration in canonical form, hashed (FNV-1a, 64 bits) so that saved weights can be matched to it.
    /// </summary>
    public static string DeclarationHash(ModelSpec spec)
    {
        var text = new System.Text.StringBuilder("inputs=").Append(spec.Inputs);
        if (spec.Image is { } image)
            text.Append(image.Signal ? ";signal=" : ";image=").Append(image.Channels).Append('x').Append(image.Height).Append('x').Append(image.Width);
        foreach (var layer in spec.Layers)
        {
            switch (layer.Kind)
            {
                case LayerKind.Dense:
                    text.Append(";dense(").Append(layer.Units).Append(',').Append(layer.Activation).Append(layer.Bias ? "" : ",nobias").Append(')');
                    break;
                case LayerKind.Conv2D:
                    text.Append(";conv2d(").Append(layer.Units).Append(',').Append(WindowKey(layer.Window!))
                        .Append(',').Append(layer.Activation).Append(layer.Bias ? "" : ",nobias").Append(')');
                    break;
                case LayerKind.SqueezeExcitation:
                    text.Append(";se(").Append(layer.Reduction).Append(')');
                    break;
                case LayerKind.GemPool:
                    text.Append(";gem(").Append(layer.P.ToString("R", CultureInfo.InvariantCulture)).Append(layer.Learnable ? ",learnable," : ",fixed,")
                        .Append(layer.Epsilon.ToString("R", CultureInfo.InvariantCulture)).Append(')');
                    break;
                case LayerKind.BatchNorm:
                case LayerKind.LayerNorm:
                    text.Append(';').Append(layer.Kind.ToString().ToLowerInvariant()).Append('(').Append(layer.Activation)
                        .Append(',').Append(layer.Momentum.ToString("R", CultureInfo.InvariantCulture))
                        .Append(',').Append(layer.Epsilon.ToString("R", CultureInfo.InvariantCulture)).Append(')');
                    break;
                case LayerKind.ResidualEnd:
                    text.Append(";residual(").Append(layer.BlockStart).Append(',').Append(layer.Activation).Append(')');
                    break;
                case LayerKind.Dropout:
                    text.Append(";dropout(").Append(layer.Rate.ToString("R", CultureInfo.InvariantCulture)).Append(')');
                    break;
                default:
                    var window = layer.Window;
                    text.Append(';').Append(layer.Kind.ToString().ToLowerInvariant()).Append('(')
                        .Append(window is null ? "" : window.KernelHeight == window.KernelWidth ? window.KernelWidth.ToString(CultureInfo.InvariantCulture) : window.KernelHeight + "x" + window.KernelWidth)
                        .Append(')');
                    break;
            }
        }
        text.Append(";loss=").Append(spec.Loss.Kind)
            .Append('(').Append(spec.Loss.LabelSmoothing.ToString("R", CultureInfo.InvariantCulture))
            .Append(',').Append(spec.Loss.Temperature.ToString("R", CultureInfo.InvariantCulture)).Append(')');
        var hash = 14695981039346656037UL;
        foreach (var c in text.ToString())
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }
        return hash.ToString("x16", CultureInfo.InvariantCulture);
    }

    /// <summary>A convolution window in the hash: "k,s,p" for the square windows (as before dilation and groups existed), every size otherwise.</summary>
    private static string WindowKey(ConvWindow w) => w.IsSquare
        ? w.KernelWidth + "," + w.StrideWidth + "," + w.PaddingWidth
        : w.KernelHeight + "x" + w.KernelWidth + "," + w.StrideHeight + "x" + w.StrideWidth + "," + w.PaddingHeight + "x" + w.PaddingWidth
            + ",d" + w.DilationHeight + "x" + w.DilationWidth + ",g" + w.Groups;
}
