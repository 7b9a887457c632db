using System;
using ILGPU;
using ILGPU.Runtime;
using SoftGen.Cpu;
using SoftGen.Training;

namespace SoftGen.Gpu;

/// <summary>
/// The base of each generated GPU program ({Model}.GpuTrainingProgram): the device, the flat parameter, gradient,
/// moment and state buffers (the host storage's layout), the batch buffers, the loss scalar and the optimizer, and the host
/// mirror that <see cref="AccessHost"/> hands the trainer. Every buffer is made here or in the generated constructor;
/// a step copies the batch in and the loss out and allocates nothing.
/// </summary>
/// <remarks>
/// The mirror is copied from the device only when the host asks for it after a device pass changed the state, and
/// sent back before the next pass only when the host wrote it.
/// </remarks>
public abstract unsafe class GpuProgram : TrainingProgram
{
    private readonly GpuDevice _device;
    private readonly HostStorage _host;
    private bool _hostStale;   // the device has newer parameters, gradients, moments or state than the host mirror
    private bool _deviceStale; // the host mirror has newer parameters, moments or state than the device
    private readonly GpuOptimizer _optimizer;
    private readonly GpuGradientClipping _clipping;
    private bool _gradientScalePending; // the next update reads the clipping coefficient the device computed
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _parameters, _gradients, _state, _inputs, _targets, _weights, _output, _loss;
    private readonly int _storage, _stateLength, _inputsPerRow, _classes;
    private readonly float* _lossHost = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(64, 64); // pinned: the device copies into it
    private bool _disposed;

    protected GpuProgram(GpuDevice device, ModelInfo model, TrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        _device = device;
        _storage = model.StorageLength;
        _stateLength = model.StateLength;
        _inputsPerRow = model.Inputs;
        _classes = model.OutputsPerRow;
        BatchCapacity = options.BatchSize;
        var a = device.Accelerator;
        _parameters = Allocate(a, _storage);
        _gradients = Allocate(a, _storage);
        _state = Allocate(a, _stateLength);
        _inputs = Allocate(a, (long)BatchCapacity * _inputsPerRow);
        _targets = Allocate(a, (long)BatchCapacity * _classes);
        _weights = Allocate(a, BatchCapacity);
        _output = Allocate(a, (long)BatchCapacity * _classes);
        _loss = Allocate(a, 1);
        _optimizer = new GpuOptimizer(a, options.Optimizer, _storage);
        _clipping = new GpuGradientClipping(a, _storage);
        _host = new HostStorage(model, options.Optimizer);
        _minLargeTileGroups = MinGroupsPerMultiprocessor * Math.Max(a.NumMultiprocessors, 1);
        _tiles = GpuTesting.RequestedTiles;
        _profile = LaunchProfile.Requested;
    }

    private readonly LaunchProfile? _profile; // null unless made inside LaunchProfile.Use

    /// <summary>
    /// Called by the generated code after each launch, with the launch's name and its GEMM FLOPs (0 for none): a no-op
    /// unless the program records a <see cref="LaunchProfile"/>, where it waits for the launch and records its time.
    /// </summary>
    protected void AfterLaunch(string launch, long gemmFlops = 0) => _profile?.Record(launch, isCopy: false, gemmFlops, Stream);

    private void AfterCopy(string copy) => _profile?.Record(copy, isCopy: true, 0, Stream);

    private void StartProfile() => _profile?.Start(Stream);

    /// <summary>The tile rule's threshold: 64 x 64 tiles need this many groups per multiprocessor (the generated file's header names it).</summary>
    public const int MinGroupsPerMultiprocessor = 2;

    private readonly int _minLargeTileGroups;
    private readonly GemmTiles _tiles;

    /// <summary>
    /// The tile rule of every generated Dense GEMM launch: 64 x 64 tiles when the launch makes at least
    /// <see cref="MinGroupsPerMultiprocessor"/> groups of them per multiprocessor of the device (the work spreads over
    /// every multiprocessor, with a second group to hide latency), else 32 x 32 tiles, which make four times the
    /// groups. <paramref name="largeTileGroups"/>: the launch's groups in 64 x 64 tiles.
    /// </summary>
    protected bool UseLargeTiles(int largeTileGroups) => _tiles switch
    {
        GemmTiles.Large => true,
        GemmTiles.Small => false,
        _ => largeTileGroups >= _minLargeTileGroups,
    };

    protected Accelerator Accelerator => _device.Accelerator;
    protected AcceleratorStream Stream => _device.Accelerator.DefaultStream;
    protected int BatchCapacity { get; }

