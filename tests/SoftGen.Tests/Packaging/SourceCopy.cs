using System;
using System.IO;
using Xunit;

namespace SoftGen.Tests.Packaging;

/// <summary>
/// A copy of the repository's build inputs (root build files, the runtime, the generator, the AOT example and the
/// digits) in a temporary folder, made once for the packaging tests. Building there leaves the working tree's
/// bin/ and obj/ alone, so the tests neither race a build in progress nor depend on what was built before.
/// </summary>
public sealed class SourceCopy : IDisposable
{
    private static readonly string[] Folders = ["src/SoftGen", "generators/SoftGen.Generators", "examples/AotTrainer"];
    private static readonly string[] RootFiles = ["Directory.Build.props", "Directory.Build.targets", "global.json", "NuGet.Config", "nuget.config", ".editorconfig", "Directory.Packages.props"];

    public SourceCopy()
    {
        RepositoryRoot = FindRoot();
        Root = Path.Combine(Path.GetTempPath(), "softgen-packaging-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        foreach (var file in RootFiles)
            if (File.Exists(Path.Combine(RepositoryRoot, file)))
                File.Copy(Path.Combine(RepositoryRoot, file), Path.Combine(Root, file));
        foreach (var folder in Folders)
            CopyFolder(Path.Combine(RepositoryRoot, folder), Path.Combine(Root, folder));
        Directory.CreateDirectory(Path.Combine(Root, "data"));
        File.Copy(Path.Combine(RepositoryRoot, "data", "digits.csv.gz"), Path.Combine(Root, "data", "digits.csv.gz"));
    }

    /// <summary>The repository the tests were built from (holds SoftGen.sln).</summary>
    public string RepositoryRoot { get; }

    /// <summary>The copy.</summary>
    public string Root { get; }

    /// <summary>A path inside the copy.</summary>
    public string In(params string[] parts) => Path.Combine([Root, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SoftGen.sln")) && Directory.Exists(Path.Combine(dir.FullName, "src", "SoftGen")))
                return dir.FullName;
        throw new DirectoryNotFoundException($"No folder above {AppContext.BaseDirectory} holds SoftGen.sln.");
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var sub in Directory.GetDirectories(from))
        {
            var name = Path.GetFileName(sub);
            if (name is "bin" or "obj" || name.StartsWith('.')) continue;
            CopyFolder(sub, Path.Combine(to, name));
        }
    }
}

/// <summary>The packaging tests build in one shared copy, one after the other (their builds would share obj/ folders).</summary>
[CollectionDefinition(Name)]
public sealed class PackagingCollection : ICollectionFixture<SourceCopy>
{
    public const string Name = "Packaging";
}
