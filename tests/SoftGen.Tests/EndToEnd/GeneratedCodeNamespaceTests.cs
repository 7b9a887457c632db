using System.Linq;
using SoftGen.Tests.Generator;
using Xunit;

namespace SoftGen.Tests.EndToEnd;

/// <summary>
/// The generated files must compile wherever a user declares a model. C# looks a simple name up in the enclosing
/// types and namespaces before a file's using aliases, so a generated file that wrote <c>Training.TrainerBase</c>
/// through <c>using Training = global::SoftGen.Training;</c>, or <c>View</c> through
/// <c>using View = global::ILGPU.ArrayView&lt;float&gt;;</c>, would bind to a user's MyApp.Training or MyApp.View
/// instead and not compile (MyApp.Training next to MyApp.Models is an ordinary layout; this test project itself has
/// SoftGen.Tests.Training, which is why the end-to-end models live in namespace EndToEndModels). Both the trainer
/// ({Model}.g.cs) and the GPU program ({Model}.Gpu.g.cs, emitted when the project references SoftGen.Gpu) therefore
/// write every runtime type by its global:: name; these tests put such names next to a model.
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

    private const string ImageModel = """
        [SoftModel(Channels = 1, Height = 8, Width = 8)]
        [Conv2D(4, 3, Activation.Gelu, Padding = 1)]
        [MaxPool2D(2)]
        [Dropout(0.25f)]
        [Dense(5, Activation.Gelu)]
        [Dense(3)]
        [SoftmaxCrossEntropy]
        public partial class ImageNet;
        """;

    private static readonly string[] CapturingNames =
        ["View", "View4", "Stream", "Config", "KMath", "KGroup", "KGrid", "KShared", "Group", "Grid", "SharedMemory", "XMath", "ArrayView", "KernelConfig",
         "AcceleratorStream", "Float4", "KernelMath", "Gpu", "ILGPU", "Kernels", "DenseForward", "Action", "System"];

    [Fact]
    public void The_GPU_program_compiles_next_to_user_types_named_like_its_types()
    {
        var userTypes = string.Concat(CapturingNames.Select(n => "    internal sealed class " + n + " { }\n"));
        var source = "using SoftGen;\nnamespace MyApp\n{\n" + userTypes + "}\nnamespace MyApp.Models\n{\n" + Model + "\n" + ImageModel + "\n}\n";
        var (diagnostics, sources, errors) = GeneratorHarness.Run(source, gpu: true);
        Assert.Empty(diagnostics);
        Assert.Equal(4, sources.Length);
        Assert.Empty(errors.Select(e => e.ToString()));
    }

    [Theory]
    [InlineData("MyApp.ILGPU")]
    [InlineData("MyApp.SoftGen")]
    [InlineData("MyApp.Models.Gpu")]
    public void The_GPU_program_compiles_next_to_a_namespace_named_like_its_namespaces(string sibling)
    {
        var source = "using SoftGen;\n"
            + "namespace " + sibling + " { internal static class Helpers { } }\n"
            + "namespace MyApp.Models\n{\n" + Model + "\n" + ImageModel + "\n}\n";
        var (diagnostics, sources, errors) = GeneratorHarness.Run(source, gpu: true);
        Assert.Empty(diagnostics);
        Assert.Equal(4, sources.Length);
        Assert.Empty(errors.Select(e => e.ToString()));
    }
}
