using System.Linq;
using SoftGen.Tests.Generator;
using Xunit;

namespace SoftGen.Tests.EndToEnd;

/// <summary>
/// The generated trainer must compile wherever a user declares a model. Its file names every runtime type in full,
/// from <c>global::</c> (<c>global::SoftGen.Training.TrainerBase</c>), and declares no aliases: C# looks a simple name up
/// in the enclosing namespaces before a file's aliases, so an alias such as <c>using Training = global::SoftGen.Training;</c>
/// would bind <c>Training.TrainerBase</c> to the user's own member called Training or Cpu, in a namespace that has (or
/// whose parents have) one, and the trainer would not compile. MyApp.Training next to MyApp.Models is an ordinary
/// layout (this test project itself has SoftGen.Tests.Training, which is why the end-to-end models live in namespace
/// EndToEndModels).
/// </summary>
public sealed class GeneratedCodeNamespaceTests
{
    private const string Model = """
        [SoftModel(Inputs = 2)]
        [Dense(3, Activation.Relu)]
        [Dense(2)]
        [SoftmaxCrossEntropy]
        public partial class Net;
        """;

    [Fact]
    public void A_model_in_an_ordinary_namespace_compiles()
    {
        var (diagnostics, sources, errors) = GeneratorHarness.Run("using SoftGen;\nnamespace MyApp.Models;\n" + Model);
        Assert.Empty(diagnostics);
        Assert.Single(sources);
        Assert.Empty(errors.Select(e => e.ToString()));
    }

    [Theory]
    [InlineData("MyApp.Training")]
    [InlineData("MyApp.Cpu")]
    [InlineData("MyApp.Models.Training")]
    public void A_model_next_to_a_namespace_called_Training_or_Cpu_compiles(string sibling)
    {
        var source = "using SoftGen;\n"
            + "namespace " + sibling + " { internal static class Helpers { } }\n"
            + "namespace MyApp.Models\n{\n" + Model + "\n}\n";
        var (diagnostics, sources, errors) = GeneratorHarness.Run(source);
        Assert.Empty(diagnostics);
        Assert.Single(sources);
        Assert.Empty(errors.Select(e => e.ToString()));
    }
}
