using Xunit;

namespace SoftGen.Tests.Generator;

/// <summary>The issue-14 diagnostics (SG0033 on) and the older ones as signal models and the new arguments word them.</summary>
public partial class DiagnosticTests
{
    private const string Signal = "[SoftModel(Channels = 2, Length = 40)] ";

    [Fact]
    public void ValidSignalModelsAndNewLayersHaveNoDiagnostics()
    {
        foreach (var declaration in new[]
        {
            Signal + "[Conv1D(8, 5, Activation.Relu, Stride = 2, Padding = 2, Dilation = 1)] [MaxPool1D(2)] [Conv1D(8, 3, Padding = 2, Dilation = 2, Groups = 8)] [SqueezeExcitation(4)] [GemPool] [Dense(3)] [KLDivergence] public partial class M;",
            Signal + "[Conv1D(4, 3, Padding = 1)] [AvgPool1D(5)] [Conv1D(3, 1)] [SoftmaxCrossEntropy] public partial class M;",
            Image + "[Conv2D(4, 3, KernelWidth = 5, StrideHeight = 2, PaddingWidth = 2)] [Conv2D(8, 3, Padding = 2, Dilation = 2, Groups = 4)] [GemPool(2f, Learnable = false)] [Dense(3)] [SoftmaxCrossEntropy] public partial class M;",
        })
        {
            var (diagnostics, sources, errors) = GeneratorHarness.Run(Prefix + declaration);
            Assert.Empty(diagnostics);
            Assert.Single(sources);
            Assert.Empty(errors);
        }
    }

    [Theory]
    [InlineData("[SoftModel(Channels = 2, Length = 0)]", "Length = 0", "a signal needs Channels and Length of at least 1 each")]
    [InlineData("[SoftModel(Length = 10)]", "Length = 10", "a signal needs Channels and Length of at least 1 each")]
    [InlineData("[SoftModel(Channels = 2, Length = 10, Height = 3)]", "Length = 10", "leave out Height and Width")]
    [InlineData("[SoftModel(Inputs = 20, Channels = 2, Length = 10)]", "Length = 10", "leave out Inputs")]
    public void SG0033_SignalShapeInvalid(string model, string text, string reason)
    {
        var d = Single(model + " [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0033");
        Assert.Equal(text, Text(d));
        Assert.StartsWith("[SoftModel] declares a signal model with Channels = ", d.GetMessage());
        Assert.Contains(reason, d.GetMessage());
    }

    [Theory]
    [InlineData(Image + "[Conv1D(4, 3)]", "Conv1D(4, 3)", "Conv1D layer 0 works on signals, but the model is declared as images", "[Conv2D]")]
    [InlineData(Image + "[Conv2D(4, 3)] [MaxPool1D(2)]", "MaxPool1D(2)", "MaxPool1D layer 1 works on signals", "[MaxPool2D]")]
    [InlineData(Signal + "[Conv2D(4, 3)]", "Conv2D(4, 3)", "Conv2D layer 0 works on images, but the model is declared as signals", "[Conv1D]")]
    [InlineData(Signal + "[Conv1D(4, 3)] [AvgPool2D(2)]", "AvgPool2D(2)", "AvgPool2D layer 1 works on images", "[AvgPool1D]")]
    public void SG0034_LayerDimensionMismatch(string layers, string text, string message, string instead)
    {
        var d = Single(layers + " [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0034");
        Assert.Equal(text, Text(d));
        Assert.StartsWith(message, d.GetMessage());
        Assert.EndsWith("use " + instead + " instead", d.GetMessage());
    }

    [Theory]
    [InlineData("[Conv1D(8, 3, Groups = 3)]", "Groups = 3", "Conv1D layer 1 has Groups = 3; the groups must be at least 1 and divide both its 4 input channels and its 8 filters")]
    [InlineData("[Conv1D(6, 3, Groups = 4)]", "Groups = 4", "its 6 filters")]
    [InlineData("[Conv1D(6, 3, Groups = 0)]", "Groups = 0", "Groups = 0")]
    public void SG0035_GroupsInvalid(string layer, string text, string message)
    {
        var d = Single(Signal + "[Conv1D(4, 3)] " + layer + " [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0035");
        Assert.Equal(text, Text(d));
        Assert.Contains(message, d.GetMessage());
    }

