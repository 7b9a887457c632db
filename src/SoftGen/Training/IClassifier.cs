using System;

namespace SoftGen.Training;

/// <summary>
/// What a trained trainer and an ensemble of them share: probabilities, tempered probabilities (distillation
/// targets), classes and an evaluation, for inputs [count, Model.Inputs].
/// </summary>
public interface IClassifier
{
    /// <summary>The model's widths and loss (for an ensemble, its members' model).</summary>
    ModelInfo Model { get; }

    /// <summary>Probabilities [count, Classes] at the prediction temperature (1 until calibrated).</summary>
    void PredictProbabilities(ReadOnlySpan<float> inputs, Span<float> probabilities, int count);

    /// <summary>
    /// Probabilities [count, Classes] at an explicit <paramref name="temperature"/>: softmax(z / T) (sigmoid(z / T) for
    /// sigmoid models), whatever the prediction temperature. Distillation targets at T = 4 are PredictTempered(..., 4).
    /// </summary>
    void PredictTempered(ReadOnlySpan<float> inputs, Span<float> probabilities, int count, float temperature);

    /// <summary>The most probable class of each row (the first, on a tie).</summary>
    void PredictClasses(ReadOnlySpan<float> inputs, Span<int> classes, int count);

    /// <summary>Accuracy, NLL, KL and Brier score of the predictions against targets [count, Classes].</summary>
    Evaluation Evaluate(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets);
}
