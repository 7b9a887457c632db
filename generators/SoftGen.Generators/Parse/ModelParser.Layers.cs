using System;
using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis;
using SoftGen.Generators.Model;
using static SoftGen.Generators.Parse.AttributeArguments;

namespace SoftGen.Generators.Parse;

/// <summary>The layer attributes: each adds its layer and follows the shape of the next layer's input.</summary>
internal sealed partial class ModelParser
{
    private readonly List<LayerSpec> _layers = new();

    /// <summary>The input shape of the next layer, or null once it is unknown (an error is already reported).</summary>
    private Shape? _shape;

    private AttributeData? _lastLayer;
    private Location? _lastLayerLocation;

    /// <summary>The shape the parser follows: channels (or features) and, for images, height and width.</summary>
    private sealed record Shape(int Channels, int Height, int Width, bool Spatial);

    private void AddLayer(LayerSpec layer, AttributeData attribute, Location? location)
    {
        _layers.Add(layer);
        _lastLayer = attribute;
        _lastLayerLocation = location;
    }

    private void ParseDense(AttributeData attribute, Location? location)
    {
        var index = _layers.Count;
        var units = PositionalInt(attribute, AttributeNames.Dense.Width) ?? 0;
        if (units <= 0)
            Report(DiagnosticDescriptors.WidthNotPositive, ArgumentLocation(attribute, AttributeNames.Dense.Width, _cancellationToken) ?? location, index, units);
        var activation = ParseActivation(attribute, AttributeNames.Dense.Activation, location);
        var bias = NamedBool(attribute, AttributeNames.Dense.Bias) ?? true;
        AddLayer(LayerSpec.Dense(units, activation) with { Bias = bias }, attribute, location);
        _shape = units > 0 ? new Shape(units, 1, 1, false) : null;
    }

    private void ParseConv2D(AttributeData attribute, Location? location)
    {
        var index = _layers.Count;
        var filters = PositionalInt(attribute, AttributeNames.Conv2D.Filters) ?? 0;
        var kernel = PositionalInt(attribute, AttributeNames.Conv2D.KernelSize) ?? 0;
        var stride = NamedInt(attribute, AttributeNames.Conv2D.Stride) ?? 1;
        var padding = NamedInt(attribute, AttributeNames.Conv2D.Padding) ?? 0;
        var valid = true;
        void Argument(bool ok, string what, int value, string rule, Location? at)
        {
            if (ok) return;
            Report(DiagnosticDescriptors.ConvArgumentOutOfRange, at ?? location, index, what, value, rule);
            valid = false;
        }
        Argument(filters > 0, "filters", filters, "a layer needs at least 1 filter",
            ArgumentLocation(attribute, AttributeNames.Conv2D.Filters, _cancellationToken));
        Argument(kernel > 0, "kernelSize", kernel, "the kernel needs at least 1 pixel",
            ArgumentLocation(attribute, AttributeNames.Conv2D.KernelSize, _cancellationToken));
        Argument(stride > 0, AttributeNames.Conv2D.Stride, stride, "the stride must be at least 1",
            NamedArgumentLocation(attribute, AttributeNames.Conv2D.Stride, _cancellationToken));
        Argument(padding >= 0, AttributeNames.Conv2D.Padding, padding, "the padding cannot be negative",
            NamedArgumentLocation(attribute, AttributeNames.Conv2D.Padding, _cancellationToken));
        var activation = ParseActivation(attribute, AttributeNames.Conv2D.Activation, location);
        var bias = NamedBool(attribute, AttributeNames.Conv2D.Bias) ?? true;
        AddLayer(new LayerSpec(LayerKind.Conv2D, filters, activation, kernel, stride, padding, Bias: bias), attribute, location);
        if (!RequireImage("Conv2D", index, location) || !valid)
        {
            _shape = null;
            return;
        }
        var input = _shape!;
        if (kernel > input.Height + 2 * padding || kernel > input.Width + 2 * padding)
        {
            Report(DiagnosticDescriptors.KernelLargerThanInput,
                ArgumentLocation(attribute, AttributeNames.Conv2D.KernelSize, _cancellationToken) ?? location,
                index, kernel, input.Height, input.Width, padding);
            _shape = null;
            return;
        }
        _shape = new Shape(filters, Shapes.ConvOutput(input.Height, kernel, stride, padding), Shapes.ConvOutput(input.Width, kernel, stride, padding), true);
    }

    /// <summary>[MaxPool2D(size)] or [AvgPool2D(size)]: the size must divide the input's height and width.</summary>
    private void ParsePool(AttributeData attribute, Location? location, LayerKind kind, int sizePosition)
    {
        var index = _layers.Count;
        var size = PositionalInt(attribute, sizePosition) ?? 0;
        AddLayer(new LayerSpec(kind, 0, ActivationKind.None, size), attribute, location);
        if (!RequireImage(kind.ToString(), index, location))
            return;
        var input = _shape!;
        if (size < 1 || input.Height % size != 0 || input.Width % size != 0)
        {
            Report(DiagnosticDescriptors.PoolSizeInvalid, ArgumentLocation(attribute, sizePosition, _cancellationToken) ?? location,
                kind.ToString(), index, size, input.Height, input.Width);
            _shape = null;
            return;
        }
        _shape = input with { Height = input.Height / size, Width = input.Width / size };
    }

    private void ParseGlobalAveragePool(AttributeData attribute, Location? location)
    {
        var index = _layers.Count;
        AddLayer(new LayerSpec(LayerKind.GlobalAveragePool, 0, ActivationKind.None), attribute, location);
        if (RequireImage("GlobalAveragePool", index, location))
            _shape = new Shape(_shape!.Channels, 1, 1, false);
    }

    private void ParseDropout(AttributeData attribute, Location? location)
    {
        var index = _layers.Count;
        var rate = PositionalFloat(attribute, AttributeNames.Dropout.Rate) ?? float.NaN;
        if (!(rate >= 0f && rate < 1f))
            Report(DiagnosticDescriptors.DropoutRateOutOfRange, ArgumentLocation(attribute, AttributeNames.Dropout.Rate, _cancellationToken) ?? location,
                index, rate.ToString("R", CultureInfo.InvariantCulture));
        AddLayer(new LayerSpec(LayerKind.Dropout, 0, ActivationKind.None, Rate: rate), attribute, location);
    }

    /// <summary>A spatial layer needs an image input; reports it (once, on this layer) when the input is a flat row.</summary>
    private bool RequireImage(string kind, int index, Location? location)
    {
        if (_shape is null)
            return false;
        if (_shape.Spatial)
            return true;
        Report(DiagnosticDescriptors.SpatialLayerOnFlatInput, location, kind, index, _shape.Channels);
        _shape = null;
        return false;
    }

    private ActivationKind ParseActivation(AttributeData attribute, int position, Location? location)
    {
        var value = PositionalInt(attribute, position) ?? 0;
        if (Enum.IsDefined(typeof(ActivationKind), value))
            return (ActivationKind)value;
        Report(DiagnosticDescriptors.UnknownActivation, ArgumentLocation(attribute, position, _cancellationToken) ?? location, value);
        return ActivationKind.None;
    }
}
