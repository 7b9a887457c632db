using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using Xunit;

namespace SoftGen.Tests.Distributed;

/// <summary>A test that needs Open MPI's mpirun; skipped, saying so, where it is not installed (.ci/run installs it).</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (!MpiRun.Available) Skip = "mpirun is not on PATH: install Open MPI (apt-get install openmpi-bin libopenmpi-dev), as .ci/run does.";
    }
}

/// <summary>As <see cref="MpiFactAttribute"/>, for a theory.</summary>
public sealed class MpiTheoryAttribute : TheoryAttribute
{
    public MpiTheoryAttribute()
    {
        if (!MpiRun.Available) Skip = "mpirun is not on PATH: install Open MPI (apt-get install openmpi-bin libopenmpi-dev), as .ci/run does.";
    }
}

/// <summary>
/// Starts tests/SoftGen.DistributedTests.Program (built with the tests) under mpirun and collects the
/// "RESULT rank key value" lines its ranks print.
/// </summary>
internal static class MpiRun
{
    public static bool Available { get; } = FindOnPath("mpirun") is not null;

    /// <summary>Runs one check on <paramref name="ranks"/> processes; fails the test if mpirun fails or times out.</summary>
    public static Results Check(string check, int ranks)
    {
        string program = ProgramPath();
        var start = new ProcessStartInfo("mpirun")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // CI runs as root, where mpirun refuses to start without --allow-run-as-root; --oversubscribe lets 3 ranks share 2 cores.
        foreach (var a in new[] { "--allow-run-as-root", "--oversubscribe", "-np", ranks.ToString(CultureInfo.InvariantCulture), "dotnet", program, check })
            start.ArgumentList.Add(a);
        start.Environment["OMPI_MCA_btl"] = "self,vader"; // one machine: shared memory only, no network probing
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"mpirun -np {ranks} ... {check} did not finish in 120 s.\n{stdout}");
        }
        Assert.True(process.ExitCode == 0, $"mpirun -np {ranks} ... {check} exited with {process.ExitCode}.\n{stdout}\n{stderr.Result}");
        return new Results(stdout, ranks);
    }

    private static string ProgramPath()
    {
        // The tests' own bin/<Configuration>/net10.0 folder names the configuration the program was built in too.
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = baseDir.Name, configuration = baseDir.Parent!.Name;
        for (var dir = baseDir; dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SoftGen.sln")))
            {
                string path = Path.Combine(dir.FullName, "tests", "SoftGen.DistributedTests.Program", "bin", configuration, framework, "SoftGen.DistributedTests.Program.dll");
                Assert.True(File.Exists(path), $"{path} is missing; it is built with SoftGen.Tests.");
                return path;
            }
        throw new DirectoryNotFoundException($"No folder above {AppContext.BaseDirectory} holds SoftGen.sln.");
    }

    private static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
            if (dir.Length > 0 && File.Exists(Path.Combine(dir, name))) return Path.Combine(dir, name);
        return null;
    }

    /// <summary>The values each rank reported, by key.</summary>
    public sealed class Results
    {
        private readonly Dictionary<(int Rank, string Key), string> _values = new();

        public Results(string output, int ranks)
        {
            Ranks = ranks;
            foreach (var raw in output.Split('\n'))
            {
                int at = raw.IndexOf("RESULT ", StringComparison.Ordinal); // a terminal escape may precede it
                if (at < 0) continue;
                var parts = raw[(at + 7)..].TrimEnd('\r').Split(' ', 3);
                _values[(int.Parse(parts[0], CultureInfo.InvariantCulture), parts[1])] = parts[2];
            }
        }

        public int Ranks { get; }

        public string Text(int rank, string key) =>
            _values.TryGetValue((rank, key), out var v) ? v : throw new KeyNotFoundException($"Rank {rank} did not report {key}.");

        public double Number(int rank, string key) => double.Parse(Text(rank, key), CultureInfo.InvariantCulture);
    }
}
