using System;

namespace SoftGen.Training;

// Parameters, gradients and buffers (batch norms' running statistics) by PyTorch name, in PyTorch's layout, read from
// and written to the program's host storage.
public abstract unsafe partial class TrainerBase
{
    /// <summary>Copies a parameter out in PyTorch's layout (weight [out, in] row-major, bias [out]).</summary>
    public void GetParameter(string name, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var p = Find(name);
        CheckTensorLength(p, destination.Length, nameof(destination));
        ParameterLayout.Read(_program.AccessHost(willWrite: false).Parameters, p, destination);
        GC.KeepAlive(this);
    }

    /// <summary>
    /// Sets a parameter from PyTorch's layout. Every value is checked before any is written. The optimizer's state
    /// (moments, step count) is kept, as assigning to a tensor's data in PyTorch would keep it.
    /// </summary>
    public void SetParameter(string name, ReadOnlySpan<float> source)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var p = Find(name);
        CheckTensorLength(p, source.Length, nameof(source));
        for (int k = 0; k < source.Length; k++)
            if (!float.IsFinite(source[k]))
                throw new ArgumentException(
                    $"Value {k} ({Describe(p, k)}) of '{name}' is {source[k]}; parameters must be finite. Nothing was written.", nameof(source));
        ParameterLayout.Write(_program.AccessHost(willWrite: true).Parameters, p, source);
        GC.KeepAlive(this);
    }

    /// <summary>Copies the gradient of the last training step out in PyTorch's layout.</summary>
    public void GetGradient(string name, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var p = Find(name);
        CheckTensorLength(p, destination.Length, nameof(destination));
        ParameterLayout.Read(_program.AccessHost(willWrite: false).Gradients, p, destination);
        GC.KeepAlive(this);
    }

    /// <summary>Copies a batch norm's running_mean or running_var ("layers.1.running_var", [Channels]) out.</summary>
    /// <remarks>num_batches_tracked, an int64, is read with <see cref="GetBatchesTracked"/>.</remarks>
    public void GetBuffer(string name, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var layout = FindFloatBuffer(name);
        CheckTensorLength(layout, destination.Length, nameof(destination));
        ParameterLayout.Read(_program.AccessHost(willWrite: false).State, layout, destination);
        GC.KeepAlive(this);
    }

    /// <summary>
    /// Sets a batch norm's running_mean or running_var, as assigning to the buffer in PyTorch would. Every value is
    /// checked first (finite; a variance not negative) and nothing is written if one fails. Prediction uses the new
    /// values from its next call.
    /// </summary>
    public void SetBuffer(string name, ReadOnlySpan<float> source)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var layout = FindFloatBuffer(name);
        CheckTensorLength(layout, source.Length, nameof(source));
        bool variance = layout.Init == ParameterInit.Ones;
        for (int k = 0; k < source.Length; k++)
            if (!float.IsFinite(source[k]) || (variance && source[k] < 0f))
                throw new ArgumentException(
                    $"Value {k} of '{name}' is {source[k]}; {(variance ? "a running variance must be finite and not negative" : "values must be finite")}. Nothing was written.", nameof(source));
        ParameterLayout.Write(_program.AccessHost(willWrite: true).State, layout, source);
        GC.KeepAlive(this);
    }

    /// <summary>A batch norm's num_batches_tracked ("layers.1.num_batches_tracked"): the training steps it has taken part in.</summary>
    public long GetBatchesTracked(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _batchesTracked[FindBatchesTracked(name).Index];
    }

    /// <summary>Sets a batch norm's num_batches_tracked (not negative). It only counts: the momentum is fixed, so no pass reads it.</summary>
    public void SetBatchesTracked(string name, long value)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var buffer = FindBatchesTracked(name);
        if (value < 0) throw new ArgumentOutOfRangeException(nameof(value), value, $"'{name}' counts batches; it cannot be negative.");
        _batchesTracked[buffer.Index] = value;
    }

    private ParameterInfo Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_model.FindParameter(name) is { } p) return p;
        if (_model.FindBuffer(name) is { } b)
            throw new ArgumentException(
                $"'{name}' is a buffer of model {_model.Name}, not a parameter: read and write it with {(b.IsInt64 ? "GetBatchesTracked and SetBatchesTracked" : "GetBuffer and SetBuffer")}.", nameof(name));
        throw new ArgumentException(
            $"Model {_model.Name} has no parameter '{name}'. Its parameters are: {string.Join(", ", _model.ParameterNames)}.", nameof(name));
    }

    private BufferInfo FindBuffer(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_model.FindBuffer(name) is { } b) return b;
        if (_model.FindParameter(name) is not null)
            throw new ArgumentException($"'{name}' is a parameter of model {_model.Name}, not a buffer: read and write it with GetParameter and SetParameter.", nameof(name));
        throw new ArgumentException(_model.Buffers.Count == 0
            ? $"Model {_model.Name} has no buffer '{name}': it has no batch norm, so no buffers at all."
            : $"Model {_model.Name} has no buffer '{name}'. Its buffers are: {string.Join(", ", _model.BufferNames)}.", nameof(name));
    }

    private ParameterInfo FindFloatBuffer(string name)
    {
        var b = FindBuffer(name);
        return b.StateLayout ?? throw new ArgumentException(
            $"'{name}' is an int64 scalar, not a float vector: read and write it with GetBatchesTracked and SetBatchesTracked.", nameof(name));
    }

    private BufferInfo FindBatchesTracked(string name)
    {
        var b = FindBuffer(name);
        return b.IsInt64 ? b : throw new ArgumentException(
            $"'{name}' is a float vector [{b.BatchNorm.Channels}], not num_batches_tracked: read and write it with GetBuffer and SetBuffer.", nameof(name));
    }

    private static void CheckTensorLength(ParameterInfo p, int actual, string paramName)
    {
        if (actual != p.Length)
            throw new ArgumentException(
                $"'{p.Name}' has shape [{string.Join(", ", p.Shape)}], so it needs a span of {p.Length} values, but this one has {actual}.", paramName);
    }

    private static string Describe(ParameterInfo p, int k) => p.IsWeight ? $"[{k / p.Columns}, {k % p.Columns}]" : $"[{k}]";
}
