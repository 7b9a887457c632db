using System;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading;
using SoftGen.Cpu;

namespace SoftGen.Training;

/// <summary>
/// What every generated trainer shares: input validation, the optimizer, parameter access by PyTorch name,
/// prediction in batches, Fit and Evaluate. The generated subclass supplies the model's forward and backward
/// passes (<see cref="ComputeLossAndGradients"/>, <see cref="ComputeProbabilities"/>) with its widths as constants.
/// </summary>
/// <remarks>
/// Every buffer is made by the constructor (the subclass adds its own with <see cref="AllocateBuffer"/>), so
/// <see cref="TrainStep"/>, <see cref="PredictProbabilities"/> and <see cref="PredictClasses"/> allocate no managed
/// memory. A trainer is not thread-safe: call it from one thread at a time.
/// The protected surface speaks <see cref="FloatBuffer"/> rather than pointers, so the generated subclass (in the
/// user's project) compiles without unsafe code.
/// </remarks>
public abstract unsafe partial class TrainerBase : IDisposable
{
    private readonly ModelInfo _model;
    private readonly TrainerOptions _options;
    private readonly Backend _backend;
    private readonly NativeBuffers _buffers = new();
    private readonly WorkerPool _pool;
    private readonly OptimizerState _optimizer;
    private readonly float* _parameters;
    private readonly float* _gradients;
    private readonly float* _batchInputs;   // Fit's gathered minibatch [BatchSize, Inputs]
    private readonly float* _batchTargets;  // and its targets [BatchSize, OutputsPerRow]
    private readonly float* _probabilities; // [BatchSize, OutputsPerRow] for Evaluate and PredictClasses
    private DeterministicRandom _shuffle;
    private long _step;
    private bool _disposed;

    /// <summary>A trainer that runs on the CPU backend only (<see cref="Backend.Auto"/> resolves to the CPU).</summary>
    protected TrainerBase(ModelInfo model, TrainerOptions options) : this(model, options, deviceProgram: null)
    {
    }

