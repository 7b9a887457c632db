using System;
using static SoftGen.Onnx.OnnxGraphBuilder;

namespace SoftGen.Onnx;

/// <summary>SoftGen's activations in opset-13 operators, as the CPU kernels define them.</summary>
internal sealed partial class OnnxModelWriter
{
    private string Activate(Activation activation, string scope, string z, string? output) => activation switch
    {
        Activation.None => output is null ? z : _graph.NodeInto(output, scope, "Identity", new[] { z }),
        Activation.Relu => _graph.NodeInto(output, scope, "Relu", new[] { z }),
        Activation.LeakyRelu => _graph.NodeInto(output, scope, "LeakyRelu", new[] { z }, Float("alpha", 0.01f)),
        Activation.Tanh => _graph.NodeInto(output, scope, "Tanh", new[] { z }),
        Activation.Sigmoid => _graph.NodeInto(output, scope, "Sigmoid", new[] { z }),
        Activation.Elu => _graph.NodeInto(output, scope, "Elu", new[] { z }, Float("alpha", 1f)),
        // z * Phi(z) = 0.5 z (1 + erf(z / sqrt 2)): the exact form (Gelu is an operator only from opset 20).
        Activation.Gelu => _graph.NodeInto(output, scope, "Mul", new[]
        {
            _graph.Node(scope, "Mul", new[] { z, _graph.Scalar(0.5f) }),
            _graph.Node(scope, "Add", new[] { _graph.Node(scope, "Erf", new[] { _graph.Node(scope, "Mul", new[] { z, _graph.Scalar(MathF.Sqrt(0.5f)) }) }), _graph.Scalar(1f) }),
        }),
        Activation.Silu => _graph.NodeInto(output, scope, "Mul", new[] { z, _graph.Node(scope, "Sigmoid", new[] { z }) }),
        Activation.Mish => _graph.NodeInto(output, scope, "Mul", new[] { z, _graph.Node(scope, "Tanh", new[] { _graph.Node(scope, "Softplus", new[] { z }) }) }),
        _ => throw new NotSupportedException($"ONNX export does not handle the activation {activation} (model {_model.Name})."),
    };
}
