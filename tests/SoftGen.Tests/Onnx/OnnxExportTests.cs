using System;
using System.IO;
using System.Linq;
using Google.Protobuf;
using SoftGen.Gpu;
using SoftGen.Onnx;
using SoftGen.Training;
using Xunit;
using Xunit.Abstractions;

namespace SoftGen.Tests.Onnx;

/// <summary>
/// Exported models run in ONNX Runtime (CPU execution provider) and give the trainer's PredictLogits and
/// PredictProbabilities within 1e-5 relative (1e-6 absolute near 0) on 64 rows.
/// </summary>
public sealed class OnnxExportTests(ITestOutputHelper output)
{
    private const int Rows = 64;

    public static TheoryData<string, float> Models()
    {
        var data = new TheoryData<string, float>();
        foreach (var (name, temperature) in OnnxExportTestModels.All) data.Add(name, temperature);
        return data;
    }

    private static byte[] Export(TrainerBase trainer, OnnxExportOptions? options = null)
    {
        using var stream = new MemoryStream();
        trainer.ExportOnnx(stream, options);
        return stream.ToArray();
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void OnnxRuntimeReproducesThePredictions(string name, float temperature)
    {
        using var trainer = OnnxExportTestModels.Trained(name, temperature);
        var inputs = OnnxExportTestModels.Inputs(trainer.Model, Rows, 300);
        var bytes = Export(trainer);
        // SOFTGEN_ONNX_DUMP=DIR keeps the files, for other checkers (python3-onnx's onnx.checker, Netron).
        if (Environment.GetEnvironmentVariable("SOFTGEN_ONNX_DUMP") is { Length: > 0 } dump)
            File.WriteAllBytes(Path.Combine(dump, name + ".onnx"), bytes);
        var result = OnnxRuntimeCheck.Compare(trainer, bytes, inputs, Rows);
        output.WriteLine($"{name} (T = {temperature}): worst relative difference logits {result.WorstLogitsRelative:E2}, "
            + $"probabilities {result.WorstProbabilitiesRelative:E2} (at p = {result.WorstProbabilityValue:G3}); worst absolute {result.WorstAbsolute:E2}");
        Assert.Null(result.FirstViolation);
    }

    [Theory]
    [InlineData("NormMlp", 13)] // LayerNorm decomposed below opset 17
    [InlineData("TinyEegNet", 15)]
    public void OlderOpsetsRunToo(string name, int opset)
    {
        using var trainer = OnnxExportTestModels.Trained(name, 1.4f);
        var inputs = OnnxExportTestModels.Inputs(trainer.Model, Rows, 301);
        var bytes = Export(trainer, new OnnxExportOptions { Opset = opset });
        Assert.Equal(opset, global::Onnx.ModelProto.Parser.ParseFrom(bytes).OpsetImport.Single().Version);
        var result = OnnxRuntimeCheck.Compare(trainer, bytes, inputs, Rows);
        output.WriteLine($"{name} at opset {opset}: worst relative logits {result.WorstLogitsRelative:E2}, probabilities {result.WorstProbabilitiesRelative:E2}");
        Assert.Null(result.FirstViolation);
    }

    /// <summary>A GPU trainer (on ILGPU's CPU accelerator) exports the weights and running statistics it trained on the device.</summary>
    [Theory]
    [InlineData("NormMlp")] // batch norm: running statistics updated on the device
    [InlineData("GapNet")]  // a convolution
    public void AGpuTrainerExportsWhatItTrained(string name)
    {
        using var scope = GpuTesting.UseCpuAccelerator();
        using var trainer = OnnxExportTestModels.Trained(name, 1.3f, Backend.Gpu);
        Assert.Equal(Backend.Gpu, trainer.Backend);
        var inputs = OnnxExportTestModels.Inputs(trainer.Model, 16, 303);
        var result = OnnxRuntimeCheck.Compare(trainer, Export(trainer), inputs, 16);
        output.WriteLine($"{name} on the GPU backend: worst relative logits {result.WorstLogitsRelative:E2}, probabilities {result.WorstProbabilitiesRelative:E2}");
        Assert.Null(result.FirstViolation);
    }

    [Fact]
    public void ExportsAreByteIdenticalAndRoundTripThroughTheProtobufClasses()
    {
        using var trainer = OnnxExportTestModels.Trained("TinyResNet", 1.3f);
        var first = Export(trainer);
        var second = Export(trainer);
        Assert.Equal(first, second);
        Assert.Equal(first, global::Onnx.ModelProto.Parser.ParseFrom(first).ToByteArray());

        var path = Path.Combine(Path.GetTempPath(), $"softgen-onnx-{Guid.NewGuid():N}.onnx");
        try
        {
            trainer.ExportOnnx(path);
            Assert.Equal(first, File.ReadAllBytes(path));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void TheGraphDeclaresTheInputsOutputsAndMetadata()
    {
        using var trainer = OnnxExportTestModels.Trained("PixelSoftmax", 0.8f);
        var model = global::Onnx.ModelProto.Parser.ParseFrom(Export(trainer, new OnnxExportOptions
        {
            ModelName = "pixels", DocString = "a per-pixel head", ClassNames = ["sky", "ground"],
        }));
        Assert.Equal(8, model.IrVersion);
        Assert.Equal(17, model.OpsetImport.Single().Version);
        Assert.Equal("pixels", model.Graph.Name);
        Assert.Equal("a per-pixel head", model.DocString);

        var input = model.Graph.Input.Single();
        Assert.Equal("input", input.Name);
        var dims = input.Type.TensorType.Shape.Dim;
        Assert.Equal("batch", dims[0].DimParam);
        Assert.Equal(new long[] { 1, 4, 6 }, dims.Skip(1).Select(d => d.DimValue));
        Assert.Equal(new[] { "logits", "probabilities" }, model.Graph.Output.Select(o => o.Name));
        Assert.Equal(new long[] { 2, 4, 6 }, model.Graph.Output[1].Type.TensorType.Shape.Dim.Skip(1).Select(d => d.DimValue));

        var metadata = model.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(trainer.Model.DeclarationHash, metadata["softgen.declaration_hash"]);
        Assert.Equal(trainer.Model.Name, metadata["softgen.model"]);
        Assert.Equal("[\"sky\",\"ground\"]", metadata["softgen.class_names"]);
        // weights under their state_dict names
        Assert.Contains(model.Graph.Initializer, t => t.Name == "layers.0.weight" && t.Dims.SequenceEqual(new long[] { 5, 1, 3, 3 }));
    }

    [Fact]
    public void ProbabilitiesAloneIsAGraphWithOneOutput()
    {
        using var trainer = OnnxExportTestModels.Trained("KlMlp", 1.7f);
        var bytes = Export(trainer, new OnnxExportOptions { Outputs = OnnxOutputs.Probabilities });
        var inputs = OnnxExportTestModels.Inputs(trainer.Model, 4, 302);
        var outputs = OnnxRuntimeCheck.Run(bytes, inputs, 4, OnnxRuntimeCheck.RowDims(trainer.Model));
        var expected = new float[4 * trainer.Model.Classes];
        trainer.PredictProbabilities(inputs, expected, 4);
        Assert.Equal(new[] { "probabilities" }, outputs.Keys);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(outputs["probabilities"][i] - expected[i]) <= 1e-5 * expected[i] + 1e-6, $"probability {i}: {outputs["probabilities"][i]} vs {expected[i]}");
    }

    [Theory]
    [InlineData(12)]
    [InlineData(18)]
    public void AnOpsetOutside13To17IsRefused(int opset)
    {
        using var trainer = OnnxExportTestModels.Create("LinearSoftmax");
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Export(trainer, new OnnxExportOptions { Opset = opset }));
        Assert.Contains($"opset {opset}", e.Message);
        Assert.Contains("13 to 17", e.Message);
    }

    [Fact]
    public void NoOutputIsRefused()
    {
        using var trainer = OnnxExportTestModels.Create("LinearSoftmax");
        Assert.Throws<ArgumentOutOfRangeException>(() => Export(trainer, new OnnxExportOptions { Outputs = 0 }));
    }

    [Fact]
    public void ClassNamesMustMatchTheClasses()
    {
        using var trainer = OnnxExportTestModels.Create("LinearSoftmax");
        var e = Assert.Throws<ArgumentException>(() => Export(trainer, new OnnxExportOptions { ClassNames = ["a", "b"] }));
        Assert.Contains("2 class names", e.Message);
    }

    [Fact]
    public void ALayerKindTheExporterDoesNotKnowIsNamedInTheError()
    {
        using var trainer = OnnxExportTestModels.Create("LinearSoftmax");
        var layers = trainer.Model.Layers.Select(l => l with { Kind = (LayerKind)99 }).ToArray();
        var writer = new OnnxModelWriter(trainer, new OnnxExportOptions(), layers);
        var e = Assert.Throws<NotSupportedException>(() => writer.Build());
        Assert.Contains("layers.0 (99)", e.Message);
        Assert.Contains(trainer.Model.Name, e.Message);
    }
}
