using System;
using System.Collections.Generic;
using SoftGen.Training;
using static SoftGen.Onnx.OnnxGraphBuilder;

namespace SoftGen.Onnx;

/// <summary>One layer at a time: its operator, then its activation.</summary>
internal sealed partial class OnnxModelWriter
{
    /// <summary>Emits layer <paramref name="position"/> on <paramref name="x"/> and returns its output (named <paramref name="output"/> when given).</summary>
    private string EmitLayer(LayerInfo layer, int position, string x, string[] layerInputs, string? output)
    {
        string scope = $"{position}_{layer.Kind}";
        if (layer.Kind == LayerKind.Dropout && layer.Activation == Activation.None)
            return x; // identity at inference
        bool activated = layer.Activation != Activation.None;
        string? opOutput = activated ? null : output;
        string y = layer.Kind switch
        {
            LayerKind.Dense => Dense(layer, scope, x, opOutput),
            LayerKind.Conv => _graph.NodeInto(opOutput, scope, "Conv", ConvInputs(layer, Prefix(layer)), WindowAttributes(layer.Window!, layer.Input, conv: true)),
            LayerKind.MaxPool => _graph.NodeInto(opOutput, scope, "MaxPool", new[] { x }, WindowAttributes(layer.Window!, layer.Input, conv: false)),
            LayerKind.AvgPool => _graph.NodeInto(opOutput, scope, "AveragePool", new[] { x },
                [.. WindowAttributes(layer.Window!, layer.Input, conv: false), Int("count_include_pad", 1)]),
            LayerKind.GlobalAveragePool => _graph.NodeInto(opOutput, scope, "Flatten", new[] { _graph.Node(scope, "GlobalAveragePool", new[] { x }) }, Int("axis", 1)),
            LayerKind.Dropout => x,
            LayerKind.BatchNorm => BatchNorm(Prefix(layer), layer.Epsilon, scope, x, opOutput),
            LayerKind.LayerNorm => LayerNorm(layer, scope, x, opOutput),
            LayerKind.ResidualEnd => ResidualEnd(layer, scope, x, layerInputs, opOutput),
            LayerKind.SqueezeExcitation => SqueezeExcitation(layer, scope, x, opOutput),
            LayerKind.GemPool => GemPool(layer, scope, x, opOutput),
            _ => throw new NotSupportedException($"ONNX export does not handle layer {layer.Name} ({layer.Kind}) of model {_model.Name}."),
        };
        return activated ? Activate(layer.Activation, scope, y, output) : y;

        IEnumerable<string> ConvInputs(LayerInfo conv, string prefix) =>
            conv.Bias ? new[] { x, Parameter(prefix + ".weight"), Parameter(prefix + ".bias") } : new[] { x, Parameter(prefix + ".weight") };
    }

    /// <summary>"layers.{i}", the state_dict prefix of the layer's parameters and buffers.</summary>
    private string Prefix(LayerInfo layer) => layer.ParameterPrefix
        ?? throw new InvalidOperationException($"Layer {layer.Name} ({layer.Kind}) of model {_model.Name} has no parameter prefix, yet needs its parameters.");

    /// <summary>Gemm with transB (PyTorch's [out, in] weight), after a Flatten (c, h, w order) when the input is an image or a signal.</summary>
    private string Dense(LayerInfo layer, string scope, string x, string? output)
    {
        if (Rank(layer.Input) > 2)
            x = _graph.Node(scope, "Flatten", new[] { x }, Int("axis", 1));
        var inputs = new List<string> { x, Parameter(Prefix(layer) + ".weight") };
        if (layer.Bias) inputs.Add(Parameter(Prefix(layer) + ".bias"));
        return _graph.NodeInto(output, scope, "Gemm", inputs, Int("transB", 1));
    }

    /// <summary>Conv and pooling attributes: one value per spatial axis (the width alone for a signal), pads begin then end.</summary>
    private static Proto.AttributeProto[] WindowAttributes(LayerWindow w, TensorShape input, bool conv)
    {
        bool signal = Rank(input) == 3;
        var attributes = new List<Proto.AttributeProto>
        {
            signal ? Ints("kernel_shape", w.KernelWidth) : Ints("kernel_shape", w.KernelHeight, w.KernelWidth),
            signal ? Ints("strides", w.StrideWidth) : Ints("strides", w.StrideHeight, w.StrideWidth),
            signal ? Ints("pads", w.PaddingWidth, w.PaddingWidth) : Ints("pads", w.PaddingHeight, w.PaddingWidth, w.PaddingHeight, w.PaddingWidth),
        };
        if (conv)
        {
            attributes.Add(signal ? Ints("dilations", w.DilationWidth) : Ints("dilations", w.DilationHeight, w.DilationWidth));
            attributes.Add(Int("group", w.Groups));
        }
        return attributes.ToArray();
    }

