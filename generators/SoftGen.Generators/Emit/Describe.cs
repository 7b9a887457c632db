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

    /// <summary>"Conv2D 3x3" with the stride and padding when they are not 1 and 0.</summary>
    public static string LayerKindText(LayerPlan l) => l.Kind switch
    {
        LayerKind.Dense => "Dense",
        LayerKind.Conv2D => "Conv2D " + l.Kernel + "x" + l.Kernel + (l.Stride != 1 ? " s" + l.Stride : "") + (l.Padding != 0 ? " p" + l.Padding : ""),
        LayerKind.MaxPool2D => "MaxPool2D " + l.Kernel,
        LayerKind.AvgPool2D => "AvgPool2D " + l.Kernel,
        LayerKind.GlobalAveragePool => "GlobalAveragePool",
        LayerKind.BatchNorm => "BatchNorm",
        LayerKind.LayerNorm => "LayerNorm",
        LayerKind.ResidualEnd => "EndResidual " + l.BlockStart + ".." + (l.Index - 1) + (l.Projection is null ? "" : " (projection)"),
        _ => "Dropout " + l.Rate.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary>"3x3 kernel, stride 1, padding 1".</summary>
    public static string ConvText(LayerPlan l) =>
        l.Kernel + "x" + l.Kernel + " kernel, stride " + l.Stride + ", padding " + l.Padding;

    /// <summary>
    /// The declaration in canonical form, hashed (FNV-1a, 64 bits) so that saved weights can be matched to it.
    /// </summary>
    public static string DeclarationHash(ModelSpec spec)
    {
        var text = new System.Text.StringBuilder("inputs=").Append(spec.Inputs);
        if (spec.Image is { } image)
            text.Append(";image=").Append(image.Channels).Append('x').Append(image.Height).Append('x').Append(image.Width);
        foreach (var layer in spec.Layers)
        {
            switch (layer.Kind)
            {
                case LayerKind.Dense:
                    text.Append(";dense(").Append(layer.Units).Append(',').Append(layer.Activation).Append(layer.Bias ? "" : ",nobias").Append(')');
                    break;
                case LayerKind.Conv2D:
                    text.Append(";conv2d(").Append(layer.Units).Append(',').Append(layer.Kernel).Append(',').Append(layer.Stride)
                        .Append(',').Append(layer.Padding).Append(',').Append(layer.Activation).Append(layer.Bias ? "" : ",nobias").Append(')');
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
                    text.Append(';').Append(layer.Kind.ToString().ToLowerInvariant()).Append('(').Append(layer.Kernel).Append(')');
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
}