    [Theory]
    [InlineData("[SqueezeExcitation(0)]", "0", "reduction 0 on 4 channels")]
    [InlineData("[SqueezeExcitation(5)]", "5", "reduction 5 on 4 channels")]
    public void SG0036_SqueezeExcitationReductionInvalid(string layer, string text, string message)
    {
        var d = Single(Signal + "[Conv1D(4, 3)] " + layer + " [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0036");
        Assert.Equal(text, Text(d));
        Assert.StartsWith("SqueezeExcitation layer 1 has " + message + ";", d.GetMessage());
    }

    [Theory]
    [InlineData("[GemPool(0f)]", "0f", "p = 0")]
    [InlineData("[GemPool(-1f)]", "-1f", "p = -1")]
    [InlineData("[GemPool(Epsilon = 0f)]", "Epsilon = 0f", "Epsilon = 0")]
    public void SG0037_GemPoolArgumentOutOfRange(string layer, string text, string message)
    {
        var d = Single(Signal + "[Conv1D(4, 3)] " + layer + " [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0037");
        Assert.Equal(text, Text(d));
        Assert.StartsWith("GemPool layer 1 has " + message + ";", d.GetMessage());
    }

    [Theory]
    [InlineData(Signal + "[Conv1D(4, 3, Dilation = 0)]", "Dilation = 0", "Conv1D layer 0 has Dilation = 0;")]
    [InlineData(Image + "[Conv2D(4, 3, KernelWidth = -1)]", "KernelWidth = -1", "Conv2D layer 0 has KernelWidth = -1;")]
    [InlineData(Image + "[Conv2D(4, 3, PaddingHeight = -3)]", "PaddingHeight = -3", "Conv2D layer 0 has PaddingHeight = -3;")]
    public void New_convolution_arguments_are_range_checked_as_SG0019(string layers, string text, string message)
    {
        var d = Single(layers + " [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0019");
        Assert.Equal(text, Text(d));
        Assert.StartsWith(message, d.GetMessage());
    }

    [Fact]
    public void A_signal_kernel_is_SG0020_by_its_dilated_span()
    {
        // 5 taps with dilation 10 span 41 samples: more than 40 with no padding, fewer than 40 + 2 with padding 1.
        var d = Single(Signal + "[Conv1D(4, 5, Dilation = 10)] [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0020");
        Assert.Equal("Conv1D layer 0 has a kernel spanning 41 samples, larger than its length-40 input with its padding of 0 at each end; use a smaller kernel, less dilation or more padding", d.GetMessage());
        var (diagnostics, _, _) = GeneratorHarness.Run(Prefix + Signal + "[Conv1D(4, 5, Dilation = 10, Padding = 1)] [Dense(3)] [SoftmaxCrossEntropy] public partial class M;");
        Assert.Empty(diagnostics);
    }

    [Fact]
    public void A_1D_pool_is_SG0021_by_its_length()
    {
        var d = Single(Signal + "[Conv1D(4, 3)] [MaxPool1D(4)] [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0021");
        Assert.Equal("MaxPool1D layer 1 has size 4; the size must be at least 1 and divide the input's length (38)", d.GetMessage());
    }

    [Theory]
    [InlineData("[SqueezeExcitation(2)]", "SqueezeExcitation(2)", "SqueezeExcitation layer 1")]
    [InlineData("[GemPool]", "GemPool", "GemPool layer 1")]
    public void Squeeze_excitation_and_gem_on_rows_are_SG0022(string layer, string text, string message)
    {
        var d = Single("[SoftModel(Inputs = 12)] [Dense(8)] " + layer + " [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0022");
        Assert.Equal(text, Text(d));
        Assert.StartsWith(message + " needs an image or a signal, but its input is a row of 8 features;", d.GetMessage());
    }

    [Theory]
    [InlineData(Signal + "[SqueezeExcitation(2)] [Conv1D(4, 3)]", "SqueezeExcitation(2)", "SqueezeExcitation layer 0")]
    [InlineData(Signal + "[MaxPool1D(2)] [GemPool]", "GemPool", "GemPool layer 1")]
    [InlineData(Image + "[Dropout(0.1f)] [GemPool(Learnable = false)]", "GemPool(Learnable = false)", "GemPool layer 1")]
    public void SG0038_ChannelLayerOnInput(string layers, string text, string message)
    {
        var d = Single(layers + " [Dense(3)] [SoftmaxCrossEntropy] public partial class M;", "SG0038");
        Assert.Equal(text, Text(d));
        Assert.StartsWith(message + " would read the model's input as it arrives;", d.GetMessage());
    }
}