    /// <summary>
    /// A trainer whose <see cref="Backend.Gpu"/> and <see cref="Backend.Auto"/> run <paramref name="deviceProgram"/>'s
    /// program; null: no GPU program (the project does not reference SoftGen.Gpu).
    /// </summary>
    protected TrainerBase(ModelInfo model, TrainerOptions options, DeviceProgramFactory? deviceProgram)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Optimizer is null)
            throw new ArgumentException("TrainerOptions.Optimizer is null; set it to Optimizer.Sgd, Optimizer.Adam or Optimizer.AdamW.", nameof(options));
        if (options.BatchSize < 1)
            throw new ArgumentException($"TrainerOptions.BatchSize is {options.BatchSize}; it must be at least 1.", nameof(options));
        if (options.ThreadCount < 1)
            throw new ArgumentException($"TrainerOptions.ThreadCount is {options.ThreadCount}; it must be at least 1.", nameof(options));
        ParameterLayout.Validate(model);
        if ((long)options.BatchSize * Math.Max(model.Inputs, model.OutputsPerRow) > int.MaxValue - 16)
            throw new ArgumentException(
                $"TrainerOptions.BatchSize {options.BatchSize} times {Math.Max(model.Inputs, model.OutputsPerRow)} values a row does not fit one buffer.", nameof(options));

        _model = model;
        _options = options;

        try
        {
            _parameters = _buffers.Allocate(model.StorageLength);
            _gradients = _buffers.Allocate(model.StorageLength);
            _optimizer = new OptimizerState(options.Optimizer, model.StorageLength, _buffers);
            _batchInputs = _buffers.Allocate(options.BatchSize * model.Inputs);
            _batchTargets = _buffers.Allocate(options.BatchSize * model.OutputsPerRow);
            _probabilities = _buffers.Allocate(options.BatchSize * model.OutputsPerRow);

            var init = new DeterministicRandom(options.Seed, DeterministicRandom.InitStream);
            Initializer.Initialize(_parameters, model.Parameters, ref init);
            _shuffle = new DeterministicRandom(options.Seed, DeterministicRandom.ShuffleStream);

            _pool = new WorkerPool(options.ThreadCount);
            _backend = CreateDevice(model, options, deviceProgram); // TrainerBase.Backend.cs
        }
        catch
        {
            _pool?.Dispose();
            _buffers.Dispose();
            throw;
        }
    }

    /// <summary>The model this trainer trains.</summary>
    public ModelInfo Model => _model;
    public TrainerOptions Options => _options;
    /// <summary>The backend actually in use (Auto resolved).</summary>
    public Backend Backend => _backend;
    /// <summary>Optimizer steps taken so far.</summary>
    public long Step => _step;

    /// <summary>Flat parameter storage (pinned, <see cref="ModelInfo.StorageLength"/> floats, layout per <see cref="ParameterInfo"/>).</summary>
    protected FloatBuffer Parameters => new(_parameters);
    /// <summary>Flat gradient storage, same layout as <see cref="Parameters"/>.</summary>
    /// <remarks>
    /// Starts zeroed. <see cref="ComputeLossAndGradients"/> must overwrite every real gradient element and leave every
    /// padding element 0: the optimizer runs over the whole storage, and padding stays 0 only while its gradient is 0.
    /// </remarks>
    protected FloatBuffer Gradients => new(_gradients);
    protected WorkerPool Pool => _pool;
    /// <summary>The largest row count the generated passes are called with (<see cref="TrainerOptions.BatchSize"/>).</summary>
    protected int BatchCapacity => _options.BatchSize;

    /// <summary>Allocates a pinned, zeroed, 64-byte-aligned buffer of floats that lives as long as the trainer.</summary>
    /// <remarks>The length is rounded up to a multiple of 16 floats (at least 16).</remarks>
    protected FloatBuffer AllocateBuffer(int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "A buffer length cannot be negative.");
        return new FloatBuffer(_buffers.Allocate(length));
    }

    /// <summary>Forward, loss and backward for rows 0..rows-1: fills <see cref="Gradients"/>, returns the mean loss.</summary>
    /// <remarks>
    /// <paramref name="inputs"/> is dense [rows, Inputs] and <paramref name="targets"/> dense [rows, Classes]; both are
    /// already validated. They may point into the caller's memory, so neither is necessarily 64-byte aligned.
    /// </remarks>
    protected abstract float ComputeLossAndGradients(FloatBuffer inputs, FloatBuffer targets, int rows);

    /// <summary>Forward for rows 0..rows-1 (rows &lt;= BatchCapacity): writes probabilities [rows, Classes].</summary>
    /// <remarks>Neither buffer is necessarily 64-byte aligned (both may point into the caller's memory).</remarks>
    protected abstract void ComputeProbabilities(FloatBuffer inputs, FloatBuffer probabilities, int rows);

    /// <summary>Forward for rows 0..rows-1 (rows &lt;= BatchCapacity): writes the logits [rows, Classes], dense.</summary>
    /// <remarks>Neither buffer is necessarily 64-byte aligned (both may point into the caller's memory).</remarks>
    protected abstract void ComputeLogits(FloatBuffer inputs, FloatBuffer logits, int rows);

    /// <summary>
    /// One optimizer step on a batch of <paramref name="batchSize"/> rows (at most <see cref="TrainerOptions.BatchSize"/>):
    /// inputs dense [batchSize, Inputs], targets dense [batchSize, Classes]. Returns the batch's mean loss.
    /// </summary>
    /// <exception cref="ArgumentException">A length does not match, or an input or target is invalid; nothing changed.</exception>
    /// <exception cref="InvalidOperationException">The loss was NaN or infinite; the weights were left unchanged.</exception>
    public float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (batchSize < 1 || batchSize > BatchCapacity) ThrowBatchSize(batchSize);
        InputValidator.CheckLength(inputs.Length, batchSize, _model.Inputs, nameof(inputs), "rows", nameof(inputs));
        InputValidator.CheckLength(targets.Length, batchSize, _model.OutputsPerRow, nameof(targets), "rows", nameof(targets));
        InputValidator.CheckFeatures(inputs, _model.Inputs, 0, nameof(inputs));
        InputValidator.CheckTargets(targets, _model, 0, nameof(targets));

        float loss;
        fixed (float* x = inputs)
        fixed (float* y = targets)
            loss = StepCore(x, y, batchSize);
        GC.KeepAlive(this);
        return loss;
    }

    /// <summary>Forward, NaN check, then the update; the inputs are already validated.</summary>
    private float StepCore(float* inputs, float* targets, int rows)
    {
        float loss = _device is null
            ? ComputeLossAndGradients(new FloatBuffer(inputs), new FloatBuffer(targets), rows)
            : DeviceLossAndGradients(inputs, targets, rows);
        if (!float.IsFinite(loss)) ThrowLossNotFinite(loss, _step + 1);
        if (_device is null) _optimizer.Apply(_pool, _parameters, _gradients, _model.StorageLength, _step + 1);
        else DeviceOptimizerStep(_step + 1);
        _step++;
        return loss;
    }

    /// <summary>Writes the probabilities [count, Classes] of <paramref name="count"/> rows of inputs [count, Inputs].</summary>
    /// <remarks>
    /// Softmax-family models give distributions per row; sigmoid models, one probability per class. The logits are
    /// divided by <see cref="PredictionTemperature"/> (1 until <see cref="CalibrateTemperature"/> fits one), as they
    /// are for <see cref="PredictClasses"/> and <see cref="Evaluate"/>.
    /// </remarks>
    public void PredictProbabilities(ReadOnlySpan<float> inputs, Span<float> probabilities, int count) =>
        PredictRows(inputs, probabilities, count, logits: false, nameof(probabilities));

    /// <summary>
    /// Writes the logits [count, Classes] (the last layer's outputs, before the softmax or sigmoid) of
    /// <paramref name="count"/> rows of inputs [count, Inputs]: for distillation targets and calibration.
    /// </summary>
    public void PredictLogits(ReadOnlySpan<float> inputs, Span<float> logits, int count) =>
        PredictRows(inputs, logits, count, logits: true, nameof(logits));

    /// <summary>Checks a prediction's arguments, then runs the model over the rows in chunks of at most BatchCapacity.</summary>
    private void PredictRows(ReadOnlySpan<float> inputs, Span<float> outputs, int count, bool logits, string outputsName)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "The row count cannot be negative.");
        InputValidator.CheckLength(inputs.Length, count, _model.Inputs, nameof(inputs), "rows", nameof(inputs));
        InputValidator.CheckLength(outputs.Length, count, _model.OutputsPerRow, outputsName, "rows", outputsName);
        InputValidator.CheckFeatures(inputs, _model.Inputs, 0, nameof(inputs));

        int inputsPerRow = _model.Inputs, width = _model.OutputsPerRow;
        fixed (float* x = inputs)
        fixed (float* y = outputs)
            for (int start = 0; start < count; start += BatchCapacity)
            {
                var rowInputs = new FloatBuffer(x + (long)start * inputsPerRow);
                var rowOutputs = new FloatBuffer(y + (long)start * width);
                int rows = Math.Min(BatchCapacity, count - start);
                if (logits) RunLogits(rowInputs, rowOutputs, rows);
                else ComputeCalibratedProbabilities(rowInputs, rowOutputs, rows);
            }
        GC.KeepAlive(this);
    }

    /// <summary>
    /// Writes the most probable class of each row (the first, on a tie); per-pixel models write one class per pixel,
    /// [count, OutputHeight, OutputWidth]. Sigmoid models too take the argmax over the per-class probabilities, which
    /// for multi-label data is only the single most likely label.
    /// </summary>
    public void PredictClasses(ReadOnlySpan<float> inputs, Span<int> classes, int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "The row count cannot be negative.");
        InputValidator.CheckLength(inputs.Length, count, _model.Inputs, nameof(inputs), "rows", nameof(inputs));
        InputValidator.CheckLength(classes.Length, count, _model.OutputPixels, nameof(classes), "rows", nameof(classes));
        InputValidator.CheckFeatures(inputs, _model.Inputs, 0, nameof(inputs));

        int inputsPerRow = _model.Inputs, width = _model.Classes;
        fixed (float* x = inputs)
            for (int start = 0; start < count; start += BatchCapacity)
            {
                int rows = Math.Min(BatchCapacity, count - start);
                ComputeCalibratedProbabilities(new FloatBuffer(x + (long)start * inputsPerRow), new FloatBuffer(_probabilities), rows);
                if (_model.OutputPixels > 1)
                    PixelClasses(_probabilities, rows, classes.Slice(start * _model.OutputPixels, rows * _model.OutputPixels));
                else
                    for (int r = 0; r < rows; r++)
                        classes[start + r] = Metrics.ArgMax(new ReadOnlySpan<float>(_probabilities + r * width, width));
            }
        GC.KeepAlive(this);
    }

    /// <summary>Copies a parameter out in PyTorch's layout (weight [out, in] row-major, bias [out]).</summary>
    public void GetParameter(string name, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var p = Find(name);
        CheckTensorLength(p, destination.Length, nameof(destination));
        PullFromDevice(willWrite: false);
        ParameterLayout.Read(_parameters, p, destination);
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
        PullFromDevice(willWrite: true);
        ParameterLayout.Write(_parameters, p, source);
        GC.KeepAlive(this);
    }

    /// <summary>Copies the gradient of the last <see cref="ComputeLossAndGradients"/> call out in PyTorch's layout.</summary>
    public void GetGradient(string name, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var p = Find(name);
        CheckTensorLength(p, destination.Length, nameof(destination));
        PullFromDevice(willWrite: false);
        ParameterLayout.Read(_gradients, p, destination);
        GC.KeepAlive(this);
    }

    /// <summary>
    /// Trains for <paramref name="epochs"/> passes over inputs [count, Inputs] and targets [count, Classes]. Each epoch
    /// shuffles the rows (Fisher-Yates with the trainer's seeded shuffle stream, so runs repeat exactly), steps on
    /// minibatches of <see cref="TrainerOptions.BatchSize"/> rows (the last one partial) and reports an
    /// <see cref="EpochReport"/> whose loss is the mean over rows. The data set is validated once, up front.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled; checked between batches.</exception>
    /// <exception cref="InvalidOperationException">The loss became NaN or infinite; the last good weights are kept.</exception>
    public void Fit(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int epochs, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default) =>
        FitCore(inputs, targets, epochs, mixup: null, progress, cancellationToken);

    /// <summary>Fit's loop; with <paramref name="mixup"/>, each gathered batch is mixed (TrainerBase.Mixup.cs).</summary>
    private void FitCore(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int epochs, Data.MixupOptions? mixup, IProgress<EpochReport>? progress, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "Fit needs at least one epoch.");
        int count = CheckDataSet(inputs, targets);

        int inputsPerRow = _model.Inputs, classes = _model.OutputsPerRow, batchSize = BatchCapacity;
        var order = new int[count];
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            long started = Stopwatch.GetTimestamp();
            for (int i = 0; i < count; i++) order[i] = i;
            for (int i = count - 1; i > 0; i--)
            {
                int j = _shuffle.NextInt(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }

            double lossSum = 0;
            for (int start = 0; start < count; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int rows = Math.Min(batchSize, count - start);
                if (mixup is not null)
                    GatherMixedBatch(inputs, targets, new ReadOnlySpan<int>(order, start, rows), mixup);
                else
                    for (int r = 0; r < rows; r++)
                    {
                        int row = order[start + r];
                        inputs.Slice(row * inputsPerRow, inputsPerRow).CopyTo(new Span<float>(_batchInputs + r * inputsPerRow, inputsPerRow));
                        targets.Slice(row * classes, classes).CopyTo(new Span<float>(_batchTargets + r * classes, classes));
                    }
                lossSum += (double)StepCore(_batchInputs, _batchTargets, rows) * rows;
            }
            progress?.Report(new EpochReport(epoch, epochs, lossSum / count, count, Stopwatch.GetElapsedTime(started)));
        }
        GC.KeepAlive(this);
    }

    /// <summary>
    /// Scores the predictions for inputs [count, Inputs] against targets [count, Classes] (validated as for training);
    /// see <see cref="Evaluation"/> for the definitions. log p is floored at log(1e-30) so that a probability that
    /// underflowed to 0 gives a large but finite NLL and KL.
    /// </summary>
    public Evaluation Evaluate(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int count = CheckDataSet(inputs, targets);

        int inputsPerRow = _model.Inputs, classes = _model.Classes;
        bool distributions = _model.TargetsAreDistributions;
        var metrics = new Metrics();
        fixed (float* x = inputs)
            for (int start = 0; start < count; start += BatchCapacity)
            {
                int rows = Math.Min(BatchCapacity, count - start);
                ComputeCalibratedProbabilities(new FloatBuffer(x + (long)start * inputsPerRow), new FloatBuffer(_probabilities), rows);
                if (_model.OutputPixels > 1)
                {
                    AddPixelMetrics(ref metrics, _probabilities, targets.Slice(start * _model.OutputsPerRow, rows * _model.OutputsPerRow), rows);
                    continue;
                }
                for (int r = 0; r < rows; r++)
                {
                    var p = new ReadOnlySpan<float>(_probabilities + r * classes, classes);
                    var y = targets.Slice((start + r) * classes, classes);
                    if (distributions) metrics.AddDistribution(p, y);
                    else metrics.AddBernoulli(p, y);
                }
            }
        GC.KeepAlive(this);
        double pixels = (double)count * _model.OutputPixels;
        return metrics.Result(count, distributions ? pixels : pixels * classes);
    }

    /// <summary>Frees the native buffers and the worker threads. Safe to call more than once.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _device?.Dispose();
        _pool.Dispose();
        _buffers.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Checks a whole data set (Fit, Evaluate) and returns its row count.</summary>
    private int CheckDataSet(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets)
    {
        int inputsPerRow = _model.Inputs;
        if (inputs.Length == 0) throw new ArgumentException("inputs is empty; there must be at least one row.", nameof(inputs));
        if (inputs.Length % inputsPerRow != 0)
            throw new ArgumentException(
                $"inputs has {inputs.Length} values, which is not a whole number of rows of {inputsPerRow} inputs.", nameof(inputs));
        int count = inputs.Length / inputsPerRow;
        InputValidator.CheckLength(targets.Length, count, _model.OutputsPerRow, nameof(targets), "rows (as many as inputs has)", nameof(targets));
        InputValidator.CheckFeatures(inputs, inputsPerRow, 0, nameof(inputs));
        InputValidator.CheckTargets(targets, _model, 0, nameof(targets));
        return count;
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

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowBatchSize(int batchSize) =>
        throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
            $"batchSize must be between 1 and TrainerOptions.BatchSize ({BatchCapacity}).");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLossNotFinite(float loss, long step) =>
        throw new InvalidOperationException(
            $"The loss became {loss} at step {step}; the weights were left unchanged. Lower the learning rate or check the data.");
}
