using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SoftGen.Generators.Model;
using static SoftGen.Generators.Parse.AttributeArguments;

namespace SoftGen.Generators.Parse;

/// <summary>The parser's output: a valid spec, or the diagnostics that explain why there is none.</summary>
internal sealed record ParseResult(ModelSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>
/// Turns a [SoftModel] class into a <see cref="ModelSpec"/>. All symbol work happens here; nothing from Roslyn's
/// semantic model travels further down the pipeline. One parser per model: the model attribute, then each layer and
/// loss attribute in source order (ModelParser.Layers.cs, ModelParser.Losses.cs), then the checks on the whole.
/// </summary>
internal sealed partial class ModelParser
{
    private readonly INamedTypeSymbol _type;
    private readonly CancellationToken _cancellationToken;
    private readonly List<DiagnosticInfo> _diagnostics = new();
    private Location? _modelLocation;
    private AttributeData? _modelAttribute;
    private int _inputs;
    private ImageSpec? _image;
    private int? _declaredClasses;

    private ModelParser(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        _type = type;
        _cancellationToken = cancellationToken;
    }

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
        new ModelParser((INamedTypeSymbol)context.TargetSymbol, cancellationToken).Run(context.Attributes[0]);

    private ParseResult Run(AttributeData modelAttribute)
    {
        _modelLocation = AttributeLocation(modelAttribute, _cancellationToken);
        _modelAttribute = modelAttribute;
        CheckTypeShape();
        var inputsValid = ParseModelAttribute(modelAttribute);

        // Layers and losses, in the order they are written. The shape of each layer's input is followed as far as it
        // is known, so that every impossible shape is reported on the layer that causes it (and only there).
        _shape = !inputsValid ? null : _image is not null ? new Shape(_image.Channels, _image.Height, _image.Width, true) : new Shape(_inputs, 1, 1, false);
        foreach (var attribute in InSourceOrder(_type))
            ParseMember(attribute);

        if (_openBlock is { } open)
            Report(DiagnosticDescriptors.ResidualNotClosed, open.Location, open.Start);
        CheckLayersAndLoss();
        if (_diagnostics.Count == 0)
            CheckStorage();
        if (_diagnostics.Count > 0)
            return new ParseResult(null, _diagnostics.ToEquatableArray());

        var spec = new ModelSpec(
            _type.ContainingNamespace.IsGlobalNamespace ? null : _type.ContainingNamespace.ToDisplayString(),
            ContainingTypes(_type),
            _type.Name,
            SyntaxFacts.GetText(_type.DeclaredAccessibility),
            _inputs,
            _image,
            _layers.ToEquatableArray(),
            _loss!);
        return new ParseResult(spec, EquatableArray<DiagnosticInfo>.Empty);
    }

    private void Report(DiagnosticDescriptor descriptor, Location? location, params object[] args) =>
        _diagnostics.Add(new DiagnosticInfo(descriptor, LocationInfo.From(location),
            args.Select(a => Convert.ToString(a, CultureInfo.InvariantCulture) ?? "").ToEquatableArray()));

    /// <summary>
    /// [SoftModel(Inputs = n, Classes = c)] or [SoftModel(Channels = c, Height = h, Width = w, Classes = k)]. False when
    /// the input shape is invalid (reported), so that no layer is checked against it.
    /// </summary>
    private bool ParseModelAttribute(AttributeData attribute)
    {
        var inputs = NamedInt(attribute, AttributeNames.SoftModel.Inputs);
        var channels = NamedInt(attribute, AttributeNames.SoftModel.Channels);
        var height = NamedInt(attribute, AttributeNames.SoftModel.Height);
        var width = NamedInt(attribute, AttributeNames.SoftModel.Width);
        var length = NamedInt(attribute, AttributeNames.SoftModel.Length);
        _declaredClasses = NamedInt(attribute, AttributeNames.SoftModel.Classes);
        _inputs = inputs ?? 0;
        var inputsLocation = NamedArgumentLocation(attribute, AttributeNames.SoftModel.Inputs, _cancellationToken) ?? _modelLocation;
        if (length is not null)
            return ParseSignalShape(inputs, channels ?? 0, length.Value, height is not null || width is not null, inputsLocation);
        if (channels is null && height is null && width is null)
        {
            if (_inputs > 0)
                return true;
            Report(DiagnosticDescriptors.InputsNotPositive, inputsLocation, _inputs);
            return false;
        }

        var valid = true;
        int c = channels ?? 0, h = height ?? 0, wd = width ?? 0;
        if (inputs is not null)
        {
            Report(DiagnosticDescriptors.InputsAndImageShape, inputsLocation, _inputs);
            valid = false;
        }
        if (c <= 0 || h <= 0 || wd <= 0)
        {
            Report(DiagnosticDescriptors.ImageShapeNotPositive, _modelLocation, c, h, wd);
            return false;
        }
        if ((long)c * h * wd > int.MaxValue / 16)
        {
            Report(DiagnosticDescriptors.ModelTooLarge, _modelLocation, _type.Name, (long)c * h * wd);
            return false;
        }
        _image = new ImageSpec(c, h, wd);
        _inputs = c * h * wd;
        return valid;
    }

    /// <summary>[SoftModel(Channels = c, Length = n)]: a signal, held as an image of height 1.</summary>
    private bool ParseSignalShape(int? inputs, int channels, int length, bool imageSides, Location? inputsLocation)
    {
        var lengthLocation = NamedArgumentLocation(_modelAttribute!, AttributeNames.SoftModel.Length, _cancellationToken) ?? _modelLocation;
        string? problem = imageSides ? "Length declares a signal, so leave out Height and Width (an image gives those instead of Length)"
            : inputs is not null ? "Length declares a signal, so leave out Inputs (a signal row has Channels x Length values)"
            : channels <= 0 || length <= 0 ? "a signal needs Channels and Length of at least 1 each"
            : null;
        if (problem is not null)
        {
            Report(DiagnosticDescriptors.SignalShapeInvalid, lengthLocation, channels, length, problem);
            return false;
        }
        if ((long)channels * length > int.MaxValue / 16)
        {
            Report(DiagnosticDescriptors.ModelTooLarge, _modelLocation, _type.Name, (long)channels * length);
            return false;
        }
        _image = new ImageSpec(channels, 1, length, Signal: true);
        _inputs = channels * length;
        return true;
    }

    /// <summary>One attribute of the class: a layer, a loss, or something else (ignored).</summary>
    private void ParseMember(AttributeData attribute)
    {
        var location = AttributeLocation(attribute, _cancellationToken);
        switch (attribute.AttributeClass?.ToDisplayString())
        {
            case AttributeNames.Dense.MetadataName:
                ParseDense(attribute, location);
                break;
            case AttributeNames.Conv2D.MetadataName:
                ParseConvolution(attribute, location, oneDimensional: false);
                break;
            case AttributeNames.Conv1D.MetadataName:
                ParseConvolution(attribute, location, oneDimensional: true);
                break;
            case AttributeNames.MaxPool2D.MetadataName:
                ParsePool(attribute, location, LayerKind.MaxPool2D, AttributeNames.MaxPool2D.Size, oneDimensional: false);
                break;
            case AttributeNames.AvgPool2D.MetadataName:
                ParsePool(attribute, location, LayerKind.AvgPool2D, AttributeNames.AvgPool2D.Size, oneDimensional: false);
                break;
            case AttributeNames.MaxPool1D.MetadataName:
                ParsePool(attribute, location, LayerKind.MaxPool2D, AttributeNames.MaxPool1D.Size, oneDimensional: true);
                break;
            case AttributeNames.AvgPool1D.MetadataName:
                ParsePool(attribute, location, LayerKind.AvgPool2D, AttributeNames.AvgPool1D.Size, oneDimensional: true);
                break;
            case AttributeNames.SqueezeExcitation.MetadataName:
                ParseSqueezeExcitation(attribute, location);
                break;
            case AttributeNames.GemPool.MetadataName:
                ParseGemPool(attribute, location);
                break;
            case AttributeNames.GlobalAveragePool.MetadataName:
                ParseGlobalAveragePool(attribute, location);
                break;
            case AttributeNames.Dropout.MetadataName:
                ParseDropout(attribute, location);
                break;
            case AttributeNames.BatchNorm.MetadataName:
                ParseBatchNorm(attribute, location);
                break;
            case AttributeNames.LayerNorm.MetadataName:
                ParseLayerNorm(attribute, location);
                break;
            case AttributeNames.Residual.MetadataName:
                OpenResidual(location);
                break;
            case AttributeNames.EndResidual.MetadataName:
                CloseResidual(attribute, location);
                break;
            case AttributeNames.SoftmaxCrossEntropy.MetadataName:
                AddLoss(attribute, location, ParseSoftmaxCrossEntropy);
                break;
            case AttributeNames.KLDivergence.MetadataName:
                AddLoss(attribute, location, ParseKLDivergence);
                break;
            case AttributeNames.SigmoidCrossEntropy.MetadataName:
                AddLoss(attribute, location, ParseSigmoidCrossEntropy);
                break;
        }
    }

    /// <summary>The checks that need every layer and the loss: something to train, and a last layer that can feed the loss.</summary>
    private void CheckLayersAndLoss()
    {
        if (_layers.Count == 0)
            Report(DiagnosticDescriptors.NoLayers, _modelLocation, _type.Name);
        if (_loss is null)
            Report(DiagnosticDescriptors.NoLoss, _modelLocation, _type.Name);
        if (_layers.Count == 0)
            return;

        var last = _layers[_layers.Count - 1];
        if (!last.IsAffine)
        {
            Report(DiagnosticDescriptors.LastLayerWithoutParameters, _lastLayerLocation, ShortName(_lastLayer!.AttributeClass!.ToDisplayString()));
            return;
        }
        if (_loss is null)
            return;
        var conv = last.Kind == LayerKind.Conv2D;
        var kindName = conv ? "Conv2D" : "Dense";
        var widthPhrase = conv ? "Conv2D layer has filter count" : "Dense layer has width";
        if (_declaredClasses is { } classes && classes != last.Units)
            Report(DiagnosticDescriptors.ClassCountMismatch, _lastLayerLocation, last.Units, classes, widthPhrase);
        if (last.Activation != ActivationKind.None)
            Report(DiagnosticDescriptors.ActivationBeforeLoss,
                ArgumentLocation(_lastLayer!, conv ? AttributeNames.Conv2D.Activation : AttributeNames.Dense.Activation, _cancellationToken) ?? _lastLayerLocation,
                last.Activation, _lossName!, _loss.Kind == LossKindSpec.SigmoidCrossEntropy ? "sigmoid" : "softmax", kindName);
        if (last.Units == 1 && _loss.Kind != LossKindSpec.SigmoidCrossEntropy)
            Report(DiagnosticDescriptors.TooFewClasses, _lossLocation, _lossName!, widthPhrase);
    }

    /// <summary>The flat parameter storage must stay addressable by int (with room for the runtime's alignment).</summary>
    private void CheckStorage()
    {
        var storage = ModelPlan.For(_inputs, _image, _layers).StorageLength;
        if (storage > int.MaxValue - 64)
            Report(DiagnosticDescriptors.ModelTooLarge, _modelLocation, _type.Name, storage);
    }

    private void CheckTypeShape()
    {
        if (!IsPartial(_type))
            Report(DiagnosticDescriptors.ClassNotPartial, _modelLocation, _type.Name);
        if (_type.IsGenericType)
            Report(DiagnosticDescriptors.GenericModel, _modelLocation, _type.Name);
        for (var outer = _type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            if (!IsPartial(outer))
                Report(DiagnosticDescriptors.ContainingTypeNotPartial, _modelLocation, _type.Name, outer.Name);
        }
    }

    private static bool IsPartial(INamedTypeSymbol type) =>
        type.DeclaringSyntaxReferences.Any(r =>
            r.GetSyntax() is TypeDeclarationSyntax t && t.Modifiers.Any(SyntaxKind.PartialKeyword));

    private static EquatableArray<ContainingTypeSpec> ContainingTypes(INamedTypeSymbol type)
    {
        var result = new List<ContainingTypeSpec>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            var keyword = outer.IsRecord
                ? (outer.TypeKind == TypeKind.Struct ? "record struct" : "record")
                : outer.TypeKind switch { TypeKind.Struct => "struct", TypeKind.Interface => "interface", _ => "class" };
            result.Insert(0, new ContainingTypeSpec(keyword, outer.Name));
        }
        return result.ToEquatableArray();
    }
}
