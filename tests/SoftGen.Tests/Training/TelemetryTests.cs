using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using SoftGen;
using SoftGen.Tests.EndToEnd;
using SoftGen.Tests.ResidualNetworks;
using SoftGen.Training;
using Xunit;

// A model only these tests train, so that the measurements they read (tagged with its name) are theirs alone while
// other tests train in parallel.
namespace TelemetryModels
{
    [SoftModel(Inputs = 5)]
    [Dense(7, Activation.Relu)]
    [Dense(4)]
    [KLDivergence]
    public partial class MeterProbe;
}

namespace SoftGen.Tests.Training
{
    using TelemetryModels;

    /// <summary>The "SoftGen" meter, observed with a MeterListener as dotnet-counters would.</summary>
    public sealed class TelemetryTests
    {
        private sealed class Listener : IDisposable
        {
            private readonly MeterListener _listener = new();
            public readonly Dictionary<string, long> Totals = new();
            public readonly Dictionary<string, double> Last = new();

            public Listener()
            {
                _listener.InstrumentPublished = (instrument, l) =>
                {
                    if (instrument.Meter.Name == TrainingTelemetry.MeterName) l.EnableMeasurementEvents(instrument);
                };
                _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
                {
                    if (!Mine(tags)) return;
                    lock (Totals) Totals[instrument.Name] = Totals.GetValueOrDefault(instrument.Name) + value;
                });
                _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
                {
                    if (!Mine(tags)) return;
                    lock (Last) Last[instrument.Name] = value;
                });
                _listener.Start();
            }

            private static bool Mine(ReadOnlySpan<KeyValuePair<string, object?>> tags)
            {
                foreach (var tag in tags)
                    if (tag.Key == TrainingTelemetry.ModelTag && (string?)tag.Value == MeterProbe.Trainer.ModelInfo.Name) return true;
                return false;
            }

            public void Observe() => _listener.RecordObservableInstruments();

            public void Dispose() => _listener.Dispose();
        }

        [Fact]
        public void Counters_gauges_and_validation_figures_reach_a_listener()
        {
            using var listener = new Listener();
            var rng = new Random(3);
            var x = TestData.Inputs(rng, 30, 5);
            var y = ResidualCases.Targets(rng, 30, 4);
            var schedule = LearningRateSchedule.Cosine(100);
            using var t = MeterProbe.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.Adam(0.01f), Schedule = schedule, BatchSize = 8, Seed = 1 });

            float loss = t.TrainStep(x.AsSpan(0, 40), y.AsSpan(0, 32), 8);
            listener.Observe();
            Assert.Equal(8, listener.Totals["softgen.samples"]);
            Assert.Equal(1, listener.Totals["softgen.steps"]);
            Assert.Equal(loss, listener.Last["softgen.loss"]);
            Assert.Equal(t.LearningRate, listener.Last["softgen.learning_rate"]);
            Assert.False(listener.Last.ContainsKey("softgen.validation.kl")); // no validation yet: nothing reported

            var result = t.Fit(x, y, new FitOptions { Epochs = 2, ValidationInputs = x, ValidationTargets = y });
            listener.Observe();
            Assert.Equal(8 + 2 * 30, listener.Totals["softgen.samples"]);
            Assert.Equal(1 + 2 * 4, listener.Totals["softgen.steps"]);
            var last = result.History[^1];
            Assert.Equal(last.Validation!.Value.Kl, listener.Last["softgen.validation.kl"]);
            Assert.Equal(last.Validation.Value.Loss, listener.Last["softgen.validation.loss"]);
            Assert.Equal(last.Validation.Value.Accuracy, listener.Last["softgen.validation.accuracy"]);
            Assert.Equal(last.Validation.Value.Ece, listener.Last["softgen.validation.ece"]);
            Assert.Equal(last.SamplesPerSecond, listener.Last["softgen.samples_per_second"]);
            Assert.Equal(2, listener.Last["softgen.epoch"]);
            Assert.Equal(t.LearningRate, listener.Last["softgen.learning_rate"]);

            // A disposed trainer's gauges stop reporting.
            t.Dispose();
            listener.Last.Clear();
            listener.Observe();
            Assert.Empty(listener.Last);
        }
    }
}
