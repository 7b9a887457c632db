using System;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Training;

/// <summary>
/// ModelInfo's state table checked before any memory is touched (buffers inside the state storage, no overlaps or
/// repeated names), one-dimensional parameters, and ParameterInit.Ones, which draws nothing from the init stream.
/// </summary>
public sealed class StateLayoutTests
{
    private static ModelInfo Model(int stateLength, params BatchNormInfo[] batchNorms) =>
        new("Tests.State", 3, 2, LossKind.SoftmaxCrossEntropy, 0f, 1f, 32,
            new[] { new ParameterInfo("layers.1.weight", 2, 3, 0, 2, ParameterInit.GlorotUniform, 1f) }, "state",
            batchNorms: batchNorms, stateLength: stateLength);

    private static string Refusal(ModelInfo model) =>
        Assert.Throws<ArgumentException>(() => ParameterLayout.Validate(model)).Message;

    [Fact]
    public void A_well_formed_state_table_passes_and_reports_its_rule()
    {
        var model = Model(48, new BatchNormInfo(0, 5, 0, 16, 1), new BatchNormInfo(2, 10, 32, 5, 7));
        ParameterLayout.Validate(model);
        Assert.Equal(48, model.StateLength);
        Assert.Equal(6, model.Buffers.Count);
        Assert.Equal(2, model.MinTrainingRows);
        Assert.Equal(0, model.BatchNormRefusing(1)!.Layer);
        Assert.Null(model.BatchNormRefusing(2));
        Assert.Equal("layers.2.num_batches_tracked", model.Buffers[5].Name);
        Assert.Equal(1, model.Buffers[5].Index);
        Assert.Empty(LinearTrainer.MakeModel().Buffers);
        Assert.Equal(0, LinearTrainer.MakeModel().StateLength);
        Assert.Equal(1, LinearTrainer.MakeModel().MinTrainingRows);
    }

    [Fact]
    public void Buffers_outside_the_state_or_overlapping_are_refused()
    {
        Assert.Contains("state length 20; it must be a non-negative multiple of 16", Refusal(Model(20, new BatchNormInfo(0, 2, 0, 2, 1))));
        Assert.Contains("Buffer 'layers.0.running_var' occupies state indices [14, 18), outside [0, 16)",
            Refusal(Model(16, new BatchNormInfo(0, 4, 0, 14, 1))));
        Assert.Contains("Buffers 'layers.0.running_mean' and 'layers.0.running_var' overlap at state index 3",
            Refusal(Model(16, new BatchNormInfo(0, 4, 0, 3, 1))));
        Assert.Contains("Buffers 'layers.0.running_var' and 'layers.3.running_mean' overlap at state index 16",
            Refusal(Model(32, new BatchNormInfo(0, 4, 0, 16, 1), new BatchNormInfo(3, 4, 16, 20, 1))));
        Assert.Contains("lists 'layers.0.running_mean' twice",
            Refusal(Model(32, new BatchNormInfo(0, 2, 0, 2, 1), new BatchNormInfo(0, 2, 4, 6, 1))));
        Assert.Contains("has 0 channels and 1 pixels", Refusal(Model(16, new BatchNormInfo(0, 0, 0, 8, 1))));
        Assert.Contains("has 2 channels and 0 pixels", Refusal(Model(16, new BatchNormInfo(0, 2, 0, 8, 0))));
        Assert.Contains("outside [0, 0)", Refusal(Model(0, new BatchNormInfo(0, 2, 0, 8, 1))));
    }

    [Fact]
    public void One_dimensional_parameters_are_vectors_and_must_be_shaped_as_one()
    {
        var gamma = new ParameterInfo("layers.0.weight", 5, 1, 16, 1, ParameterInit.Ones, 0f) { OneDimensional = true };
        Assert.False(gamma.IsWeight);
        Assert.Equal([5], gamma.Shape);
        Assert.Equal(16 + 3, ParameterLayout.Index(gamma, 3, 0));
        var asMatrix = gamma with { OneDimensional = false };
        Assert.Equal([5, 1], asMatrix.Shape); // what a ".weight" with one column would be without the flag

        var wide = new ParameterInfo("layers.0.weight", 5, 2, 0, 1, ParameterInit.Ones, 0f) { OneDimensional = true };
        var model = new ModelInfo("Tests.Wide", 3, 2, LossKind.SoftmaxCrossEntropy, 0f, 1f, 32, new[] { wide }, "wide");
        Assert.Contains("is one-dimensional, so it needs 1 column", Refusal(model));
    }

    [Fact]
    public void Ones_fills_ones_takes_no_gain_and_draws_nothing_from_the_init_stream()
    {
        static ModelInfo With(ParameterInit first) => new("Tests.Ones", 3, 2, LossKind.SoftmaxCrossEntropy, 0f, 1f, 64,
            new[]
            {
                new ParameterInfo("layers.0.weight", 3, 1, 0, 1, first, 0f) { OneDimensional = true },
                new ParameterInfo("layers.1.weight", 2, 3, 16, 16, ParameterInit.KaimingUniform, 1.5f),
            }, "ones");
        var ones = With(ParameterInit.Ones);
        ParameterLayout.Validate(ones); // gain 0 is fine for Ones
        var a = Initialize(ones);
        var b = Initialize(With(ParameterInit.Zeros));
        Assert.Equal([1f, 1f, 1f, 0f], a[..4]);
        Assert.Equal([0f, 0f, 0f, 0f], b[..4]);
        Assert.Equal(a[16..], b[16..]); // the next parameter got the same draws
        Assert.Contains(a[16..], v => v != 0f);
    }

    private static unsafe float[] Initialize(ModelInfo model)
    {
        var storage = new float[model.StorageLength];
        var random = new DeterministicRandom(3, DeterministicRandom.InitStream);
        fixed (float* s = storage) Initializer.Initialize(s, model.Parameters, ref random);
        return storage;
    }
}