    /// <summary>Flat parameters, in <see cref="ModelInfo"/>'s storage layout.</summary>
    protected ArrayView<float> Parameters => _parameters.View;
    /// <summary>Flat gradients, same layout; padding stays 0 because no kernel writes it.</summary>
    protected ArrayView<float> Gradients => _gradients.View;
    /// <summary>
    /// The batch norms' running means and variances (<see cref="ModelInfo.StateLength"/> floats at the offsets of
    /// <see cref="ModelInfo.BatchNorms"/>): training launches update them, prediction launches read them. Mirrored on
    /// the host with the parameters.
    /// </summary>
    protected ArrayView<float> State => _state.View;

    /// <summary>
    /// Zeroes <paramref name="length"/> gradients from <paramref name="offset"/> on the stream (a memset, not a kernel):
    /// the bias gradient of a layer declared without bias, which its GEMM computed, so that the optimizer never moves
    /// the bias storage away from 0.
    /// </summary>
    protected void ClearGradient(int offset, int length) => _gradients.View.SubView(offset, length).MemSetToZero(Stream);
    /// <summary>The batch's inputs [rows, Inputs], dense (images as the user's NCHW rows).</summary>
    protected ArrayView<float> Inputs => _inputs.View;
    /// <summary>The batch's targets [rows, OutputsPerRow], dense (per-pixel targets NCHW).</summary>
    protected ArrayView<float> Targets => _targets.View;
    /// <summary>
    /// The batch's normalised sample weights s_r [rows] when the step has weights (see
    /// <see cref="TrainingProgram.ComputeLossAndGradients"/>); stale otherwise, so the head reads it only when told to.
    /// </summary>
    protected ArrayView<float> Weights => _weights.View;
    /// <summary>Probabilities (or per-pixel logits) [rows, OutputsPerRow] for the host.</summary>
    protected ArrayView<float> Output => _output.View;
    /// <summary>The batch's mean loss, one float.</summary>
    protected ArrayView<float> Loss => _loss.View;

    public override Backend Backend => Backend.Gpu;

    public override string DeviceName => _device.Description;

    /// <summary>
    /// The generated forward launches: layer outputs from <see cref="Inputs"/>; the logits land in <see cref="Logits"/>.
    /// <paramref name="training"/>: dropout draws its masks from the seed, <paramref name="step"/> and the layer (in
    /// prediction it keeps every value).
    /// </summary>
    protected abstract void LaunchForward(int rows, bool training, long step);

    /// <summary>The generated head and backward launches after <see cref="LaunchForward"/>: <see cref="Loss"/> and <see cref="Gradients"/>.</summary>
    /// <remarks>
    /// <paramref name="weighted"/>: <see cref="Weights"/> holds the rows' sample weights, which the head applies (false:
    /// the unweighted head, which does not read them). <paramref name="step"/>: the step <see cref="LaunchForward"/> drew
    /// the dropout masks for.
    /// </remarks>
    protected abstract void LaunchLossAndBackward(int rows, bool weighted, long step);

    /// <summary>The generated softmax or sigmoid launch: <see cref="Output"/> from <see cref="Logits"/>.</summary>
    protected abstract void LaunchProbabilities(int rows);

    /// <summary>The last layer's outputs: [rows, Classes] dense, or per pixel [rows, pixels, channel stride].</summary>
    protected abstract ArrayView<float> Logits { get; }

    /// <summary>
    /// The logits as the host gets them, [rows, OutputsPerRow] dense: <see cref="Logits"/> itself, or for a per-pixel
    /// head a generated launch that writes them in NCHW order into <see cref="Output"/>.
    /// </summary>
    protected virtual ArrayView<float> LaunchLogits(int rows) => Logits;

