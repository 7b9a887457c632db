using System;
using SoftGen.Training;
using EndToEndModels;
using Xunit;

namespace SoftGen.Tests.EndToEnd;

/// <summary>
/// Logits of +-1e4 (exp of an unshifted logit overflows float at 88.7), ties, exact-zero targets against
/// probabilities that underflow to 0, confidently wrong predictions: the loss and every gradient stay finite and
/// right, probabilities stay distributions.
/// </summary>
public sealed class AdversarialTests
{
    private static readonly float[] Input = { 0.25f, -2f };

    private static (float Loss, float[] BiasGradient, float[] WeightGradient, float[] Probabilities) Step(TrainerBase t, float[] target)
    {
        int classes = t.Model.Classes;
        var p = new float[classes];
        t.PredictProbabilities(Input, p, 1);
        float loss = t.TrainStep(Input, target, 1);
        var db = new float[classes];
        t.GetGradient("layers.0.bias", db);
        var dw = new float[classes * 2];
        t.GetGradient("layers.0.weight", dw);
        Assert.True(float.IsFinite(loss), $"loss is {loss}");
        Check.AllFinite(db, "bias gradient");
        Check.AllFinite(dw, "weight gradient");
        Check.AllFinite(p, "probabilities");
        return (loss, db, dw, p);
    }

    private static void AssertDistribution(float[] p)
    {
        double sum = 0;
        foreach (var v in p)
        {
            Assert.InRange(v, 0f, 1f);
            sum += v;
        }
        Assert.Equal(1.0, sum, 1e-6);
    }

    [Fact]
    public void Cross_entropy_with_a_confidently_wrong_logit_of_1e4()
    {
        using var t = LossValueTests.Linear(LinearCe2.CreateTrainer, new[] { 1e4f, -1e4f });
        // log softmax = [0, -2e4]: the target class 1 costs 2e4. d/dz = p - y = [1, -1].
        var (loss, db, _, p) = Step(t, new[] { 0f, 1f });
        Check.Close(2e4, loss, 1e-6, 0, "loss");
        Check.AllClose(db, new[] { 1.0, -1.0 }, 1e-6, 0, 1e-7, "bias gradient");
        Assert.Equal(new[] { 1f, 0f }, p);
        AssertDistribution(p);
    }

    [Fact]
    public void Cross_entropy_with_a_confidently_right_logit_of_1e4()
    {
        using var t = LossValueTests.Linear(LinearCe2.CreateTrainer, new[] { 1e4f, -1e4f });
        var (loss, db, _, _) = Step(t, new[] { 1f, 0f });
        Check.Close(0, loss, 0, 1e-6, "loss");
        Check.AllClose(db, new[] { 0.0, 0.0 }, 0, 0, 1e-7, "bias gradient");
    }

    [Fact]
    public void Cross_entropy_with_equal_huge_logits_is_ln_2()
    {
        // Both logits 1e4: exp(1e4) overflows unless the max is subtracted first.
        using var t = LossValueTests.Linear(LinearCe2.CreateTrainer, new[] { 1e4f, 1e4f });
        var (loss, db, _, p) = Step(t, new[] { 0.3f, 0.7f });
        Check.Close(0.6931471805599453, loss, 1e-6, 0, "loss");
        Check.AllClose(db, new[] { 0.5 - 0.3, 0.5 - 0.7 }, 1e-5, 0, 1e-7, "bias gradient");
        Check.AllClose(p, new[] { 0.5, 0.5 }, 0, 0, 1e-7, "probabilities");
    }

    [Fact]
    public void Label_smoothed_cross_entropy_with_logits_of_1e4()
    {
        // y' = [0.95, 0.05] against log softmax [0, -2e4]: loss = 0.05 * 2e4 = 1000 (0.95 * 0 for the first class).
        using var t = LossValueTests.Linear(LinearSmooth2.CreateTrainer, new[] { 1e4f, -1e4f });
        var (loss, db, _, _) = Step(t, new[] { 1f, 0f });
        Check.Close(1000, loss, 1e-5, 0, "loss");
        Check.AllClose(db, new[] { 1 - 0.95, 0 - 0.05 }, 1e-4, 0, 1e-7, "bias gradient");
    }

    [Fact]
    public void Temperature_cross_entropy_with_logits_of_1e4()
    {
        // T = 2: z / T = [5000, -5000]; target [0, 1]: T^2 * 1e4 = 4e4; d/dz = T (q - y) = [2, -2].
        using var t = LossValueTests.Linear(LinearTemp2.CreateTrainer, new[] { 1e4f, -1e4f });
        var (loss, db, _, _) = Step(t, new[] { 0f, 1f });
        Check.Close(4e4, loss, 1e-6, 0, "loss");
        Check.AllClose(db, new[] { 2.0, -2.0 }, 1e-6, 0, 1e-7, "bias gradient");
    }

