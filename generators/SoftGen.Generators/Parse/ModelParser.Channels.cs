using Microsoft.CodeAnalysis;
using SoftGen.Generators.Model;
using static SoftGen.Generators.Parse.AttributeArguments;

namespace SoftGen.Generators.Parse;

/// <summary>The layers that work across the positions of each channel: squeeze-excitation and GeM pooling.</summary>
internal sealed partial class ModelParser
{
    private const float DefaultGemEpsilon = 1e-6f;

    /// <summary>[SqueezeExcitation(reduction)]: on an image or signal, keeping its shape; the squeeze keeps channels / reduction.</summary>
    private void ParseSqueezeExcitation(AttributeData attribute, Location? location)
    {
        var index = _layers.Count;
        var reduction = PositionalInt(attribute, AttributeNames.SqueezeExcitation.Reduction) ?? 4;
        var channels = _shape?.Channels ?? 0;
        var raw = ReadsRawInput();
        AddLayer(new LayerSpec(LayerKind.SqueezeExcitation, channels, ActivationKind.None, Reduction: reduction), attribute, location);
        if (!RequireSpatial("SqueezeExcitation", index, location) || !RequireLayerBefore(raw, "SqueezeExcitation", index, location))
            return;
        if (reduction < 1 || channels / reduction < 1)
        {
            Report(DiagnosticDescriptors.SqueezeExcitationReductionInvalid,
                ArgumentLocation(attribute, AttributeNames.SqueezeExcitation.Reduction, _cancellationToken) ?? location, index, reduction, channels);
            _shape = null;
        }
    }

    /// <summary>[GemPool(p, Learnable, Epsilon)]: an image or signal to a row of its channels.</summary>
    private void ParseGemPool(AttributeData attribute, Location? location)
    {
        var index = _layers.Count;
        var p = PositionalFloat(attribute, AttributeNames.GemPool.P) ?? 3f;
        var learnable = NamedBool(attribute, AttributeNames.GemPool.Learnable) ?? true;
        var epsilon = NamedFloat(attribute, AttributeNames.GemPool.Epsilon) ?? DefaultGemEpsilon;
        if (!(p > 0f) || float.IsInfinity(p))
            Report(DiagnosticDescriptors.GemPoolArgumentOutOfRange, ArgumentLocation(attribute, AttributeNames.GemPool.P, _cancellationToken) ?? location,
                index, "p", Text(p));
        if (!(epsilon > 0f) || float.IsInfinity(epsilon))
            Report(DiagnosticDescriptors.GemPoolArgumentOutOfRange,
                NamedArgumentLocation(attribute, AttributeNames.GemPool.Epsilon, _cancellationToken) ?? location, index, AttributeNames.GemPool.Epsilon, Text(epsilon));
        var raw = ReadsRawInput();
        AddLayer(new LayerSpec(LayerKind.GemPool, _shape?.Channels ?? 0, ActivationKind.None, Epsilon: epsilon, P: p, Learnable: learnable), attribute, location);
        if (RequireSpatial("GemPool", index, location) && RequireLayerBefore(raw, "GemPool", index, location))
            _shape = new Shape(_shape!.Channels, 1, 1, false);
    }

    /// <summary>True when the next layer would read the model's input as it arrives (only pools and dropout before it).</summary>
    private bool ReadsRawInput() =>
        System.Linq.Enumerable.All(_layers, l => l.Kind is LayerKind.MaxPool2D or LayerKind.AvgPool2D or LayerKind.Dropout);

    /// <summary>
    /// Squeeze-excitation and GeM work on stored layer outputs (channels padded to whole vectors); on the model's raw
    /// input they are reported (SG0038) on this layer.
    /// </summary>
    private bool RequireLayerBefore(bool raw, string kind, int index, Location? location)
    {
        if (!raw)
            return true;
        Report(DiagnosticDescriptors.ChannelLayerOnInput, location, kind, index);
        _shape = null;
        return false;
    }
}
