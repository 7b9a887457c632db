using System;
using System.Linq;
using EndToEndModels;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Training;

/// <summary>
/// Issue 15's case: an MLP trained normally meets one batch with a feature of 1e30 (finite, so the input check lets it
/// through). The step is accepted on every configuration (its loss, about 1e27, is finite). Without clipping, SGD's
/// weights jump to about 1e26 and every later step is refused because the loss is NaN; Adam's weights stay finite,
/// but exp_avg_sq overflows to infinity for the weights that the huge gradient reached, so they never move
/// again. With ClipGradientNorm = 1 the update is scaled down by about 1e-28: the weights stay small and finite and
/// every later step trains.
/// </summary>
public sealed class HugeFeatureTests
{
    private const int Rows = 32, Inputs = 64, Classes = 10, NormalSteps = 30, LaterSteps = 5;

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    public void Clipping_keeps_the_trainer_usable_after_a_feature_of_1e30(string name)
    {
        Optimizer optimizer = name == "sgd" ? Optimizer.Sgd(0.1f) : Optimizer.Adam(1e-3f);
        var options = new TrainerOptions { Optimizer = optimizer, BatchSize = Rows, Seed = 1, ThreadCount = 1 };
        using var plain = WideMlp.CreateTrainer(options);
        using var clipped = WideMlp.CreateTrainer(options with { ClipGradientNorm = 1f });
        var (x, y) = Gpu.GpuAgreementTests.Batch(plain.Model, new Random(3), Rows * (NormalSteps + 1 + LaterSteps));
        var bad = Batch(x, NormalSteps, Inputs).ToArray();
        bad[5] = 1e30f; // row 0, feature 5

        foreach (var t in new TrainerBase[] { plain, clipped })
        {
            for (int s = 0; s < NormalSteps; s++) t.TrainStep(Batch(x, s, Inputs), Batch(y, s, Classes), Rows);
            float loss = t.TrainStep(bad, Batch(y, NormalSteps, Classes), Rows);
            Assert.True(float.IsFinite(loss) && loss > 1e20f, $"the 1e30 batch's loss is {loss}");
            Assert.True(t.GradientNorm > 1e20, $"the 1e30 batch's gradient norm is {t.GradientNorm}");
            Assert.True(AllFinite(t));
        }

        // Clipped: the weights stay where training had them, and training goes on.
        double before = clipped.Evaluate(x, y).Nll;
        Assert.True(MaxAbs(clipped) < 1f, $"largest weight {MaxAbs(clipped)}");
        var snapshot = Weights(clipped);
        for (int s = NormalSteps + 1; s <= NormalSteps + LaterSteps; s++)
            Assert.True(float.IsFinite(clipped.TrainStep(Batch(x, s, Inputs), Batch(y, s, Classes), Rows)));
        Assert.Equal(NormalSteps + 1 + LaterSteps, clipped.Step);
        Assert.True(AllFinite(clipped));
        Assert.Equal(0, Unchanged(snapshot, Weights(clipped)));
        double after = clipped.Evaluate(x, y).Nll;
        Assert.True(double.IsFinite(after) && after < before + 0.1, $"loss on normal data {before} before the later steps, {after} after");

        // Without clipping.
        snapshot = Weights(plain);
        if (name == "sgd")
        {
            Assert.True(MaxAbs(plain) > 1e20f, $"largest weight {MaxAbs(plain)}");
            for (int s = NormalSteps + 1; s <= NormalSteps + LaterSteps; s++)
            {
                int step = s;
                var e = Assert.Throws<InvalidOperationException>(() => plain.TrainStep(Batch(x, step, Inputs), Batch(y, step, Classes), Rows));
                Assert.Contains($"The loss became NaN at step {NormalSteps + 2}", e.Message);
            }
            Assert.Equal(NormalSteps + 1, plain.Step);
            Assert.True(double.IsNaN(plain.Evaluate(x, y).Nll));
        }
        else
        {
            for (int s = NormalSteps + 1; s <= NormalSteps + LaterSteps; s++)
                Assert.True(float.IsFinite(plain.TrainStep(Batch(x, s, Inputs), Batch(y, s, Classes), Rows)));
            Assert.True(AllFinite(plain));
            int frozen = Unchanged(snapshot, Weights(plain));
            Assert.True(frozen > 100, $"{frozen} weights did not move in {LaterSteps} steps");
        }
    }

    private static ReadOnlySpan<float> Batch(float[] values, int batch, int width) => values.AsSpan(batch * Rows * width, Rows * width);

    private static float[] Weights(TrainerBase t) =>
        t.Model.Parameters.SelectMany(p => GradientClippingTests.Read(t.GetParameter, p)).ToArray();

    private static bool AllFinite(TrainerBase t) => Weights(t).All(float.IsFinite);

    private static float MaxAbs(TrainerBase t) => Weights(t).Max(MathF.Abs);

    private static int Unchanged(float[] before, float[] after) => Enumerable.Range(0, before.Length).Count(k => before[k] == after[k]);
}