    [Fact]
    public void KL_with_a_zero_target_on_an_underflowed_probability_is_zero()
    {
        // Logits [1e4, -1e4, 0]: p = [1, 0, 0] in float (exp(-1e4) underflows). Target [1, 0, 0]:
        // KL = 1 ln(1 / 1) + 0 log 0 + 0 log 0 = 0, not NaN.
        using var t = LossValueTests.Linear(LinearKl3.CreateTrainer, new[] { 1e4f, -1e4f, 0f });
        var (loss, db, _, p) = Step(t, new[] { 1f, 0f, 0f });
        Check.Close(0, loss, 0, 1e-6, "loss");
        Check.AllClose(db, new[] { 0.0, 0.0, 0.0 }, 0, 0, 1e-7, "bias gradient");
        AssertDistribution(p);
    }

    [Fact]
    public void KL_against_targets_the_model_rules_out()
    {
        // log softmax([1e4, -1e4, 0]) = [0, -2e4, -1e4]. Target [0, 0.5, 0.5]:
        // KL = 0.5 (ln 0.5 + 2e4) + 0.5 (ln 0.5 + 1e4) = 15000 + ln 0.5. d/dz = p - y = [1, -0.5, -0.5].
        using var t = LossValueTests.Linear(LinearKl3.CreateTrainer, new[] { 1e4f, -1e4f, 0f });
        var (loss, db, _, _) = Step(t, new[] { 0f, 0.5f, 0.5f });
        Check.Close(15000 + Math.Log(0.5), loss, 1e-6, 0, "loss");
        Check.AllClose(db, new[] { 1.0, -0.5, -0.5 }, 1e-6, 0, 1e-7, "bias gradient");
    }

    [Fact]
    public void KL_of_all_equal_logits()
    {
        // p = [1/3, 1/3, 1/3]; target [0.2, 0.3, 0.5]: KL = sum y ln y + ln 3.
        using var t = LossValueTests.Linear(LinearKl3.CreateTrainer, new[] { -3f, -3f, -3f });
        var (loss, db, _, p) = Step(t, new[] { 0.2f, 0.3f, 0.5f });
        Check.Close(0.2 * Math.Log(0.2) + 0.3 * Math.Log(0.3) + 0.5 * Math.Log(0.5) + Math.Log(3), loss, 1e-5, 2e-7, "loss");
        Check.AllClose(db, new[] { 1 / 3.0 - 0.2, 1 / 3.0 - 0.3, 1 / 3.0 - 0.5 }, 1e-5, 0, 1e-7, "bias gradient");
        Check.AllClose(p, new[] { 1 / 3.0, 1 / 3.0, 1 / 3.0 }, 1e-6, 0, 0, "probabilities");
    }

    [Fact]
    public void Sigmoid_cross_entropy_with_logits_of_1e4()
    {
        // z = 1e4, y = 0.3: 1e4 - 0.3e4 + ln(1 + e^-1e4) = 7000. z = -1e4, y = 1: 0 + 1e4 + 0 = 1e4. Mean 8500.
        // d/dz = (sigmoid(z) - y) / 2 = [(1 - 0.3) / 2, (0 - 1) / 2].
        using var t = LossValueTests.Linear(LinearBce2.CreateTrainer, new[] { 1e4f, -1e4f });
        var (loss, db, _, p) = Step(t, new[] { 0.3f, 1f });
        Check.Close(8500, loss, 1e-6, 0, "loss");
        Check.AllClose(db, new[] { 0.35, -0.5 }, 1e-5, 0, 1e-7, "bias gradient");
        Assert.Equal(new[] { 1f, 0f }, p);
    }

    [Fact]
    public void Sigmoid_cross_entropy_confidently_right()
    {
        using var t = LossValueTests.Linear(LinearBce2.CreateTrainer, new[] { 1e4f, -1e4f });
        var (loss, db, _, _) = Step(t, new[] { 1f, 0f });
        Check.Close(0, loss, 0, 1e-6, "loss");
        Check.AllClose(db, new[] { 0.0, 0.0 }, 0, 0, 1e-7, "bias gradient");
    }

