using System;
using SoftGen.Metrics;

namespace SoftGen.Training;

// Fit's validation: the scores after each epoch, the early-stopping rule and the copy of the best weights.
public abstract unsafe partial class TrainerBase
{
    /// <summary>Whether <see cref="ValidationReport.Ece"/> is defined for this model: one distribution per row.</summary>
    private bool HasCalibrationError => _model.TargetsAreDistributions && _model.OutputPixels == 1;

    /// <summary>Scores checked validation data: one prediction pass gives the <see cref="Evaluation"/> and the ECE.</summary>
    private ValidationReport Validate(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets)
    {
        int count = inputs.Length / _model.Inputs;
        var calibration = HasCalibrationError ? new ClassificationMetrics(_model.Classes, ClassificationMetrics.DefaultBins, topK: 1) : null;
        var e = EvaluateCore(inputs, targets, count, calibration);
        return new ValidationReport(count, e.Nll, e.Kl, e.Accuracy, calibration?.ExpectedCalibrationError ?? double.NaN);
    }

    /// <summary>
    /// Keras's EarlyStopping rule: an epoch improves on the best when its metric beats the best by more than MinDelta
    /// (the first epoch always does); the run stops after Patience epochs in a row without an improvement.
    /// </summary>
    private sealed class EarlyStopping(FitOptions options)
    {
        private int _waited;

        public int BestEpoch { get; private set; }
        public double BestValue { get; private set; } = double.NaN;
        public bool ShouldStop => options.Patience is { } patience && _waited >= patience;

        /// <summary>Takes an epoch's scores; true when they are the new best.</summary>
        public bool Observe(int epoch, ValidationReport report)
        {
            double value = options.Monitor switch
            {
                FitMetric.Kl => report.Kl,
                FitMetric.Accuracy => report.Accuracy,
                FitMetric.Ece => report.Ece,
                _ => report.Loss,
            };
            bool improved = BestEpoch == 0 || (options.HigherIsBetter
                ? value - options.MinDelta > BestValue
                : value + options.MinDelta < BestValue);
            if (!improved)
            {
                _waited++;
                return false;
            }
            BestEpoch = epoch;
            BestValue = value;
            _waited = 0;
            return true;
        }
    }

    /// <summary>A copy of the parameters, the batch norms' running statistics and their batch counts.</summary>
    private sealed class BestWeights(ModelInfo model)
    {
        private readonly float[] _parameters = new float[model.StorageLength];
        private readonly float[] _state = new float[model.StateLength];
        private readonly long[] _batchesTracked = new long[model.BatchNorms.Count];

        public void Save(TrainerBase trainer)
        {
            var host = trainer._program.AccessHost(willWrite: false);
            new ReadOnlySpan<float>(host.Parameters.Pointer, _parameters.Length).CopyTo(_parameters);
            new ReadOnlySpan<float>(host.State.Pointer, _state.Length).CopyTo(_state);
            trainer._batchesTracked.CopyTo(_batchesTracked, 0);
        }

        public void Restore(TrainerBase trainer)
        {
            var host = trainer._program.AccessHost(willWrite: true);
            _parameters.CopyTo(new Span<float>(host.Parameters.Pointer, _parameters.Length));
            _state.CopyTo(new Span<float>(host.State.Pointer, _state.Length));
            _batchesTracked.CopyTo(trainer._batchesTracked, 0);
        }
    }
}
