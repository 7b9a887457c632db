using System;
using System.Collections;
using System.Collections.Generic;

namespace SoftGen.Training;

/// <summary>
/// Moves parameters between PyTorch's layout (weight [out, in] row-major, bias [out]) and the flat storage
/// described on <see cref="ParameterInfo"/>, and checks that a model's table fits its storage.
/// </summary>
internal static unsafe class ParameterLayout
{
    /// <summary>Storage index of PyTorch element [o, i] (i = 0 for a bias).</summary>
    public static int Index(ParameterInfo p, int o, int i) => p.IsWeight ? p.Offset + p.StorageRow(o, i) * p.StorageStride + o : p.Offset + o;

    /// <summary>Copies a parameter out of storage into PyTorch layout.</summary>
    public static void Read(float* storage, ParameterInfo p, Span<float> destination)
    {
        int rows = p.Rows, columns = p.Columns;
        for (int o = 0; o < rows; o++)
            for (int i = 0; i < columns; i++)
                destination[o * columns + i] = storage[Index(p, o, i)];
    }

    /// <summary>Copies a parameter in PyTorch layout into storage.</summary>
    public static void Write(float* storage, ParameterInfo p, ReadOnlySpan<float> source)
    {
        int rows = p.Rows, columns = p.Columns;
        for (int o = 0; o < rows; o++)
            for (int i = 0; i < columns; i++)
                storage[Index(p, o, i)] = source[o * columns + i];
    }

