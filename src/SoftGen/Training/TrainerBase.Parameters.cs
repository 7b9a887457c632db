using System;

namespace SoftGen.Training;

// Parameters and gradients by PyTorch name, in PyTorch's layout, read from and written to the program's host storage.
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

    private ParameterInfo Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _model.FindParameter(name) ?? throw new ArgumentException(
            $"Model {_model.Name} has no parameter '{name}'. Its parameters are: {string.Join(", ", _model.ParameterNames)}.", nameof(name));
    }

    private static void CheckTensorLength(ParameterInfo p, int actual, string paramName)
    {
        if (actual != p.Length)
            throw new ArgumentException(
                $"'{p.Name}' has shape [{string.Join(", ", p.Shape)}], so it needs a span of {p.Length} values, but this one has {actual}.", paramName);
    }

    private static string Describe(ParameterInfo p, int k) => p.IsWeight ? $"[{k / p.Columns}, {k % p.Columns}]" : $"[{k}]";
}
