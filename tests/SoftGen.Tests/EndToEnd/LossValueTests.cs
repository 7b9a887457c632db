using System;
using SoftGen.Training;
using EndToEndModels;
using Xunit;

namespace SoftGen.Tests.EndToEnd;

/// <summary>
/// Each loss on cases worked out by hand, through one-layer linear models whose weight is 0, so that the logits are
/// the bias. Expected values are literal arithmetic here, not the reference code. The gradient of the bias is
/// dLoss/dLogits averaged over the rows, and the weight's is that times the input.
/// </summary>
public sealed class LossValueTests
{
    private static readonly float[] Input = { 0.25f, -2f };

    internal static T Linear<T>(Func<TrainerOptions, T> create, float[] logits, int batch = 4) where T : TrainerBase
    {
        var t = create(new TrainerOptions { Optimizer = Optimizer.Sgd(1e-3f), BatchSize = batch, Seed = 1, ThreadCount = 1 });
        t.SetParameter("layers.0.weight", new float[logits.Length * t.Model.Inputs]);
        t.SetParameter("layers.0.bias", logits);
        return t;
    }

    internal static float[] Rows(float[] row, int count)
    {
        var result = new float[row.Length * count];
        for (int r = 0; r < count; r++) row.CopyTo(result, r * row.Length);
        return result;
    }

    /// <summary>Runs one step on one row (Input), checks the loss and the bias and weight gradients.</summary>
    private static void AssertStep(TrainerBase t, float[] target, double expectedLoss, double[] expectedBiasGradient)
    {
        float loss = t.TrainStep(Input, target, 1);
        Check.Close(expectedLoss, loss, 2e-6, 5e-7, "loss");
        int classes = t.Model.Classes;
        var db = new float[classes];
        t.GetGradient("layers.0.bias", db);
        Check.AllClose(db, expectedBiasGradient, 1e-5, 0, 1e-7, "bias gradient");
        var dw = new float[classes * 2];
        t.GetGradient("layers.0.weight", dw);
        var expectedDw = new double[classes * 2];
        for (int o = 0; o < classes; o++)
            for (int j = 0; j < 2; j++) expectedDw[o * 2 + j] = expectedBiasGradient[o] * Input[j];
        Check.AllClose(dw, expectedDw, 1e-5, 0, 1e-7, "weight gradient");
    }

    [Fact]
    public void Cross_entropy_of_equal_logits_against_a_one_hot_target_is_ln_2()
    {
        using var t = Linear(LinearCe2.CreateTrainer, new[] { 0f, 0f });
        var p = new float[2];
        t.PredictProbabilities(Input, p, 1);
        Assert.Equal(new[] { 0.5f, 0.5f }, p);
        // -ln(1/2); d/dz = p - y = [0.5 - 1, 0.5 - 0].
        AssertStep(t, new[] { 1f, 0f }, 0.6931471805599453, new[] { -0.5, 0.5 });
    }

    [Fact]
    public void Cross_entropy_is_the_mean_over_the_batch()
    {
        // Logits [ln 3, 0]: p = [3/4, 1/4]. Row 0 wants class 0: -ln 0.75; row 1 class 1: -ln 0.25.
        using var t = Linear(LinearCe2.CreateTrainer, new[] { (float)Math.Log(3), 0f });
        float loss = t.TrainStep(Rows(Input, 2), new[] { 1f, 0f, 0f, 1f }, 2);
        Check.Close((0.2876820724517809 + 1.3862943611198906) / 2, loss, 2e-6, 1e-7, "mean cross-entropy");
        var db = new float[2];
        t.GetGradient("layers.0.bias", db);
        // ([0.75 - 1, 0.25] + [0.75, 0.25 - 1]) / 2
        Check.AllClose(db, new[] { 0.25, -0.25 }, 1e-5, 0, 1e-7, "bias gradient");
    }

