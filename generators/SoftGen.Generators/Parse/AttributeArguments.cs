using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SoftGen.Generators.Parse;

/// <summary>Reading an attribute's arguments and finding where they are written, for diagnostics.</summary>
internal static class AttributeArguments
{
    public static int? PositionalInt(AttributeData attribute, int position) =>
        attribute.ConstructorArguments.Length > position && attribute.ConstructorArguments[position].Value is int value ? value : null;

    public static float? PositionalFloat(AttributeData attribute, int position) =>
        attribute.ConstructorArguments.Length > position && attribute.ConstructorArguments[position].Value is float value ? value : null;

    public static int? NamedInt(AttributeData attribute, string name) =>
        attribute.NamedArguments.FirstOrDefault(a => a.Key == name).Value.Value is int value ? value : null;

    public static float? NamedFloat(AttributeData attribute, string name) =>
        attribute.NamedArguments.FirstOrDefault(a => a.Key == name).Value.Value is float value ? value : null;

    public static bool? NamedBool(AttributeData attribute, string name) =>
        attribute.NamedArguments.FirstOrDefault(a => a.Key == name).Value.Value is bool value ? value : null;

    public static Location? AttributeLocation(AttributeData attribute, CancellationToken cancellationToken) =>
        attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation();

    public static Location? ArgumentLocation(AttributeData attribute, int position, CancellationToken cancellationToken)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax syntax || syntax.ArgumentList is null)
            return null;
        var positional = syntax.ArgumentList.Arguments.Where(a => a.NameEquals is null).ToList();
        return position < positional.Count ? positional[position].GetLocation() : null;
    }

    public static Location? NamedArgumentLocation(AttributeData attribute, string name, CancellationToken cancellationToken)
    {
        if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not AttributeSyntax syntax || syntax.ArgumentList is null)
            return null;
        return syntax.ArgumentList.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.Text == name)?.GetLocation();
    }

    /// <summary>Attributes of every declaration of the type, ordered by file then position: the layer order.</summary>
    public static IEnumerable<AttributeData> InSourceOrder(INamedTypeSymbol type) =>
        type.GetAttributes()
            .Where(a => a.ApplicationSyntaxReference is not null)
            .OrderBy(a => a.ApplicationSyntaxReference!.SyntaxTree.FilePath, StringComparer.Ordinal)
            .ThenBy(a => a.ApplicationSyntaxReference!.Span.Start);

    /// <summary>"SoftGen.DenseAttribute" -> "Dense": the name as written in source.</summary>
    public static string ShortName(string fullName)
    {
        var name = fullName.Substring(fullName.LastIndexOf('.') + 1);
        return name.EndsWith("Attribute", StringComparison.Ordinal) ? name.Substring(0, name.Length - "Attribute".Length) : name;
    }
}
