using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using SoftGen.Cpu;

namespace SoftGen.Training;

/// <summary>
/// What every generated trainer shares: input validation, parameter access by PyTorch name, prediction in batches,
/// Fit, Evaluate, persistence and calibration, over one <see cref="TrainingProgram"/> that runs the model's passes and
/// the optimizer on the chosen backend: the generated {Model}.CpuTrainingProgram (a <see cref="CpuProgram"/>) or
/// {Model}.GpuTrainingProgram (SoftGen.Gpu's GpuProgram).
/// </summary>
/// <remarks>
/// Every buffer is made by the constructor, so TrainStep (weighted or not), <see cref="PredictProbabilities"/> and
/// <see cref="PredictClasses"/> allocate no managed memory. A trainer is not thread-safe: call it from one thread at a time.
/// </remarks>
public abstract unsafe partial class TrainerBase : IClassifier, IDisposable
{
    private readonly ModelInfo _model;
    private readonly TrainerOptions _options;
    private readonly TrainingProgram _program;
    private readonly NativeBuffers _buffers = new();
    private readonly float* _batchInputs;   // Fit's gathered minibatch [BatchSize, Inputs]
    private readonly float* _batchTargets;  // and its targets [BatchSize, OutputsPerRow]
    private readonly float* _batchWeights;  // and its sample weights [BatchSize], when the data set has them
    private readonly float* _stepWeights;   // a weighted step's weights normalised to mean 1 (SampleWeights.Normalize)
    private readonly float* _probabilities; // [BatchSize, OutputsPerRow] for Evaluate and PredictClasses
    private readonly long[] _batchesTracked; // num_batches_tracked of each batch norm, in ModelInfo.BatchNorms order
    private readonly TrainerTelemetry _telemetry;
    private DeterministicRandom _shuffle;
    private long _step;
    private bool _disposed;

    /// <summary>
    /// A trainer over the program <see cref="TrainingProgram.Open"/> picks for <see cref="TrainerOptions.Backend"/>:
    /// <paramref name="openCpu"/>'s, or <paramref name="openGpu"/>'s (null: the project does not reference SoftGen.Gpu).
    /// </summary>
    protected TrainerBase(ModelInfo model, TrainerOptions options,
        Func<ModelInfo, TrainerOptions, TrainingProgram> openCpu,
        Func<ModelInfo, TrainerOptions, bool, TrainingProgram?>? openGpu = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Optimizer is null)
            throw new ArgumentException("TrainerOptions.Optimizer is null; set it to Optimizer.Sgd, Optimizer.Adam or Optimizer.AdamW.", nameof(options));
        if (options.BatchSize < 1)
            throw new ArgumentException($"TrainerOptions.BatchSize is {options.BatchSize}; it must be at least 1.", nameof(options));
        if (options.ThreadCount < 1)
            throw new ArgumentException($"TrainerOptions.ThreadCount is {options.ThreadCount}; it must be at least 1.", nameof(options));
        ValidateClipping(options);
        ParameterLayout.Validate(model);
        if ((long)options.BatchSize * Math.Max(model.Inputs, model.OutputsPerRow) > int.MaxValue - 16)
            throw new ArgumentException(
                $"TrainerOptions.BatchSize {options.BatchSize} times {Math.Max(model.Inputs, model.OutputsPerRow)} values a row does not fit one buffer.", nameof(options));

        // The programs' optimizers read the schedule from the optimizer they are given.
        if (options.Schedule is not null)
            options = options with { Optimizer = options.Optimizer with { Schedule = options.Schedule } };
        _model = model;
        _options = options;
        _batchesTracked = new long[model.BatchNorms.Count];

