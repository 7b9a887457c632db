using Xunit;

namespace SoftGen.Tests.Generator;

/// <summary>The image-model diagnostics (SG0017 on), and the older ones as image models word them.</summary>
public partial class DiagnosticTests
{
    private const string Image = "[SoftModel(Channels = 1, Height = 8, Width = 8)] ";

    [Fact]
    public void ValidImageModelsHaveNoDiagnostics()
    {
        foreach (var declaration in new[]
        {
            Image + "[Conv2D(4, 3, Activation.Relu, Padding = 1)] [MaxPool2D(2)] [Dropout(0.25f)] [Dense(3)] [SoftmaxCrossEntropy] public partial class M;",
            Image + "[Conv2D(4, 3, Stride = 2)] [AvgPool2D(1)] [GlobalAveragePool] [Dense(3)] [KLDivergence] public partial class M;",
            Image + "[Conv2D(4, 3, Activation.Gelu, Padding = 1)] [Conv2D(2, 1)] [KLDivergence] public partial class M;",
            Image + "[Dense(5)] [Dropout(0f)] [Dense(3)] [SigmoidCrossEntropy] public partial class M;",
        })
        {
            var (diagnostics, sources, errors) = GeneratorHarness.Run(Prefix + declaration);
            Assert.Empty(diagnostics);
            Assert.Single(sources);
            Assert.Empty(errors);
        }
    }

    [Fact]
    public void SG0017_ImageShapeNotPositive()
    {
        var d = Single("[SoftModel(Channels = 3, Height = 0, Width = 5)] [Conv2D(4, 3)] [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0017");
        Assert.Equal("SoftModel(Channels = 3, Height = 0, Width = 5)", Text(d));
        Assert.Contains("found Channels = 3, Height = 0, Width = 5", d.GetMessage());
        var missing = Single("[SoftModel(Height = 5, Width = 5)] [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0017");
        Assert.Contains("Channels = 0", missing.GetMessage());
    }

    [Fact]
    public void SG0018_InputsAndImageShape()
    {
        var d = Single("[SoftModel(Inputs = 75, Channels = 3, Height = 5, Width = 5)] [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0018");
        Assert.Equal("Inputs = 75", Text(d));
        Assert.Contains("not both", d.GetMessage());
    }

    [Theory]
    [InlineData("[Conv2D(0, 3)]", "0", "filters = 0")]
    [InlineData("[Conv2D(4, -1)]", "-1", "kernelSize = -1")]
    [InlineData("[Conv2D(4, 3, Stride = 0)]", "Stride = 0", "Stride = 0")]
    [InlineData("[Conv2D(4, 3, Padding = -2)]", "Padding = -2", "Padding = -2")]
    public void SG0019_ConvArgumentOutOfRange(string layer, string text, string message)
    {
        var d = Single(Image + layer + " [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0019");
        Assert.Equal(text, Text(d));
        Assert.StartsWith("Conv2D layer 0 has " + message + ";", d.GetMessage());
    }

    [Fact]
    public void SG0020_KernelLargerThanInput()
    {
        var d = Single(Image + "[Conv2D(4, 3)] [MaxPool2D(2)] [Conv2D(4, 5)] [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0020");
        Assert.Equal("5", Text(d));
        Assert.Equal("Conv2D layer 2 has a kernel spanning 5x5 pixels, larger than its 3x3 input with its padding of 0x0 on each side; use a smaller kernel, less dilation or more padding", d.GetMessage());
        // With padding 1 the same kernel fits: 3 + 2 >= 5.
        var (diagnostics, _, _) = GeneratorHarness.Run(Prefix + Image + "[Conv2D(4, 3)] [MaxPool2D(2)] [Conv2D(4, 5, Padding = 1)] [Dense(3)] [SoftmaxCrossEntropy] public partial class M;");
        Assert.Empty(diagnostics);
    }