    [Fact]
    public void Label_smoothing_mixes_the_uniform_distribution_into_the_target()
    {
        // e = 0.1, C = 2: y' = 0.9 [1, 0] + 0.05 = [0.95, 0.05]; logits [ln 3, 0] give p = [0.75, 0.25].
        using var t = Linear(LinearSmooth2.CreateTrainer, new[] { (float)Math.Log(3), 0f });
        double expected = -(0.95 * Math.Log(0.75) + 0.05 * Math.Log(0.25)); // 0.34261268688518...
        AssertStep(t, new[] { 1f, 0f }, expected, new[] { 0.75 - 0.95, 0.25 - 0.05 });
    }

    [Fact]
    public void Temperature_divides_the_logits_and_scales_the_loss_by_its_square()
    {
        // T = 2, logits [2 ln 3, 0]: softmax(z / T) = [0.75, 0.25]; loss = T^2 (-ln 0.75) = 4 * 0.28768...
        // dLoss/dz = T^2 (1 / T) (q - y) = 2 [0.75 - 1, 0.25].
        using var t = Linear(LinearTemp2.CreateTrainer, new[] { (float)(2 * Math.Log(3)), 0f });
        var p = new float[2];
        t.PredictProbabilities(Input, p, 1);
        // Predictions use T = 1: softmax([2 ln 3, 0]) = [9, 1] / 10.
        Check.AllClose(p, new[] { 0.9, 0.1 }, 1e-6, 0, 1e-7, "probabilities at T = 1");
        AssertStep(t, new[] { 1f, 0f }, 4 * -Math.Log(0.75), new[] { 2 * (0.75 - 1), 2 * 0.25 });
    }

    [Fact]
    public void Temperature_applies_to_soft_targets_as_given()
    {
        // T = 2, logits [0, 0]: q = [0.5, 0.5]; target [0.8, 0.2]: loss = 4 * -(0.8 ln 0.5 + 0.2 ln 0.5) = 4 ln 2.
        using var t = Linear(LinearTemp2.CreateTrainer, new[] { 0f, 0f });
        AssertStep(t, new[] { 0.8f, 0.2f }, 4 * 0.6931471805599453, new[] { 2 * (0.5 - 0.8), 2 * (0.5 - 0.2) });
    }

    [Fact]
    public void KL_skips_zero_targets()
    {
        // Logits [0, 0, ln 2]: p = [1/4, 1/4, 1/2]. Target [0.5, 0.5, 0]:
        // KL = 0.5 ln(0.5 / 0.25) + 0.5 ln(0.5 / 0.25) + 0 (0 log 0 = 0) = ln 2.
        using var t = Linear(LinearKl3.CreateTrainer, new[] { 0f, 0f, (float)Math.Log(2) });
        var p = new float[3];
        t.PredictProbabilities(Input, p, 1);
        Check.AllClose(p, new[] { 0.25, 0.25, 0.5 }, 1e-6, 0, 1e-7, "probabilities");
        AssertStep(t, new[] { 0.5f, 0.5f, 0f }, 0.6931471805599453, new[] { 0.25 - 0.5, 0.25 - 0.5, 0.5 - 0 });
    }

    [Fact]
    public void KL_of_a_prediction_equal_to_its_target_is_zero()
    {
        using var t = Linear(LinearKl3.CreateTrainer, new[] { 0f, 0f, (float)Math.Log(2) });
        AssertStep(t, new[] { 0.25f, 0.25f, 0.5f }, 0.0, new[] { 0.0, 0.0, 0.0 });
    }

    [Fact]
    public void KL_is_the_batch_mean()
    {
        // Logits [ln 2, 0, 0]: p = [0.5, 0.25, 0.25]. Row 0 target [1, 0, 0]: ln(1 / 0.5) = ln 2.
        // Row 1 target [0, 0.5, 0.5]: 2 * 0.5 ln(0.5 / 0.25) = ln 2. Row 2 target = p: 0. Mean: 2 ln 2 / 3.
        using var t = Linear(LinearKl3.CreateTrainer, new[] { (float)Math.Log(2), 0f, 0f });
        float loss = t.TrainStep(Rows(Input, 3), new[] { 1f, 0f, 0f, 0f, 0.5f, 0.5f, 0.5f, 0.25f, 0.25f }, 3);
        Check.Close(2 * 0.6931471805599453 / 3, loss, 2e-6, 1e-7, "KL batch mean");
        var db = new float[3];
        t.GetGradient("layers.0.bias", db);
        // ([0.5 - 1, 0.25, 0.25] + [0.5, 0.25 - 0.5, 0.25 - 0.5] + 0) / 3
        Check.AllClose(db, new[] { 0.0, 0.0, 0.0 }, 1e-5, 0, 1e-7, "bias gradient");
    }

