using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace SoftGen.Tests.Generator;

/// <summary>One test per diagnostic id: the id, the text it points at, and a message that says what to change.</summary>
public partial class DiagnosticTests
{
    private static Diagnostic Single(string source, string id)
    {
        CurrentSource = Prefix + source;
        var (diagnostics, _, _) = GeneratorHarness.Run(CurrentSource);
        var matching = diagnostics.Where(d => d.Id == id).ToList();
        Assert.True(matching.Count == 1, $"expected one {id}, got: {string.Join("; ", diagnostics)}");
        Assert.Equal(DiagnosticSeverity.Error, matching[0].Severity);
        return matching[0];
    }

    private const string Prefix = "using SoftGen;\n";

    /// <summary>The source text a diagnostic points at (its location is rebuilt from a path and span, so it has no tree).</summary>
    private static string Text(Diagnostic diagnostic)
    {
        Assert.Equal("Model.cs", diagnostic.Location.GetLineSpan().Path);
        return CurrentSource.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length);
    }

    [System.ThreadStatic]
    private static string CurrentSource = "";

    private const string Valid = "[SoftModel(Inputs = 4)] [Dense(3)] [SoftmaxCrossEntropy] public partial class M;";

    [Fact]
    public void ValidDeclarationHasNoDiagnostics()
    {
        var (diagnostics, sources, errors) = GeneratorHarness.Run("using SoftGen;\n" + Valid);
        Assert.Empty(diagnostics);
        Assert.Single(sources);
        Assert.Empty(errors);
    }

    [Fact]
    public void SG0001_ClassNotPartial()
    {
        var d = Single("[SoftModel(Inputs = 4)] [Dense(3)] [SoftmaxCrossEntropy] public class M;", "SG0001");
        Assert.Equal("SoftModel(Inputs = 4)", Text(d));
        Assert.Contains("'M' must be declared 'partial'", d.GetMessage());
    }

    [Fact]
    public void SG0002_InputsNotPositive()
    {
        var d = Single("[SoftModel(Inputs = 0)] [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0002");
        Assert.Equal("Inputs = 0", Text(d));
        Assert.Contains("found 0", d.GetMessage());

        var missing = Single("[SoftModel] [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0002");
        Assert.Equal("SoftModel", Text(missing));
    }

    [Fact]
    public void SG0003_NoLayers()
    {
        var d = Single("[SoftModel(Inputs = 4)] [SoftmaxCrossEntropy] public partial class M;", "SG0003");
        Assert.Equal("SoftModel(Inputs = 4)", Text(d));
        Assert.Contains("add at least one [Dense(width)]", d.GetMessage());
    }

    [Fact]
    public void SG0004_WidthNotPositive()
    {
        var d = Single("[SoftModel(Inputs = 4)] [Dense(8)] [Dense(0, Activation.Relu)] [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0004");
        Assert.Equal("0", Text(d));
        Assert.Equal("Dense layer 1 has width 0; a layer needs at least 1 unit", d.GetMessage());
    }

    [Fact]
    public void SG0005_NoLoss()
    {
        var d = Single("[SoftModel(Inputs = 4)] [Dense(3)] public partial class M;", "SG0005");
        Assert.Equal("SoftModel(Inputs = 4)", Text(d));
        Assert.Contains("[SoftmaxCrossEntropy], [KLDivergence] or [SigmoidCrossEntropy]", d.GetMessage());
    }

    [Fact]
    public void SG0006_MultipleLosses()
    {
        var d = Single("[SoftModel(Inputs = 4)] [Dense(3)] [SoftmaxCrossEntropy] [KLDivergence] public partial class M;", "SG0006");
        Assert.Equal("KLDivergence", Text(d));
        Assert.Contains("second loss [KLDivergence] after [SoftmaxCrossEntropy]", d.GetMessage());
    }

    [Fact]
    public void SG0007_ClassCountMismatch()
    {
        var d = Single("[SoftModel(Inputs = 4, Classes = 10)] [Dense(8)] [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0007");
        Assert.Equal("Dense(3)", Text(d));
        Assert.Contains("width 3, but [SoftModel] says Classes = 10", d.GetMessage());
    }

    [Theory]
    [InlineData("1f")]
    [InlineData("-0.1f")]
    public void SG0008_LabelSmoothingOutOfRange(string value)
    {
        var d = Single($"[SoftModel(Inputs = 4)] [Dense(3)] [SoftmaxCrossEntropy(LabelSmoothing = {value})] public partial class M;", "SG0008");
        Assert.Equal($"LabelSmoothing = {value}", Text(d));
        Assert.Contains("LabelSmoothing must be in [0, 1)", d.GetMessage());
    }

    [Theory]
    [InlineData("0f")]
    [InlineData("-2f")]
    [InlineData("float.PositiveInfinity")]
    public void SG0009_TemperatureNotPositive(string value)
    {
        var d = Single($"[SoftModel(Inputs = 4)] [Dense(3)] [SoftmaxCrossEntropy(Temperature = {value})] public partial class M;", "SG0009");
        Assert.Equal($"Temperature = {value}", Text(d));
    }

    [Fact]
    public void SG0010_ActivationBeforeLoss()
    {
        var d = Single("[SoftModel(Inputs = 4)] [Dense(3, Activation.Sigmoid)] [SigmoidCrossEntropy] public partial class M;", "SG0010");
        Assert.Equal("Activation.Sigmoid", Text(d));
        Assert.Equal("The last Dense layer has Activation.Sigmoid, but [SigmoidCrossEntropy] applies its own sigmoid to the logits; use Activation.None on the last layer", d.GetMessage());
    }

    [Fact]
    public void SG0011_TooFewClasses()
    {
        var d = Single("[SoftModel(Inputs = 4)] [Dense(1)] [KLDivergence] public partial class M;", "SG0011");
        Assert.Equal("KLDivergence", Text(d));
        Assert.Contains("use [SigmoidCrossEntropy] for one binary output", d.GetMessage());
    }

    [Fact]
    public void SG0012_GenericModel()
    {
        var d = Single("[SoftModel(Inputs = 4)] [Dense(3)] [SoftmaxCrossEntropy] public partial class M<T>;", "SG0012");
        Assert.Equal("SoftModel(Inputs = 4)", Text(d));
    }

    [Fact]
    public void SG0013_ContainingTypeNotPartial()
    {
        var d = Single("public class Outer { [SoftModel(Inputs = 4)] [Dense(3)] [SoftmaxCrossEntropy] public partial class M; }", "SG0013");
        Assert.Contains("nested in 'Outer', which must also be declared 'partial'", d.GetMessage());
    }

    [Fact]
    public void SG0014_UnknownActivation()
    {
        var d = Single("[SoftModel(Inputs = 4)] [Dense(8, (Activation)42)] [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0014");
        Assert.Equal("(Activation)42", Text(d));
        Assert.Contains("value 42 is not a member", d.GetMessage());
    }

    [Fact]
    public void SG0015_LayerWithoutModel()
    {
        var d = Single("[Dense(3)] [Dense(4)] public partial class M;", "SG0015");
        Assert.Equal("Dense(3)", Text(d));
        Assert.Contains("'M' has [Dense] but no [SoftModel]", d.GetMessage());
        Single("[KLDivergence] public partial class N;", "SG0015");
    }

    [Fact]
    public void SG0016_ModelTooLarge()
    {
        var d = Single("[SoftModel(Inputs = 100000)] [Dense(100000)] [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0016");
        Assert.Contains("more than the limit", d.GetMessage());
    }

    [Fact]
    public void EveryDescriptorHasATest()
    {
        var ids = typeof(SoftGen.Generators.SoftModelGenerator).Assembly
            .GetType("SoftGen.Generators.DiagnosticDescriptors")!
            .GetFields()
            .Select(f => ((DiagnosticDescriptor)f.GetValue(null)!).Id)
            .OrderBy(id => id)
            .ToList();
        var tested = typeof(DiagnosticTests).GetMethods()
            .Select(m => m.Name)
            .Where(n => n.StartsWith("SG", System.StringComparison.Ordinal))
            .Select(n => n.Substring(0, 6))
            .OrderBy(id => id)
            .ToList();
        Assert.Equal(ids, tested);
    }
}
