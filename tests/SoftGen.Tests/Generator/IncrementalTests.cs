using System;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using SoftGen.Generators;
using Xunit;

namespace SoftGen.Tests.Generator;

/// <summary>The pipeline caches: an unrelated edit re-emits nothing; an edit to the declaration re-emits.</summary>
public class IncrementalTests
{
    private const string Model = """
        using SoftGen;
        namespace N;
        [SoftModel(Inputs = 4)]
        [Dense(8, Activation.Tanh)]
        [Dense(3)]
        [KLDivergence]
        public partial class M;
        """;

    private static (GeneratorDriver Driver, Compilation Compilation) FirstRun()
    {
        var compilation = GeneratorHarness.Compile(Model);
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        return (driver, compilation);
    }

    private static IncrementalStepRunReason SpecReason(GeneratorDriver driver) =>
        driver.GetRunResult().Results.Single().TrackedSteps[SoftModelGenerator.SpecStep].Single().Outputs.Single().Reason;

    [Fact]
    public void UnrelatedEditKeepsTheSpecCached()
    {
        var (driver, compilation) = FirstRun();
        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class Unrelated { int X; }", new CSharpParseOptions(LanguageVersion.Latest)));
        driver = driver.RunGenerators(edited);
        Assert.Equal(IncrementalStepRunReason.Cached, SpecReason(driver));
    }

    [Fact]
    public void EditToTheClassBodyLeavesTheSpecUnchanged()
    {
        var (driver, compilation) = FirstRun();
        var tree = compilation.SyntaxTrees.Single();
        var edited = compilation.ReplaceSyntaxTree(tree,
            tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Model.Replace("public partial class M;", "public partial class M { int _unused; }"))));
        driver = driver.RunGenerators(edited);
        Assert.Contains(SpecReason(driver), new[] { IncrementalStepRunReason.Unchanged, IncrementalStepRunReason.Cached });
    }

    [Fact]
    public void EditToTheDeclarationChangesTheSpec()
    {
        var (driver, compilation) = FirstRun();
        var tree = compilation.SyntaxTrees.Single();
        var edited = compilation.ReplaceSyntaxTree(tree,
            tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(Model.Replace("Dense(8,", "Dense(9,"))));
        driver = driver.RunGenerators(edited);
        Assert.Equal(IncrementalStepRunReason.Modified, SpecReason(driver));
    }

    /// <summary>A Roslyn symbol or compilation in the spec would defeat caching and keep compilations alive.</summary>
    [Fact]
    public void SpecHoldsNoRoslynObjects()
    {
        var assembly = typeof(SoftModelGenerator).Assembly;
        var specTypes = assembly.GetTypes().Where(t => t.Namespace == "SoftGen.Generators.Model" && !t.IsEnum && t.Name != "DiagnosticInfo" && t.Name != "LocationInfo");
        foreach (var type in specTypes)
        {
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                var fieldType = field.FieldType;
                Assert.False(typeof(ISymbol).IsAssignableFrom(fieldType) || typeof(Compilation).IsAssignableFrom(fieldType)
                        || typeof(SyntaxNode).IsAssignableFrom(fieldType) || typeof(SemanticModel).IsAssignableFrom(fieldType),
                    $"{type.Name}.{field.Name} holds a {fieldType.Name}");
            }
        }
    }
}
