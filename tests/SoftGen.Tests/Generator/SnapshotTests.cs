using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using Xunit;

namespace SoftGen.Tests.Generator;

/// <summary>
/// The emitted source of the example models, checked in under Snapshots/ so that a change to generated code
/// shows as a diff in review. On a mismatch the test writes Snapshots/NAME.received.cs and fails with a diff;
/// to accept the new output, run the tests with SOFTGEN_ACCEPT_SNAPSHOTS=1 (or copy the .received file over).
/// </summary>
public class SnapshotTests
{
    private static string ThisDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;

    private static string RepositoryRoot => Path.GetFullPath(Path.Combine(ThisDirectory(), "..", "..", ".."));

    /// <summary>
    /// Model files; the GPU program is emitted (and snapshot) where the file's project references SoftGen.Gpu, as
    /// examples/Classify does (its FashionMlp is the GPU benchmark's model, so that one is not snapshot twice).
    /// </summary>
    public static TheoryData<string> Examples => new()
    {
        "examples/Classify/Models.cs",
        "examples/SoftMasks/Models.cs",
        "examples/Signals/EegNet.cs",
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public void GeneratedSourceMatchesSnapshot(string example)
    {
        var path = Path.Combine(RepositoryRoot, example);
        var source = File.ReadAllText(path);
        bool gpu = Directory.GetFiles(Path.GetDirectoryName(path)!, "*.csproj").Any(p => File.ReadAllText(p).Contains("SoftGen.Gpu.csproj", StringComparison.Ordinal));
        var (diagnostics, sources, errors) = GeneratorHarness.Run(source, gpu);
        Assert.Empty(diagnostics);
        Assert.Empty(errors);
        Assert.NotEmpty(sources);

        var failures = new StringBuilder();
        foreach (var generated in sources)
        {
            var snapshot = Path.Combine(ThisDirectory(), "Snapshots", generated.HintName);
            var received = Path.ChangeExtension(snapshot, ".received.cs");
            var actual = generated.SourceText.ToString();
            if (Environment.GetEnvironmentVariable("SOFTGEN_ACCEPT_SNAPSHOTS") == "1")
            {
                File.WriteAllText(snapshot, actual);
                continue;
            }
            var expected = File.Exists(snapshot) ? File.ReadAllText(snapshot) : null;
            if (expected == actual)
            {
                File.Delete(received);
                continue;
            }
            File.WriteAllText(received, actual);
            failures.AppendLine(expected is null
                ? $"No snapshot {snapshot} yet; the output is in {received}."
                : $"{generated.HintName} differs from its snapshot (new output in {received}):\n{LineDiff(expected, actual)}");
        }
        Assert.True(failures.Length == 0,
            failures + "\nIf the change is intended, accept it: SOFTGEN_ACCEPT_SNAPSHOTS=1 dotnet test --filter SnapshotTests");
    }

    /// <summary>The differing lines with their numbers, at most 40: enough to read what changed.</summary>
    private static string LineDiff(string expected, string actual)
    {
        var a = expected.Split('\n');
        var b = actual.Split('\n');
        var diff = new StringBuilder();
        var shown = 0;
        for (var i = 0; i < Math.Max(a.Length, b.Length) && shown < 40; i++)
        {
            var left = i < a.Length ? a[i] : null;
            var right = i < b.Length ? b[i] : null;
            if (left == right)
                continue;
            if (left is not null)
                diff.AppendLine($"{i + 1,5} - {left}");
            if (right is not null)
                diff.AppendLine($"{i + 1,5} + {right}");
            shown++;
        }
        return diff.ToString();
    }
}
