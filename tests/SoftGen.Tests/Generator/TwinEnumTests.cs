using System;
using System.Linq;
using SoftGen.Generators.Model;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Generator;

/// <summary>
/// The generator mirrors the runtime's enums (it cannot reference the runtime): each runtime member has its generator
/// twin with the same name and value, and the reverse, so that adding a member on one side only fails here.
/// </summary>
public class TwinEnumTests
{
    private static void AssertTwins(Type runtime, Type generator)
    {
        static string[] Members(Type e) => Enum.GetNames(e).Select(n => n + " = " + Convert.ToInt64(Enum.Parse(e, n))).ToArray();
        var runtimeMembers = Members(runtime);
        var generatorMembers = Members(generator);
        Assert.True(runtimeMembers.Except(generatorMembers).Count() == 0,
            $"{runtime.FullName} members without a twin in {generator.Name}: {string.Join(", ", runtimeMembers.Except(generatorMembers))}");
        Assert.True(generatorMembers.Except(runtimeMembers).Count() == 0,
            $"{generator.Name} members without a twin in {runtime.FullName}: {string.Join(", ", generatorMembers.Except(runtimeMembers))}");
    }

    [Fact]
    public void ActivationHasItsTwin() => AssertTwins(typeof(Activation), typeof(ActivationKind));

    [Fact]
    public void LossKindHasItsTwin() => AssertTwins(typeof(LossKind), typeof(LossKindSpec));

    [Fact]
    public void ParameterInitHasItsTwin() => AssertTwins(typeof(ParameterInit), typeof(ParameterInitSpec));

    /// <summary>
    /// The loss attributes are the model attributes declared once per class other than [SoftModel] (layers may repeat).
    /// Each is a LossKind member of its own name, and a model declaring it gets that loss in its ModelInfo.
    /// </summary>
    [Fact]
    public void EachLossAttributeIsItsLossKind()
    {
        var lossAttributes = typeof(SoftModelAttribute).Assembly.GetExportedTypes()
            .Where(t => t.Namespace == "SoftGen" && typeof(Attribute).IsAssignableFrom(t) && t != typeof(SoftModelAttribute))
            .Where(t => t.GetCustomAttributes(typeof(AttributeUsageAttribute), false).Cast<AttributeUsageAttribute>().Single().AllowMultiple == false)
            .Select(t => t.Name.Substring(0, t.Name.Length - "Attribute".Length))
            .OrderBy(n => n)
            .ToArray();
        Assert.Equal(Enum.GetNames<LossKind>().OrderBy(n => n), lossAttributes);

        foreach (var loss in lossAttributes)
        {
            var (diagnostics, sources, errors) = GeneratorHarness.Run(
                "using SoftGen;\n[SoftModel(Inputs = 4)] [Dense(3)] [" + loss + "] public partial class M;");
            Assert.Empty(diagnostics);
            Assert.Empty(errors);
            Assert.Contains("loss: global::SoftGen.Training.LossKind." + loss + ",", sources.Single().SourceText.ToString());
        }
    }
}
