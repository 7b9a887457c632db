using System;
using System.Globalization;
using System.Linq;
using System.Reflection;
using SoftGen.Generators.Emit;
using SoftGen.Generators.Model;
using Xunit;

namespace SoftGen.Tests.Generator;

/// <summary>
/// Every runtime name the generator can emit for a spec enum resolves to a real type or member of the SoftGen
/// assembly, and the initialisation gains are PyTorch's calculate_gain formulas.
/// </summary>
public class RuntimeNamesTests
{
    private static readonly Assembly Runtime = typeof(SoftModelAttribute).Assembly;

    private static string WithoutGlobal(string name)
    {
        Assert.StartsWith("global::", name);
        return name.Substring("global::".Length);
    }

    /// <summary>"global::SoftGen.Training.LossKind.KLDivergence" -> the enum type and the member name.</summary>
    private static (Type Enum, string Member) EnumMember(string name)
    {
        var text = WithoutGlobal(name);
        var dot = text.LastIndexOf('.');
        var type = Runtime.GetType(text.Substring(0, dot));
        Assert.True(type is { IsEnum: true, IsPublic: true }, name + ": no public runtime enum");
        return (type!, text.Substring(dot + 1));
    }

    [Fact]
    public void EveryActivationTypeIsARuntimeActivationStruct()
    {
        foreach (var activation in Enum.GetValues<ActivationKind>())
        {
            var name = RuntimeNames.ActivationType(activation);
            var type = Runtime.GetType(WithoutGlobal(name));
            Assert.True(type is not null, name + " is not a runtime type");
            Assert.True(type!.IsValueType && type.IsPublic && typeof(SoftGen.Cpu.IActivation).IsAssignableFrom(type),
                name + " is not a public struct implementing IActivation");
        }
    }

    [Fact]
    public void EveryLossKindIsARuntimeLossKindMember()
    {
        foreach (var loss in Enum.GetValues<LossKindSpec>())
        {
            var (type, member) = EnumMember(RuntimeNames.LossKind(loss));
            Assert.Equal(typeof(SoftGen.Training.LossKind), type);
            Assert.True(Enum.IsDefined(type, member), member + " is not a LossKind member");
            Assert.Equal((int)loss, (int)Enum.Parse(type, member));
        }
    }

    [Fact]
    public void EveryActivationIsARuntimeActivationMember()
    {
        foreach (var activation in Enum.GetValues<ActivationKind>())
        {
            var (type, member) = EnumMember(RuntimeNames.Activation(activation));
            Assert.Equal(typeof(Activation), type);
            Assert.Equal((int)activation, (int)Enum.Parse(type, member));
        }
    }

    [Fact]
    public void EveryLayerKindIsARuntimeLayerKindMember()
    {
        var expected = new (LayerKind Spec, SoftGen.Training.LayerKind Runtime)[]
        {
            (LayerKind.Dense, SoftGen.Training.LayerKind.Dense),
            (LayerKind.Conv2D, SoftGen.Training.LayerKind.Conv),
            (LayerKind.MaxPool2D, SoftGen.Training.LayerKind.MaxPool),
            (LayerKind.AvgPool2D, SoftGen.Training.LayerKind.AvgPool),
            (LayerKind.GlobalAveragePool, SoftGen.Training.LayerKind.GlobalAveragePool),
            (LayerKind.Dropout, SoftGen.Training.LayerKind.Dropout),
            (LayerKind.BatchNorm, SoftGen.Training.LayerKind.BatchNorm),
            (LayerKind.LayerNorm, SoftGen.Training.LayerKind.LayerNorm),
            (LayerKind.ResidualEnd, SoftGen.Training.LayerKind.ResidualEnd),
            (LayerKind.SqueezeExcitation, SoftGen.Training.LayerKind.SqueezeExcitation),
            (LayerKind.GemPool, SoftGen.Training.LayerKind.GemPool),
        };
        Assert.Equal(Enum.GetValues<LayerKind>().OrderBy(k => k), expected.Select(e => e.Spec).OrderBy(k => k));
        Assert.Equal(Enum.GetValues<SoftGen.Training.LayerKind>().OrderBy(k => k), expected.Select(e => e.Runtime).OrderBy(k => k));
        foreach (var (spec, runtime) in expected)
        {
            var (type, member) = EnumMember(RuntimeNames.LayerKind(spec));
            Assert.Equal(typeof(SoftGen.Training.LayerKind), type);
            Assert.Equal(runtime, Enum.Parse(type, member));
        }
    }

    [Fact]
    public void EveryParameterInitIsARuntimeParameterInitMember()
    {
        foreach (var init in Enum.GetValues<ParameterInitSpec>())
        {
            var (type, member) = EnumMember(RuntimeNames.ParameterInit(init));
            Assert.Equal(typeof(SoftGen.Training.ParameterInit), type);
            Assert.True(Enum.IsDefined(type, member), member + " is not a ParameterInit member");
            Assert.Equal((int)init, (int)Enum.Parse(type, member));
        }
    }

    [Theory]
    [InlineData(Activation.None, SoftGen.Training.ParameterInit.GlorotUniform, "1f")]
    [InlineData(Activation.Sigmoid, SoftGen.Training.ParameterInit.GlorotUniform, "1f")]
    [InlineData(Activation.Relu, SoftGen.Training.ParameterInit.KaimingUniform, "1.41421354f")]
    [InlineData(Activation.Gelu, SoftGen.Training.ParameterInit.KaimingUniform, "1.41421354f")]
    [InlineData(Activation.LeakyRelu, SoftGen.Training.ParameterInit.KaimingUniform, "1.41414285f")]
    [InlineData(Activation.Tanh, SoftGen.Training.ParameterInit.GlorotUniform, "1.66666663f")]
    public void InitializationFollowsCalculateGain(Activation runtimeActivation, SoftGen.Training.ParameterInit runtimeInit, string literal)
    {
        // Runtime enums in the data (the generator's twins are internal); TwinEnumTests holds the values equal.
        var activation = (ActivationKind)(int)runtimeActivation;
        var init = (ParameterInitSpec)(int)runtimeInit;

        // torch.nn.init.calculate_gain, in float64: relu sqrt(2), leaky_relu sqrt(2 / (1 + slope^2)) with slope 0.01,
        // tanh 5/3, linear and sigmoid 1. GELU takes ReLU's gain.
        double expected = activation switch
        {
            ActivationKind.Relu or ActivationKind.Gelu => Math.Sqrt(2.0),
            ActivationKind.LeakyRelu => Math.Sqrt(2.0 / (1.0 + 0.01 * 0.01)),
            ActivationKind.Tanh => 5.0 / 3.0,
            _ => 1.0,
        };
        var (actualInit, gain) = RuntimeNames.Initialization(activation);
        Assert.Equal(init, actualInit);
        Assert.Equal(expected, gain);

        // The emitted literal round-trips to the float nearest the formula (and is the text earlier versions wrote).
        var text = RuntimeNames.Gain(gain);
        Assert.Equal(literal, text);
        Assert.Equal((float)expected, float.Parse(text.TrimEnd('f'), CultureInfo.InvariantCulture));
    }

    [Fact]
    public void EveryActivationHasAnInitialization()
    {
        foreach (var activation in Enum.GetValues<ActivationKind>())
        {
            var (init, gain) = RuntimeNames.Initialization(activation);
            Assert.NotEqual(ParameterInitSpec.Zeros, init);
            Assert.True(gain >= 1.0);
        }
    }
}
