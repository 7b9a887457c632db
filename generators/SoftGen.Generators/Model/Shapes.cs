using System.Collections.Generic;

namespace SoftGen.Generators.Model;

/// <summary>
/// The storage layout shared with the runtime (SoftGen.Cpu.IDenseShape): layer outputs are padded to a
/// multiple of 16 floats (one Vector512), weights are stored transposed as [in, outStride], then the bias.
/// </summary>
internal static class Shapes
{
    public const int Lanes = 16;

    public static int Padded(int width) => (width + Lanes - 1) / Lanes * Lanes;

    public static long StorageLength(int inputs, IEnumerable<int> widths)
    {
        long total = 0;
        var fanIn = (long)inputs;
        foreach (var width in widths)
        {
            var stride = (long)Padded(width);
            total += fanIn * stride + stride;
            fanIn = width;
        }
        return total;
    }
}

/// <summary>Everything the emitters need to know about one layer, derived from the spec.</summary>
internal sealed record LayerPlan(int Index, int In, int InStride, int Out, int OutStride, ActivationKind Activation, int WeightOffset, int BiasOffset)
{
    public int WeightLength => In * OutStride;

    public int ParameterCount => In * Out + Out;

    public static IReadOnlyList<LayerPlan> For(ModelSpec spec)
    {
        var plans = new List<LayerPlan>();
        int inWidth = spec.Inputs, inStride = spec.Inputs, offset = 0;
        for (var i = 0; i < spec.Layers.Count; i++)
        {
            var layer = spec.Layers[i];
            var outStride = Shapes.Padded(layer.Width);
            var weightOffset = offset;
            var biasOffset = weightOffset + inWidth * outStride;
            plans.Add(new LayerPlan(i, inWidth, inStride, layer.Width, outStride, layer.Activation, weightOffset, biasOffset));
            offset = biasOffset + outStride;
            inWidth = layer.Width;
            inStride = outStride;
        }
        return plans;
    }
}
