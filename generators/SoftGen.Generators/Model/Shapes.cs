using System.Collections.Generic;

namespace SoftGen.Generators.Model;

/// <summary>
/// The storage layout shared with the runtime (SoftGen.Cpu.IDenseShape, IConvShape): layer outputs are padded to a
/// multiple of 16 floats (one Vector512) per row (flat) or per pixel (images, stored [h, w, channel stride]);
/// weights are stored transposed as [depth, outStride], then the bias [outStride].
/// </summary>
internal static class Shapes
{
    public const int Lanes = 16;

    public static int Padded(int width) => (width + Lanes - 1) / Lanes * Lanes;

    /// <summary>Output size of a convolution along one axis (PyTorch's floor), or less than 1 when the kernel does not fit.</summary>
    public static int ConvOutput(int size, int kernel, int stride, int padding) =>
        size + 2 * padding < kernel ? 0 : (size + 2 * padding - kernel) / stride + 1;
}

/// <summary>
/// A tensor as one row of the batch sees it. Images (Spatial) are stored per pixel, [Height, Width, ChannelStride]
/// (NHWC), the real channels first; flat rows have Height = Width = 1 and Channels values in ChannelStride.
/// </summary>
internal sealed record TensorPlan(int Channels, int Height, int Width, int ChannelStride, bool Spatial)
{
    public int Pixels => Height * Width;

    /// <summary>Real values per row: PyTorch's numel per sample.</summary>
    public int Real => Channels * Height * Width;

    /// <summary>Floats per row in storage, padding included.</summary>
    public int RowLength => Pixels * ChannelStride;

    /// <summary>"32x14x14" for images (PyTorch's C x H x W), "128" for rows.</summary>
    public string Text => Spatial ? Channels + "x" + Height + "x" + Width : Channels.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static TensorPlan Flat(int width, int stride) => new(width, 1, 1, stride, false);
}

/// <summary>Everything the emitters need to know about one layer, derived from the spec.</summary>
/// <param name="Index">Position among all layers.</param>
/// <param name="ParameterIndex">i in "layers.{i}.weight", counting the layers with parameters; -1 for the others.</param>
internal sealed record LayerPlan(int Index, LayerKind Kind, TensorPlan Input, TensorPlan Output, ActivationKind Activation,
    int ParameterIndex, int WeightOffset, int BiasOffset, int Kernel, int Stride, int Padding, float Rate)
{
    public bool HasParameters => ParameterIndex >= 0;

    /// <summary>Dense: the GEMM depth (real inputs of a flat row; the whole stored row after an image).</summary>
    public int In => Kind == LayerKind.Dense && !Input.Spatial ? Input.Channels : Input.RowLength;

    public int InStride => Input.RowLength;

    public int Out => Output.Channels;

    public int OutStride => Output.ChannelStride;

    /// <summary>Conv2D: kernel positions.</summary>
    public int Taps => Kernel * Kernel;

    /// <summary>Rows of the stored (transposed) weight: the GEMM depth.</summary>
    public int Depth => Kind == LayerKind.Conv2D ? Taps * Input.ChannelStride : In;

    public int WeightLength => Depth * OutStride;

    /// <summary>PyTorch's weight shape [out, in] or [out, in, k, k] in its fan-in: the columns of the weight.</summary>
    public int FanIn => Kind == LayerKind.Conv2D ? Input.Channels * Taps : Input.Real;

    public int ParameterCount => HasParameters ? Out * FanIn + Out : 0;

    public int StorageEnd => BiasOffset + OutStride;

    public static IReadOnlyList<LayerPlan> For(ModelSpec spec)
    {
        var plans = new List<LayerPlan>();
        var tensor = InputTensor(spec);
        int offset = 0, parameterIndex = 0;
        for (var i = 0; i < spec.Layers.Count; i++)
        {
            var layer = spec.Layers[i];
            var output = OutputOf(layer, tensor);
            var plan = new LayerPlan(i, layer.Kind, tensor, output, layer.Activation, -1, 0, 0, layer.Kernel, layer.Stride, layer.Padding, layer.Rate);
            if (layer.HasParameters)
            {
                var weightOffset = offset;
                var biasOffset = weightOffset + plan.WeightLength;
                plan = plan with { ParameterIndex = parameterIndex++, WeightOffset = weightOffset, BiasOffset = biasOffset };
                offset = biasOffset + output.ChannelStride;
            }
            plans.Add(plan);
            tensor = output;
        }
        return plans;
    }

    /// <summary>
    /// The model's input as the first layer reads it: a flat row; or an image, NHWC with the channels unpadded (for one
    /// channel that is the user's NCHW row itself). A Dense first layer reads an image input's NCHW row as it is.
    /// </summary>
    public static TensorPlan InputTensor(ModelSpec spec)
    {
        if (spec.Image is { } image && spec.Layers[0].Kind != LayerKind.Dense)
            return new TensorPlan(image.Channels, image.Height, image.Width, image.Channels, true);
        return TensorPlan.Flat(spec.Inputs, spec.Inputs);
    }

    /// <summary>The output of a layer on a valid input (the parser has checked the shapes).</summary>
    public static TensorPlan OutputOf(LayerSpec layer, TensorPlan input) => layer.Kind switch
    {
        LayerKind.Dense => TensorPlan.Flat(layer.Units, Shapes.Padded(layer.Units)),
        LayerKind.Conv2D => new TensorPlan(layer.Units,
            Shapes.ConvOutput(input.Height, layer.Kernel, layer.Stride, layer.Padding),
            Shapes.ConvOutput(input.Width, layer.Kernel, layer.Stride, layer.Padding),
            Shapes.Padded(layer.Units), true),
        LayerKind.MaxPool2D or LayerKind.AvgPool2D =>
            input with { Height = input.Height / layer.Kernel, Width = input.Width / layer.Kernel },
        LayerKind.GlobalAveragePool => TensorPlan.Flat(input.Channels, input.ChannelStride),
        _ => input,
    };

    /// <summary>Parameter storage of the whole model, in long so that the parser can reject an oversized one.</summary>
    public static long StorageLength(ModelSpec spec)
    {
        long total = 0;
        var tensor = InputTensor(spec);
        foreach (var layer in spec.Layers)
        {
            var output = OutputOf(layer, tensor);
            if (layer.HasParameters)
            {
                long depth = layer.Kind == LayerKind.Conv2D
                    ? (long)layer.Kernel * layer.Kernel * tensor.ChannelStride
                    : (tensor.Spatial ? (long)tensor.RowLength : tensor.Channels);
                total += depth * output.ChannelStride + output.ChannelStride;
            }
            tensor = output;
        }
        return total;
    }
}