    [Fact]
    public void Sigmoid_cross_entropy_of_a_zero_logit_is_ln_2_for_any_target()
    {
        using var t = Linear(LinearBce2.CreateTrainer, new[] { 0f, 0f });
        var p = new float[2];
        t.PredictProbabilities(Input, p, 1);
        Assert.Equal(new[] { 0.5f, 0.5f }, p);
        // max(0, 0) - 0 y + ln(1 + e^0) = ln 2 for each element; d/dz = (sigmoid(0) - y) / (rows * classes).
        AssertStep(t, new[] { 0.3f, 0.3f }, 0.6931471805599453, new[] { (0.5 - 0.3) / 2, (0.5 - 0.3) / 2 });
    }

    [Fact]
    public void Sigmoid_cross_entropy_is_the_mean_over_every_element()
    {
        // z = [0, ln 3], y = [0.3, 1]: element 0 is ln 2; element 1 is ln 3 - ln 3 + ln(1 + 1/3) = ln(4/3).
        // Mean over 2 elements. sigmoid(ln 3) = 0.75.
        using var t = Linear(LinearBce2.CreateTrainer, new[] { 0f, (float)Math.Log(3) });
        var p = new float[2];
        t.PredictProbabilities(Input, p, 1);
        Check.AllClose(p, new[] { 0.5, 0.75 }, 1e-6, 0, 1e-7, "probabilities");
        AssertStep(t, new[] { 0.3f, 1f }, (0.6931471805599453 + Math.Log(4.0 / 3.0)) / 2, new[] { (0.5 - 0.3) / 2, (0.75 - 1) / 2 });
    }

    [Fact]
    public void Sigmoid_cross_entropy_averages_over_rows_and_classes()
    {
        // Two rows, logits [0, 0]: every element is ln 2. Targets [0, 1] and [1, 0.5]:
        // d/dz_c = sum_r (0.5 - y_rc) / (2 * 2) = [(0.5 + -0.5) / 4, (-0.5 + 0) / 4].
        using var t = Linear(LinearBce2.CreateTrainer, new[] { 0f, 0f });
        float loss = t.TrainStep(Rows(Input, 2), new[] { 0f, 1f, 1f, 0.5f }, 2);
        Check.Close(0.6931471805599453, loss, 2e-6, 1e-7, "BCE mean");
        var db = new float[2];
        t.GetGradient("layers.0.bias", db);
        Check.AllClose(db, new[] { 0.0, -0.125 }, 1e-5, 0, 1e-7, "bias gradient");
    }

    [Fact]
    public void Training_moves_the_bias_by_minus_lr_times_its_gradient()
    {
        // One plain SGD step (lr 1e-3) from the ln 2 case: b = 0 - 1e-3 [-0.5, 0.5].
        using var t = Linear(LinearCe2.CreateTrainer, new[] { 0f, 0f });
        t.TrainStep(Input, new[] { 1f, 0f }, 1);
        var b = new float[2];
        t.GetParameter("layers.0.bias", b);
        Check.AllClose(b, new[] { 0.5e-3, -0.5e-3 }, 1e-6, 0, 1e-10, "bias after one step");
        var w = new float[4];
        t.GetParameter("layers.0.weight", w);
        Check.AllClose(w, new[] { 0.5e-3 * 0.25, 0.5e-3 * -2, -0.5e-3 * 0.25, -0.5e-3 * -2 }, 1e-6, 0, 1e-10, "weight after one step");
    }
}