    /// <summary>
    /// Rejects a table that would read or write outside the storage, overlap, or repeat a name: a generator bug,
    /// caught before any memory is touched.
    /// </summary>
    public static void Validate(ModelInfo model)
    {
        if (model.Inputs < 1) throw new ArgumentException($"Model {model.Name} has {model.Inputs} inputs; it needs at least 1.", nameof(model));
        if (model.Classes < 1) throw new ArgumentException($"Model {model.Name} has {model.Classes} classes; it needs at least 1.", nameof(model));
        if (model.StorageLength < 0 || model.StorageLength % 16 != 0)
            throw new ArgumentException($"Model {model.Name} has storage length {model.StorageLength}; it must be a non-negative multiple of 16.", nameof(model));
        if (model.Parameters is null || model.Parameters.Count == 0)
            throw new ArgumentException($"Model {model.Name} has no parameters.", nameof(model));

        var used = new BitArray(model.StorageLength); // one bit a float: cheap even for large models
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int n = 0; n < model.Parameters.Count; n++)
        {
            var p = model.Parameters[n];
            if (p is null) throw new ArgumentException($"Model {model.Name} has a null parameter entry.", nameof(model));
            if (!names.Add(p.Name)) throw new ArgumentException($"Model {model.Name} lists parameter '{p.Name}' twice.", nameof(model));
            if (p.Rows < 1 || p.Columns < 1)
                throw new ArgumentException($"Parameter '{p.Name}' has shape [{p.Rows}, {p.Columns}]; both must be at least 1.", nameof(model));
            if (p.IsWeight && p.StorageStride < p.Rows)
                throw new ArgumentException($"Weight '{p.Name}' has {p.Rows} rows but a storage stride of {p.StorageStride}.", nameof(model));
            if (p.Positions > 1 && (p.Columns % p.Positions != 0 || p.ChannelStride < p.Columns / p.Positions))
                throw new ArgumentException(
                    $"Weight '{p.Name}' has {p.Columns} columns in {p.Positions} positions with a channel stride of {p.ChannelStride}; the columns must be whole channels that fit the stride.", nameof(model));
            if (p.KernelHeight < 0 || p.KernelWidth < 0 || (p.Taps > 0 && p.Columns % p.Taps != 0))
                throw new ArgumentException($"Weight '{p.Name}' has {p.Columns} columns, not a whole number of {p.KernelHeight}x{p.KernelWidth} kernels.", nameof(model));
            if (p.Groups < 1 || (p.Groups > 1 && (p.Rows % p.Groups != 0 || p.ChannelStride < p.Groups * (p.Columns / Math.Max(1, p.Positions)))))
                throw new ArgumentException(
                    $"Weight '{p.Name}' has {p.Groups} groups for {p.Rows} filters of {p.Columns / Math.Max(1, p.Positions)} channels each; the groups must divide the filters and their channels fit the stride {p.ChannelStride}.", nameof(model));
            if (p.OneDimensional && (p.Columns != 1 || p.Taps != 0 || p.Positions != 1))
                throw new ArgumentException(
                    $"Parameter '{p.Name}' is one-dimensional, so it needs 1 column, no kernel and 1 position; it has {p.Columns}, {p.Taps} kernel positions and {p.Positions}.", nameof(model));
            if (!Enum.IsDefined(p.Init))
                throw new ArgumentException($"Parameter '{p.Name}' has the unknown initialisation rule {(int)p.Init}.", nameof(model));
            if ((p.Init is ParameterInit.KaimingUniform or ParameterInit.GlorotUniform) && !(p.Gain > 0f && float.IsFinite(p.Gain)))
                throw new ArgumentException($"Parameter '{p.Name}' has gain {p.Gain}; it must be positive and finite.", nameof(model));
            for (int o = 0; o < p.Rows; o++)
                for (int i = 0; i < p.Columns; i++)
                {
                    long index = p.IsWeight ? p.Offset + (long)p.StorageRow(o, i) * p.StorageStride + o : (long)p.Offset + o;
                    if (index < 0 || index >= model.StorageLength)
                        throw new ArgumentException($"Parameter '{p.Name}' element [{o}, {i}] falls at storage index {index}, outside [0, {model.StorageLength}).", nameof(model));
                    if (used[(int)index])
                        throw new ArgumentException($"Parameters '{OwnerOf(model, n, (int)index)}' and '{p.Name}' overlap at storage index {index}.", nameof(model));
                    used[(int)index] = true;
                }
        }
        ValidateState(model, names);
    }

    /// <summary>
    /// The batch norms' running statistics: each vector inside the state storage, none overlapping, and no buffer
    /// named as a parameter or another buffer.
    /// </summary>
    private static void ValidateState(ModelInfo model, HashSet<string> names)
    {
        if (model.StateLength < 0 || model.StateLength % 16 != 0)
            throw new ArgumentException($"Model {model.Name} has state length {model.StateLength}; it must be a non-negative multiple of 16.", nameof(model));
        var used = new BitArray(model.StateLength);
        var owners = new string[model.StateLength];
        foreach (var b in model.BatchNorms)
        {
            if (b is null) throw new ArgumentException($"Model {model.Name} has a null batch norm entry.", nameof(model));
            if (b.Layer < 0 || b.Channels < 1 || b.Pixels < 1)
                throw new ArgumentException(
                    $"The batch norm of layer {b.Layer} has {b.Channels} channels and {b.Pixels} pixels; the layer cannot be negative and the others must be at least 1.", nameof(model));
            foreach (var name in new[] { b.RunningMeanName, b.RunningVarName, b.BatchesTrackedName })
                if (!names.Add(name)) throw new ArgumentException($"Model {model.Name} lists '{name}' twice.", nameof(model));
            Claim(model, used, owners, b.RunningMeanName, b.RunningMeanOffset, b.Channels);
            Claim(model, used, owners, b.RunningVarName, b.RunningVarOffset, b.Channels);
        }
    }

    private static void Claim(ModelInfo model, BitArray used, string[] owners, string name, int offset, int length)
    {
        if (offset < 0 || (long)offset + length > model.StateLength)
            throw new ArgumentException(
                $"Buffer '{name}' occupies state indices [{offset}, {(long)offset + length}), outside [0, {model.StateLength}).", nameof(model));
        for (int k = offset; k < offset + length; k++)
        {
            if (used[k]) throw new ArgumentException($"Buffers '{owners[k]}' and '{name}' overlap at state index {k}.", nameof(model));
            used[k] = true;
            owners[k] = name;
        }
    }

    private static string OwnerOf(ModelInfo model, int before, int index)
    {
        for (int n = 0; n < before; n++)
        {
            var p = model.Parameters[n];
            int d = index - p.Offset;
            if (d < 0) continue;
            if (p.IsWeight ? d / p.StorageStride < p.Columns * Math.Max(1, p.ChannelStride) && d % p.StorageStride < p.Rows : d < p.Rows) return p.Name;
        }
        return "?";
    }
}
