using System;
using SoftGen.Data;

namespace SoftGen;

/// <summary>The validation metric Fit watches for early stopping and for the best weights.</summary>
public enum FitMetric
{
    /// <summary><see cref="ValidationReport.Loss"/>, the cross-entropy with the targets; lower is better.</summary>
    Loss,

    /// <summary><see cref="ValidationReport.Kl"/>, KL(target || prediction) per row; lower is better.</summary>
    Kl,

    /// <summary><see cref="ValidationReport.Accuracy"/>; higher is better.</summary>
    Accuracy,

    /// <summary><see cref="ValidationReport.Ece"/>, the expected calibration error; lower is better.</summary>
    Ece,
}

/// <summary>
/// How Fit trains: the epochs, validation data and the metric watched on it, early stopping (Keras's EarlyStopping:
/// patience, min_delta, restore_best_weights), mixup, and what is reported along the way.
/// </summary>
public sealed record FitOptions
{
    /// <summary>The most epochs to train; early stopping or <see cref="StopWhen"/> can end the run sooner.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Validation inputs [count, Inputs], scored after every epoch; empty for none.</summary>
    public ReadOnlyMemory<float> ValidationInputs { get; init; }

    /// <summary>Validation targets [count, OutputsPerRow], as the training targets.</summary>
    public ReadOnlyMemory<float> ValidationTargets { get; init; }

    /// <summary>The validation metric that picks the best epoch and drives early stopping.</summary>
    public FitMetric Monitor { get; init; } = FitMetric.Loss;

    /// <summary>Stop after this many epochs in a row without an improvement of the watched metric; null never stops early.</summary>
    public int? Patience { get; init; }

    /// <summary>The least change of the watched metric that counts as an improvement (Keras's min_delta).</summary>
    public double MinDelta { get; init; }

    /// <summary>
    /// At the end of the run, set the parameters and batch-norm statistics back to those of the best epoch (the
    /// optimizer's moments and the step count go on from the last epoch, as in Keras).
    /// </summary>
    public bool RestoreBestWeights { get; init; }

    /// <summary>Mix each batch (see <see cref="MixupOptions"/>); null trains on the rows as they are.</summary>
    public MixupOptions? Mixup { get; init; }

    /// <summary>Told after every epoch, validation included.</summary>
    public IProgress<EpochReport>? Progress { get; init; }

    /// <summary>Told after every optimizer step: for progress bars.</summary>
    public IProgress<BatchReport>? BatchProgress { get; init; }

    /// <summary>Asked after every epoch (after <see cref="Progress"/>): true ends the run there.</summary>
    public Func<EpochReport, bool>? StopWhen { get; init; }

    /// <summary>The options of the Fit overloads that take an epoch count; throws for fewer than one epoch.</summary>
    internal static FitOptions ForEpochs(int epochs, IProgress<EpochReport>? progress, MixupOptions? mixup = null)
    {
        if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "Fit needs at least one epoch.");
        return new FitOptions { Epochs = epochs, Progress = progress, Mixup = mixup };
    }

    /// <summary>Whether a larger value of <see cref="Monitor"/> is better.</summary>
    internal bool HigherIsBetter => Monitor == FitMetric.Accuracy;

    internal bool HasValidation => !ValidationInputs.IsEmpty || !ValidationTargets.IsEmpty;
}
