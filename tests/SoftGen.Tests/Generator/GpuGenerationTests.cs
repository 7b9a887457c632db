using System.Linq;
using Xunit;

namespace SoftGen.Tests.Generator;

/// <summary>
/// The generator in a project that references SoftGen.Gpu: it emits {Model}.Gpu.g.cs beside the trainer, and the
/// project still compiles wherever the model is declared, whatever the accessibility of the types around it.
/// </summary>
public class GpuGenerationTests
{
    private const string Model = "[SoftModel(Inputs = 4)] [Dense(5, Activation.Relu)] [Dense(3)] [SoftmaxCrossEntropy] {0} partial class M;";

    public static TheoryData<string> Declarations() => new()
    {
        "namespace N; " + string.Format(Model, "public"),
        string.Format(Model, "internal"),
        "public partial class Outer { " + string.Format(Model, "public") + " }",
        "public partial class Outer { " + string.Format(Model, "private") + " }",
        "public partial class Outer { private partial class Inner { " + string.Format(Model, "public") + " } }",
        "public partial class Outer { protected partial class Inner { " + string.Format(Model, "public") + " } }",
        "public partial class Outer { private protected partial class Inner { " + string.Format(Model, "internal") + " } }",
        "internal partial struct Outer { private partial record Inner { " + string.Format(Model, "public") + " } }",
        "public static partial class Outer { private static partial class Inner { " + string.Format(Model, "internal") + " } }",
    };

    [Theory]
    [MemberData(nameof(Declarations))]
    public void The_GPU_program_compiles_for_every_accessibility(string declaration)
    {
        var (diagnostics, sources, errors) = GeneratorHarness.Run("using SoftGen;\n" + declaration, gpu: true);
        Assert.Empty(diagnostics);
        Assert.Equal(2, sources.Length);
        Assert.Contains(sources, s => s.HintName.EndsWith(".Gpu.g.cs", System.StringComparison.Ordinal));
        Assert.True(errors.IsEmpty, string.Join("\n", errors));
    }

    [Fact]
    public void The_header_states_the_runtime_tile_rule()
    {
        var (_, sources, _) = GeneratorHarness.Run("using SoftGen;\n" + string.Format(Model, "public"), gpu: true);
        var gpu = sources.Single(s => s.HintName == "M.Gpu.g.cs").SourceText.ToString();
        Assert.Contains("at least GpuProgram.MinGroupsPerMultiprocessor groups", gpu);
        Assert.Contains("if (UseLargeTiles(rowTiles * 1)) _forward0(", gpu);
        Assert.Contains("else _forward0Small(", gpu);
    }

    [Fact]
    public void The_launch_grids_use_the_runtime_kernels_tile_sizes()
    {
        // The generator cannot reference SoftGen.Gpu, so it states the Dense GEMMs' tile sizes for the grids itself.
        var (_, sources, _) = GeneratorHarness.Run("using SoftGen;\n" + string.Format(Model, "public"), gpu: true);
        var gpu = sources.Single(s => s.HintName == "M.Gpu.g.cs").SourceText.ToString();
        Assert.Contains("private const int Tile = " + SoftGen.Gpu.Kernels.GemmTiles.LargeTile + ", SmallTile = " + SoftGen.Gpu.Kernels.GemmTiles.SmallTile + ";", gpu);
        Assert.Contains("private const int Threads = " + SoftGen.Gpu.Kernels.GemmTiles.Threads + ";", gpu);
    }

    [Fact]
    public void Without_SoftGen_Gpu_only_the_trainer_is_emitted()
    {
        var (diagnostics, sources, errors) = GeneratorHarness.Run("using SoftGen;\n" + string.Format(Model, "public"));
        Assert.Empty(diagnostics);
        Assert.Equal("M.g.cs", sources.Single().HintName);
        Assert.Empty(errors);
    }
}
