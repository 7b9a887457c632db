using System;
using System.Collections.Generic;
using System.Linq;
using EndToEndModels;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.EndToEnd;

/// <summary>A declared model, its generated trainer factory and an independent float64 description of the same network.</summary>
public sealed record ModelCase(string Name, RefModel Reference, Func<TrainerOptions, TrainerBase> Create, ModelInfo Info)
{
    public override string ToString() => Name;
}

public static class ModelCases
{
    private static ModelCase Case(string name, RefModel reference, Func<TrainerOptions, TrainerBase> create, ModelInfo info) =>
        new(name, reference, create, info);

    private static (int, Activation) L(int width, Activation activation = Activation.None) => (width, activation);

    /// <summary>The models whose forward, loss, gradients and optimizer steps are compared with the reference.</summary>
    public static readonly IReadOnlyDictionary<string, ModelCase> Numeric = new[]
    {
        Case(nameof(SmoothTempMlp),
            new RefModel(5, new[] { L(7, Activation.Tanh), L(6, Activation.Gelu), L(3) }, RefLoss.SoftmaxCrossEntropy, LabelSmoothing: 0.1f, Temperature: 2f),
            o => SmoothTempMlp.CreateTrainer(o), SmoothTempMlp.Trainer.ModelInfo),
        Case(nameof(KlMlp),
            new RefModel(6, new[] { L(9, Activation.Relu), L(8, Activation.LeakyRelu), L(6) }, RefLoss.KLDivergence),
            o => KlMlp.CreateTrainer(o), KlMlp.Trainer.ModelInfo),
        Case(nameof(MultiLabelMlp),
            new RefModel(4, new[] { L(10, Activation.Sigmoid), L(4) }, RefLoss.SigmoidCrossEntropy),
            o => MultiLabelMlp.CreateTrainer(o), MultiLabelMlp.Trainer.ModelInfo),
        Case(nameof(LinearSoftmax),
            new RefModel(3, new[] { L(4) }, RefLoss.SoftmaxCrossEntropy),
            o => LinearSoftmax.CreateTrainer(o), LinearSoftmax.Trainer.ModelInfo),
        Case(nameof(PaddedMlp),
            new RefModel(19, new[] { L(33, Activation.Relu), L(17) }, RefLoss.SoftmaxCrossEntropy),
            o => PaddedMlp.CreateTrainer(o), PaddedMlp.Trainer.ModelInfo),
        Case(nameof(WideMlp),
            new RefModel(64, new[] { L(48, Activation.Relu), L(10) }, RefLoss.SoftmaxCrossEntropy, LabelSmoothing: 0.05f),
            o => WideMlp.CreateTrainer(o), WideMlp.Trainer.ModelInfo),
        Case(nameof(GeluMultiLabel),
            new RefModel(8, new[] { L(16, Activation.Gelu), L(5) }, RefLoss.SigmoidCrossEntropy),
            o => GeluMultiLabel.CreateTrainer(o), GeluMultiLabel.Trainer.ModelInfo),
    }.ToDictionary(c => c.Name);

    public static TheoryData<string> NumericNames
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var name in Numeric.Keys) data.Add(name);
            return data;
        }
    }
}

/// <summary>The generated constants and ModelInfo agree with the declarations.</summary>
public sealed class TestModelTests
{
    [Theory]
    [MemberData(nameof(ModelCases.NumericNames), MemberType = typeof(ModelCases))]
    public void ModelInfo_matches_the_declaration(string name)
    {
        var c = ModelCases.Numeric[name];
        var m = c.Reference;
        Assert.Equal(m.Inputs, c.Info.Inputs);
        Assert.Equal(m.Classes, c.Info.Classes);
        Assert.Equal(m.Loss switch
        {
            RefLoss.SoftmaxCrossEntropy => LossKind.SoftmaxCrossEntropy,
            RefLoss.KLDivergence => LossKind.KLDivergence,
            _ => LossKind.SigmoidCrossEntropy,
        }, c.Info.Loss);
        Assert.Equal((float)m.LabelSmoothing, c.Info.LabelSmoothing);
        Assert.Equal((float)m.Temperature, c.Info.Temperature);
        Assert.Equal(m.ParameterNames.ToArray(), c.Info.ParameterNames.ToArray());
        foreach (var name2 in m.ParameterNames)
            Assert.Equal(m.ShapeOf(name2), c.Info.FindParameter(name2)!.Shape);
        Assert.Equal(m.ParameterCount, c.Info.ParameterCount);

        using var t = c.Create(new TrainerOptions { BatchSize = 4, ThreadCount = 1 });
        Assert.Same(c.Info, t.Model);
    }

    [Fact]
    public void Generated_constants_match_the_declarations()
    {
        Assert.Equal(5, SmoothTempMlp.InputCount);
        Assert.Equal(3, SmoothTempMlp.ClassCount);
        Assert.Equal(6, KlMlp.InputCount);
        Assert.Equal(6, KlMlp.ClassCount);
        Assert.Equal(4, MultiLabelMlp.InputCount);
        Assert.Equal(4, MultiLabelMlp.ClassCount);
        Assert.Equal(19, PaddedMlp.InputCount);
        Assert.Equal(17, PaddedMlp.ClassCount);
        Assert.Equal(784, MnistMlp.InputCount);
        Assert.Equal(10, MnistMlp.ClassCount);
        Assert.Equal(784 * 128 + 128 + 128 * 10 + 10, MnistMlp.Trainer.ModelInfo.ParameterCount);
    }
}
