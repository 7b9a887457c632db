using System.Collections.Generic;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Training;

/// <summary>
/// ModelInfo.Layers of generated models against their declarations, written out here by hand: kinds, shapes (PyTorch's
/// output-size formula worked by hand), windows, activations, block starts and the state_dict prefixes.
/// </summary>
public class LayerInfoTests
{
    private static TensorShape Flat(int width) => new(width, 1, 1, false, false);
    private static TensorShape Image(int c, int h, int w) => new(c, h, w, true, false);
    private static TensorShape Signal(int c, int length) => new(c, 1, length, true, true);

    private static LayerWindow Square(int kernel, int stride, int padding) => new(kernel, kernel, stride, stride, padding, padding);
    private static LayerWindow Pool(int size) => new(size, size, size, size, 0, 0);

    private static LayerInfo Layer(int index, LayerKind kind, Activation activation, TensorShape input, TensorShape output, int parameters = -1) =>
        new(index, kind, activation, input, output) { ParameterIndex = parameters };

    private static LayerInfo BatchNorm(int index, Activation activation, TensorShape shape, int parameters, float momentum = 0.1f, float epsilon = 1e-5f) =>
        Layer(index, LayerKind.BatchNorm, activation, shape, shape, parameters) with { Momentum = momentum, Epsilon = epsilon };

