using System;
using System.ComponentModel;
using SoftGen.Cpu;

namespace SoftGen.Training;

/// <summary>
/// A program's training state in host memory: parameters, gradients and the optimizer's moments, each
/// <see cref="ModelInfo.StorageLength"/> floats (pinned, zeroed, 64-byte aligned) in the flat layout of
/// <see cref="ParameterInfo"/>, and the batch norms' running statistics (<see cref="State"/>). The CPU program trains
/// in it; the GPU program keeps it as its host mirror.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed unsafe class HostStorage : IDisposable
{
    private readonly NativeBuffers _buffers = new();
    private readonly OptimizerState _optimizer;

    public HostStorage(ModelInfo model, Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        Length = model.StorageLength;
        try
        {
            Parameters = new FloatBuffer(_buffers.Allocate(Length));
            Gradients = new FloatBuffer(_buffers.Allocate(Length));
            StateLength = model.StateLength;
            State = new FloatBuffer(_buffers.Allocate(StateLength));
            _optimizer = new OptimizerState(optimizer, Length, _buffers);
        }
        catch
        {
            _buffers.Dispose();
            throw;
        }
    }

    /// <summary>Floats per buffer (<see cref="ModelInfo.StorageLength"/>).</summary>
    public int Length { get; }
    public FloatBuffer Parameters { get; }
    /// <summary>The gradients of the last training pass.</summary>
    public FloatBuffer Gradients { get; }
    /// <summary>Floats of <see cref="State"/> (<see cref="ModelInfo.StateLength"/>).</summary>
    public int StateLength { get; }
    /// <summary>
    /// The batch norms' running means and variances at the offsets of <see cref="ModelInfo.BatchNorms"/>: written by
    /// training passes, read by prediction, never touched by the optimizer.
    /// </summary>
    public FloatBuffer State { get; }
    /// <summary>The optimizer's first moment (SGD's momentum buffer, Adam's exp_avg), or Null where it keeps none.</summary>
    public FloatBuffer Moment1 => new(_optimizer.Moment1);
    /// <summary>Adam's second moment (exp_avg_sq), or Null.</summary>
    public FloatBuffer Moment2 => new(_optimizer.Moment2);

    /// <summary>PyTorch's name for <see cref="Moment1"/> in an optimizer's state ("momentum_buffer" or "exp_avg"), or null.</summary>
    public string? Moment1Name => _optimizer.Moment1Name;
    /// <summary>PyTorch's name for <see cref="Moment2"/> ("exp_avg_sq"), or null.</summary>
    public string? Moment2Name => _optimizer.Moment2Name;

    internal OptimizerState Optimizer => _optimizer;

    /// <summary>Frees the buffers. Safe to call more than once.</summary>
    public void Dispose() => _buffers.Dispose();
}
