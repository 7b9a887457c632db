using System.IO;
using PersistenceModels;
using SoftGen.Tests.EndToEnd;
using Xunit;

namespace SoftGen.Tests.Persistence;

/// <summary>A well-formed file of another model is refused with every difference named: declaration, names, shapes.</summary>
public sealed class ModelMismatchTests
{
    private static TrainerOptions Options(int seed) => new() { Seed = seed, BatchSize = 8, ThreadCount = 1 };

    [Fact]
    public void Another_declaration_with_the_same_shapes_is_refused_by_its_hash()
    {
        using var tanh = SmallTanhMlp.CreateTrainer(Options(1));
        using var relu = SmallMlp.CreateTrainer(Options(2));
        Assert.NotEqual(SmallTanhMlp.Trainer.ModelInfo.DeclarationHash, SmallMlp.Trainer.ModelInfo.DeclarationHash);

        var e = Expect.Rejected(relu, Bytes.Weights(tanh),
            "does not fit model PersistenceModels.SmallMlp",
            $"saved from model PersistenceModels.SmallTanhMlp with declaration hash {SmallTanhMlp.Trainer.ModelInfo.DeclarationHash}",
            $"PersistenceModels.SmallMlp's declaration hash is {SmallMlp.Trainer.ModelInfo.DeclarationHash}");
        Assert.DoesNotContain("lacks", e.Message);

        // On request, names and shapes are enough.
        relu.LoadWeights(new MemoryStream(Bytes.Weights(tanh)), requireSameDeclaration: false);
        Check.BitEqual(TestData.Snapshot(tanh), TestData.Snapshot(relu), "weights loaded across declarations");
    }

    [Fact]
    public void Different_shapes_are_listed()
    {
        using var wide = WideSmallMlp.CreateTrainer(Options(1));
        using var small = SmallMlp.CreateTrainer(Options(2));
        Expect.Rejected(small, Bytes.Weights(wide),
            "declaration hash",
            "'layers.0.weight' is [12, 6] in the file, but [9, 6] in PersistenceModels.SmallMlp",
            "'layers.0.bias' is [12] in the file, but [9] in PersistenceModels.SmallMlp",
            "'layers.1.weight' is [4, 12] in the file, but [4, 9] in PersistenceModels.SmallMlp");
        // Shapes are checked even when the declaration check is off.
        Assert.Throws<InvalidDataException>(() => small.LoadWeights(new MemoryStream(Bytes.Weights(wide)), requireSameDeclaration: false));
    }

    [Fact]
    public void Extra_and_missing_tensors_are_listed()
    {
        using var deep = DeepSmallMlp.CreateTrainer(Options(1));
        using var small = SmallMlp.CreateTrainer(Options(2));
        Expect.Rejected(small, Bytes.Weights(deep),
            "it has tensors PersistenceModels.SmallMlp does not: layers.2.weight, layers.2.bias",
            "'layers.1.weight' is [9, 9] in the file, but [4, 9]");
        Expect.Rejected(deep, Bytes.Weights(small),
            "it lacks layers.2.weight, layers.2.bias",
            "'layers.1.weight' is [4, 9] in the file, but [9, 9] in PersistenceModels.DeepSmallMlp");
    }

    [Fact]
    public void A_foreign_file_without_SoftGen_metadata_is_checked_by_names_and_shapes()
    {
        // As PyTorch would save nn.Linear(2, 3) under a ModuleList named 'layers' but with the wrong name for the bias.
        string json = """{"layers.0.weight":{"dtype":"F32","shape":[3,2],"data_offsets":[0,24]},"layers.0.b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}}""";
        using var tiny = TinyLinear.CreateTrainer(Options(1));
        Expect.Rejected(tiny, Bytes.SafeTensors(json, new byte[36]), "it lacks layers.0.bias", "does not: layers.0.b");
    }
}
