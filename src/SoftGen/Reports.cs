using System;
using System.Collections.Generic;

namespace SoftGen;

/// <summary>Reported by Fit after each epoch.</summary>
/// <param name="Epoch">The epoch just trained, 1-based.</param>
/// <param name="Epochs">The most epochs the run may take.</param>
/// <param name="MeanLoss">The training loss, averaged over the epoch's batches weighted by their rows.</param>
/// <param name="Samples">The rows trained on.</param>
/// <param name="Elapsed">The epoch's training time, validation not included.</param>
public readonly record struct EpochReport(int Epoch, int Epochs, double MeanLoss, int Samples, TimeSpan Elapsed)
{
    public double SamplesPerSecond => Samples / Math.Max(Elapsed.TotalSeconds, 1e-9);

    /// <summary>The learning rate of the epoch's last update.</summary>
    public double LearningRate { get; init; }

    /// <summary>The scores on <see cref="FitOptions.ValidationInputs"/> after the epoch; null without validation data.</summary>
    public ValidationReport? Validation { get; init; }

    /// <summary>The watched validation metric is the best so far (with validation data; otherwise false).</summary>
    public bool IsBest { get; init; }
}

/// <summary>Reported by Fit after each optimizer step, for progress bars.</summary>
/// <param name="Epoch">The epoch under way, 1-based.</param>
/// <param name="Epochs">The most epochs the run may take.</param>
/// <param name="Batch">The batch just trained, 1-based.</param>
/// <param name="Batches">The batches of this epoch.</param>
/// <param name="Loss">That batch's mean loss.</param>
/// <param name="LearningRate">The learning rate of that batch's update.</param>
public readonly record struct BatchReport(int Epoch, int Epochs, int Batch, int Batches, double Loss, double LearningRate);

/// <summary>
/// A model's scores on validation data, at its prediction temperature. Loss is the cross-entropy with the targets
/// (<see cref="Evaluation.Nll"/>: the training loss without label smoothing or a distillation temperature); Kl,
/// Accuracy as in <see cref="Evaluation"/>; Ece the expected calibration error over 15 bins (softmax-family models
/// with one distribution per row; NaN for sigmoid and per-pixel models).
/// </summary>
public readonly record struct ValidationReport(int Count, double Loss, double Kl, double Accuracy, double Ece);

/// <summary>What a Fit run did.</summary>
/// <param name="EpochsRun">Epochs trained (fewer than asked when stopped early).</param>
/// <param name="BestEpoch">The epoch whose validation metric was best (the last epoch without validation data).</param>
/// <param name="BestValue">That epoch's watched metric (NaN without validation data).</param>
/// <param name="StoppedEarly">Early stopping or <see cref="FitOptions.StopWhen"/> ended the run before its last epoch.</param>
/// <param name="RestoredBestWeights">The trainer's weights were set back to <paramref name="BestEpoch"/>'s.</param>
/// <param name="History">Every epoch's report, in order.</param>
public sealed record FitResult(int EpochsRun, int BestEpoch, double BestValue, bool StoppedEarly, bool RestoredBestWeights, IReadOnlyList<EpochReport> History);

/// <summary>
/// Metrics of predictions against probability targets, averaged over the rows.
/// Softmax models: Accuracy = argmax(p) == argmax(y); Nll = -sum y log p; Kl = sum y log(y / p);
/// Brier = sum (p - y)^2. Sigmoid models: the same per element (Bernoulli), averaged over rows and classes.
/// </summary>
public readonly record struct Evaluation(int Count, double Accuracy, double Nll, double Kl, double Brier);
