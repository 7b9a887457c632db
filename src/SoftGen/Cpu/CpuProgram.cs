using System;
using SoftGen.Training;

namespace SoftGen.Cpu;

/// <summary>
/// The base of each generated CPU program ({Model}.CpuTrainingProgram): the host parameters, gradients and optimizer
/// moments, the worker threads and the activation buffers. The generated class supplies the passes with the model's
/// widths as constants; the optimizer update runs here (<see cref="ApplyOptimizer"/>).
/// </summary>
/// <remarks>
/// Every buffer is made by the constructor (the generated class adds its own with <see cref="AllocateBuffer"/>), so a
/// step allocates no managed memory. The protected surface speaks <see cref="FloatBuffer"/> rather than pointers, so
/// the generated class (in the user's project) compiles without unsafe code.
/// </remarks>
public abstract unsafe class CpuProgram : TrainingProgram
{
    private readonly HostStorage _storage;
    private readonly NativeBuffers _buffers = new();
    private readonly WorkerPool _pool;
    private readonly GradientNorm _gradientNorm;
    private float _gradientScale = 1f; // clip_grad_norm_'s coefficient for the next update; 1 is an exact no-op
    private bool _disposed;

    protected CpuProgram(ModelInfo model, TrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        BatchCapacity = options.BatchSize;
        Seed = options.Seed;
        _storage = new HostStorage(model, options.Optimizer);
        try
        {
            _gradientNorm = new GradientNorm(_storage.Length, _buffers);
            _pool = new WorkerPool(options.ThreadCount);
        }
        catch
        {
            _storage.Dispose();
            _buffers.Dispose();
            throw;
        }
    }

    public override Backend Backend => Backend.Cpu;
    public override string? DeviceName => null;
    public override int LaunchesPerStep => 0;

    /// <summary>Flat parameter storage (pinned, <see cref="ModelInfo.StorageLength"/> floats, layout per <see cref="ParameterInfo"/>).</summary>
    protected FloatBuffer Parameters => _storage.Parameters;
    /// <summary>Flat gradient storage, same layout as <see cref="Parameters"/>.</summary>
    /// <remarks>
    /// Starts zeroed. <see cref="TrainingProgram.ComputeLossAndGradients"/> must overwrite every real gradient element
    /// and leave every padding element 0: the optimizer runs over the whole storage, and padding stays 0 only while its
    /// gradient is 0.
    /// </remarks>
    protected FloatBuffer Gradients => _storage.Gradients;
    /// <summary>
    /// Flat state storage (pinned, <see cref="ModelInfo.StateLength"/> floats): the batch norms' running means and
    /// variances at the offsets of <see cref="ModelInfo.BatchNorms"/>. Training passes update it; prediction reads it.
    /// </summary>
    protected FloatBuffer State => _storage.State;
    protected WorkerPool Pool => _pool;
    /// <summary>The largest row count the passes are called with (<see cref="TrainerOptions.BatchSize"/>).</summary>
    protected int BatchCapacity { get; }
    /// <summary><see cref="TrainerOptions.Seed"/>: with the step and the layer index it picks the dropout masks.</summary>
    protected int Seed { get; }

    /// <summary>Allocates a pinned, zeroed, 64-byte-aligned buffer of floats that lives as long as the program.</summary>
    /// <remarks>The length is rounded up to a multiple of 16 floats (at least 16).</remarks>
    protected FloatBuffer AllocateBuffer(int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "A buffer length cannot be negative.");
        return new FloatBuffer(_buffers.Allocate(length));
    }

    public override void ApplyOptimizer(long step)
    {
        _storage.Optimizer.Apply(_pool, _storage.Parameters, _storage.Gradients, _storage.Length, step, _gradientScale);
        _gradientScale = 1f;
        MarkParametersChanged();
    }

    /// <summary>One pass over the gradient storage: the clamp and the norm (<see cref="GradientNorm"/>); the scale is fused into the next update.</summary>
    public override double ClipGradients(float? clipValue, float? maxNorm)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        double norm = _gradientNorm.Measure(_pool, _storage.Gradients, clipValue ?? 0f);
        if (maxNorm is { } max) _gradientScale = double.IsFinite(norm) ? GradientNorm.Scale(norm, max) : 1f;
        return norm;
    }

    /// <summary>The CPU trains in host memory: its own buffers, always current.</summary>
    public override HostStorage AccessHost(bool willWrite)
    {
        if (willWrite) MarkParametersChanged();
        return _storage;
    }

    /// <summary>Frees the native buffers and the worker threads. Safe to call more than once.</summary>
    public override void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _pool.Dispose();
        _buffers.Dispose();
        _storage.Dispose();
        GC.SuppressFinalize(this);
    }
}