    /// <summary>The host mirror, downloaded first when a device pass changed the state since the last access.</summary>
    public override HostStorage AccessHost(bool willWrite)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_hostStale)
        {
            CopyOut(_parameters.View, _host.Parameters, _storage);
            CopyOut(_gradients.View, _host.Gradients, _storage);
            CopyOut(_state.View, _host.State, _stateLength);
            if (!_host.Moment1.IsNull) CopyOut(_optimizer.Moment1, _host.Moment1, _storage);
            if (!_host.Moment2.IsNull) CopyOut(_optimizer.Moment2, _host.Moment2, _storage);
            Stream.Synchronize();
            _hostStale = false;
        }
        if (willWrite)
        {
            _deviceStale = true;
            MarkParametersChanged();
        }
        return _host;
    }

    /// <summary>Sends the parameters, moments and state the host wrote to the device, before a pass reads them.</summary>
    private void PushHostWrites()
    {
        if (!_deviceStale) return;
        CopyIn(_parameters.View, _host.Parameters, _storage);
        CopyIn(_state.View, _host.State, _stateLength);
        if (!_host.Moment1.IsNull) CopyIn(_optimizer.Moment1, _host.Moment1, _storage);
        if (!_host.Moment2.IsNull) CopyIn(_optimizer.Moment2, _host.Moment2, _storage);
        _deviceStale = false;
    }

    public override float ComputeLossAndGradients(FloatBuffer inputs, FloatBuffer targets, FloatBuffer weights, int rows, long step)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckRows(rows);
        PushHostWrites();
        _hostStale = true; // the gradients and the running statistics change
        StartProfile();
        CopyIn(_inputs.View, inputs, rows * _inputsPerRow);
        CopyIn(_targets.View, targets, rows * _classes);
        if (!weights.IsNull) CopyIn(_weights.View, weights, rows);
        AfterCopy("CopyBatchIn");
        LaunchForward(rows, training: true, step);
        LaunchLossAndBackward(rows, weighted: !weights.IsNull, step);
        _loss.View.CopyToCPU(Stream, ref *_lossHost, 1);
        AfterCopy("CopyLossOut");
        Stream.Synchronize();
        return *_lossHost;
    }

    public override void ApplyOptimizer(long step)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        PushHostWrites();
        _hostStale = true;
        StartProfile();
        _optimizer.Apply(Stream, _parameters.View, _gradients.View, _gradientScalePending ? _clipping.Scale : _clipping.One, step);
        _gradientScalePending = false;
        MarkParametersChanged();
        AfterLaunch("Optimizer");
    }

    /// <summary>
    /// Two launches over the device's gradients (<see cref="GpuGradientClipping"/>: the clamp and the norm, then the
    /// coefficient the optimizer kernel reads), and the norm, one double, copied back.
    /// </summary>
    public override double ClipGradients(float? clipValue, float? maxNorm)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (clipValue is not null) _hostStale = true; // the clamp rewrites the gradients
        StartProfile();
        _clipping.Launch(Stream, _gradients.View, clipValue ?? 0f, maxNorm ?? 0f);
        AfterLaunch("ClipGradients");
        double norm = _clipping.ReadNorm(Stream);
        AfterCopy("CopyGradientNormOut");
        if (maxNorm is not null) _gradientScalePending = double.IsFinite(norm);
        return norm;
    }

    public override void ComputeProbabilities(FloatBuffer inputs, FloatBuffer probabilities, int rows)
    {
        PredictionForward(inputs, rows);
        LaunchProbabilities(rows);
        CopyOut(_output.View, probabilities, rows * _classes);
        AfterCopy("CopyProbabilitiesOut");
        Stream.Synchronize();
    }

    public override void ComputeLogits(FloatBuffer inputs, FloatBuffer logits, int rows)
    {
        PredictionForward(inputs, rows);
        CopyOut(LaunchLogits(rows), logits, rows * _classes);
        AfterCopy("CopyLogitsOut");
        Stream.Synchronize();
    }

    /// <summary>Prediction's start: the inputs in and the forward launches, without dropout.</summary>
    private void PredictionForward(FloatBuffer inputs, int rows)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckRows(rows);
        PushHostWrites();
        StartProfile();
        CopyIn(_inputs.View, inputs, rows * _inputsPerRow);
        AfterCopy("CopyInputsIn");
        LaunchForward(rows, training: false, step: 0);
    }

    /// <summary>Allocates a device buffer that lives as long as this program (for the generated activations).</summary>
    protected MemoryBuffer1D<float, Stride1D.Dense> AllocateBuffer(long length) => Track(Allocate(Accelerator, length));

    private readonly System.Collections.Generic.List<MemoryBuffer> _owned = new();

    private MemoryBuffer1D<float, Stride1D.Dense> Track(MemoryBuffer1D<float, Stride1D.Dense> buffer)
    {
        _owned.Add(buffer);
        return buffer;
    }

    private static MemoryBuffer1D<float, Stride1D.Dense> Allocate(Accelerator accelerator, long length)
    {
        var buffer = accelerator.Allocate1D<float>(Math.Max(length, 1));
        buffer.MemSetToZero();
        return buffer;
    }

    private void CopyIn(ArrayView<float> view, FloatBuffer source, int length)
    {
        if (length > 0) view.SubView(0, length).CopyFromCPU(Stream, ref *(float*)source, length);
    }

    private void CopyOut(ArrayView<float> view, FloatBuffer destination, int length)
    {
        if (length > 0) view.SubView(0, length).CopyToCPU(Stream, ref *(float*)destination, length);
    }

    private void CheckRows(int rows)
    {
        if (rows < 1 || rows > BatchCapacity)
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"rows must be between 1 and the batch capacity ({BatchCapacity}).");
    }

    public override void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var b in _owned) b.Dispose();
        _parameters.Dispose();
        _gradients.Dispose();
        _state.Dispose();
        _inputs.Dispose();
        _targets.Dispose();
        _weights.Dispose();
        _output.Dispose();
        _loss.Dispose();
        _optimizer.Dispose();
        _clipping.Dispose();
        _device.Dispose();
        _host.Dispose();
        System.Runtime.InteropServices.NativeMemory.AlignedFree(_lossHost);
        GC.SuppressFinalize(this);
    }
}
