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

        // [SoftModel(Inputs = n, Classes = c)]
        var inputs = NamedInt(modelAttribute, "Inputs") ?? 0;
        if (inputs <= 0)
            Report(DiagnosticDescriptors.InputsNotPositive,
                NamedArgumentLocation(modelAttribute, "Inputs", cancellationToken) ?? modelLocation, inputs);
        var declaredClasses = NamedInt(modelAttribute, "Classes");

        // Layers and losses, in the order they are written.
        var layers = new List<DenseLayerSpec>();
        Location? lastLayerLocation = null;
        AttributeData? lastLayer = null;
        LossSpec? loss = null;
        string? lossName = null;
        Location? lossLocation = null;
        foreach (var attribute in AttributesInSourceOrder(type, cancellationToken))
        {
            var name = attribute.AttributeClass?.ToDisplayString();
            var location = AttributeLocation(attribute, cancellationToken);
            switch (name)
            {
                case DenseAttribute:
                    var width = attribute.ConstructorArguments.Length > 0 && attribute.ConstructorArguments[0].Value is int w ? w : 0;
                    var activationValue = attribute.ConstructorArguments.Length > 1 && attribute.ConstructorArguments[1].Value is int a ? a : 0;
                    if (width <= 0)
                        Report(DiagnosticDescriptors.WidthNotPositive, ArgumentLocation(attribute, 0, cancellationToken) ?? location, layers.Count, width);
                    if (!Enum.IsDefined(typeof(ActivationKind), activationValue))
                    {
                        Report(DiagnosticDescriptors.UnknownActivation, ArgumentLocation(attribute, 1, cancellationToken) ?? location, activationValue);
                        activationValue = 0;
                    }
                    layers.Add(new DenseLayerSpec(width, (ActivationKind)activationValue));
                    lastLayer = attribute;
                    lastLayerLocation = location;
                    break;

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

        if (layers.Count == 0)
            Report(DiagnosticDescriptors.NoLayers, modelLocation, type.Name);
        if (loss is null)
            Report(DiagnosticDescriptors.NoLoss, modelLocation, type.Name);

        if (layers.Count > 0 && loss is not null)
        {
            var last = layers[layers.Count - 1];
            if (declaredClasses is { } classes && classes != last.Width)
                Report(DiagnosticDescriptors.ClassCountMismatch, lastLayerLocation, last.Width, classes);
            if (last.Activation != ActivationKind.None)
                Report(DiagnosticDescriptors.ActivationBeforeLoss,
                    ArgumentLocation(lastLayer!, 1, cancellationToken) ?? lastLayerLocation, last.Activation, lossName!,
                    loss.Kind == LossKindSpec.SigmoidCrossEntropy ? "sigmoid" : "softmax");
            if (last.Width == 1 && loss.Kind != LossKindSpec.SigmoidCrossEntropy)
                Report(DiagnosticDescriptors.TooFewClasses, lossLocation, lossName!);
        }

        if (inputs > 0 && layers.All(l => l.Width > 0))
        {
            var storage = Shapes.StorageLength(inputs, layers.Select(l => l.Width));
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
            layers.ToEquatableArray(),
            loss!);
        return new ParseResult(spec, EquatableArray<DiagnosticInfo>.Empty);
    }

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
