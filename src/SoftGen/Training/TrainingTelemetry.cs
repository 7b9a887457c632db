using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Threading;

namespace SoftGen.Training;

/// <summary>
/// The "SoftGen" meter: what every live trainer is doing, for <c>dotnet-counters monitor --counters SoftGen</c>,
/// OpenTelemetry or a <see cref="MeterListener"/>. Each measurement is tagged "softgen.model" with the model's name.
/// </summary>
/// <remarks>
/// Counters: softgen.samples (rows trained) and softgen.steps (optimizer updates). Gauges, observed when a listener
/// asks: softgen.loss (the last step's), softgen.learning_rate (the next update's), softgen.gradient_norm (the last
/// step's total norm, when clipping measured it), softgen.samples_per_second and softgen.epoch (the last epoch's), and
/// softgen.validation.loss, .kl, .accuracy, .ece (the last epoch's validation scores). A trainer writes plain fields
/// on its own thread; gauges read them from the listener's, so a value may be one step old but is never torn.
/// </remarks>
public static class TrainingTelemetry
{
    /// <summary>The meter's name, "SoftGen".</summary>
    public const string MeterName = "SoftGen";

    /// <summary>The tag that names the model on every measurement.</summary>
    public const string ModelTag = "softgen.model";

    private static readonly Meter Meter = new(MeterName, ThisAssemblyVersion);
    private static readonly List<WeakReference<TrainerTelemetry>> Live = new();

    internal static readonly Counter<long> Samples = Meter.CreateCounter<long>("softgen.samples", "{sample}", "Rows trained on.");
    internal static readonly Counter<long> Steps = Meter.CreateCounter<long>("softgen.steps", "{step}", "Optimizer updates.");

    static TrainingTelemetry()
    {
        Gauge("softgen.loss", null, "The last training step's mean loss.", t => t.Loss);
        Gauge("softgen.learning_rate", null, "The learning rate of the next update.", t => t.LearningRate);
        Gauge("softgen.gradient_norm", null, "The last step's total gradient norm before clipping (measured when clipping is on).", t => t.GradientNorm);
        Gauge("softgen.samples_per_second", "{sample}/s", "The last epoch's training throughput.", t => t.SamplesPerSecond);
        Gauge("softgen.epoch", "{epoch}", "The last finished epoch of the current Fit.", t => t.Epoch);
        Gauge("softgen.validation.loss", null, "The last epoch's validation cross-entropy.", t => t.ValidationLoss);
        Gauge("softgen.validation.kl", null, "The last epoch's validation KL divergence.", t => t.ValidationKl);
        Gauge("softgen.validation.accuracy", null, "The last epoch's validation accuracy.", t => t.ValidationAccuracy);
        Gauge("softgen.validation.ece", null, "The last epoch's validation expected calibration error.", t => t.ValidationEce);
    }

    private static string? ThisAssemblyVersion => typeof(TrainingTelemetry).Assembly.GetName().Version?.ToString();

    private static void Gauge(string name, string? unit, string description, Func<TrainerTelemetry, double> read) =>
        Meter.CreateObservableGauge(name, () => Observe(read), unit, description);

    /// <summary>One measurement per live trainer that has a value (NaN means none yet).</summary>
    private static List<Measurement<double>> Observe(Func<TrainerTelemetry, double> read)
    {
        var measurements = new List<Measurement<double>>();
        lock (Live)
            for (int i = Live.Count - 1; i >= 0; i--)
            {
                if (!Live[i].TryGetTarget(out var t) || t.Closed)
                {
                    Live.RemoveAt(i);
                    continue;
                }
                double value = read(t);
                if (!double.IsNaN(value)) measurements.Add(new Measurement<double>(value, new KeyValuePair<string, object?>(ModelTag, t.Model)));
            }
        return measurements;
    }

    internal static TrainerTelemetry Register(string model, double learningRate)
    {
        var t = new TrainerTelemetry(model, learningRate);
        lock (Live) Live.Add(new WeakReference<TrainerTelemetry>(t));
        return t;
    }
}

/// <summary>One trainer's latest figures, written by the trainer and read by <see cref="TrainingTelemetry"/>'s gauges.</summary>
internal sealed class TrainerTelemetry(string model, double learningRate)
{
    private double _loss = double.NaN, _rate = learningRate, _norm = double.NaN, _throughput = double.NaN, _epoch = double.NaN;
    private double _validationLoss = double.NaN, _validationKl = double.NaN, _validationAccuracy = double.NaN, _validationEce = double.NaN;

    public string Model { get; } = model;
    public bool Closed { get; private set; }
    public double Loss => Volatile.Read(ref _loss);
    public double LearningRate => Volatile.Read(ref _rate);
    public double GradientNorm => Volatile.Read(ref _norm);
    public double SamplesPerSecond => Volatile.Read(ref _throughput);
    public double Epoch => Volatile.Read(ref _epoch);
    public double ValidationLoss => Volatile.Read(ref _validationLoss);
    public double ValidationKl => Volatile.Read(ref _validationKl);
    public double ValidationAccuracy => Volatile.Read(ref _validationAccuracy);
    public double ValidationEce => Volatile.Read(ref _validationEce);

    /// <summary>After an update: allocation-free (the counters do nothing without a listener).</summary>
    public void StepEnded(int rows, float loss, double nextRate)
    {
        Volatile.Write(ref _loss, loss);
        Volatile.Write(ref _rate, nextRate);
        var tag = new KeyValuePair<string, object?>(TrainingTelemetry.ModelTag, Model);
        if (TrainingTelemetry.Samples.Enabled) TrainingTelemetry.Samples.Add(rows, tag);
        if (TrainingTelemetry.Steps.Enabled) TrainingTelemetry.Steps.Add(1, tag);
    }

    public void GradientNormMeasured(double norm) => Volatile.Write(ref _norm, norm);

    public void EpochEnded(in EpochReport report)
    {
        Volatile.Write(ref _throughput, report.SamplesPerSecond);
        Volatile.Write(ref _epoch, report.Epoch);
        if (report.Validation is { } v)
        {
            Volatile.Write(ref _validationLoss, v.Loss);
            Volatile.Write(ref _validationKl, v.Kl);
            Volatile.Write(ref _validationAccuracy, v.Accuracy);
            Volatile.Write(ref _validationEce, v.Ece);
        }
    }

    /// <summary>The trainer was disposed: its gauges stop reporting.</summary>
    public void Close() => Closed = true;
}