    private static void AssertLayers(ModelInfo model, params LayerInfo[] expected)
    {
        Assert.Equal(expected.Length, model.Layers.Count);
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], model.Layers[i]);
        AssertPrefixesName(model);
    }

    /// <summary>
    /// Each layer's tensors are in the parameter table under its prefix (a projection's batch norm under the next), its
    /// batch norm's running mean in the buffers, and every parameter belongs to a layer.
    /// </summary>
    private static void AssertPrefixesName(ModelInfo model)
    {
        var expected = new List<string>();
        foreach (var l in model.Layers)
        {
            if (l.ParameterPrefix is not { } prefix)
                continue;
            var suffixes = l.Kind switch
            {
                LayerKind.Dense or LayerKind.Conv => l.Bias ? new[] { ".weight", ".bias" } : new[] { ".weight" },
                LayerKind.SqueezeExcitation => new[] { ".reduce.weight", ".reduce.bias", ".expand.weight", ".expand.bias" },
                LayerKind.GemPool => new[] { ".p" },
                LayerKind.ResidualEnd => new[] { ".weight" },
                _ => new[] { ".weight", ".bias" }, // BatchNorm, LayerNorm
            };
            foreach (var suffix in suffixes)
                expected.Add(prefix + suffix);
            var norm = l.Kind == LayerKind.ResidualEnd ? "layers." + (l.ParameterIndex + 1) : prefix;
            if (l.Kind == LayerKind.ResidualEnd)
                expected.AddRange(new[] { norm + ".weight", norm + ".bias" });
            if (l.Kind is LayerKind.BatchNorm or LayerKind.ResidualEnd)
                Assert.True(model.FindBuffer(norm + ".running_mean") is not null, l.Name + ": no buffer " + norm + ".running_mean");
        }
        Assert.Equal(expected, model.ParameterNames);
    }

    [Fact]
    public void MlpListsItsDenseLayers()
    {
        Assert.Equal("EndToEndModels.KlMlp", EndToEndModels.KlMlp.Trainer.ModelInfo.Name);
        AssertLayers(EndToEndModels.KlMlp.Trainer.ModelInfo,
            Layer(0, LayerKind.Dense, Activation.Relu, Flat(6), Flat(9), 0),
            Layer(1, LayerKind.Dense, Activation.LeakyRelu, Flat(9), Flat(8), 1),
            Layer(2, LayerKind.Dense, Activation.None, Flat(8), Flat(6), 2));
    }

    [Fact]
    public void NormMlpListsNormsAndAnIdentityBlock()
    {
        AssertLayers(ResidualModels.NormMlp.Trainer.ModelInfo,
            Layer(0, LayerKind.Dense, Activation.None, Flat(6), Flat(10), 0) with { Bias = false },
            BatchNorm(1, Activation.Elu, Flat(10), 1, momentum: 0.2f),
            Layer(2, LayerKind.Dense, Activation.None, Flat(10), Flat(10), 2),
            Layer(3, LayerKind.LayerNorm, Activation.Gelu, Flat(10), Flat(10), 3) with { Epsilon = 1e-5f },
            Layer(4, LayerKind.Dense, Activation.Tanh, Flat(10), Flat(10), 4),
            Layer(5, LayerKind.ResidualEnd, Activation.Silu, Flat(10), Flat(10)) with { BlockStart = 2 },
            Layer(6, LayerKind.Dense, Activation.None, Flat(10), Flat(4), 5));
    }

    [Fact]
    public void CnnListsPoolsDropoutAndTheFlatteningDense()
    {
        // 1x6x6: pad 1 keeps 6; (6 + 2 - 3) / 2 + 1 = 3; a 3x3 max pool leaves 1x1.
        var model = ConvModels.DropoutNet.Trainer.ModelInfo;
        AssertLayers(model,
            Layer(0, LayerKind.Conv, Activation.Relu, Image(1, 6, 6), Image(4, 6, 6), 0) with { Window = Square(3, 1, 1) },
            Layer(1, LayerKind.Dropout, Activation.None, Image(4, 6, 6), Image(4, 6, 6)) with { Rate = 0.3f },
            Layer(2, LayerKind.Conv, Activation.Relu, Image(4, 6, 6), Image(18, 3, 3), 1) with { Window = Square(3, 2, 1) },
            Layer(3, LayerKind.MaxPool, Activation.None, Image(18, 3, 3), Image(18, 1, 1)) with { Window = Pool(3) },
            Layer(4, LayerKind.Dense, Activation.Tanh, Image(18, 1, 1), Flat(8), 2),
            Layer(5, LayerKind.Dropout, Activation.None, Flat(8), Flat(8)) with { Rate = 0.5f },
            Layer(6, LayerKind.Dense, Activation.None, Flat(8), Flat(3), 3));
        Assert.Equal("layers.2", model.Layers[2].Name);
        Assert.Equal("layers.1", model.Layers[2].ParameterPrefix);
        Assert.Null(model.Layers[3].ParameterPrefix);
    }

    [Fact]
    public void CnnListsMaxAndAveragePools()
    {
        AssertLayers(ConvModels.PoolNet.Trainer.ModelInfo,
            Layer(0, LayerKind.Conv, Activation.LeakyRelu, Image(2, 6, 6), Image(3, 6, 6), 0) with { Window = Square(3, 1, 1) },
            Layer(1, LayerKind.MaxPool, Activation.None, Image(3, 6, 6), Image(3, 3, 3)) with { Window = Pool(2) },
            Layer(2, LayerKind.Conv, Activation.Gelu, Image(3, 3, 3), Image(17, 3, 3), 1) with { Window = Square(1, 1, 0) },
            Layer(3, LayerKind.AvgPool, Activation.None, Image(17, 3, 3), Image(17, 1, 1)) with { Window = Pool(3) },
            Layer(4, LayerKind.Dense, Activation.None, Image(17, 1, 1), Flat(4), 2));
    }

    [Fact]
    public void ResNetListsIdentityAndProjectionBlocks()
    {
        // 3x5x7; the stride-2 block: (5 + 2 - 3) / 2 + 1 = 3, (7 + 2 - 3) / 2 + 1 = 4, and its shortcut a stride-2 1x1 conv.
        var conv = Square(3, 1, 1);
        AssertLayers(ResidualModels.TinyResNet.Trainer.ModelInfo,
            Layer(0, LayerKind.Conv, Activation.None, Image(3, 5, 7), Image(4, 5, 7), 0) with { Window = conv, Bias = false },
            BatchNorm(1, Activation.Relu, Image(4, 5, 7), 1),
            Layer(2, LayerKind.Conv, Activation.None, Image(4, 5, 7), Image(4, 5, 7), 2) with { Window = conv, Bias = false },
            BatchNorm(3, Activation.Relu, Image(4, 5, 7), 3),
            Layer(4, LayerKind.Conv, Activation.None, Image(4, 5, 7), Image(4, 5, 7), 4) with { Window = conv, Bias = false },
            BatchNorm(5, Activation.None, Image(4, 5, 7), 5),
            Layer(6, LayerKind.ResidualEnd, Activation.Relu, Image(4, 5, 7), Image(4, 5, 7)) with { BlockStart = 2 },
            Layer(7, LayerKind.Conv, Activation.None, Image(4, 5, 7), Image(6, 3, 4), 6) with { Window = Square(3, 2, 1), Bias = false },
            BatchNorm(8, Activation.Silu, Image(6, 3, 4), 7),
            Layer(9, LayerKind.Conv, Activation.None, Image(6, 3, 4), Image(6, 3, 4), 8) with { Window = conv, Bias = false },
            BatchNorm(10, Activation.None, Image(6, 3, 4), 9),
            Layer(11, LayerKind.ResidualEnd, Activation.Mish, Image(6, 3, 4), Image(6, 3, 4), 10) with { BlockStart = 7, Projection = Square(1, 2, 0) },
            Layer(12, LayerKind.GlobalAveragePool, Activation.None, Image(6, 3, 4), Flat(6)),
            Layer(13, LayerKind.Dense, Activation.None, Flat(6), Flat(3), 12));
    }

    [Fact]
    public void ProjectionStrideCountsAPoolInsideTheBlock()
    {
        AssertLayers(ResidualModels.ConvBnNet.Trainer.ModelInfo,
            Layer(0, LayerKind.Conv, Activation.Relu, Image(2, 6, 6), Image(5, 6, 6), 0) with { Window = Square(3, 1, 1) },
            BatchNorm(1, Activation.None, Image(5, 6, 6), 1, epsilon: 1e-3f),
            Layer(2, LayerKind.Conv, Activation.LeakyRelu, Image(5, 6, 6), Image(5, 6, 6), 2) with { Window = Square(3, 1, 1) },
            Layer(3, LayerKind.MaxPool, Activation.None, Image(5, 6, 6), Image(5, 3, 3)) with { Window = Pool(2) },
            Layer(4, LayerKind.Conv, Activation.None, Image(5, 3, 3), Image(7, 3, 3), 3) with { Window = Square(1, 1, 0) },
            Layer(5, LayerKind.ResidualEnd, Activation.None, Image(7, 3, 3), Image(7, 3, 3), 4) with { BlockStart = 2, Projection = Square(1, 2, 0) },
            Layer(6, LayerKind.GlobalAveragePool, Activation.None, Image(7, 3, 3), Flat(7)),
            Layer(7, LayerKind.Dense, Activation.Relu, Flat(7), Flat(8), 6),
            BatchNorm(8, Activation.Tanh, Flat(8), 7),
            Layer(9, LayerKind.Dense, Activation.None, Flat(8), Flat(3), 8));
    }

    [Fact]
    public void SignalModelListsDilatedDepthwiseSqueezeExcitationAndGem()
    {
        // 2x12: pad 1 keeps 12; dilation 2, kernel 5, pad 4: 12 + 8 - 8 - 1 + 1 = 12; pool 2: 6; (6 - 3) / 2 + 1 = 2.
        AssertLayers(GpuChannelModels.GpuChannelEdgeNet.Trainer.ModelInfo,
            Layer(0, LayerKind.Conv, Activation.Gelu, Signal(2, 12), Signal(16, 12), 0) with { Window = new(1, 3, 1, 1, 0, 1) },
            Layer(1, LayerKind.Conv, Activation.Silu, Signal(16, 12), Signal(16, 12), 1) with { Window = new(1, 5, 1, 1, 0, 4, DilationWidth: 2, Groups: 16) },
            Layer(2, LayerKind.SqueezeExcitation, Activation.None, Signal(16, 12), Signal(16, 12), 2) with { Squeeze = 4 },
            Layer(3, LayerKind.MaxPool, Activation.None, Signal(16, 12), Signal(16, 6)) with { Window = new(1, 2, 1, 2, 0, 0) },
            Layer(4, LayerKind.Conv, Activation.Sigmoid, Signal(16, 6), Signal(6, 2), 3) with { Window = new(1, 3, 1, 2, 0, 0, Groups: 2) },
            Layer(5, LayerKind.GemPool, Activation.None, Signal(6, 2), Flat(6), 4) with { Epsilon = 1e-6f, P = 3f, Learnable = true },
            Layer(6, LayerKind.Dense, Activation.None, Flat(6), Flat(3), 5));
    }

    [Fact]
    public void ImageModelListsRectangularWindowsAndAFixedGem()
    {
        // 16x5x4: stride 2 on the height only: (5 + 2 - 3) / 2 + 1 = 3; a 2x1 kernel: 3 - 2 + 1 = 2.
        AssertLayers(GpuChannelModels.GpuDepthwiseFirstNet.Trainer.ModelInfo,
            Layer(0, LayerKind.Conv, Activation.Elu, Image(16, 5, 4), Image(16, 3, 4), 0) with { Window = new(3, 3, 2, 1, 1, 1, Groups: 16) },
            Layer(1, LayerKind.Conv, Activation.Gelu, Image(16, 3, 4), Image(5, 2, 4), 1) with { Window = new(2, 1, 1, 1, 0, 0) },
            Layer(2, LayerKind.GemPool, Activation.None, Image(5, 2, 4), Flat(5)) with { Epsilon = 1e-6f, P = 2f },
            Layer(3, LayerKind.Dense, Activation.None, Flat(5), Flat(2), 2));
    }

    [Fact]
    public void HandWrittenModelInfoHasNoLayers()
    {
        var model = new ModelInfo("M", 2, 2, LossKind.SoftmaxCrossEntropy, 0f, 1f, 16, new ParameterInfo[0], "0");
        Assert.Empty(model.Layers);
    }
}
