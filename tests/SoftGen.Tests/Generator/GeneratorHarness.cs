using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SoftGen.Generators;

namespace SoftGen.Tests.Generator;

/// <summary>
/// Runs the generator in-process over a source text, with the test process's trusted platform assemblies
/// (the .NET 10 framework) and SoftGen itself as references; with <c>gpu</c>, also SoftGen.Gpu and ILGPU, as in a
/// project that references SoftGen.Gpu (the generator then emits the GPU program too).
/// </summary>
internal static class GeneratorHarness
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return trusted
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Append(typeof(SoftModelAttribute).Assembly.Location)
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();
    });

    private static readonly Lazy<ImmutableArray<MetadataReference>> GpuReferences = new(() => References.Value.AddRange(
        new[] { typeof(SoftGen.Gpu.GpuProgram), typeof(ILGPU.Context), typeof(ILGPU.Algorithms.XMath) }
            .Select(t => (MetadataReference)MetadataReference.CreateFromFile(t.Assembly.Location))));

    public static CSharpCompilation Compile(string source, string path = "Model.cs", bool gpu = false) =>
        CSharpCompilation.Create("UserAssembly",
            new[] { CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), path) },
            gpu ? GpuReferences.Value : References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver(bool trackSteps = false) =>
        CSharpGeneratorDriver.Create(
            new[] { new SoftModelGenerator().AsSourceGenerator() },
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps),
            parseOptions: new CSharpParseOptions(LanguageVersion.Latest));

    /// <summary>The generator's diagnostics, the generated sources, and the errors of compiling the whole result.</summary>
    public static (ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<GeneratedSourceResult> Sources, ImmutableArray<Diagnostic> CompileErrors) Run(string source, bool gpu = false)
    {
        var compilation = Compile(source, gpu: gpu);
        var driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        var result = driver.GetRunResult().Results.Single();
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();
        return (result.Diagnostics, result.GeneratedSources, errors);
    }
}
