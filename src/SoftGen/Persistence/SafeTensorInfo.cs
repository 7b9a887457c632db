using System;
using System.Collections.Generic;

namespace SoftGen.Persistence;

/// <summary>One tensor's entry in a safetensors header: its name, dtype, shape and byte range in the data section.</summary>
/// <remarks>
/// <see cref="Begin"/> and <see cref="End"/> are the header's data_offsets: relative to the first byte after the
/// header, end exclusive. A parsed header has already checked that the range lies inside the file and holds exactly
/// shape x dtype-size bytes.
/// </remarks>
public sealed class SafeTensorInfo
{
    internal SafeTensorInfo(string name, string dtype, long[] shape, long begin, long end)
    {
        Name = name;
        DType = dtype;
        _shape = shape;
        Begin = begin;
        End = end;
    }

    private readonly long[] _shape;

    public string Name { get; }

    /// <summary>The safetensors dtype name: "F32", "F16", "BF16", "I64", ...</summary>
    public string DType { get; }

    public IReadOnlyList<long> Shape => _shape;

    /// <summary>Offset of the first byte, from the start of the data section.</summary>
    public long Begin { get; }

    /// <summary>Offset one past the last byte, from the start of the data section.</summary>
    public long End { get; }

    /// <summary>The product of the dimensions (1 for a scalar).</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in _shape) n *= d; // checked against the byte range when the header was parsed
            return n;
        }
    }

    /// <summary>The shape as PyTorch prints it, e.g. [128, 64].</summary>
    public string ShapeText => FormatShape(_shape);

    internal static string FormatShape(IReadOnlyList<long> shape) => "[" + string.Join(", ", shape) + "]";

    internal static string FormatShape(IReadOnlyList<int> shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>Bytes per element of a safetensors dtype, or 0 for a name the format does not define.</summary>
    internal static int DTypeSize(string dtype) => dtype switch
    {
        "BOOL" or "U8" or "I8" or "F8_E5M2" or "F8_E4M3" => 1,
        "I16" or "U16" or "F16" or "BF16" => 2,
        "I32" or "U32" or "F32" => 4,
        "I64" or "U64" or "F64" => 8,
        _ => 0,
    };

    internal bool SameShape(IReadOnlyList<int> shape)
    {
        if (shape.Count != _shape.Length) return false;
        for (int k = 0; k < _shape.Length; k++)
            if (_shape[k] != shape[k]) return false;
        return true;
    }

    public override string ToString() => $"{Name}: {DType} {ShapeText} at [{Begin}, {End})";
}
