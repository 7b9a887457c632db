using System;
using System.Diagnostics;
using System.IO;

namespace SoftGen.Benchmarks;

internal static class ProcessMemory
{
    /// <summary>Peak resident set in bytes: VmHWM from /proc/self/status on Linux, else Process.PeakWorkingSet64.</summary>
    public static long PeakWorkingSet()
    {
        const string status = "/proc/self/status";
        if (File.Exists(status))
            foreach (var line in File.ReadLines(status))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(fields[1]) * 1024; // "VmHWM:  123456 kB"
                }
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }
}
