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

    /// <summary>
    /// [Conv2D(filters, kernelSize, act, ...)] or [Conv1D(...)], the latter a Conv2D of height 1 in a signal model.
    /// Every argument is range-checked on itself (SG0019, SG0035), then the dilated kernel against the padded input.
    /// </summary>
    private void ParseConvolution(AttributeData attribute, Location? location, bool oneDimensional)
    {
        var index = _layers.Count;
        var kind = oneDimensional ? "Conv1D" : "Conv2D";
        var filters = PositionalInt(attribute, AttributeNames.Conv2D.Filters) ?? 0;
        var kernel = PositionalInt(attribute, AttributeNames.Conv2D.KernelSize) ?? 0;
        var stride = NamedInt(attribute, AttributeNames.Conv2D.Stride) ?? 1;
        var padding = NamedInt(attribute, AttributeNames.Conv2D.Padding) ?? 0;
        var dilation = NamedInt(attribute, AttributeNames.Conv2D.Dilation) ?? 1;
        var groups = NamedInt(attribute, AttributeNames.Conv2D.Groups) ?? 1;
        var valid = true;
        void Argument(bool ok, string what, int value, string rule, Location? at)
        {
            if (ok) return;
            Report(DiagnosticDescriptors.ConvArgumentOutOfRange, at ?? location, kind, index, what, value, rule);
            valid = false;
        }
        Location? Named(string name) => NamedArgumentLocation(attribute, name, _cancellationToken);
        Argument(filters > 0, "filters", filters, "a layer needs at least 1 filter",
            ArgumentLocation(attribute, AttributeNames.Conv2D.Filters, _cancellationToken));
        Argument(kernel > 0, "kernelSize", kernel, "the kernel needs at least 1 " + (oneDimensional ? "sample" : "pixel"),
            ArgumentLocation(attribute, AttributeNames.Conv2D.KernelSize, _cancellationToken));
        Argument(stride > 0, AttributeNames.Conv2D.Stride, stride, "the stride must be at least 1", Named(AttributeNames.Conv2D.Stride));
        Argument(padding >= 0, AttributeNames.Conv2D.Padding, padding, "the padding cannot be negative", Named(AttributeNames.Conv2D.Padding));
        Argument(dilation > 0, AttributeNames.Conv2D.Dilation, dilation, "the dilation must be at least 1 (1: adjacent taps)", Named(AttributeNames.Conv2D.Dilation));

        var window = oneDimensional
            ? new ConvWindow(1, kernel, 1, stride, 0, padding, 1, dilation, groups)
            : new ConvWindow(Side(AttributeNames.Conv2D.KernelHeight, kernel), Side(AttributeNames.Conv2D.KernelWidth, kernel),
                Side(AttributeNames.Conv2D.StrideHeight, stride), Side(AttributeNames.Conv2D.StrideWidth, stride),
                PaddingSide(AttributeNames.Conv2D.PaddingHeight), PaddingSide(AttributeNames.Conv2D.PaddingWidth),
                dilation, dilation, groups);
        // A side's own value overrides the square one: 0 (kernel, stride) or -1 (padding) means "the square value".
        int Side(string name, int fallback)
        {
            var value = NamedInt(attribute, name) ?? 0;
            Argument(value >= 0, name, value, "it must be at least 1, or 0 for the square value", Named(name));
            return value > 0 ? value : fallback;
        }
        int PaddingSide(string name)
        {
            var value = NamedInt(attribute, name) ?? -1;
            Argument(value >= -1, name, value, "the padding cannot be negative (-1 means Padding)", Named(name));
            return value >= 0 ? value : padding;
        }

        var activation = ParseActivation(attribute, AttributeNames.Conv2D.Activation, location);
        var bias = NamedBool(attribute, AttributeNames.Conv2D.Bias) ?? true;
        AddLayer(new LayerSpec(LayerKind.Conv2D, filters, activation, window, Bias: bias), attribute, location);
        if (!RequireSpatial(kind, index, location, oneDimensional) || !valid)
        {
            _shape = null;
            return;
        }
        var input = _shape!;
        if (groups < 1 || input.Channels % groups != 0 || filters % groups != 0)
        {
            Report(DiagnosticDescriptors.GroupsInvalid, Named(AttributeNames.Conv2D.Groups) ?? location, kind, index, groups, input.Channels, filters);
            _shape = null;
            return;
        }
        if (window.SpanHeight > input.Height + 2 * window.PaddingHeight || window.SpanWidth > input.Width + 2 * window.PaddingWidth)
        {
            var span = oneDimensional ? window.SpanWidth + " samples" : window.SpanHeight + "x" + window.SpanWidth + " pixels";
            var size = oneDimensional ? "length-" + input.Width : input.Height + "x" + input.Width;
            var pad = oneDimensional ? window.PaddingWidth + " at each end" : window.PaddingHeight + "x" + window.PaddingWidth + " on each side";
            Report(DiagnosticDescriptors.KernelLargerThanInput,
                ArgumentLocation(attribute, AttributeNames.Conv2D.KernelSize, _cancellationToken) ?? location, kind, index, span, size, pad);
            _shape = null;
            return;
        }
        _shape = new Shape(filters, window.OutHeight(input.Height), window.OutWidth(input.Width), true);
    }

    /// <summary>
    /// [MaxPool2D(size)], [AvgPool2D(size)] or their 1-D forms (a 1 x size window in a signal model): the size must
    /// divide the input along each axis it pools.
    /// </summary>
    private void ParsePool(AttributeData attribute, Location? location, LayerKind kind, int sizePosition, bool oneDimensional)
    {
        var index = _layers.Count;
        var size = PositionalInt(attribute, sizePosition) ?? 0;
        var name = ShortName(attribute.AttributeClass!.ToDisplayString());
        AddLayer(new LayerSpec(kind, 0, ActivationKind.None, oneDimensional ? ConvWindow.Pool(1, size) : ConvWindow.Pool(size, size)), attribute, location);
        if (!RequireSpatial(name, index, location, oneDimensional))
            return;
        var input = _shape!;
        var fits = oneDimensional ? size >= 1 && input.Width % size == 0 : size >= 1 && input.Height % size == 0 && input.Width % size == 0;
        if (!fits)
        {
            Report(DiagnosticDescriptors.PoolSizeInvalid, ArgumentLocation(attribute, sizePosition, _cancellationToken) ?? location,
                name, index, size, oneDimensional ? "length" : "height and width", oneDimensional ? input.Width.ToString(CultureInfo.InvariantCulture) : input.Height + "x" + input.Width);
            _shape = null;
            return;
        }
        _shape = oneDimensional ? input with { Width = input.Width / size } : input with { Height = input.Height / size, Width = input.Width / size };
    }

    private void ParseGlobalAveragePool(AttributeData attribute, Location? location)
    {
        var index = _layers.Count;
        AddLayer(new LayerSpec(LayerKind.GlobalAveragePool, 0, ActivationKind.None), attribute, location);
        if (RequireSpatial("GlobalAveragePool", index, location))
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

    /// <summary>
    /// A spatial layer needs an image or signal input; reports it (once, on this layer) when the input is a flat row, or
    /// when a 1-D layer is in an image model or a 2-D one in a signal model (<paramref name="oneDimensional"/>: null for
    /// the layers that take either).
    /// </summary>
    private bool RequireSpatial(string kind, int index, Location? location, bool? oneDimensional = null)
    {
        if (_shape is null)
            return false;
        if (!_shape.Spatial)
        {
            Report(DiagnosticDescriptors.SpatialLayerOnFlatInput, location, kind, index, _shape.Channels);
            _shape = null;
            return false;
        }
        var signal = _image?.Signal == true;
        if (oneDimensional is { } one && one != signal)
        {
            var twin = kind.EndsWith("1D", StringComparison.Ordinal) ? kind.Substring(0, kind.Length - 2) + "2D" : kind.Substring(0, kind.Length - 2) + "1D";
            Report(DiagnosticDescriptors.LayerDimensionMismatch, location, kind, index,
                one ? "signals" : "images",
                one ? "the model is declared as images ([SoftModel(Channels, Height, Width)])" : "the model is declared as signals ([SoftModel(Channels, Length)])",
                "[" + twin + "]");
            _shape = null;
            return false;
        }
        return true;
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