    [Theory]
    [InlineData("[MaxPool2D(3)]", "3", "MaxPool2D layer 1 has size 3")]
    [InlineData("[AvgPool2D(0)]", "0", "AvgPool2D layer 1 has size 0")]
    public void SG0021_PoolSizeInvalid(string layer, string text, string message)
    {
        var d = Single(Image + "[Conv2D(4, 3, Padding = 1)] " + layer + " [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0021");
        Assert.Equal(text, Text(d));
        Assert.Equal(message + "; the size must be at least 1 and divide the input's height and width (8x8)", d.GetMessage());
    }

    [Theory]
    [InlineData(Image + "[Dense(16)] [Conv2D(4, 3)] [Dense(3)]", "Conv2D(4, 3)", "Conv2D layer 1 needs an image or a signal, but its input is a row of 16 features")]
    [InlineData("[SoftModel(Inputs = 64)] [MaxPool2D(2)] [Dense(3)]", "MaxPool2D(2)", "MaxPool2D layer 0 needs an image or a signal, but its input is a row of 64 features")]
    [InlineData(Image + "[Conv2D(4, 3)] [GlobalAveragePool] [AvgPool2D(2)] [Dense(3)]", "AvgPool2D(2)", "AvgPool2D layer 2 needs an image or a signal, but its input is a row of 4 features")]
    public void SG0022_SpatialLayerOnFlatInput(string layers, string text, string message)
    {
        var d = Single(layers + " [SoftmaxCrossEntropy] public partial class M;", "SG0022");
        Assert.Equal(text, Text(d));
        Assert.StartsWith(message + ";", d.GetMessage());
    }

    [Theory]
    [InlineData("1f")]
    [InlineData("-0.5f")]
    [InlineData("float.NaN")]
    public void SG0023_DropoutRateOutOfRange(string rate)
    {
        var d = Single(Image + $"[Dense(8)] [Dropout({rate})] [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0023");
        Assert.Equal(rate, Text(d));
        Assert.Contains("Dropout layer 1 has rate", d.GetMessage());
        Assert.Contains("must be in [0, 1)", d.GetMessage());
    }

    [Theory]
    [InlineData("[MaxPool2D(2)]", "MaxPool2D(2)", "MaxPool2D")]
    [InlineData("[Dropout(0.5f)]", "Dropout(0.5f)", "Dropout")]
    [InlineData("[GlobalAveragePool]", "GlobalAveragePool", "GlobalAveragePool")]
    public void SG0024_LastLayerWithoutParameters(string last, string text, string name)
    {
        var d = Single(Image + "[Conv2D(4, 3, Padding = 1)] " + last + " [KLDivergence] public partial class M;", "SG0024");
        Assert.Equal(text, Text(d));
        Assert.Equal($"The last layer is [{name}]; the logits must come from a Dense or Conv2D layer, so end the model with one", d.GetMessage());
    }

    [Fact]
    public void Per_pixel_heads_word_the_older_diagnostics_for_Conv2D()
    {
        var mismatch = Single("[SoftModel(Channels = 1, Height = 8, Width = 8, Classes = 3)] [Conv2D(4, 3)] [Conv2D(2, 1)] [KLDivergence] public partial class M;", "SG0007");
        Assert.Equal("The last Conv2D layer has filter count 2, but [SoftModel] says Classes = 3; the last layer needs one unit per class", mismatch.GetMessage());
        var activation = Single(Image + "[Conv2D(2, 1, Activation.Relu)] [KLDivergence] public partial class M;", "SG0010");
        Assert.Equal("Activation.Relu", Text(activation));
        Assert.StartsWith("The last Conv2D layer has Activation.Relu, but [KLDivergence]", activation.GetMessage());
        var one = Single(Image + "[Conv2D(1, 1)] [SoftmaxCrossEntropy] public partial class M;", "SG0011");
        Assert.Contains("the last Conv2D layer has filter count 1;", one.GetMessage());
        var orphan = Single("[Conv2D(3, 3)] public partial class N;", "SG0015");
        Assert.Contains("'N' has [Conv2D] but no [SoftModel]", orphan.GetMessage());
    }

    [Fact]
    public void An_oversized_image_model_is_SG0016()
    {
        var d = Single("[SoftModel(Channels = 1, Height = 4, Width = 4)] [Conv2D(50000, 1)] [Dense(50000)] [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0016");
        Assert.Contains("more than the limit", d.GetMessage());
    }
}
