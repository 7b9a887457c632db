using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using Google.Protobuf;

namespace SoftGen.Onnx;

/// <summary>
/// Appends nodes and initializers to an ONNX graph under deterministic names, so that two exports of the same trainer
/// are byte-identical.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly Dictionary<float, string> _scalars = new();
    private int _nodes;

    public OnnxGraphBuilder(string name) => Graph = new Proto.GraphProto { Name = name };

    public Proto.GraphProto Graph { get; }

    /// <summary>Adds a node with one output, named after <paramref name="scope"/> and the operator, and returns the output's name.</summary>
    public string Node(string scope, string opType, IEnumerable<string> inputs, params Proto.AttributeProto[] attributes)
        => NodeInto(null, scope, opType, inputs, attributes);

    /// <summary>As <see cref="Node"/>, writing the output under <paramref name="output"/> when it is not null.</summary>
    public string NodeInto(string? output, string scope, string opType, IEnumerable<string> inputs, params Proto.AttributeProto[] attributes)
    {
        string name = $"{scope}/{opType}_{_nodes++}";
        output ??= name + ":0";
        var node = new Proto.NodeProto { Name = name, OpType = opType };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return output;
    }

    /// <summary>Adds a float32 initializer of shape <paramref name="dims"/> and returns its name.</summary>
    public string Initializer(string name, ReadOnlySpan<long> dims, ReadOnlySpan<float> values)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("ONNX raw tensor data is little-endian.");
        long count = 1;
        foreach (var d in dims) count *= d;
        if (count != values.Length)
            throw new InvalidOperationException($"Initializer {name}: {values.Length} values for a tensor of {count}.");
        var tensor = new Proto.TensorProto { Name = name, DataType = (int)Proto.TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims.ToArray());
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        Graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>A float32 scalar initializer (shape []), shared by every node that uses the same value.</summary>
    public string Scalar(float value)
    {
        if (_scalars.TryGetValue(value, out var name)) return name;
        name = $"const_{_scalars.Count}";
        _scalars.Add(value, name);
        return Initializer(name, ReadOnlySpan<long>.Empty, new[] { value });
    }

    /// <summary>An int64 initializer of shape [values.Length] (axes, shapes).</summary>
    public string Int64s(string name, params long[] values)
    {
        var tensor = new Proto.TensorProto { Name = name, DataType = (int)Proto.TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        Graph.Initializer.Add(tensor);
        return name;
    }

    public static Proto.AttributeProto Int(string name, long value)
        => new() { Name = name, Type = Proto.AttributeProto.Types.AttributeType.Int, I = value };

    public static Proto.AttributeProto Float(string name, float value)
        => new() { Name = name, Type = Proto.AttributeProto.Types.AttributeType.Float, F = value };

    public static Proto.AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new Proto.AttributeProto { Name = name, Type = Proto.AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    /// <summary>A float32 tensor value description with a symbolic first dimension "batch".</summary>
    public static Proto.ValueInfoProto BatchTensor(string name, IEnumerable<long> dims)
    {
        var shape = new Proto.TensorShapeProto();
        shape.Dim.Add(new Proto.TensorShapeProto.Types.Dimension { DimParam = "batch" });
        foreach (var d in dims) shape.Dim.Add(new Proto.TensorShapeProto.Types.Dimension { DimValue = d });
        return new Proto.ValueInfoProto
        {
            Name = name,
            Type = new Proto.TypeProto
            {
                TensorType = new Proto.TypeProto.Types.Tensor { ElemType = (int)Proto.TensorProto.Types.DataType.Float, Shape = shape },
            },
        };
    }
}
