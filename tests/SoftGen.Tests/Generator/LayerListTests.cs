using System.Linq;
using Xunit;

namespace SoftGen.Tests.Generator;

/// <summary>The emitted ModelInfo layer list where the plan and the declaration differ (models no test trains).</summary>
public class LayerListTests
{
    private static string Generated(string declaration)
    {
        var (diagnostics, sources, errors) = GeneratorHarness.Run("using SoftGen;\n" + declaration);
        Assert.Empty(diagnostics);
        Assert.True(errors.IsEmpty, string.Join("\n", errors));
        return sources.Single().SourceText.ToString();
    }

    [Fact]
    public void A_dense_first_layer_keeps_the_declared_image_as_its_input()
    {
        // The plan reads the 2x3x4 NCHW row flat; the layer list states the image, which the Dense flattens in C, H, W order.
        var text = Generated("[SoftModel(Channels = 2, Height = 3, Width = 4)] [Dense(5, Activation.Relu)] [Dense(3)] [SoftmaxCrossEntropy] public partial class M;");
        Assert.Contains("new(0, global::SoftGen.Training.LayerKind.Dense, global::SoftGen.Activation.Relu, global::SoftGen.Training.TensorShape.Image(2, 3, 4), "
            + "global::SoftGen.Training.TensorShape.Flat(5)) { ParameterIndex = 0 },", text);
    }

    [Fact]
    public void A_dense_first_layer_keeps_the_declared_signal_as_its_input()
    {
        var text = Generated("[SoftModel(Channels = 3, Length = 7)] [Dense(4)] [SoftmaxCrossEntropy] public partial class M;");
        Assert.Contains("new(0, global::SoftGen.Training.LayerKind.Dense, global::SoftGen.Activation.None, global::SoftGen.Training.TensorShape.Sequence(3, 7), "
            + "global::SoftGen.Training.TensorShape.Flat(4)) { ParameterIndex = 0 },", text);
    }

    [Fact]
    public void Rectangular_dilated_windows_name_only_what_differs_from_the_defaults()
    {
        // 1x9x8: kernel 3x2, stride 2x1, padding 1x0, dilation 2 both ways: (9 + 2 - 4 - 1) / 2 + 1 = 4, (8 - 2 - 1) / 1 + 1 = 6.
        var text = Generated("[SoftModel(Channels = 1, Height = 9, Width = 8)] "
            + "[Conv2D(4, 3, KernelWidth = 2, StrideHeight = 2, PaddingHeight = 1, Dilation = 2, Bias = false)] [GlobalAveragePool] [Dense(3)] [SoftmaxCrossEntropy] public partial class M;");
        Assert.Contains("TensorShape.Image(1, 9, 8), global::SoftGen.Training.TensorShape.Image(4, 4, 6)) "
            + "{ ParameterIndex = 0, Window = new(3, 2, 2, 1, 1, 0, DilationHeight: 2, DilationWidth: 2), Bias = false },", text);
    }
}
