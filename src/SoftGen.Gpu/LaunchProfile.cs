using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using ILGPU.Runtime;

namespace SoftGen.Gpu;

/// <summary>One timed piece of a step: a kernel launch (by its generated name) or a copy, and its GEMM FLOPs (0 for none).</summary>
public readonly record struct LaunchTime(string Name, bool IsCopy, double Milliseconds, long GemmFlops)
{
    /// <summary>GEMM GFLOP/s of this launch (0 where it has no GEMM).</summary>
    public double Gflops => GemmFlops == 0 || Milliseconds <= 0 ? 0 : GemmFlops / (Milliseconds * 1e6);
}

/// <summary>
/// Per-launch timings of a GPU program, for benchmarks. A program made inside <see cref="Use"/> synchronises the device
/// after every launch and copy and records the time since the previous one, so each launch is timed on its own
/// (launch overhead and the synchronisation included). Programs made outside it skip all of this (one null check per
/// launch).
/// </summary>
public sealed class LaunchProfile
{
    private static readonly AsyncLocal<LaunchProfile?> Current = new();
    private readonly List<LaunchTime> _launches = new();
    private long _last;

    /// <summary>Every launch and copy recorded so far, in order.</summary>
    public IReadOnlyList<LaunchTime> Launches => _launches;

    public void Clear() => _launches.Clear();

    /// <summary>GPU programs created inside the returned scope (on this async flow) record into <paramref name="profile"/>.</summary>
    public static IDisposable Use(LaunchProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var previous = Current.Value;
        Current.Value = profile;
        return new Scope(() => Current.Value = previous);
    }

    internal static LaunchProfile? Requested => Current.Value;

    /// <summary>Waits for the work queued so far, then starts the clock for the next launch.</summary>
    internal void Start(AcceleratorStream stream)
    {
        stream.Synchronize();
        _last = Stopwatch.GetTimestamp();
    }

    internal void Record(string name, bool isCopy, long gemmFlops, AcceleratorStream stream)
    {
        stream.Synchronize();
        long now = Stopwatch.GetTimestamp();
        _launches.Add(new LaunchTime(name, isCopy, Stopwatch.GetElapsedTime(_last, now).TotalMilliseconds, gemmFlops));
        _last = now;
    }

    private sealed class Scope(Action end) : IDisposable
    {
        private Action? _end = end;
        public void Dispose() => Interlocked.Exchange(ref _end, null)?.Invoke();
    }
}
