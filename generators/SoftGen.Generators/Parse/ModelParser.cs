using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SoftGen.Generators.Model;

namespace SoftGen.Generators.Parse;

/// <summary>The parser's output: a valid spec, or the diagnostics that explain why there is none.</summary>
internal sealed record ParseResult(ModelSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>
/// Turns a [SoftModel] class into a <see cref="ModelSpec"/>. All symbol work happens here; nothing
/// from Roslyn's semantic model travels further down the pipeline.
/// </summary>
internal static class ModelParser
{
    public const string SoftModelAttribute = "SoftGen.SoftModelAttribute";
    public const string DenseAttribute = "SoftGen.DenseAttribute";
    public const string Conv2DAttribute = "SoftGen.Conv2DAttribute";
    public const string MaxPool2DAttribute = "SoftGen.MaxPool2DAttribute";
    public const string AvgPool2DAttribute = "SoftGen.AvgPool2DAttribute";
    public const string GlobalAveragePoolAttribute = "SoftGen.GlobalAveragePoolAttribute";
    public const string DropoutAttribute = "SoftGen.DropoutAttribute";
    public const string SoftmaxCrossEntropyAttribute = "SoftGen.SoftmaxCrossEntropyAttribute";
    public const string KLDivergenceAttribute = "SoftGen.KLDivergenceAttribute";
    public const string SigmoidCrossEntropyAttribute = "SoftGen.SigmoidCrossEntropyAttribute";

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var modelAttribute = context.Attributes[0];
        var diagnostics = new List<DiagnosticInfo>();

        void Report(DiagnosticDescriptor descriptor, Location? location, params object[] args) =>
            diagnostics.Add(new DiagnosticInfo(descriptor, LocationInfo.From(location),
                args.Select(a => Convert.ToString(a, CultureInfo.InvariantCulture) ?? "").ToEquatableArray()));

        var modelLocation = AttributeLocation(modelAttribute, cancellationToken);
        CheckTypeShape(type, modelLocation, Report);

        // [SoftModel(Inputs = n, Classes = c)] or [SoftModel(Channels = c, Height = h, Width = w, Classes = k)]
        var inputs = NamedInt(modelAttribute, "Inputs") ?? 0;
        var channels = NamedInt(modelAttribute, "Channels");
        var height = NamedInt(modelAttribute, "Height");
        var width = NamedInt(modelAttribute, "Width");
        ImageSpec? image = null;
        var inputsValid = true;
        if (channels is not null || height is not null || width is not null)
        {
            int c = channels ?? 0, h = height ?? 0, wd = width ?? 0;
            if (NamedInt(modelAttribute, "Inputs") is not null)
            {
                Report(DiagnosticDescriptors.InputsAndImageShape,
                    NamedArgumentLocation(modelAttribute, "Inputs", cancellationToken) ?? modelLocation, inputs);
                inputsValid = false;
            }
            if (c <= 0 || h <= 0 || wd <= 0)
            {
                Report(DiagnosticDescriptors.ImageShapeNotPositive, modelLocation, c, h, wd);
                inputsValid = false;
            }
            else if ((long)c * h * wd > int.MaxValue / 16)
            {
                Report(DiagnosticDescriptors.ModelTooLarge, modelLocation, type.Name, (long)c * h * wd);
                inputsValid = false;
            }
            else
            {
                image = new ImageSpec(c, h, wd);
                inputs = c * h * wd;
            }
        }
        else if (inputs <= 0)
        {
            Report(DiagnosticDescriptors.InputsNotPositive,
                NamedArgumentLocation(modelAttribute, "Inputs", cancellationToken) ?? modelLocation, inputs);
            inputsValid = false;
        }
        var declaredClasses = NamedInt(modelAttribute, "Classes");

        // Layers and losses, in the order they are written. The shape of each layer's input is followed as far as it
        // is known, so that every impossible shape is reported on the layer that causes it (and only there).
        var layers = new List<LayerSpec>();
        Location? lastLayerLocation = null;
        AttributeData? lastLayer = null;
        LossSpec? loss = null;
        string? lossName = null;
        Location? lossLocation = null;
        var shape = inputsValid ? (image is not null ? new Shape(image.Channels, image.Height, image.Width, true) : new Shape(inputs, 1, 1, false)) : null;
        foreach (var attribute in AttributesInSourceOrder(type, cancellationToken))
        {
            var name = attribute.AttributeClass?.ToDisplayString();
            var location = AttributeLocation(attribute, cancellationToken);
            var index = layers.Count;
            switch (name)
            {
                case DenseAttribute:
                {
                    var units = PositionalInt(attribute, 0) ?? 0;
                    if (units <= 0)
                        Report(DiagnosticDescriptors.WidthNotPositive, ArgumentLocation(attribute, 0, cancellationToken) ?? location, index, units);
                    var activation = ParseActivation(attribute, 1, location, Report, cancellationToken);
                    layers.Add(LayerSpec.Dense(units, activation));
                    shape = units > 0 ? new Shape(units, 1, 1, false) : null;
                    lastLayer = attribute;
                    lastLayerLocation = location;
                    break;
                }

                case Conv2DAttribute:
                {
                    var filters = PositionalInt(attribute, 0) ?? 0;
                    var kernel = PositionalInt(attribute, 1) ?? 0;
                    var stride = NamedInt(attribute, "Stride") ?? 1;
                    var padding = NamedInt(attribute, "Padding") ?? 0;
                    var valid = true;
                    void Argument(bool ok, string what, int value, string rule, Location? at)
                    {
                        if (ok) return;
                        Report(DiagnosticDescriptors.ConvArgumentOutOfRange, at ?? location, index, what, value, rule);
                        valid = false;
                    }
                    Argument(filters > 0, "filters", filters, "a layer needs at least 1 filter", ArgumentLocation(attribute, 0, cancellationToken));
                    Argument(kernel > 0, "kernelSize", kernel, "the kernel needs at least 1 pixel", ArgumentLocation(attribute, 1, cancellationToken));
                    Argument(stride > 0, "Stride", stride, "the stride must be at least 1", NamedArgumentLocation(attribute, "Stride", cancellationToken));
                    Argument(padding >= 0, "Padding", padding, "the padding cannot be negative", NamedArgumentLocation(attribute, "Padding", cancellationToken));
                    var activation = ParseActivation(attribute, 2, location, Report, cancellationToken);
                    layers.Add(new LayerSpec(LayerKind.Conv2D, filters, activation, kernel, stride, padding));
                    lastLayer = attribute;
                    lastLayerLocation = location;
                    if (!RequireImage("Conv2D", index, location, ref shape) || !valid)
                    {
                        shape = null;
                        break;
                    }
                    if (kernel > shape!.Height + 2 * padding || kernel > shape.Width + 2 * padding)
                    {
                        Report(DiagnosticDescriptors.KernelLargerThanInput, ArgumentLocation(attribute, 1, cancellationToken) ?? location,
                            index, kernel, shape.Height, shape.Width, padding);
                        shape = null;
                        break;
                    }
                    shape = new Shape(filters, Shapes.ConvOutput(shape.Height, kernel, stride, padding), Shapes.ConvOutput(shape.Width, kernel, stride, padding), true);
                    break;
                }

                case MaxPool2DAttribute or AvgPool2DAttribute:
                {
                    var kind = name == MaxPool2DAttribute ? LayerKind.MaxPool2D : LayerKind.AvgPool2D;
                    var size = PositionalInt(attribute, 0) ?? 0;
                    layers.Add(new LayerSpec(kind, 0, ActivationKind.None, size));
                    lastLayer = attribute;
                    lastLayerLocation = location;
                    if (!RequireImage(kind.ToString(), index, location, ref shape))
                        break;
                    if (size < 1 || shape!.Height % size != 0 || shape.Width % size != 0)
                    {
                        Report(DiagnosticDescriptors.PoolSizeInvalid, ArgumentLocation(attribute, 0, cancellationToken) ?? location,
                            kind.ToString(), index, size, shape!.Height, shape.Width);
                        shape = null;
                        break;
                    }
                    shape = shape with { Height = shape.Height / size, Width = shape.Width / size };
                    break;
                }

                case GlobalAveragePoolAttribute:
                    layers.Add(new LayerSpec(LayerKind.GlobalAveragePool, 0, ActivationKind.None));
                    lastLayer = attribute;
                    lastLayerLocation = location;
                    if (RequireImage("GlobalAveragePool", index, location, ref shape))
                        shape = new Shape(shape!.Channels, 1, 1, false);
                    break;

                case DropoutAttribute:
                {
                    var rate = attribute.ConstructorArguments.Length > 0 && attribute.ConstructorArguments[0].Value is float r ? r : float.NaN;
                    if (!(rate >= 0f && rate < 1f))
                        Report(DiagnosticDescriptors.DropoutRateOutOfRange, ArgumentLocation(attribute, 0, cancellationToken) ?? location,
                            index, rate.ToString("R", CultureInfo.InvariantCulture));
                    layers.Add(new LayerSpec(LayerKind.Dropout, 0, ActivationKind.None, Rate: rate));
                    lastLayer = attribute;
                    lastLayerLocation = location;
                    break;
                }

                case SoftmaxCrossEntropyAttribute or KLDivergenceAttribute or SigmoidCrossEntropyAttribute:
                    var shortName = ShortName(name);
                    if (loss is not null)
                    {
                        Report(DiagnosticDescriptors.MultipleLosses, location, type.Name, shortName, lossName!);
                        break;
                    }
                    loss = ParseLoss(attribute, name, location, Report, cancellationToken);
                    lossName = shortName;
                    lossLocation = location;
                    break;
            }
        }

        // A spatial layer needs an image input; reports it (once, on this layer) when the input is a flat row.
        bool RequireImage(string kind, int index, Location? location, ref Shape? current)
        {
            if (current is null)
                return false;
            if (current.Spatial)
                return true;
            Report(DiagnosticDescriptors.SpatialLayerOnFlatInput, location, kind, index, current.Channels);
            current = null;
            return false;
        }

        if (layers.Count == 0)
            Report(DiagnosticDescriptors.NoLayers, modelLocation, type.Name);
        if (loss is null)
            Report(DiagnosticDescriptors.NoLoss, modelLocation, type.Name);

        if (layers.Count > 0 && !layers[layers.Count - 1].HasParameters)
            Report(DiagnosticDescriptors.LastLayerWithoutParameters, lastLayerLocation, ShortName(lastLayer!.AttributeClass!.ToDisplayString()));
        else if (layers.Count > 0 && loss is not null)
        {
            var last = layers[layers.Count - 1];
            var kindName = last.Kind == LayerKind.Conv2D ? "Conv2D" : "Dense";
            var widthPhrase = last.Kind == LayerKind.Conv2D ? "Conv2D layer has filter count" : "Dense layer has width";
            if (declaredClasses is { } classes && classes != last.Units)
                Report(DiagnosticDescriptors.ClassCountMismatch, lastLayerLocation, last.Units, classes, widthPhrase);
            if (last.Activation != ActivationKind.None)
                Report(DiagnosticDescriptors.ActivationBeforeLoss,
                    ArgumentLocation(lastLayer!, last.Kind == LayerKind.Conv2D ? 2 : 1, cancellationToken) ?? lastLayerLocation, last.Activation, lossName!,
                    loss.Kind == LossKindSpec.SigmoidCrossEntropy ? "sigmoid" : "softmax", kindName);
            if (last.Units == 1 && loss.Kind != LossKindSpec.SigmoidCrossEntropy)
                Report(DiagnosticDescriptors.TooFewClasses, lossLocation, lossName!, widthPhrase);
        }

        if (diagnostics.Count == 0)
        {
            var storage = LayerPlan.StorageLength(new ModelSpec(null, EquatableArray<ContainingTypeSpec>.Empty, type.Name, "", inputs, image,
                layers.ToEquatableArray(), loss!));
            if (storage > int.MaxValue - 64)
                Report(DiagnosticDescriptors.ModelTooLarge, modelLocation, type.Name, storage);
        }

        if (diagnostics.Count > 0)
            return new ParseResult(null, diagnostics.ToEquatableArray());

        var spec = new ModelSpec(
            type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString(),
            ContainingTypes(type),
            type.Name,
            SyntaxFacts.GetText(type.DeclaredAccessibility),
            inputs,
            image,
            layers.ToEquatableArray(),
            loss!);
        return new ParseResult(spec, EquatableArray<DiagnosticInfo>.Empty);
    }

    /// <summary>The shape the parser follows: channels (or features) and, for images, height and width.</summary>
    private sealed record Shape(int Channels, int Height, int Width, bool Spatial);

    private static ActivationKind ParseActivation(AttributeData attribute, int position, Location? location,
        Action<DiagnosticDescriptor, Location?, object[]> report, CancellationToken cancellationToken)
    {
        var value = PositionalInt(attribute, position) ?? 0;
        if (Enum.IsDefined(typeof(ActivationKind), value))
            return (ActivationKind)value;
        report(DiagnosticDescriptors.UnknownActivation, ArgumentLocation(attribute, position, cancellationToken) ?? location, new object[] { value });
        return ActivationKind.None;
    }

    private static int? PositionalInt(AttributeData attribute, int position) =>
        attribute.ConstructorArguments.Length > position && attribute.ConstructorArguments[position].Value is int value ? value : null;

    private static LossSpec ParseLoss(AttributeData attribute, string name, Location? location,
        Action<DiagnosticDescriptor, Location?, object[]> report, CancellationToken cancellationToken)
    {
        switch (name)
        {
            case SoftmaxCrossEntropyAttribute:
                var smoothing = NamedFloat(attribute, "LabelSmoothing") ?? 0f;
                var temperature = NamedFloat(attribute, "Temperature") ?? 1f;
                if (!(smoothing >= 0f && smoothing < 1f))
                    report(DiagnosticDescriptors.LabelSmoothingOutOfRange,
                        NamedArgumentLocation(attribute, "LabelSmoothing", cancellationToken) ?? location,
                        new object[] { smoothing.ToString("R", CultureInfo.InvariantCulture) });
                if (!(temperature > 0f) || float.IsInfinity(temperature))
                    report(DiagnosticDescriptors.TemperatureNotPositive,
                        NamedArgumentLocation(attribute, "Temperature", cancellationToken) ?? location,
                        new object[] { temperature.ToString("R", CultureInfo.InvariantCulture) });
                return new LossSpec(LossKindSpec.SoftmaxCrossEntropy, smoothing, temperature);
            case KLDivergenceAttribute:
                return new LossSpec(LossKindSpec.KLDivergence, 0f, 1f);
            default:
                return new LossSpec(LossKindSpec.SigmoidCrossEntropy, 0f, 1f);
        }
    }

    private static void CheckTypeShape(INamedTypeSymbol type, Location? location, Action<DiagnosticDescriptor, Location?, object[]> report)
    {
        if (!IsPartial(type))
            report(DiagnosticDescriptors.ClassNotPartial, location, new object[] { type.Name });
        if (type.IsGenericType)
            report(DiagnosticDescriptors.GenericModel, location, new object[] { type.Name });
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            if (!IsPartial(outer))
                report(DiagnosticDescriptors.ContainingTypeNotPartial, location, new object[] { type.Name, outer.Name });
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

    /// <summary>Attributes of every declaration of the type, ordered by file then position: the layer order.</summary>
    private static IEnumerable<AttributeData> AttributesInSourceOrder(INamedTypeSymbol type, CancellationToken cancellationToken) =>
        type.GetAttributes()
            .Where(a => a.ApplicationSyntaxReference is not null)
            .OrderBy(a => a.ApplicationSyntaxReference!.SyntaxTree.FilePath, StringComparer.Ordinal)
            .ThenBy(a => a.ApplicationSyntaxReference!.Span.Start);

    private static string ShortName(string fullName)
    {
        var name = fullName.Substring(fullName.LastIndexOf('.') + 1);
        return name.EndsWith("Attribute", StringComparison.Ordinal) ? name.Substring(0, name.Length - "Attribute".Length) : name;
    }

    private static int? NamedInt(AttributeData attribute, string name) =>
        attribute.NamedArguments.FirstOrDefault(a => a.Key == name).Value.Value is int value ? value : null;

    private static float? NamedFloat(AttributeData attribute, string name) =>
        attribute.NamedArguments.FirstOrDefault(a => a.Key == name).Value.Value is float value ? value : null;

    private static Location? AttributeLocation(AttributeData attribute, CancellationToken cancellationToken) =>
        attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation();

    private static Location? ArgumentLocation(AttributeData attribute, int position, CancellationToken cancellationToken)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax syntax || syntax.ArgumentList is null)
            return null;
        var positional = syntax.ArgumentList.Arguments.Where(a => a.NameEquals is null).ToList();
        return position < positional.Count ? positional[position].GetLocation() : null;
    }

    private static Location? NamedArgumentLocation(AttributeData attribute, string name, CancellationToken cancellationToken)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax syntax || syntax.ArgumentList is null)
            return null;
        return syntax.ArgumentList.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.Text == name)?.GetLocation();
    }
}
