using System;
using SoftGen.Cpu;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Training;

public sealed class ParameterAccessTests
{
    private static LinearTrainer Make() => new(Data.Options(Optimizer.Sgd(0.1f)));

    [Fact]
    public void SetParameter_writes_PyTorch_layout_into_the_transposed_storage()
    {
        using var t = Make();
        float[] w = { 1, 2, 3, 4, 5, 6 }; // [[1, 2, 3], [4, 5, 6]]: [out = 2, in = 3]
        t.SetParameter("layers.0.weight", w);
        t.SetParameter("layers.0.bias", new float[] { 7, 8 });

        for (int o = 0; o < 2; o++)
            for (int i = 0; i < 3; i++)
                Assert.Equal(w[o * 3 + i], t.StorageAt(i * 16 + o));
        Assert.Equal(7f, t.StorageAt(48));
        Assert.Equal(8f, t.StorageAt(49));

        var back = new float[6];
        t.GetParameter("layers.0.weight", back);
        Assert.Equal(w, back);
        var bias = new float[2];
        t.GetParameter("layers.0.bias", bias);
        Assert.Equal(new float[] { 7, 8 }, bias);
        AssertPaddingIsZero(t);
    }

    [Fact]
    public void GetGradient_reads_the_last_gradient_in_PyTorch_layout()
    {
        using var t = Make();
        t.SetParameter("layers.0.weight", new float[6]);
        float[] x = { 1, 2, 3 };
        float[] y = { 1, 0 };
        t.TrainStep(x, y, 1);
        // Zero weights: p = (0.5, 0.5), dz = p - y = (-0.5, 0.5), dW[o, i] = dz[o] x[i].
        var g = new float[6];
        t.GetGradient("layers.0.weight", g);
        Assert.Equal(new float[] { -0.5f, -1f, -1.5f, 0.5f, 1f, 1.5f }, g);
        var gb = new float[2];
        t.GetGradient("layers.0.bias", gb);
        Assert.Equal(new float[] { -0.5f, 0.5f }, gb);
    }

    [Fact]
    public void Unknown_name_lists_the_valid_names()
    {
        using var t = Make();
        var e = Assert.Throws<ArgumentException>(() => t.GetParameter("layers.1.weight", new float[6]));
        Assert.Contains("layers.1.weight", e.Message);
        Assert.Contains("layers.0.weight", e.Message);
        Assert.Contains("layers.0.bias", e.Message);
        Assert.Throws<ArgumentException>(() => t.SetParameter("nope", new float[2]));
        Assert.Throws<ArgumentException>(() => t.GetGradient("nope", new float[2]));
    }

    [Fact]
    public void Wrong_span_length_names_expected_and_actual()
    {
        using var t = Make();
        var e = Assert.Throws<ArgumentException>(() => t.GetParameter("layers.0.weight", new float[5]));
        Assert.Contains("6", e.Message);
        Assert.Contains("5", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        e = Assert.Throws<ArgumentException>(() => t.SetParameter("layers.0.bias", new float[3]));
        Assert.Contains("2", e.Message);
        Assert.Contains("3", e.Message);
    }

    [Fact]
    public void SetParameter_rejects_non_finite_values_before_writing_any()
    {
        using var t = Make();
        var before = new float[6];
        t.GetParameter("layers.0.weight", before);
        var bad = new float[] { 1, 2, 3, 4, float.NaN, 6 };
        var e = Assert.Throws<ArgumentException>(() => t.SetParameter("layers.0.weight", bad));
        Assert.Contains("Value 4", e.Message);
        Assert.Contains("[1, 1]", e.Message);
        Assert.Contains("NaN", e.Message);
        var after = new float[6];
        t.GetParameter("layers.0.weight", after);
        Assert.Equal(before, after);
    }

    [Fact]
    public void Model_lookup_helpers()
    {
        var model = LinearTrainer.MakeModel();
        Assert.Equal(8, model.ParameterCount);
        Assert.Equal(new[] { "layers.0.weight", "layers.0.bias" }, model.ParameterNames);
        Assert.Same(model.Parameters[1], model.FindParameter("layers.0.bias"));
        Assert.Null(model.FindParameter("Layers.0.bias"));
    }

    [Fact]
    public void A_table_that_leaves_the_storage_is_rejected()
    {
        var model = new ModelInfo("Bad", 3, 2, LossKind.SoftmaxCrossEntropy, 0, 1, 32,
            new[] { new ParameterInfo("layers.0.weight", 2, 3, 0, 16, ParameterInit.KaimingUniform, 1f) }, "h");
        var e = Assert.Throws<ArgumentException>(() => new CustomModelTrainer(model));
        Assert.Contains("layers.0.weight", e.Message);
        Assert.Contains("outside", e.Message);

        var overlapping = new ModelInfo("Bad", 3, 2, LossKind.SoftmaxCrossEntropy, 0, 1, 64,
            new[]
            {
                new ParameterInfo("layers.0.weight", 2, 3, 0, 16, ParameterInit.KaimingUniform, 1f),
                new ParameterInfo("layers.0.bias", 2, 1, 32, 16, ParameterInit.Zeros, 1f),
            }, "h");
        e = Assert.Throws<ArgumentException>(() => new CustomModelTrainer(overlapping));
        Assert.Contains("'layers.0.weight' and 'layers.0.bias' overlap at storage index 32", e.Message);
    }

    internal static void AssertPaddingIsZero(LinearTrainer t)
    {
        for (int k = 0; k < LinearTrainer.StorageLength; k++)
        {
            bool weight = k < 48 && k % 16 < 2;
            bool bias = k is 48 or 49;
            if (!weight && !bias)
            {
                Assert.Equal(0f, t.StorageAt(k));
                Assert.Equal(0f, t.GradientAt(k));
            }
        }
    }
}

internal sealed unsafe class CustomModelTrainer : TrainerBase
{
    public CustomModelTrainer(ModelInfo model, TrainerOptions? options = null)
        : base(model, options ?? new TrainerOptions { BatchSize = 4, ThreadCount = 1 }, (m, o) => new Program(m, o))
    {
    }

    private new sealed class Program(ModelInfo model, TrainerOptions options) : CpuProgram(model, options)
    {
        public override float ComputeLossAndGradients(FloatBuffer inputs, FloatBuffer targets, FloatBuffer weights, int rows, long step) => 0f;
        public override void ComputeProbabilities(FloatBuffer inputs, FloatBuffer probabilities, int rows) { }
        public override void ComputeLogits(FloatBuffer inputs, FloatBuffer logits, int rows) { }
    }
}
