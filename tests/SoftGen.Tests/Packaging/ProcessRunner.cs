using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using Xunit.Sdk;

namespace SoftGen.Tests.Packaging;

/// <summary>The result of a finished command: its exit code and its standard output and error, interleaved.</summary>
internal sealed record CommandResult(string Command, int ExitCode, string Output, TimeSpan Elapsed)
{
    /// <summary>Throws with the command, its exit code and the end of its output unless it exited with 0.</summary>
    public CommandResult Succeeded()
    {
        if (ExitCode != 0)
            throw new XunitException($"`{Command}` exited with {ExitCode} after {Elapsed.TotalSeconds:F1} s. Its output ends:\n{Tail(Output, 150)}");
        return this;
    }

    public static string Tail(string text, int lines)
    {
        var all = text.Split('\n');
        return all.Length <= lines ? text : $"[... {all.Length - lines} lines ...]\n" + string.Join('\n', all[^lines..]);
    }
}

/// <summary>
/// Runs dotnet and built programs as child processes with a time limit. The child gets the machine's environment
/// minus what the test host adds for its own MSBuild (which would point a nested build at the wrong SDK pieces),
/// with build servers and node reuse off, so that nothing outlives the command or holds its output open.
/// </summary>
internal static class ProcessRunner
{
    public static string Dotnet
    {
        get
        {
            var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(host) && File.Exists(host)) return host;
            var self = Environment.ProcessPath;
            if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
            return "dotnet";
        }
    }

    public static CommandResult Run(string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        foreach (var key in start.Environment.Keys.ToList())
            if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
                || key.StartsWith("TESTINGPLATFORM", StringComparison.OrdinalIgnoreCase))
                start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["UseSharedCompilation"] = "false";
        if (environment is not null)
            foreach (var (key, value) in environment) start.Environment[key] = value;

        string command = fileName + " " + string.Join(' ', start.ArgumentList);
        var output = new StringBuilder();
        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited just now.
            }
            process.WaitForExit(TimeSpan.FromSeconds(10));
            string partial;
            lock (output) partial = output.ToString();
            throw new XunitException($"`{command}` did not finish within {timeout.TotalSeconds:F0} s and was stopped. Its output ends:\n{CommandResult.Tail(partial, 150)}");
        }
        // Only the parameterless WaitForExit waits for the asynchronous readers to reach the end of both pipes (the
        // timed one returns when the process exits, possibly before its last lines are read). Bounded, in case a
        // grandchild still holds a pipe open.
        if (!System.Threading.Tasks.Task.Run(() => process.WaitForExit()).Wait(TimeSpan.FromSeconds(30)))
            throw new XunitException($"`{command}` exited, but its output was still open 30 s later (a child process kept it?).");
        lock (output) return new CommandResult(command, process.ExitCode, output.ToString(), stopwatch.Elapsed);
    }

    public static CommandResult DotnetCommand(string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] arguments) =>
        Run(Dotnet, arguments, workingDirectory, timeout, environment);
}
