using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SoftGen.Generators.Emit;
using SoftGen.Generators.Model;
using SoftGen.Generators.Parse;

namespace SoftGen.Generators;

/// <summary>
/// The pipeline: [SoftModel] classes -> <see cref="ModelParser"/> (symbols to an equatable spec, or diagnostics)
/// -> <see cref="TrainerEmitter"/> (one source file per model). Diagnostics and sources are separate outputs,
/// so a source is re-emitted only when its spec changes.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class SoftModelGenerator : IIncrementalGenerator
{
    /// <summary>Step names, for incremental-caching tests.</summary>
    public const string ParseStep = "SoftGen.Parse";
    public const string SpecStep = "SoftGen.Spec";
    public const string GpuStep = "SoftGen.GpuReferenced";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(AttributeNames.SoftModel.MetadataName,
                static (node, _) => node is ClassDeclarationSyntax,
                static (ctx, ct) => ModelParser.Parse(ctx, ct))
            .WithTrackingName(ParseStep);

        context.RegisterSourceOutput(parsed.SelectMany(static (r, _) => r.Diagnostics),
            static (spc, diagnostic) => spc.ReportDiagnostic(diagnostic.ToDiagnostic()));

        var specs = parsed
            .Where(static r => r.Spec is not null)
            .Select(static (r, _) => r.Spec!)
            .WithTrackingName(SpecStep);

        context.RegisterSourceOutput(specs, static (spc, spec) =>
            spc.AddSource(TrainerEmitter.HintName(spec), TrainerEmitter.Emit(spec, ModelPlan.For(spec))));

        // {Model}.Gpu.g.cs only where the compilation references SoftGen.Gpu (a bool, so the pipeline stays cached).
        var gpuReferenced = context.CompilationProvider
            .Select(static (compilation, _) => compilation.GetTypeByMetadataName(GpuEmitter.MarkerType) is not null)
            .WithTrackingName(GpuStep);
        context.RegisterSourceOutput(specs.Combine(gpuReferenced), static (spc, pair) =>
        {
            if (pair.Right)
                spc.AddSource(GpuEmitter.HintName(pair.Left), GpuEmitter.Emit(pair.Left, ModelPlan.For(pair.Left)));
        });

        foreach (var attributeName in AttributeNames.LayersAndLosses)
            RegisterOrphanCheck(context, attributeName);
    }

    /// <summary>Layers or losses on a class that has no [SoftModel] would silently do nothing: report them.</summary>
    private static void RegisterOrphanCheck(IncrementalGeneratorInitializationContext context, string attributeName)
    {
        var orphans = context.SyntaxProvider
            .ForAttributeWithMetadataName(attributeName,
                static (node, _) => node is TypeDeclarationSyntax,
                (ctx, ct) =>
                {
                    var hasModel = ctx.TargetSymbol.GetAttributes()
                        .Any(a => a.AttributeClass?.ToDisplayString() == AttributeNames.SoftModel.MetadataName);
                    if (hasModel)
                        return null;
                    var shortName = AttributeArguments.ShortName(attributeName);
                    return new DiagnosticInfo(DiagnosticDescriptors.LayerWithoutModel,
                        LocationInfo.From(ctx.Attributes[0].ApplicationSyntaxReference?.GetSyntax(ct).GetLocation()),
                        new[] { ctx.TargetSymbol.Name, shortName }.ToEquatableArray());
                })
            .Where(static d => d is not null);
        context.RegisterSourceOutput(orphans, static (spc, d) => spc.ReportDiagnostic(d!.ToDiagnostic()));
    }
}
