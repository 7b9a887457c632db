using System;
using System.Threading;
using SoftGen.Metrics;
using SoftGen.Training;

namespace SoftGen.Data;

/// <summary>Trainer and ensemble calls that take a <see cref="Dataset"/>, its widths checked against the model first.</summary>
public static class DatasetExtensions
{
    public static void Fit(this TrainerBase trainer, Dataset data, int epochs, IProgress<EpochReport>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        Check(data, trainer.Model);
        trainer.Fit(data.Features, data.Targets, epochs, progress, cancellationToken);
    }

    /// <summary>Fit with mixup; see <see cref="TrainerBase.Fit(ReadOnlySpan{float}, ReadOnlySpan{float}, int, MixupOptions, IProgress{EpochReport}?, CancellationToken)"/>.</summary>
    public static void Fit(this TrainerBase trainer, Dataset data, int epochs, MixupOptions mixup, IProgress<EpochReport>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        Check(data, trainer.Model);
        trainer.Fit(data.Features, data.Targets, epochs, mixup, progress, cancellationToken);
    }

    /// <summary>Fit with validation, early stopping and reports; see <see cref="TrainerBase.Fit(ReadOnlySpan{float}, ReadOnlySpan{float}, FitOptions, CancellationToken)"/>.</summary>
    public static FitResult Fit(this TrainerBase trainer, Dataset data, FitOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        Check(data, trainer.Model);
        return trainer.Fit(data.Features, data.Targets, options, cancellationToken);
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
