using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using EndToEndModels;
using SoftGen.Cpu;
using SoftGen.Data;
using SoftGen.Tests.EndToEnd;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Training;

/// <summary>
/// The weights column of <see cref="Dataset"/> (its checks, and Select, Split, Shuffled, WithTargets carrying it), the
/// vote readers' totals (CSV text, <see cref="Labels.VotesToDistribution(ReadOnlySpan{float}, int, Span{float}, Span{float})"/>),
/// and Fit handing each batch's weights, as the rows were gathered or mixed, to the program.
/// </summary>
public sealed class DatasetWeightTests
{
    /// <summary>Six rows of two features; feature 0 is the row's number, the target a distribution over two classes.</summary>
    private static Dataset Numbered(float[]? weights = null, int rows = 6)
    {
        var features = new float[rows * 2];
        var targets = new float[rows * 2];
        for (int r = 0; r < rows; r++)
        {
            features[r * 2] = r;
            features[r * 2 + 1] = 1;
            targets[r * 2 + (r % 2)] = 1;
        }
        return new Dataset(features, targets, 2, 2, weights: weights);
    }

    [Fact]
    public void Select_Split_Shuffled_and_WithTargets_carry_the_weights_with_their_rows()
    {
        var weights = new[] { 0.5f, 1f, 0f, 4f, 2.5f, 3f };
        var data = Numbered(weights);
        Assert.True(data.HasWeights);
        Assert.Equal(weights, data.Weights.ToArray());

        // Each derived dataset's weight of a row is the weight of the row it came from (feature 0).
        void Carried(Dataset d, int count)
        {
            Assert.True(d.HasWeights);
            Assert.Equal(count, d.Weights.Length);
            for (int r = 0; r < d.Count; r++) Assert.Equal(weights[(int)d.FeatureRow(r)[0]], d.Weights[r]);
        }
        Carried(data.Select(new[] { 4, 2, 2, 0 }), 4);
        var (head, tail) = data.Split(2);
        Carried(head, 2);
        Carried(tail, 4);
        Carried(data.Select(new[] { 2 }), 1); // only a zero weight left: allowed in a selection
        var shuffled = data.Shuffled(seed: 11);
        Carried(shuffled, 6);
        Assert.NotEqual(Enumerable.Range(0, 6).Select(r => (float)r), Enumerable.Range(0, 6).Select(r => shuffled.FeatureRow(r)[0]));
        Carried(data.WithTargets(new float[12].Select((_, k) => k % 2 == 0 ? 0.25f : 0.75f).ToArray(), 2), 6);

        var without = data.WithWeights(null);
        Assert.False(without.HasWeights);
        Assert.True(without.Weights.IsEmpty);
        Assert.False(Numbered().HasWeights);
        Assert.True(Numbered().Select(new[] { 1 }).Weights.IsEmpty);
        Assert.Equal(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, without.WithWeights(new[] { 1f, 2f, 3f, 4f, 5f, 6f }).Weights.ToArray());
    }

