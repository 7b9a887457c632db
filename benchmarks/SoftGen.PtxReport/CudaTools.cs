using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text.RegularExpressions;

namespace PtxReport;

/// <summary>What ptxas -v says of one kernel.</summary>
internal readonly record struct PtxasInfo(int Registers, int SpillStoreBytes, int SpillLoadBytes, int SharedBytes, int StackBytes);

/// <summary>NVIDIA's offline tools from one folder: ptxas (PTX to cubin) and cuobjdump (cubin to SASS).</summary>
internal sealed partial class CudaTools
{
    private readonly string _ptxas, _cuobjdump;

    public CudaTools(string folder)
    {
        _ptxas = Tool(folder, "ptxas");
        _cuobjdump = Tool(folder, "cuobjdump");
    }

    /// <summary>ptxas -v -arch=sm_90 -O3: assembles <paramref name="ptxPath"/> to <paramref name="cubinPath"/>.</summary>
    public PtxasInfo Assemble(string ptxPath, string cubinPath)
    {
        string log = Run(_ptxas, $"-v -arch=sm_90 -O3 \"{ptxPath}\" -o \"{cubinPath}\"");
        var used = UsedLine().Match(log);
        var spills = SpillLine().Match(log);
        if (!used.Success || !spills.Success) throw new InvalidDataException($"Unexpected ptxas -v output for {ptxPath}:\n{log}");
        int Int(Match m, string g) => m.Groups[g].Success ? int.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture) : 0;
        return new PtxasInfo(Int(used, "regs"), Int(spills, "st"), Int(spills, "ld"), Int(used, "smem"), Int(spills, "stack"));
    }

    public string Disassemble(string cubinPath) => Run(_cuobjdump, $"-sass \"{cubinPath}\"");

    // "ptxas info    : Used 32 registers, 8704 bytes smem, 400 bytes cmem[0]" (no smem part when it uses none)
    [GeneratedRegex(@"Used (?<regs>\d+) registers(?:, (?<smem>\d+) bytes smem)?")]
    private static partial Regex UsedLine();

    // "    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads"
    [GeneratedRegex(@"(?<stack>\d+) bytes stack frame, (?<st>\d+) bytes spill stores, (?<ld>\d+) bytes spill loads")]
    private static partial Regex SpillLine();

    private static string Tool(string folder, string name)
    {
        string path = Path.Combine(folder, name);
        if (!File.Exists(path)) throw new FileNotFoundException($"The CUDA tools folder '{folder}' has no {name}.", path);
        return path;
    }

    private static string Run(string file, string arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        string output = stdout.Result + stderr.Result;
        if (process.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(file)} {arguments} failed ({process.ExitCode}):\n{output}");
        return output;
    }
}
