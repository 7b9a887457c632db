using System;
using SoftGen.Cpu;

namespace SoftGen.CnnBenchmark;

// The convolutions of issue 14's signal model (a Conv1D is a height-1 Conv2D): (a) the 8-channel input signal,
// 1x7 stride 2; (b) 1x5; (c) 1x5 dilation 2; (d) 1x5 stride 2; (e) 1x1.
internal readonly struct SignalA : IConvShape
{
    public static int InChannels => 8; public static int InChannelStride => 8; public static int InHeight => 1; public static int InWidth => 2000;
    public static int OutChannels => 32; public static int OutChannelStride => 32; public static int OutHeight => 1; public static int OutWidth => 1000;
    public static int KernelHeight => 1; public static int KernelWidth => 7; public static int StrideHeight => 1; public static int StrideWidth => 2;
    public static int PaddingHeight => 0; public static int PaddingWidth => 3; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 1;
}

internal readonly struct SignalB : IConvShape
{
    public static int InChannels => 32; public static int InChannelStride => 32; public static int InHeight => 1; public static int InWidth => 500;
    public static int OutChannels => 32; public static int OutChannelStride => 32; public static int OutHeight => 1; public static int OutWidth => 500;
    public static int KernelHeight => 1; public static int KernelWidth => 5; public static int StrideHeight => 1; public static int StrideWidth => 1;
    public static int PaddingHeight => 0; public static int PaddingWidth => 2; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 1;
}

internal readonly struct SignalC : IConvShape
{
    public static int InChannels => 32; public static int InChannelStride => 32; public static int InHeight => 1; public static int InWidth => 500;
    public static int OutChannels => 32; public static int OutChannelStride => 32; public static int OutHeight => 1; public static int OutWidth => 500;
    public static int KernelHeight => 1; public static int KernelWidth => 5; public static int StrideHeight => 1; public static int StrideWidth => 1;
    public static int PaddingHeight => 0; public static int PaddingWidth => 4; public static int DilationHeight => 1; public static int DilationWidth => 2; public static int Groups => 1;
}

internal readonly struct SignalD : IConvShape
{
    public static int InChannels => 32; public static int InChannelStride => 32; public static int InHeight => 1; public static int InWidth => 500;
    public static int OutChannels => 64; public static int OutChannelStride => 64; public static int OutHeight => 1; public static int OutWidth => 250;
    public static int KernelHeight => 1; public static int KernelWidth => 5; public static int StrideHeight => 1; public static int StrideWidth => 2;
    public static int PaddingHeight => 0; public static int PaddingWidth => 2; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 1;
}

internal readonly struct SignalE : IConvShape
{
    public static int InChannels => 64; public static int InChannelStride => 64; public static int InHeight => 1; public static int InWidth => 250;
    public static int OutChannels => 64; public static int OutChannelStride => 64; public static int OutHeight => 1; public static int OutWidth => 250;
    public static int KernelHeight => 1; public static int KernelWidth => 1; public static int StrideHeight => 1; public static int StrideWidth => 1;
    public static int PaddingHeight => 0; public static int PaddingWidth => 0; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 1;
}

/// <summary>
/// Forward, weight gradient and input gradient of each signal convolution, timed alone, with GFLOP/s: the best wall
/// time of the passes, and the calling thread's CPU time per pass (the mean; on one thread that is the whole work, and
/// unlike the wall time it excludes the time other processes hold the cores on a loaded machine).
/// </summary>
internal static unsafe partial class SignalPhases
{
    public sealed record Phase(string Name, double Milliseconds, double CpuMilliseconds, double Gflop, double GflopPerSecond, double GflopPerCpuSecond);

    public static Phase[] Measure(int batch, int threads, int passes)
    {
        using var pool = new WorkerPool(threads);
        var phases = new System.Collections.Generic.List<Phase>();
        Add<SignalA>("a 8x2000 -> 32x1000, 1x7 s2", pool, batch, passes, phases, inputs: false);
        Add<SignalB>("b 32x500 -> 32x500, 1x5", pool, batch, passes, phases, inputs: true);
        Add<SignalC>("c 32x500 -> 32x500, 1x5 d2", pool, batch, passes, phases, inputs: true);
        Add<SignalD>("d 32x500 -> 64x250, 1x5 s2", pool, batch, passes, phases, inputs: true);
        Add<SignalE>("e 64x250 -> 64x250, 1x1", pool, batch, passes, phases, inputs: true);
        return phases.ToArray();
    }

    private static void Add<T>(string name, WorkerPool pool, int batch, int passes, System.Collections.Generic.List<Phase> phases, bool inputs)
        where T : struct, IConvShape
    {
        var random = new Random(1);
        float* Buffer(long n, bool fill)
        {
            var p = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(Math.Max(n, 1) * 4), 64);
            for (long k = 0; k < n; k++) p[k] = fill ? (float)(random.NextDouble() - 0.3) : 0f;
            return p;
        }
        long depth = (long)T.KernelHeight * T.KernelWidth * T.InChannelStride, ocs = T.OutChannelStride;
        long inLength = (long)batch * T.InHeight * T.InWidth * T.InChannelStride, outLength = (long)batch * T.OutHeight * T.OutWidth * ocs;
        var x = Buffer(inLength, true);
        var w = Buffer(depth * ocs + ocs, true);
        var a = Buffer(outLength, false);
        var dz = Buffer(outLength, true);
        var dw = Buffer(depth * ocs + ocs, false);
        var wr = Buffer(depth * ocs, false);
        var dx = Buffer(inLength, false);
        var partials = Buffer(ConvKernels.WeightPartialsLength<T>(batch), false);
        double gflop = 2.0 * batch * T.OutHeight * T.OutWidth * T.OutChannels * T.KernelHeight * T.KernelWidth * T.InChannels / T.Groups / 1e9;
        phases.Add(Time(name + " forward", gflop, passes, () => ConvKernels.Forward<T, Relu>(pool, x, w, w + depth * ocs, null, a, batch)));
        phases.Add(Time(name + " weights", gflop, passes, () => ConvKernels.BackwardWeights<T>(pool, x, dz, dw, dw + depth * ocs, partials, batch)));
        if (inputs)
            phases.Add(Time(name + " inputs", gflop, passes, () => ConvKernels.BackwardInputs<T, Relu>(pool, dz, w, wr, null, x, dx, batch)));
        foreach (var p in new[] { x, w, a, dz, dw, wr, dx, partials })
            System.Runtime.InteropServices.NativeMemory.AlignedFree(p);
    }

    private static Phase Time(string name, double gflop, int passes, Action run)
    {
        run();
        double best = double.MaxValue, cpuStart = ThreadCpuMilliseconds();
        for (int p = 0; p < passes; p++)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            run();
            best = Math.Min(best, System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        double cpu = (ThreadCpuMilliseconds() - cpuStart) / passes;
        return new Phase(name, Math.Round(best, 3), Math.Round(cpu, 3), Math.Round(gflop, 4), Math.Round(gflop / (best / 1000), 1), Math.Round(gflop / (cpu / 1000), 1));
    }

    private struct TimeSpec
    {
        public long Seconds, Nanoseconds;
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, TimeSpec* time);

    /// <summary>The calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID), in milliseconds.</summary>
    private static double ThreadCpuMilliseconds()
    {
        TimeSpec time;
        return ClockGetTime(3, &time) == 0 ? time.Seconds * 1e3 + time.Nanoseconds / 1e6 : double.NaN;
    }
}