        try
        {
            _batchInputs = _buffers.Allocate(options.BatchSize * model.Inputs);
            _batchTargets = _buffers.Allocate(options.BatchSize * model.OutputsPerRow);
            _batchWeights = _buffers.Allocate(options.BatchSize);
            _stepWeights = _buffers.Allocate(options.BatchSize);
            _probabilities = _buffers.Allocate(options.BatchSize * model.OutputsPerRow);
            _program = TrainingProgram.Open(model, options, openCpu, openGpu);

            var init = new DeterministicRandom(options.Seed, DeterministicRandom.InitStream);
            var host = _program.AccessHost(willWrite: true);
            Initializer.Initialize(host.Parameters, model.Parameters, ref init);
            Initializer.InitializeState(host.State, model.BatchNorms);
            _shuffle = new DeterministicRandom(options.Seed, DeterministicRandom.ShuffleStream);
            if (options.Distributed is { } world) JoinWorld(world);
            _telemetry = TrainingTelemetry.Register(model.Name, options.Optimizer.RateAt(0));
        }
        catch
        {
            _program?.Dispose();
            _buffers.Dispose();
            throw;
        }
    }

    /// <summary>The model this trainer trains.</summary>
    public ModelInfo Model => _model;
    public TrainerOptions Options => _options;
    /// <summary>The backend actually in use (Auto resolved).</summary>
    public Backend Backend => _program.Backend;
    /// <summary>Optimizer steps taken so far.</summary>
    public long Step => _step;

    /// <summary>The learning rate of the next update: the optimizer's, as <see cref="TrainerOptions.Schedule"/> sets it for this step.</summary>
    public double LearningRate => _options.Optimizer.RateAt(_step);

    /// <summary>Where the GPU backend runs (device name and kind), or null on the CPU backend.</summary>
    public string? DeviceName => _program.DeviceName;

    /// <summary>Kernel launches per training step on the GPU backend (2 more with gradient clipping); 0 on the CPU backend.</summary>
    public int LaunchesPerStep => _program.LaunchesPerStep;

    /// <summary>The program that runs this trainer's passes and optimizer on <see cref="Backend"/>.</summary>
    protected TrainingProgram Program => _program;

    /// <summary>The largest row count a pass is called with (<see cref="TrainerOptions.BatchSize"/>).</summary>
    protected int BatchCapacity => _options.BatchSize;

    /// <summary>
    /// One optimizer step on a batch of <paramref name="batchSize"/> rows (at most <see cref="TrainerOptions.BatchSize"/>):
    /// inputs dense [batchSize, Inputs], targets dense [batchSize, Classes]. Returns the batch's mean loss.
    /// </summary>
    /// <remarks>
    /// A model with batch norms updates their running statistics and num_batches_tracked, as PyTorch's forward in
    /// training mode does. A batch norm after a Dense needs at least 2 rows (<see cref="ModelInfo.MinTrainingRows"/>).
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// A length does not match, an input or target is invalid, or the batch is too small for a batch norm; nothing changed.
    /// With <see cref="TrainerOptions.Distributed"/>, the ranks whose inputs are fine throw an
    /// <see cref="InvalidOperationException"/> in the same step instead, and nothing changed on any rank.
    /// </exception>
    /// <exception cref="InvalidOperationException">
    /// The loss (or, with clipping on, the gradient norm) was NaN or infinite; the weights were left unchanged (batch
    /// norms' running statistics, updated by the forward pass as in PyTorch, were not).
    /// </exception>
    public float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize) =>
        TrainStepCore(inputs, targets, batchSize, weights: default, weighted: false);

    /// <summary>
    /// One optimizer step on a batch with per-row sample weights: as <see cref="TrainStep(ReadOnlySpan{float}, ReadOnlySpan{float}, int)"/>,
    /// but the loss is the weighted mean sum_r w_r l_r / sum_r w_r of the rows' losses l_r (each as the unweighted loss
    /// defines it: a per-pixel row's mean over its pixels, a sigmoid row's mean over its classes), and so is the
    /// gradient. A row of weight 0 counts as not in the batch; equal weights give exactly the unweighted step. Batch
    /// norm statistics stay unweighted, as in PyTorch, where weights enter only the loss. <paramref name="weights"/> has
    /// one weight per row (<paramref name="batchSize"/> of them), each finite and at least 0, with a positive sum.
    /// </summary>
    /// <exception cref="ArgumentException">As for the unweighted step, or a weight is invalid (the message names its row); nothing changed.</exception>
    public float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize, ReadOnlySpan<float> weights) =>
        TrainStepCore(inputs, targets, batchSize, weights, weighted: true);

    /// <summary>Both TrainStep overloads: every check before anything changes (on every rank, when distributed), then the step.</summary>
    private float TrainStepCore(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize, ReadOnlySpan<float> weights, bool weighted)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            if (batchSize < 1 || batchSize > BatchCapacity) ThrowBatchSize(batchSize);
            InputValidator.CheckLength(inputs.Length, batchSize, _model.Inputs, nameof(inputs), "rows", nameof(inputs));
            InputValidator.CheckLength(targets.Length, batchSize, _model.OutputsPerRow, nameof(targets), "rows", nameof(targets));
            if (weighted) SampleWeights.Check(weights, batchSize, nameof(weights));
            InputValidator.CheckFeatures(inputs, _model.Inputs, 0, nameof(inputs));
            InputValidator.CheckTargets(targets, _model, 0, nameof(targets));
            if (batchSize < _model.MinTrainingRows) ThrowTooFewRowsForBatchNorm(batchSize);
        }
        catch (ArgumentException) when (_options.Distributed is not null)
        {
            TellEveryRankOfFailure();
            throw;
        }

        float loss;
        fixed (float* x = inputs)
        fixed (float* y = targets)
        fixed (float* w = weights)
            loss = StepCore(x, y, weighted ? w : null, batchSize);
        GC.KeepAlive(this);
        return loss;
    }

    /// <summary>
    /// Forward, NaN check, then the update; the inputs are already validated. <paramref name="weights"/>: null, or the
    /// rows' raw sample weights (positive sum), normalised here into the trainer's own buffer.
    /// </summary>
    private float StepCore(float* inputs, float* targets, float* weights, int rows)
    {
        if (_options.Schedule?.TotalSteps is { } total && _step >= total)
            throw new InvalidOperationException(
                $"The learning-rate schedule is defined for {total} updates and this trainer has made {_step}; nothing was changed. Set a schedule with more steps (PyTorch refuses the same).");
        if (_options.Distributed is not null) return DistributedStepCore(inputs, targets, weights, rows);
        float* scaled = weights == null ? null : SampleWeights.Normalize(weights, rows, _stepWeights);
        float loss = _program.ComputeLossAndGradients(new FloatBuffer(inputs), new FloatBuffer(targets), new FloatBuffer(scaled), rows, _step);
        _gradientNormKnown = false;
        for (int n = 0; n < _batchesTracked.Length; n++) _batchesTracked[n]++; // the forward pass updated the running statistics
        if (!float.IsFinite(loss)) ThrowLossNotFinite(loss, _step + 1);
        if (ClipsGradients) ClipGradients(_step + 1);
        _program.ApplyOptimizer(_step + 1);
        _step++;
        _telemetry.StepEnded(rows, loss, LearningRate);
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
                if (logits) _program.ComputeLogits(rowInputs, rowOutputs, rows);
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

    /// <summary>Frees the program (its buffers, threads or device) and the batch buffers. Safe to call more than once.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _telemetry.Close();
        _program.Dispose();
        _buffers.Dispose();
        GC.SuppressFinalize(this);
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowBatchSize(int batchSize) =>
        throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
            $"batchSize must be between 1 and TrainerOptions.BatchSize ({BatchCapacity}).");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowTooFewRowsForBatchNorm(int rows)
    {
        var b = _model.BatchNormRefusing(rows)!;
        throw new ArgumentException(
            $"A training batch of {rows} row{(rows == 1 ? "" : "s")} leaves the batch norm layers.{b.Layer} ({b.Channels} channels, {b.Pixels} value{(b.Pixels == 1 ? "" : "s")} per channel a row) " +
            $"with {(long)rows * b.Pixels} value per channel, and batch statistics need more than 1 (PyTorch: \"Expected more than 1 value per channel when training\"). " +
            $"Train on at least {_model.MinTrainingRows} rows; prediction and Evaluate take any number. Nothing changed.", "batchSize");
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLossNotFinite(float loss, long step) =>
        throw new InvalidOperationException(
            $"The loss became {loss} at step {step}; the weights were left unchanged. Lower the learning rate or check the data.");
}
