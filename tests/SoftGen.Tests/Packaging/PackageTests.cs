using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Xml.Linq;
using Xunit;
using Xunit.Abstractions;

namespace SoftGen.Tests.Packaging;

/// <summary>
/// dotnet pack makes one SoftGen package (the runtime in lib/, the generator in analyzers/), and a console project
/// made from nothing, referencing only that package from a local folder feed, declares a model, builds (so the
/// generator ran), trains, predicts, and saves and reloads its weights.
/// </summary>
[Collection(PackagingCollection.Name)]
public sealed class PackageTests(SourceCopy source, ITestOutputHelper output)
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(6);

    [Fact]
    public void The_packed_package_builds_trains_and_predicts_in_a_fresh_console_project()
    {
        // 1. Pack (this builds the runtime and the generator in the copy).
        var feed = source.In("feed");
        var pack = ProcessRunner.DotnetCommand(source.Root, BuildTimeout, null,
            "pack", "src/SoftGen/SoftGen.csproj", "-c", "Release", "-o", feed, "--disable-build-servers").Succeeded();
        output.WriteLine($"pack: {pack.Elapsed.TotalSeconds:F1} s");
        var nupkg = Assert.Single(Directory.GetFiles(feed, "*.nupkg"));
        string version = CheckPackage(nupkg);

        // 2. A console project that knows nothing of this repository: its own folder, a nuget.config that adds the
        //    feed to the machine's sources and maps the id SoftGen to the feed alone (so that a package of that name
        //    on another source can never be taken), and an empty package folder, so nothing comes from a cache.
        var app = source.In("consumer");
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="softgen-local" value="{feed}" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="softgen-local">
                  <package pattern="SoftGen" />
                </packageSource>
                <packageSource key="nuget.org">
                  <package pattern="*" />
                </packageSource>
              </packageSourceMapping>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="SoftGen" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), ConsumerProgram);
        var packages = source.In("consumer-packages");
        var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = packages };

        var build = ProcessRunner.DotnetCommand(app, BuildTimeout, environment, "build", "-c", "Release", "--disable-build-servers").Succeeded();
        output.WriteLine($"consumer restore + build: {build.Elapsed.TotalSeconds:F1} s");
        Assert.True(Directory.Exists(Path.Combine(packages, "softgen", version)), $"SoftGen {version} was not restored from the local feed:\n{build.Output}");

        // 3. Run it: the generated trainer learns XOR, predicts it, and predicts the same from its saved weights.
        var run = ProcessRunner.Run(ProcessRunner.Dotnet, [Path.Combine(app, "bin", "Release", "net10.0", "Consumer.dll")], app,
            TimeSpan.FromMinutes(1)).Succeeded();
        output.WriteLine(run.Output);
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains("model Consumer.XorNet: 2 -> 8 -> 2, 42 parameters", lines);
        Assert.Contains("classes 0 1 1 0", lines);
        Assert.Contains("reloaded 0 1 1 0", lines);
        var loss = lines.Single(l => l.StartsWith("loss ", StringComparison.Ordinal)).Split(' ');
        double first = double.Parse(loss[1], System.Globalization.CultureInfo.InvariantCulture);
        double last = double.Parse(loss[3], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(first > 0.5 && last < first / 4, $"the loss went from {first} to {last}");
    }

    /// <summary>One package, its id and version, lib/ and analyzers/, no dependency on the generator project.</summary>
    private string CheckPackage(string nupkg)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        output.WriteLine($"{Path.GetFileName(nupkg)} ({new FileInfo(nupkg).Length:N0} bytes): {string.Join(", ", entries)}");
        Assert.Contains("lib/net10.0/SoftGen.dll", entries);
        Assert.Contains("analyzers/dotnet/cs/SoftGen.Generators.dll", entries);
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) && e.EndsWith("SoftGen.Generators.dll", StringComparison.Ordinal));

        using var nuspecStream = zip.GetEntry("SoftGen.nuspec")!.Open();
        var nuspec = XDocument.Load(nuspecStream);
        var ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        Assert.Equal("SoftGen", metadata.Element(ns + "id")!.Value);
        Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "description")?.Value));
        var dependencies = metadata.Descendants(ns + "dependency").Select(d => (string?)d.Attribute("id")).ToList();
        Assert.Empty(dependencies);
        string version = metadata.Element(ns + "version")!.Value;
        Assert.Equal($"SoftGen.{version}.nupkg", Path.GetFileName(nupkg));
        return version;
    }

    private const string ConsumerProgram = """
        using System;
        using SoftGen;

        namespace Consumer;

        [SoftModel(Inputs = 2)]
        [Dense(8, Activation.Tanh)]
        [Dense(2)]
        [SoftmaxCrossEntropy]
        public partial class XorNet;

        public static class Program
        {
            public static int Main()
            {
                float[] x = [0, 0, 0, 1, 1, 0, 1, 1];
                float[] y = [1, 0, 0, 1, 0, 1, 1, 0];
                var info = XorNet.Trainer.ModelInfo;
                Console.WriteLine($"model {info.Name}: {XorNet.InputCount} -> 8 -> {XorNet.ClassCount}, {info.ParameterCount} parameters");

                using var trainer = XorNet.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.Adam(0.05f), BatchSize = 4, Seed = 1, ThreadCount = 1 });
                float first = trainer.TrainStep(x, y, 4), last = first;
                for (int step = 1; step < 300; step++) last = trainer.TrainStep(x, y, 4);
                Console.WriteLine(FormattableString.Invariant($"loss {first:F4} -> {last:F4}"));

                var classes = new int[4];
                trainer.PredictClasses(x, classes, 4);
                Console.WriteLine("classes " + string.Join(" ", classes));

                trainer.SaveWeights("xor.safetensors");
                using var copy = XorNet.CreateTrainer(new TrainerOptions { BatchSize = 4, Seed = 2 });
                copy.LoadWeights("xor.safetensors");
                copy.PredictClasses(x, classes, 4);
                Console.WriteLine("reloaded " + string.Join(" ", classes));
                return 0;
            }
        }
        """;
}