    [Theory]
    [InlineData(new[] { 1f, 1f, -1f, 1f, 1f, 1f }, "row 2 is -1")]
    [InlineData(new[] { 1f, float.NaN, 1f, 1f, 1f, 1f }, "row 1 is NaN")]
    [InlineData(new[] { 0f, 0f, 0f, 0f, 0f, 0f }, "is 0")]
    [InlineData(new[] { 1f, 1f }, "2 values; one per row (6)")]
    public void Bad_weights_are_refused_with_the_row(float[] weights, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => Numbered(weights));
        Assert.Equal("weights", e.ParamName);
        Assert.Contains(message, e.Message);
        e = Assert.Throws<ArgumentException>(() => Numbered().WithWeights(weights));
        Assert.Contains(message, e.Message);
    }

    private const string VoteCsv =
        "id,a,b,seizure,lpd,other\n" +
        "1,0.5,1,3,1,0\n" +
        "2,1.5,0,0,0,12\n" +
        "3,2.5,2,1,1,1\n";

    [Fact]
    public void The_vote_reader_gives_each_rows_total_and_weights_by_it_when_asked()
    {
        var labels = CsvLabels.Votes("seizure", "lpd", "other");
        var format = new CsvFormat { Labels = labels, Ignore = new[] { "id" } };
        var data = CsvDataset.Read(new StringReader(VoteCsv), format);
        Assert.Equal(new[] { 4f, 12f, 3f }, data.VoteCounts.ToArray());
        Assert.False(data.HasWeights);
        Assert.Equal(new[] { 0.75f, 0.25f, 0f }, data.TargetRow(0).ToArray());

        var weighted = CsvDataset.Read(new StringReader(VoteCsv), format with { WeightByVotes = true });
        Assert.Equal(new[] { 4f, 12f, 3f }, weighted.Weights.ToArray());
        Assert.Equal(weighted.VoteCounts.ToArray(), weighted.Weights.ToArray());
        // The totals travel with their rows.
        Assert.Equal(new[] { 3f, 4f }, weighted.Select(new[] { 2, 0 }).VoteCounts.ToArray());
        Assert.Equal(new[] { 3f, 4f }, weighted.Select(new[] { 2, 0 }).Weights.ToArray());

        var probabilities = "a,p,q\n1,0.5,0.5\n";
        var e = Assert.Throws<ArgumentException>(() => CsvDataset.Read(new StringReader(probabilities),
            new CsvFormat { Labels = CsvLabels.Probabilities("p", "q"), WeightByVotes = true }));
        Assert.Contains("WeightByVotes", e.Message);
        Assert.Contains("CsvLabels.Votes", e.Message);
        Assert.True(CsvDataset.Read(new StringReader(probabilities), new CsvFormat { Labels = CsvLabels.Probabilities("p", "q") }).VoteCounts.IsEmpty);
    }

    [Fact]
    public void VotesToDistribution_writes_each_rows_total()
    {
        var votes = new[] { 3f, 1f, 0f, 0f, 0f, 12f, 1f, 1f, 1f };
        var distribution = new float[9];
        var totals = new float[3];
        Labels.VotesToDistribution(votes, 3, distribution, totals);
        Assert.Equal(new[] { 4f, 12f, 3f }, totals);
        Assert.Equal(Labels.VotesToDistribution(votes, 3), distribution);
        Assert.Throws<ArgumentException>(() => Labels.VotesToDistribution(votes, 3, distribution, new float[2]));
        Assert.Throws<ArgumentException>(() => Labels.VotesToDistribution(votes, 3, distribution, Span<float>.Empty));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Fit_hands_each_batch_its_rows_weights_gathered_or_mixed(bool mixup)
    {
        // Weight 1 + feature 0, so a mixed row's weight lambda (1 + a) + (1 - lambda) (1 + b) is 1 + its mixed feature 0.
        const int rows = 10;
        var x = new float[rows * 3];
        var y = new float[rows * 2];
        var w = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            x[r * 3] = r;
            y[r * 2 + r % 2] = 1;
            w[r] = 1 + r;
        }
        using var t = new RecordingTrainer(new TrainerOptions { BatchSize = 4, Seed = 5, ThreadCount = 1 });
        var data = new Dataset(x, y, 3, 2, weights: w);
        if (mixup) t.Fit(data, 2, new MixupOptions(1f));
        else t.Fit(data, 2);

        Assert.Equal(6, t.Batches.Count); // (4, 4, 2) x 2
        foreach (var (bx, bw) in t.Batches)
        {
            int n = bw!.Length;
            double sum = 0;
            for (int r = 0; r < n; r++) sum += 1 + bx[r * 3];
            for (int r = 0; r < n; r++)
            {
                double expected = (1 + bx[r * 3]) * n / sum; // normalised to mean 1
                Assert.Equal(expected, bw[r], 1e-5);
            }
        }
    }

    [Fact]
    public void Fit_skips_a_batch_whose_rows_all_weigh_zero()
    {
        var (x, y) = Data.Make(6);
        var w = new float[] { 0f, 0f, 0f, 2f, 0f, 0f };
        using var t = new RecordingTrainer(new TrainerOptions { BatchSize = 1, Seed = 5, ThreadCount = 1 });
        var reports = new List<EpochReport>();
        t.Fit(new Dataset(x, y, 3, 2, weights: w), 3, new Progress(reports));
        Assert.Equal(3, t.Batches.Count);
        Assert.All(t.Batches, b => Assert.Equal(x[9], b.X[0]));
        Assert.All(reports, r => Assert.Equal(1, r.Samples));
        Assert.Equal(3, t.Step);
    }

    [Fact]
    public void Fit_on_a_weighted_dataset_takes_the_weighted_step()
    {
        // One batch holds every row (in the shuffled order): the same step as TrainStep with the weights, up to the
        // order of the sums.
        var c = ModelCases.Numeric[nameof(KlMlp)];
        var rng = new Random(3);
        const int rows = 9;
        var x = TestData.Inputs(rng, rows, c.Reference.Inputs);
        var y = TestData.Targets(rng, c.Reference, rows);
        var w = new[] { 1f, 0f, 4f, 2f, 0.5f, 9f, 1f, 3f, 0.25f };
        var options = new TrainerOptions { Optimizer = Optimizer.Sgd(0.5f), BatchSize = rows, Seed = 8, ThreadCount = 1 };
        using var fitted = c.Create(options);
        using var stepped = c.Create(options);
        using var unweighted = c.Create(options);
        fitted.Fit(new Dataset(x, y, c.Reference.Inputs, c.Reference.Classes, weights: w), 1);
        stepped.TrainStep(x, y, rows, w);
        unweighted.TrainStep(x, y, rows);
        foreach (var p in c.Info.Parameters)
        {
            var a = new float[p.Length];
            var b = new float[p.Length];
            var u = new float[p.Length];
            fitted.GetParameter(p.Name, a);
            stepped.GetParameter(p.Name, b);
            unweighted.GetParameter(p.Name, u);
            Check.AllClose(a, b.Select(v => (double)v).ToArray(), 1e-5, 1e-6, 1e-9, $"{p.Name} after Fit");
            if (p.Name == "layers.2.weight") Assert.True(a.Zip(u).Max(q => Math.Abs(q.First - q.Second)) > 1e-3, "the weights made no difference");
        }
    }

    private sealed class Progress(List<EpochReport> reports) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => reports.Add(value);
    }

    /// <summary>Keeps every batch's inputs and normalised weights (null when unweighted); its gradient is 0.</summary>
    private sealed unsafe class RecordingTrainer(TrainerOptions options)
        : TrainerBase(LinearTrainer.MakeModel(), options, (model, o) => new Recorder(model, o))
    {
        public List<(float[] X, float[]? W)> Batches => ((Recorder)Program).Batches;

        private sealed class Recorder(ModelInfo model, TrainerOptions options) : CpuProgram(model, options)
        {
            public List<(float[] X, float[]? W)> Batches { get; } = new();

            public override float ComputeLossAndGradients(FloatBuffer inputs, FloatBuffer targets, FloatBuffer weights, int rows, long step)
            {
                Batches.Add((new ReadOnlySpan<float>((float*)inputs, rows * 3).ToArray(),
                    weights.IsNull ? null : new ReadOnlySpan<float>((float*)weights, rows).ToArray()));
                return 0.5f;
            }

            public override void ComputeProbabilities(FloatBuffer inputs, FloatBuffer probabilities, int rows) =>
                new Span<float>((float*)probabilities, rows * 2).Fill(0.5f);

            public override void ComputeLogits(FloatBuffer inputs, FloatBuffer logits, int rows) =>
                new Span<float>((float*)logits, rows * 2).Clear();
        }
    }
}
