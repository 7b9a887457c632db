using System;
using SoftGen.Calibration;
using SoftGen.Cpu;
using SoftGen.Data;

namespace SoftGen.Training;

/// <summary>Temperature scaling: a fitted T that <see cref="PredictProbabilities"/>, <see cref="PredictClasses"/> and <see cref="Evaluate"/> apply.</summary>
public abstract unsafe partial class TrainerBase
{
    private float _predictionTemperature = 1f;

    /// <summary>
    /// The temperature the predictions use: probabilities are softmax(z / T) (sigmoid(z / T) for sigmoid models).
    /// 1 (the model's own probabilities) until <see cref="CalibrateTemperature"/> fits one or it is set. Training is
    /// not affected; a distillation temperature declared on the loss applies to training only.
    /// </summary>
    public float PredictionTemperature
    {
        get => _predictionTemperature;
        set
        {
            Labels.CheckTemperature(value, nameof(value));
            _predictionTemperature = value;
        }
    }

    /// <summary>
    /// Fits <see cref="PredictionTemperature"/> on a validation set, inputs [count, Inputs] and targets [count, Classes]
    /// (checked as for training), by minimising the NLL of the targets over log T to 1e-4
    /// (<see cref="TemperatureScaling.Fit"/>), sets it and returns it. Allocates one [count, Classes] buffer of logits.
    /// A per-pixel model fits one T for every pixel (targets [count, Classes, H, W]); it allocates the logits and a
    /// copy of the targets with the classes of each pixel side by side.
    /// </summary>
    public float CalibrateTemperature(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int count = CheckDataSet(inputs, targets);
        var logits = new float[checked(count * _model.OutputsPerRow)];
        PredictLogits(inputs, logits, count);
        var rowTargets = targets;
        if (_model.OutputPixels > 1)
        {
            PixelsToRows(logits, count);
            var copy = targets.ToArray();
            PixelsToRows(copy, count);
            rowTargets = copy;
        }
        float temperature = TemperatureScaling.Fit(logits, rowTargets, _model.Classes,
            _model.TargetsAreDistributions ? TargetKind.Distribution : TargetKind.PerClass);
        _predictionTemperature = temperature;
        return temperature;
    }

    /// <inheritdoc/>
    public void PredictTempered(ReadOnlySpan<float> inputs, Span<float> probabilities, int count, float temperature)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Labels.CheckTemperature(temperature, nameof(temperature));
        PredictLogits(inputs, probabilities, count);
        ApplyTemperature(probabilities.Slice(0, count * _model.OutputsPerRow), temperature);
    }

    /// <summary>Probabilities for rows 0..rows-1 at <see cref="PredictionTemperature"/>: the program's own pass when it is 1.</summary>
    private void ComputeCalibratedProbabilities(FloatBuffer inputs, FloatBuffer probabilities, int rows)
    {
        if (_predictionTemperature == 1f)
        {
            _program.ComputeProbabilities(inputs, probabilities, rows);
            return;
        }
        _program.ComputeLogits(inputs, probabilities, rows);
        ApplyTemperature(new Span<float>((float*)probabilities, rows * _model.OutputsPerRow), _predictionTemperature);
    }

    /// <summary>Turns logits into probabilities at <paramref name="temperature"/>, in place.</summary>
    private void ApplyTemperature(Span<float> logits, float temperature)
    {
        if (_model.TargetsAreDistributions) Tempered.Softmax(logits, _model.Classes, temperature, logits, _model.OutputPixels);
        else Tempered.Sigmoid(logits, temperature, logits); // per element, any layout
    }
}
