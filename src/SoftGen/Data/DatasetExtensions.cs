using System;
using System.Threading;
using SoftGen.Metrics;
using SoftGen.Training;

namespace SoftGen.Data;

/// <summary>Trainer and ensemble calls that take a <see cref="Dataset"/>, its widths checked against the model first.</summary>
public static class DatasetExtensions
{
    /// <summary>
    /// Fits on the dataset's rows; with <see cref="Dataset.Weights"/>, each step minimises its batch's weighted mean loss
    /// (see <see cref="TrainerBase.TrainStep(ReadOnlySpan{float}, ReadOnlySpan{float}, int, ReadOnlySpan{float})"/>), and a
    /// batch whose rows all weigh 0 is skipped.
    /// </summary>
    public static void Fit(this TrainerBase trainer, Dataset data, int epochs, IProgress<EpochReport>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        Check(data, trainer.Model);
        trainer.FitDataset(data.Features, data.Targets, data.Weights, FitOptions.ForEpochs(epochs, progress), keepHistory: false, cancellationToken);
    }

    /// <summary>
    /// Fit with mixup; see <see cref="TrainerBase.Fit(ReadOnlySpan{float}, ReadOnlySpan{float}, int, MixupOptions, IProgress{EpochReport}?, CancellationToken)"/>.
    /// With <see cref="Dataset.Weights"/>, a mixed row weighs lambda w_a + (1 - lambda) w_b.
    /// </summary>
    public static void Fit(this TrainerBase trainer, Dataset data, int epochs, MixupOptions mixup, IProgress<EpochReport>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(mixup);
        Check(data, trainer.Model);
        trainer.FitDataset(data.Features, data.Targets, data.Weights, FitOptions.ForEpochs(epochs, progress, mixup), keepHistory: false, cancellationToken);
    }

    /// <summary>
    /// Fit with validation, early stopping and reports (see <see cref="TrainerBase.Fit(ReadOnlySpan{float}, ReadOnlySpan{float}, FitOptions, CancellationToken)"/>),
    /// weighted by <see cref="Dataset.Weights"/> when the dataset has them.
    /// </summary>
    public static FitResult Fit(this TrainerBase trainer, Dataset data, FitOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(options);
        Check(data, trainer.Model);
        return trainer.FitDataset(data.Features, data.Targets, data.Weights, options, keepHistory: true, cancellationToken)!;
    }

    /// <summary>The options with <paramref name="validation"/>'s features and targets as the validation data.</summary>
    public static FitOptions WithValidation(this FitOptions options, Dataset validation)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(validation);
        return options with { ValidationInputs = validation.FeatureMemory, ValidationTargets = validation.TargetMemory };
    }

    public static Evaluation Evaluate(this IClassifier model, Dataset data)
    {
        ArgumentNullException.ThrowIfNull(model);
        Check(data, model.Model);
        return model.Evaluate(data.Features, data.Targets);
    }

    /// <summary>Fits and sets the trainer's prediction temperature on a validation set; returns it.</summary>
    public static float CalibrateTemperature(this TrainerBase trainer, Dataset validation)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        Check(validation, trainer.Model);
        return trainer.CalibrateTemperature(validation.Features, validation.Targets);
    }

    /// <summary>Every metric of <see cref="ClassificationMetrics"/> (accuracy, top-k, NLL, KL, Brier, ECE, reliability bins, confusion).</summary>
    public static ClassificationReport Report(this IClassifier model, Dataset data, int topK = 5, int bins = ClassificationMetrics.DefaultBins)
    {
        ArgumentNullException.ThrowIfNull(model);
        Check(data, model.Model);
        return ProbabilityMetrics.Evaluate(model, data.Features, data.Targets, topK, bins);
    }

    /// <summary>The dataset's features with the teacher's probabilities at <paramref name="temperature"/> as targets.</summary>
    public static Dataset WithDistillationTargets(this Dataset data, IClassifier teacher, float temperature)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(teacher);
        if (data.Inputs != teacher.Model.Inputs)
            throw new ArgumentException($"The dataset has {data.Inputs} features per row but model {teacher.Model.Name} takes {teacher.Model.Inputs}.", nameof(teacher));
        var targets = Labels.Distill(teacher, data.Features, temperature);
        return data.WithTargets(targets, teacher.Model.Classes,
            teacher.Model.TargetsAreDistributions ? TargetKind.Distribution : TargetKind.PerClass);
    }

    private static void Check(Dataset data, ModelInfo model)
    {
        ArgumentNullException.ThrowIfNull(data);
        data.CheckFits(model);
    }
}
