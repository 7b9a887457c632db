using System;
using System.Collections.Generic;

namespace SoftGen.Persistence;

/// <summary>
/// A named tensor of F32 or I64 values: its shape and its values, row-major (C order), as safetensors and PyTorch
/// store them. I64 is for integer state such as batch norm's num_batches_tracked (a scalar: shape []).
/// </summary>
public sealed class SafeTensor
{
    private readonly int[] _shape;
    private readonly float[]? _values;
    private readonly long[]? _int64Values;

    /// <summary>An F32 tensor.</summary>
    /// <param name="name">The tensor's name in the file, e.g. "layers.0.weight".</param>
    /// <param name="shape">Dimensions (none for a scalar); their product must equal the number of values.</param>
    /// <param name="values">The values, row-major. The array is kept, not copied.</param>
    public SafeTensor(string name, ReadOnlySpan<int> shape, float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        Name = name;
        _shape = CheckShape(name, shape, values.Length);
        _values = values;
    }

    private SafeTensor(string name, int[] shape, long[] values)
    {
        Name = name;
        _shape = shape;
        _int64Values = values;
    }

    /// <summary>An I64 tensor, e.g. SafeTensor.FromInt64("layers.1.num_batches_tracked", [], [steps]).</summary>
    /// <param name="name">The tensor's name in the file.</param>
    /// <param name="shape">Dimensions (none for a scalar); their product must equal the number of values.</param>
    /// <param name="values">The values, row-major. The array is kept, not copied.</param>
    /// <remarks>A factory rather than a constructor, so that <c>new SafeTensor(name, shape, [])</c> stays an F32 tensor.</remarks>
    public static SafeTensor FromInt64(string name, ReadOnlySpan<int> shape, long[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new SafeTensor(name, CheckShape(name, shape, values.Length), values);
    }

    public string Name { get; }

    public IReadOnlyList<int> Shape => _shape;

    /// <summary>"F32" or "I64".</summary>
    public string DType => _values is not null ? "F32" : "I64";

    /// <summary>Number of values (1 for a scalar).</summary>
    public int Length => _values?.Length ?? _int64Values!.Length;

    /// <summary>The values of an F32 tensor.</summary>
    /// <exception cref="InvalidOperationException">The tensor is I64 (see <see cref="Int64Values"/>).</exception>
    public float[] Values => _values ?? throw new InvalidOperationException($"Tensor '{Name}' is I64; read its Int64Values.");

    /// <summary>The values of an I64 tensor.</summary>
    /// <exception cref="InvalidOperationException">The tensor is F32 (see <see cref="Values"/>).</exception>
    public long[] Int64Values => _int64Values ?? throw new InvalidOperationException($"Tensor '{Name}' is F32; read its Values.");

    public override string ToString() => $"{Name}: {DType} {SafeTensorInfo.FormatShape(_shape)}";

    private static int[] CheckShape(string name, ReadOnlySpan<int> shape, int length)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
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
        if (count != length)
            throw new ArgumentException(
                $"Tensor '{name}' has shape {SafeTensorInfo.FormatShape(shape.ToArray())}, {count} values, but {length} were given.", "values");
        return shape.ToArray();
    }
}
