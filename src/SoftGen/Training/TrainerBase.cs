using System;
using System.Threading;
using SoftGen.Cpu;

namespace SoftGen.Training;

/// <summary>
/// What every generated trainer shares: input validation, the optimizer, parameter access by PyTorch name,
/// prediction in batches, Fit and Evaluate. The generated subclass supplies the model's forward and backward
/// passes (<see cref="ComputeLossAndGradients"/>, <see cref="ComputeProbabilities"/>) with its widths as constants.
/// </summary>
public abstract unsafe class TrainerBase : IDisposable
{
    protected TrainerBase(ModelInfo model, TrainerOptions options) => throw new NotImplementedException();

    /// <summary>The model this trainer trains.</summary>
    public ModelInfo Model => throw new NotImplementedException();
    public TrainerOptions Options => throw new NotImplementedException();
    /// <summary>The backend actually in use (Auto resolved).</summary>
    public Backend Backend => throw new NotImplementedException();
    /// <summary>Optimizer steps taken so far.</summary>
    public long Step => throw new NotImplementedException();

    /// <summary>Flat parameter storage (pinned, <see cref="ModelInfo.StorageLength"/> floats, layout per <see cref="ParameterInfo"/>).</summary>
    protected float* Parameters => throw new NotImplementedException();
    /// <summary>Flat gradient storage, same layout as <see cref="Parameters"/>.</summary>
    protected float* Gradients => throw new NotImplementedException();
    protected WorkerPool Pool => throw new NotImplementedException();
    /// <summary>The largest row count the generated passes are called with (<see cref="TrainerOptions.BatchSize"/>).</summary>
    protected int BatchCapacity => throw new NotImplementedException();

    /// <summary>Allocates a pinned, zeroed, 64-byte-aligned buffer of floats that lives as long as the trainer.</summary>
    protected float* AllocateBuffer(int length) => throw new NotImplementedException();

    /// <summary>Forward, loss and backward for rows 0..rows-1: fills <see cref="Gradients"/>, returns the mean loss.</summary>
    protected abstract float ComputeLossAndGradients(float* inputs, float* targets, int rows);

    /// <summary>Forward for rows 0..rows-1 (rows &lt;= BatchCapacity): writes probabilities [rows, Classes].</summary>
    protected abstract void ComputeProbabilities(float* inputs, float* probabilities, int rows);

    public float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize) => throw new NotImplementedException();
    public void PredictProbabilities(ReadOnlySpan<float> inputs, Span<float> probabilities, int count) => throw new NotImplementedException();
    public void PredictClasses(ReadOnlySpan<float> inputs, Span<int> classes, int count) => throw new NotImplementedException();
    public void GetParameter(string name, Span<float> destination) => throw new NotImplementedException();
    public void SetParameter(string name, ReadOnlySpan<float> source) => throw new NotImplementedException();
    public void GetGradient(string name, Span<float> destination) => throw new NotImplementedException();
    public void Fit(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int epochs, IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();
    public Evaluation Evaluate(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets) => throw new NotImplementedException();
    public void Dispose() => throw new NotImplementedException();
}
