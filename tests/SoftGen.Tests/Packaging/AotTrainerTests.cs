using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using SoftGen.Persistence;
using Xunit;
using Xunit.Abstractions;

namespace SoftGen.Tests.Packaging;

/// <summary>
/// examples/AotTrainer published with native AOT: one executable, no .NET runtime beside it, that trains on the
/// bundled digits, saves its weights and predicts from them. The weights it writes load in the JIT-compiled library
/// and give the same probabilities.
/// </summary>
[Collection(PackagingCollection.Name)]
public sealed partial class AotTrainerTests(SourceCopy source, ITestOutputHelper output)
{
    [Fact]
    public void The_native_executable_trains_saves_and_predicts_from_its_weights()
    {
        var published = source.In("aot-out");
        var publish = ProcessRunner.DotnetCommand(source.Root, TimeSpan.FromMinutes(8), null,
            "publish", "examples/AotTrainer/AotTrainer.csproj", "-c", "Release", "-o", published, "--disable-build-servers").Succeeded();
        output.WriteLine($"publish: {publish.Elapsed.TotalSeconds:F1} s");

        var exe = Path.Combine(published, OperatingSystem.IsWindows() ? "AotTrainer.exe" : "AotTrainer");
        Assert.True(File.Exists(exe), $"{exe} was not published:\n{CommandResult.Tail(publish.Output, 60)}");
        Assert.False(File.Exists(Path.Combine(published, "AotTrainer.dll")), "a native publish has no managed AotTrainer.dll");
        Assert.False(File.Exists(Path.Combine(published, "AotTrainer.runtimeconfig.json")), "a native executable needs no runtime config");
        output.WriteLine($"executable: {new FileInfo(exe).Length:N0} bytes");

        var work = source.In("aot-run");
        Directory.CreateDirectory(work);
        var info = ProcessRunner.Run(exe, ["info"], work, TimeSpan.FromMinutes(1)).Succeeded();
        output.WriteLine($"info ({info.Elapsed.TotalMilliseconds:F0} ms including process start):\n{info.Output}");
        Assert.Contains("compiled ahead of time: True", info.Output);
        if (RuntimeInformation.ProcessArchitecture == Architecture.X64)
            Assert.Contains("Vector256 accelerated: True", info.Output); // IlcInstructionSet x86-64-v3

        var data = source.In("data", "digits.csv.gz");
        var weights = Path.Combine(work, "digits.safetensors");
        var train = ProcessRunner.Run(exe, ["train", "--data", data, "--weights", weights], work, TimeSpan.FromMinutes(3)).Succeeded();
        output.WriteLine(train.Output);
        var trained = Accuracy(train.Output, "from the saved weights");
        Assert.True(trained.Value >= 0.95, $"held-out accuracy {trained.Value} after 40 epochs:\n{train.Output}");

        var probabilities = Path.Combine(work, "holdout.safetensors");
        var predict = ProcessRunner.Run(exe, ["predict", "--data", data, "--weights", weights, "--probabilities", probabilities], work,
            TimeSpan.FromMinutes(1)).Succeeded();
        output.WriteLine(predict.Output);
        Assert.Equal(trained.Text, Accuracy(predict.Output, "from " + weights).Text);

        // The executable's weights file is an ordinary SoftGen file: the JIT-compiled library (the tests) reads it into
        // a model with the same declaration and predicts what the executable predicted.
        var header = SafeTensorsFile.ReadHeader(weights);
        Assert.Equal("AotTrainer.DigitsModel", header.GetMetadata(FileKeys.Model));
        Assert.True(header.GetMetadata(FileKeys.DeclarationHash) == PackagingModels.DigitsTwin.Trainer.ModelInfo.DeclarationHash,
            "tests/SoftGen.Tests/Packaging/AotModels.cs must declare the same model as examples/AotTrainer/DigitsModel.cs");
        Assert.Equal(["[128, 64]", "[128]", "[10, 128]", "[10]"], header.Tensors.Select(t => t.ShapeText));

        using var twin = PackagingModels.DigitsTwin.CreateTrainer(new TrainerOptions { BatchSize = 64, ThreadCount = 1 });
        twin.LoadWeights(weights);
        var exported = SafeTensorsFile.ReadTensors(probabilities).ToDictionary(t => t.Name);
        var inputs = exported["inputs"].Values;
        int rows = exported["inputs"].Shape[0];
        Assert.Equal(trained.Total, rows);
        var expected = exported["probabilities"].Values;
        var actual = new float[expected.Length];
        twin.PredictProbabilities(inputs, actual, rows);
        double worst = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        output.WriteLine($"largest difference between the executable's and the library's probabilities: {worst:E2}");
        Assert.True(worst < 1e-5, $"probabilities differ by up to {worst}");
    }

    private static (double Value, string Text, int Total) Accuracy(string text, string suffix)
    {
        var match = AccuracyLine().Matches(text).FirstOrDefault(m => m.Groups[4].Value.Trim() == suffix)
            ?? throw new Xunit.Sdk.XunitException($"No 'held-out accuracy ... {suffix}' line in:\n{text}");
        return (double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), match.Groups[1].Value + " " + match.Groups[2].Value,
            int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"held-out accuracy (\d\.\d+) \((\d+)/(\d+)\) (.*)")]
    private static partial Regex AccuracyLine();
}