    /// <summary>
    /// Every test network with inputs scaled to +-1500: hidden units saturate (tanh, sigmoid, GELU's tails) and the
    /// logits reach the thousands. Loss and gradients finite and as the reference says, probabilities distributions.
    /// </summary>
    [Theory]
    [MemberData(nameof(ModelCases.NumericNames), MemberType = typeof(ModelCases))]
    public void Huge_inputs_through_every_network(string name)
    {
        var c = ModelCases.Numeric[name];
        var m = c.Reference;
        var rng = new Random(TestData.Seed(name, 21));
        const int rows = 8;
        using var t = c.Create(new TrainerOptions { Optimizer = Optimizer.Sgd(1e-6f), BatchSize = rows, Seed = 6, ThreadCount = 1 });
        var x = TestData.Inputs(rng, rows, m.Inputs, scale: 1500);
        var y = TestData.Targets(rng, m, rows);
        var expected = Reference.Run(RefParameters.Read(m, t), x, y, rows);

        var p = new float[rows * m.Classes];
        t.PredictProbabilities(x, p, rows);
        Check.AllFinite(p, "probabilities");
        foreach (var v in p) Assert.InRange(v, 0f, 1f);
        if (m.Loss != RefLoss.SigmoidCrossEntropy)
            for (int r = 0; r < rows; r++)
            {
                double sum = 0;
                for (int k = 0; k < m.Classes; k++) sum += p[r * m.Classes + k];
                Assert.Equal(1.0, sum, 1e-5);
            }

        float loss = t.TrainStep(x, y, rows);
        Assert.True(float.IsFinite(loss), $"loss is {loss}");
        Check.Close(expected.Loss, loss, 1e-4, 1e-4, $"{name} loss");
        var g = TestData.Gradients(m, t);
        foreach (var tensor in m.ParameterNames)
        {
            var values = Array.ConvertAll(g[tensor], v => (float)v);
            Check.AllFinite(values, $"d loss / d {tensor}");
            // Compared with the reference only where the chain back to this layer crosses no saturating activation:
            // tanh' = 1 - a^2 and sigmoid' = a (1 - a) of a float a within an ulp or two of 1 are legitimately 0 or
            // coarse in float (PyTorch's float backward computes them the same way), while double still resolves them.
            var (layer, _) = RefModel.Parse(tensor);
            bool saturates = false;
            for (int i = layer; i < m.LayerCount - 1; i++)
                saturates |= m.Layers[i].Activation is Activation.Tanh or Activation.Sigmoid;
            if (!saturates)
                Check.AllClose(values, expected.Gradients[tensor], 1e-3, 1e-4, 1e-9, $"{name} d loss / d {tensor}");
        }
    }

    [Fact]
    public void An_infinite_loss_throws_and_keeps_the_last_good_weights()
    {
        // Logits +-3e38: their difference overflows float, log softmax of the target class is -inf, the loss +inf.
        using var t = LossValueTests.Linear(LinearCe2.CreateTrainer, new[] { 3e38f, -3e38f });
        var before = TestData.Snapshot(t);
        Assert.Throws<InvalidOperationException>(() => t.TrainStep(Input, new[] { 0f, 1f }, 1));
        Check.BitEqual(before, TestData.Snapshot(t), "parameters after the infinite loss");
        Assert.Equal(0, t.Step);

        // Fit stops the same way, with the weights of the last good step (here: none taken).
        Assert.Throws<InvalidOperationException>(() => t.Fit(LossValueTests.Rows(Input, 3), new[] { 0f, 1f, 0f, 1f, 0f, 1f }, 1));
        Check.BitEqual(before, TestData.Snapshot(t), "parameters after Fit met the infinite loss");
    }

    [Fact]
    public void Zero_targets_ignore_even_an_infinitely_unlikely_class()
    {
        // The same logits against a target on the likely class: log p = [0, -inf], and 0 * -inf must count as 0.
        using var ce = LossValueTests.Linear(LinearCe2.CreateTrainer, new[] { 3e38f, -3e38f });
        var (loss, db, _, _) = Step(ce, new[] { 1f, 0f });
        Check.Close(0, loss, 0, 1e-6, "cross-entropy");
        Check.AllClose(db, new[] { 0.0, 0.0 }, 0, 0, 1e-7, "cross-entropy bias gradient");

        using var kl = LossValueTests.Linear(LinearKl3.CreateTrainer, new[] { 3e38f, -3e38f, -3e38f });
        (loss, db, _, _) = Step(kl, new[] { 1f, 0f, 0f });
        Check.Close(0, loss, 0, 1e-6, "KL");
        Check.AllClose(db, new[] { 0.0, 0.0, 0.0 }, 0, 0, 1e-7, "KL bias gradient");
    }

    [Fact]
    public void Zero_inputs_give_the_bias_only_forward()
    {
        // All-zero inputs: the first layer's weight gradient is exactly 0 (dW = dZ^T X).
        var c = ModelCases.Numeric[nameof(KlMlp)];
        using var t = c.Create(new TrainerOptions { Optimizer = Optimizer.Sgd(0.1f), BatchSize = 4, Seed = 8, ThreadCount = 1 });
        var rng = new Random(5);
        TestData.RandomizeBiases(t, c.Reference, rng);
        var y = TestData.Targets(rng, c.Reference, 4);
        float loss = t.TrainStep(new float[4 * 6], y, 4);
        Assert.True(float.IsFinite(loss));
        var dw = new float[9 * 6];
        t.GetGradient("layers.0.weight", dw);
        Assert.All(dw, v => Assert.Equal(0f, v));
    }
}
