using System;
using System.Collections.Generic;
using SoftGen.Calibration;
using SoftGen.Data;
using SoftGen.Training;

namespace SoftGen.Ensembles;

/// <summary>
/// K trained trainers of one model class that predict together: the same predict and evaluate surface as one
/// trainer (<see cref="IClassifier"/>), with the members' probabilities averaged (<see cref="EnsembleAveraging"/>).
/// Its scratch buffers are made here, so predicting allocates nothing. Not thread-safe, like its members.
/// </summary>
public sealed class Ensemble<TTrainer> : IClassifier, IDisposable where TTrainer : TrainerBase
{
    private readonly TTrainer[] _members;
    private readonly bool _leaveMembersOpen;
    private readonly int _chunk;
    private readonly double[] _sum;   // [chunk, Classes]
    private readonly float[] _member; // [chunk, Classes]
    private readonly float[] _probabilities; // [chunk, Classes], for PredictClasses and Evaluate
    private bool _disposed;

    /// <param name="members">At least one trainer, all of the same model.</param>
    /// <param name="averaging">Arithmetic (the default) or geometric mean of the probabilities.</param>
    /// <param name="leaveMembersOpen">False: disposing the ensemble disposes the members.</param>
    public Ensemble(IEnumerable<TTrainer> members, EnsembleAveraging averaging = EnsembleAveraging.Arithmetic, bool leaveMembersOpen = false)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (averaging is not (EnsembleAveraging.Arithmetic or EnsembleAveraging.Geometric))
            throw new ArgumentOutOfRangeException(nameof(averaging), averaging, "Unknown averaging.");
        _members = new List<TTrainer>(members).ToArray();
        if (_members.Length == 0) throw new ArgumentException("An ensemble needs at least one member.", nameof(members));
        for (int k = 0; k < _members.Length; k++)
        {
            if (_members[k] is null) throw new ArgumentException($"Member {k} is null.", nameof(members));
            var model = _members[k].Model;
            if (!string.Equals(model.Name, _members[0].Model.Name, StringComparison.Ordinal) ||
                !string.Equals(model.DeclarationHash, _members[0].Model.DeclarationHash, StringComparison.Ordinal))
                throw new ArgumentException(
                    $"Member {k} is a {model.Name} ({model.DeclarationHash}) but member 0 is a {_members[0].Model.Name} ({_members[0].Model.DeclarationHash}); all members must be of one model.",
                    nameof(members));
        }
        Averaging = averaging;
        _leaveMembersOpen = leaveMembersOpen;
        _chunk = int.MaxValue;
        foreach (var m in _members) _chunk = Math.Min(_chunk, m.Options.BatchSize);
        _sum = new double[_chunk * Model.Classes];
        _member = new float[_chunk * Model.Classes];
        _probabilities = new float[_chunk * Model.Classes];
    }

    public IReadOnlyList<TTrainer> Members => _members;

    public EnsembleAveraging Averaging { get; }

    /// <inheritdoc/>
    public ModelInfo Model => _members[0].Model;

    /// <summary>Probabilities [count, Classes]: the members' probabilities (each at its <see cref="TrainerBase.PredictionTemperature"/>), averaged.</summary>
    public void PredictProbabilities(ReadOnlySpan<float> inputs, Span<float> probabilities, int count) =>
        Predict(inputs, probabilities, count, temperature: null);

    /// <summary>
    /// Probabilities [count, Classes] at an explicit temperature: arithmetic, the mean of the members' softmax(z_k / T)
    /// (the ensemble's distillation targets); geometric, softmax(mean_k z_k / T). The members' prediction temperatures are not used.
    /// </summary>
    public void PredictTempered(ReadOnlySpan<float> inputs, Span<float> probabilities, int count, float temperature)
    {
        Labels.CheckTemperature(temperature, nameof(temperature));
        Predict(inputs, probabilities, count, temperature);
    }

    /// <summary>The most probable class of each row under the averaged probabilities (the first, on a tie).</summary>
    public void PredictClasses(ReadOnlySpan<float> inputs, Span<int> classes, int count)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckInputs(inputs, count);
        if (classes.Length != count) throw new ArgumentException($"classes has {classes.Length} values; {count} rows need {count}.", nameof(classes));
        int width = Model.Classes, inputsPerRow = Model.Inputs;
        var p = _probabilities.AsSpan();
        for (int start = 0; start < count; start += _chunk)
        {
            int rows = Math.Min(_chunk, count - start);
            PredictChunk(inputs.Slice(start * inputsPerRow, rows * inputsPerRow), p[..(rows * width)], rows, null);
            for (int r = 0; r < rows; r++) classes[start + r] = Training.Metrics.ArgMax(p.Slice(r * width, width));
        }
    }

    /// <summary>Accuracy, NLL, KL and Brier score of the averaged probabilities, as <see cref="TrainerBase.Evaluate"/> defines them.</summary>
    public Evaluation Evaluate(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var model = Model;
        if (inputs.Length == 0 || inputs.Length % model.Inputs != 0)
            throw new ArgumentException($"inputs has {inputs.Length} values; it needs one or more whole rows of {model.Inputs} inputs.", nameof(inputs));
        int count = inputs.Length / model.Inputs, width = model.Classes;
        InputValidator.CheckLength(targets.Length, count, width, nameof(targets), "rows (as many as inputs has)", nameof(targets));
        InputValidator.CheckFeatures(inputs, model.Inputs, 0, nameof(inputs));
        InputValidator.CheckTargets(targets, model, 0, nameof(targets));

        var metrics = new Training.Metrics();
        var p = _probabilities.AsSpan();
        for (int start = 0; start < count; start += _chunk)
        {
            int rows = Math.Min(_chunk, count - start);
            PredictChunk(inputs.Slice(start * model.Inputs, rows * model.Inputs), p[..(rows * width)], rows, null);
            for (int r = 0; r < rows; r++)
            {
                var y = targets.Slice((start + r) * width, width);
                if (model.TargetsAreDistributions) metrics.AddDistribution(p.Slice(r * width, width), y);
                else metrics.AddBernoulli(p.Slice(r * width, width), y);
            }
        }
        return metrics.Result(count, model.TargetsAreDistributions ? count : (double)count * width);
    }

    /// <summary>Disposes the members, unless the ensemble was made with leaveMembersOpen.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_leaveMembersOpen)
            foreach (var m in _members) m.Dispose();
    }

    private void Predict(ReadOnlySpan<float> inputs, Span<float> probabilities, int count, float? temperature)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckInputs(inputs, count);
        int width = Model.Classes, inputsPerRow = Model.Inputs;
        if (probabilities.Length != (long)count * width)
            throw new ArgumentException($"probabilities has {probabilities.Length} values, but {count} rows of {width} need {(long)count * width}.", nameof(probabilities));
        for (int start = 0; start < count; start += _chunk)
        {
            int rows = Math.Min(_chunk, count - start);
            PredictChunk(inputs.Slice(start * inputsPerRow, rows * inputsPerRow), probabilities.Slice(start * width, rows * width), rows, temperature);
        }
    }

    /// <summary>One chunk of at most the smallest member batch: each member predicts into _member, summed in _sum.</summary>
    private void PredictChunk(ReadOnlySpan<float> inputs, Span<float> destination, int rows, float? temperature)
    {
        int length = rows * Model.Classes;
        var sum = _sum.AsSpan(0, length);
        var member = _member.AsSpan(0, length);
        sum.Clear();
        bool geometric = Averaging == EnsembleAveraging.Geometric;
        foreach (var m in _members)
        {
            double scale = 1.0;
            if (!geometric) m.PredictTempered(inputs, member, rows, temperature ?? m.PredictionTemperature);
            else
            {
                m.PredictLogits(inputs, member, rows);
                if (temperature is null) scale = 1.0 / m.PredictionTemperature; // calibrated: mean of z_k / T_k
            }
            for (int k = 0; k < length; k++) sum[k] += member[k] * scale;
        }

        double mean = 1.0 / _members.Length;
        for (int k = 0; k < length; k++) destination[k] = (float)(sum[k] * mean);
        if (geometric)
        {
            // destination holds the mean of z_k / T_k, or of z_k when an explicit T is applied here.
            float applied = temperature ?? 1f;
            if (Model.TargetsAreDistributions) Tempered.Softmax(destination, Model.Classes, applied, destination);
            else Tempered.Sigmoid(destination, applied, destination);
        }
    }

    private void CheckInputs(ReadOnlySpan<float> inputs, int count)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "The row count cannot be negative.");
        InputValidator.CheckLength(inputs.Length, count, Model.Inputs, nameof(inputs), "rows", nameof(inputs));
    }
}
