using System;
using System.Collections.Generic;

namespace SoftGen.Persistence;

/// <summary>A named F32 tensor: its shape and its values, row-major (C order), as safetensors and PyTorch store them.</summary>
public sealed class SafeTensor
{
    private readonly int[] _shape;

    /// <param name="name">The tensor's name in the file, e.g. "layers.0.weight".</param>
    /// <param name="shape">Dimensions (none for a scalar); their product must equal the number of values.</param>
    /// <param name="values">The values, row-major. The array is kept, not copied.</param>
    public SafeTensor(string name, ReadOnlySpan<int> shape, float[] values)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(values);
        if (name == "__metadata__")
            throw new ArgumentException("\"__metadata__\" is reserved by the safetensors format for the metadata entry.", nameof(name));
        for (int k = 0; k < shape.Length; k++)
            if (shape[k] < 0)
                throw new ArgumentException($"Dimension {k} of tensor '{name}' is {shape[k]}; dimensions cannot be negative.", nameof(shape));
        long count = shape.Contains(0) ? 0 : 1; // a zero anywhere makes an empty tensor, however large the other dimensions
        for (int k = 0; k < shape.Length && count > 0; k++)
        {
            count *= shape[k];
            if (count > int.MaxValue)
                throw new ArgumentException($"Tensor '{name}' with shape {SafeTensorInfo.FormatShape(shape.ToArray())} has more than {int.MaxValue} values.", nameof(shape));
        }
        if (count != values.Length)
            throw new ArgumentException(
                $"Tensor '{name}' has shape {SafeTensorInfo.FormatShape(shape.ToArray())}, {count} values, but {values.Length} were given.", nameof(values));
        Name = name;
        _shape = shape.ToArray();
        Values = values;
    }

    public string Name { get; }

    public IReadOnlyList<int> Shape => _shape;

    public float[] Values { get; }

    public override string ToString() => $"{Name}: F32 {SafeTensorInfo.FormatShape(_shape)}";
}
