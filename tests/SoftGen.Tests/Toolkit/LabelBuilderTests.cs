using System;
using SoftGen.Data;
using ToolkitModels;
using Xunit;

namespace SoftGen.Tests.Toolkit;

public sealed class LabelBuilderTests
{
    [Fact]
    public void One_hot_rows()
    {
        Assert.Equal(new float[] { 0, 1, 0, 0, 0, 1, 1, 0, 0 }, Labels.OneHot(new[] { 1, 2, 0 }, 3));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Labels.OneHot(new[] { 1, 3 }, 3));
        Assert.Contains("Row 1 has class 3", e.Message);
        Assert.Throws<ArgumentException>(() => Labels.OneHot(new[] { 1 }, 3, new float[2]));
    }

    [Fact]
    public void Smoothing_moves_epsilon_of_the_mass_to_the_uniform()
    {
        // e = 0.1 over 4 classes: 1 -> 0.9 + 0.025 = 0.925, 0 -> 0.025; a soft row (0.5, 0.5, 0, 0) -> (0.475, 0.475, 0.025, 0.025).
        var s = Labels.Smooth(new float[] { 0, 1, 0, 0, 0.5f, 0.5f, 0, 0 }, 4, 0.1f);
        var expected = new[] { 0.025, 0.925, 0.025, 0.025, 0.475, 0.475, 0.025, 0.025 };
        for (int k = 0; k < 8; k++) Assert.Equal(expected[k], s[k], 1e-7);
        Assert.Throws<ArgumentOutOfRangeException>(() => Labels.Smooth(new float[4], 4, 1f));
        Assert.Throws<ArgumentException>(() => Labels.Smooth(new float[5], 4, 0.1f));
    }

    [Fact]
    public void Votes_become_a_distribution_per_row()
    {
        // The expert-vote case: [5, 4, 1, 0, 0, 0] -> [0.5, 0.4, 0.1, 0, 0, 0].
        var d = Labels.VotesToDistribution(new float[] { 5, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 3 }, 6);
        Assert.Equal(new[] { 0.5f, 0.4f, 0.1f, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, d);
        var e = Assert.Throws<ArgumentException>(() => Labels.VotesToDistribution(new float[] { 1, 1, 0, 0 }, 2));
        Assert.Contains("Vote row 1 has no votes", e.Message);
        e = Assert.Throws<ArgumentException>(() => Labels.VotesToDistribution(new float[] { 1, -1 }, 2));
        Assert.Contains("Vote row 0, class 1 is -1", e.Message);
    }

    [Fact]
    public void Mix_is_a_convex_combination()
    {
        var m = new float[3];
        Labels.Mix(new float[] { 1, 0, 0 }, new float[] { 0, 0, 1 }, 0.75f, m);
        Assert.Equal(new[] { 0.75f, 0, 0.25f }, m);
        Assert.Throws<ArgumentOutOfRangeException>(() => Labels.Mix(new float[1], new float[1], 1.5f, new float[1]));
    }

    [Fact]
    public void Targets_from_logits_are_a_tempered_softmax()
    {
        // z = (ln 1, ln 2, ln 5) * 2 at T = 2 -> softmax(ln 1, ln 2, ln 5) = (1, 2, 5) / 8.
        var z = new[] { 0f, 2 * (float)Math.Log(2), 2 * (float)Math.Log(5) };
        var t = new float[3];
        Labels.FromLogits(z, 3, 2f, t);
        Assert.Equal(0.125, t[0], 1e-6);
        Assert.Equal(0.25, t[1], 1e-6);
        Assert.Equal(0.625, t[2], 1e-6);
        // Huge logits stay finite: (1e4, 1e4 - 4 ln 3) at T = 4 -> (3/4, 1/4).
        Labels.FromLogits(new[] { 1e4f, 1e4f - 4 * (float)Math.Log(3) }, 2, 4f, t.AsSpan(0, 2));
        Assert.Equal(0.75, t[0], 1e-3);
        Assert.Equal(0.25, t[1], 1e-3);
        Assert.Throws<ArgumentOutOfRangeException>(() => Labels.FromLogits(z, 3, 0f, t));
    }

    [Fact]
    public void Distill_uses_the_teachers_logits_at_the_temperature()
    {
        var (x, _) = ToolkitData.Blobs(20, seed: 4);
        using var teacher = BlobMlp.CreateTrainer(new TrainerOptions { BatchSize = 8, Seed = 9, ThreadCount = 1 });
        teacher.PredictionTemperature = 0.5f; // distillation ignores the prediction temperature
        var logits = new float[60];
        teacher.PredictLogits(x, logits, 20);
        var targets = Labels.Distill(teacher, x, 4f);
        var expected = ToolkitData.Softmax(logits, 3, 4);
        for (int k = 0; k < 60; k++) Assert.Equal(expected[k], targets[k], 1e-6);

        var data = new Dataset(x, Labels.OneHot(new int[20], 3), 4, 3);
        var distilled = data.WithDistillationTargets(teacher, 4f);
        Assert.Equal(targets, distilled.Targets.ToArray());
        Assert.Equal(data.Features.ToArray(), distilled.Features.ToArray());
    }
}
