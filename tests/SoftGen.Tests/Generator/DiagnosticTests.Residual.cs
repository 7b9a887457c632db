using Xunit;

namespace SoftGen.Tests.Generator;

/// <summary>The normalisation and residual-block diagnostics (SG0025 to SG0032), one test per id.</summary>
public partial class DiagnosticTests
{
    private const string Small = "[SoftModel(Channels = 2, Height = 6, Width = 6)] ";
    private const string Tail = " [GlobalAveragePool] [Dense(3)] [SoftmaxCrossEntropy] public partial class M;";

    [Fact]
    public void ValidResidualModelsHaveNoDiagnostics()
    {
        foreach (var declaration in new[]
        {
            Small + "[Conv2D(4, 3, Padding = 1, Bias = false)] [BatchNorm(Activation.Relu)] [Residual] [Conv2D(4, 3, Padding = 1)] [BatchNorm] [EndResidual(Activation.Relu)]" + Tail,
            Small + "[Conv2D(4, 3, Padding = 1)] [Residual] [Conv2D(8, 3, Stride = 2, Padding = 1)] [BatchNorm(Activation.Silu)] [EndResidual(Activation.Mish)]" + Tail,
            "[SoftModel(Inputs = 5)] [Dense(8, Bias = false)] [BatchNorm(Activation.Elu, Momentum = 1f)] [Residual] [Dense(8)] [LayerNorm(Activation.Gelu, Epsilon = 1e-3f)] [EndResidual] [Dense(3)] [KLDivergence] public partial class M;",
        })
        {
            var (diagnostics, sources, errors) = GeneratorHarness.Run(Prefix + declaration);
            Assert.Empty(diagnostics);
            Assert.Single(sources);
            Assert.Empty(errors);
        }
    }

    [Fact]
    public void SG0025_BatchNormPlacement()
    {
        var d = Single(Small + "[Conv2D(4, 3)] [MaxPool2D(2)] [BatchNorm]" + Tail, "SG0025");
        Assert.Equal("BatchNorm", Text(d));
        Assert.StartsWith("BatchNorm layer 2 follows a MaxPool2D layer;", d.GetMessage());
        var first = Single(Small + "[BatchNorm(Activation.Relu)] [Conv2D(4, 3)]" + Tail, "SG0025");
        Assert.Contains("follows nothing", first.GetMessage());
    }

    [Fact]
    public void SG0026_LayerNormPlacement()
    {
        var d = Single(Small + "[Conv2D(4, 3)] [LayerNorm]" + Tail, "SG0026");
        Assert.Equal("LayerNorm", Text(d));
        Assert.StartsWith("LayerNorm layer 1 follows a Conv2D layer;", d.GetMessage());
    }

    [Theory]
    [InlineData("[BatchNorm(Momentum = 0f)]", "Momentum = 0f", "BatchNorm layer 1 has Momentum = 0;")]
    [InlineData("[BatchNorm(Momentum = 1.5f)]", "Momentum = 1.5f", "BatchNorm layer 1 has Momentum = 1.5;")]
    [InlineData("[BatchNorm(Epsilon = -1e-5f)]", "Epsilon = -1e-5f", "BatchNorm layer 1 has Epsilon = -1E-05;")]
    public void SG0027_NormArgumentOutOfRange(string norm, string text, string message)
    {
        var d = Single(Small + "[Conv2D(4, 3)] " + norm + Tail, "SG0027");
        Assert.Equal(text, Text(d));
        Assert.StartsWith(message, d.GetMessage());
        var layerNorm = Single("[SoftModel(Inputs = 4)] [Dense(5)] [LayerNorm(Epsilon = 0f)] [Dense(2)] [KLDivergence] public partial class M;", "SG0027");
        Assert.StartsWith("LayerNorm layer 1 has Epsilon = 0;", layerNorm.GetMessage());
    }

    [Fact]
    public void SG0028_ResidualNested()
    {
        var d = Single(Small + "[Conv2D(4, 3, Padding = 1)] [Residual] [Conv2D(4, 3, Padding = 1)] [Residual] [Conv2D(4, 3, Padding = 1)] [EndResidual]" + Tail, "SG0028");
        Assert.Equal("Residual", Text(d));
        Assert.StartsWith("[Residual] before layer 2 opens a block inside the block opened before layer 1", d.GetMessage());
    }

    [Fact]
    public void SG0029_EndResidualWithoutResidual()
    {
        var d = Single(Small + "[Conv2D(4, 3, Padding = 1)] [EndResidual(Activation.Relu)]" + Tail, "SG0029");
        Assert.Equal("EndResidual(Activation.Relu)", Text(d));
        Assert.StartsWith("[EndResidual] after layer 1 closes no block", d.GetMessage());
    }

    [Fact]
    public void SG0030_ResidualEmpty()
    {
        var d = Single(Small + "[Conv2D(4, 3, Padding = 1)] [Residual] [EndResidual]" + Tail, "SG0030");
        Assert.Equal("EndResidual", Text(d));
    }

    [Theory]
    [InlineData("[Conv2D(4, 3, Padding = 1)] [Residual] [Conv2D(4, 3)] [EndResidual]", "turns 4x6x6 into 4x6x6, not the block's 4x4x4")]
    [InlineData("[Conv2D(4, 3, Padding = 1)] [Residual] [GlobalAveragePool] [Dense(4)] [EndResidual]", "into a row of 4 features")]
    [InlineData("[Residual] [Conv2D(4, 3, Padding = 1)] [EndResidual]", "starts at the model's input")]
    public void SG0031_ResidualShortcutMismatch(string layers, string reason)
    {
        var d = Single(Small + layers + " [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0031");
        Assert.Equal("EndResidual", Text(d));
        Assert.Contains(reason, d.GetMessage());
        var dense = Single("[SoftModel(Inputs = 4)] [Dense(5)] [Residual] [Dense(6)] [EndResidual] [Dense(2)] [KLDivergence] public partial class M;", "SG0031");
        Assert.Contains("must keep its width, but it turns 5 features into 6", dense.GetMessage());
    }

    [Fact]
    public void SG0032_ResidualNotClosed()
    {
        var d = Single(Small + "[Conv2D(4, 3, Padding = 1)] [Residual] [Conv2D(4, 3, Padding = 1)]" + Tail, "SG0032");
        Assert.Equal("Residual", Text(d));
        Assert.StartsWith("[Residual] before layer 1 opens a block that no [EndResidual] closes", d.GetMessage());
    }
}