    /// <summary>BatchNormalization in inference mode, with the running statistics (not folded: exact and readable).</summary>
    private string BatchNorm(string prefix, float epsilon, string scope, string x, string? output)
        => _graph.NodeInto(output, scope, "BatchNormalization",
            new[] { x, Parameter(prefix + ".weight"), Parameter(prefix + ".bias"), Buffer(prefix + ".running_mean"), Buffer(prefix + ".running_var") },
            Float("epsilon", epsilon));

    /// <summary>LayerNormalization over the features (opset 17), or its decomposition with the biased variance below opset 17.</summary>
    private string LayerNorm(LayerInfo layer, string scope, string x, string? output)
    {
        string gamma = Parameter(Prefix(layer) + ".weight"), beta = Parameter(Prefix(layer) + ".bias");
        if (_options.Opset >= 17)
            return _graph.NodeInto(output, scope, "LayerNormalization", new[] { x, gamma, beta }, Int("axis", -1), Float("epsilon", layer.Epsilon));
        string mean = _graph.Node(scope, "ReduceMean", new[] { x }, Ints("axes", -1), Int("keepdims", 1));
        string centred = _graph.Node(scope, "Sub", new[] { x, mean });
        string variance = _graph.Node(scope, "ReduceMean", new[] { _graph.Node(scope, "Mul", new[] { centred, centred }) }, Ints("axes", -1), Int("keepdims", 1));
        string deviation = _graph.Node(scope, "Sqrt", new[] { _graph.Node(scope, "Add", new[] { variance, _graph.Scalar(layer.Epsilon) }) });
        string normalised = _graph.Node(scope, "Div", new[] { centred, deviation });
        return _graph.NodeInto(output, scope, "Add", new[] { _graph.Node(scope, "Mul", new[] { normalised, gamma }), beta });
    }

    /// <summary>block output + shortcut: the block's input, or its 1x1 projection (Conv without bias, then batch norm).</summary>
    private string ResidualEnd(LayerInfo layer, string scope, string x, string[] layerInputs, string? output)
    {
        if (layer.BlockStart < 0 || layer.BlockStart >= layerInputs.Length)
            throw new InvalidOperationException($"Layer {layer.Name} of model {_model.Name} ends a residual block whose start ({layer.BlockStart}) is not a layer.");
        string shortcut = layerInputs[layer.BlockStart];
        if (layer.Projection is { } projection)
        {
            var blockInput = _layers[layer.BlockStart].Input;
            string conv = _graph.Node(scope, "Conv", new[] { shortcut, Parameter(Prefix(layer) + ".weight") }, WindowAttributes(projection, blockInput, conv: true));
            shortcut = BatchNorm($"layers.{layer.ParameterIndex + 1}", 1e-5f, scope, conv, null);
        }
        return _graph.NodeInto(output, scope, "Add", new[] { x, shortcut });
    }

    /// <summary>
    /// x * sigmoid(expand(silu(reduce(mean over positions)))): the two Linear layers run as 1x1 convolutions on the
    /// pooled [N, C, 1(, 1)] tensor, so that the gate broadcasts over the positions without a reshape.
    /// </summary>
    private string SqueezeExcitation(LayerInfo layer, string scope, string x, string? output)
    {
        int channels = layer.Input.Channels, squeeze = layer.Squeeze;
        long[] ones = Rank(layer.Input) == 3 ? new long[] { 1 } : new long[] { 1, 1 };
        string pooled = _graph.Node(scope, "GlobalAveragePool", new[] { x });
        string reduced = _graph.Node(scope, "Conv",
            new[] { pooled, Parameter(Prefix(layer) + ".reduce.weight", [squeeze, channels, .. ones]), Parameter(Prefix(layer) + ".reduce.bias") },
            Ints("kernel_shape", ones));
        string hidden = Activate(Activation.Silu, scope, reduced, null);
        string expanded = _graph.Node(scope, "Conv",
            new[] { hidden, Parameter(Prefix(layer) + ".expand.weight", [channels, squeeze, .. ones]), Parameter(Prefix(layer) + ".expand.bias") },
            Ints("kernel_shape", ones));
        string gate = _graph.Node(scope, "Sigmoid", new[] { expanded });
        return _graph.NodeInto(output, scope, "Mul", new[] { x, gate });
    }

    /// <summary>(mean over positions of max(x, eps)^p)^(1/p), flattened to [N, C]; p the parameter when learnable.</summary>
    private string GemPool(LayerInfo layer, string scope, string x, string? output)
    {
        string p, inverse;
        if (layer.Learnable)
        {
            p = Parameter(Prefix(layer) + ".p");
            inverse = _graph.Node(scope, "Reciprocal", new[] { p });
        }
        else
        {
            p = _graph.Scalar(layer.P);
            inverse = _graph.Scalar(1f / layer.P);
        }
        string clamped = _graph.Node(scope, "Max", new[] { x, _graph.Scalar(layer.Epsilon) });
        string powered = _graph.Node(scope, "Pow", new[] { clamped, p });
        string mean = _graph.Node(scope, "Flatten", new[] { _graph.Node(scope, "GlobalAveragePool", new[] { powered }) }, Int("axis", 1));
        return _graph.NodeInto(output, scope, "Pow", new[] { mean, inverse });
    }
}
