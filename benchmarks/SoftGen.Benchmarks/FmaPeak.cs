using System;
using System.Diagnostics;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Threading;

namespace SoftGen.Benchmarks;

/// <summary>
/// The machine's fp32 FMA peak, measured rather than looked up: the clock from a chain of dependent integer adds
/// (one cycle each on every x86 core), the FMA throughput from a loop of independent Vector512 (or Vector256) FMAs,
/// both on one thread and on every thread at once. Peak = cores x FMA flops per cycle per core x clock. The loops are
/// compiled fully optimised at once (AggressiveOptimization), so that no tier-0 code is timed.
/// </summary>
internal static class FmaPeak
{
    public sealed record Result(
        int Threads,
        double ClockGHzOneThread,
        double ClockGHzAllThreads,
        double FmaLatencyCycles,
        int VectorBits,
        int Lanes,
        double FlopsPerCyclePerCore,
        double VectorFmasPerCyclePerCore,
        double GflopsOneThread,
        double GflopsOneThreadVector256,
        double Vector256FmasPerCyclePerCore,
        double GflopsAllThreads,
        double GflopsFormula);

    public static Result Measure(int threads)
    {
        bool wide = Vector512.IsHardwareAccelerated;
        int lanes = wide ? Vector512<float>.Count : Vector256<float>.Count;

        double clock1 = Best(5, () => Clock());
        double clockN = Best(5, () => Parallel(threads, Clock).Min());
        double fmasPerSecond = wide ? Best(3, () => 1.0 / FmaLatency()) : double.NaN;
        double latency = clock1 * 1e9 / fmasPerSecond;
        double gflops1 = Best(5, () => Throughput(wide));
        double gflops256 = Best(5, () => Throughput(false));
        double gflopsN = Best(5, () => Parallel(threads, () => Throughput(wide)).Sum());
        double flopsPerCycle = gflops1 / clock1;
        // The formula takes the higher of the two clocks, so that a busy machine cannot shrink the peak (and so
        // inflate the percentages measured against it).
        double formula = threads * flopsPerCycle * Math.Max(clock1, clockN);
        return new Result(threads, clock1, clockN, latency, lanes * 32, lanes, flopsPerCycle, flopsPerCycle / (2.0 * lanes),
            gflops1, gflops256, gflops256 / clock1 / (2.0 * Vector256<float>.Count), gflopsN, formula);
    }

    private static double Best(int runs, Func<double> measure)
    {
        double best = 0;
        for (int i = 0; i < runs; i++) best = Math.Max(best, measure());
        return best;
    }

    /// <summary>Runs <paramref name="body"/> on that many threads at once (started together) and returns each result.</summary>
    private static double[] Parallel(int threads, Func<double> body)
    {
        var results = new double[threads];
        using var start = new Barrier(threads);
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int index = t;
            workers[t] = new Thread(() => { start.SignalAndWait(); results[index] = body(); });
            workers[t].Start();
        }
        foreach (var w in workers) w.Join();
        return results;
    }

    // Each timed loop sits in a method of its own with no call inside: a vector live across a call is kept on the
    // stack (every zmm register is caller-saved), and the loop would time loads and stores instead of FMAs.

    /// <summary>GHz: 16 dependent 1-cycle integer operations per iteration; the loop counter runs beside them.</summary>
    private static double Clock()
    {
        const long iterations = 20_000_000;
        long started = Stopwatch.GetTimestamp();
        Sink(AddChain(Environment.TickCount64 | 1, iterations));
        return iterations * 16.0 / Stopwatch.GetElapsedTime(started).TotalSeconds / 1e9;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static long AddChain(long x, long iterations)
    {
        long y = x >> 3;
        for (long i = 0; i < iterations; i++)
        {
            x += y; x ^= i; x += y; x ^= i; x += y; x ^= i; x += y; x ^= i;
            x += y; x ^= i; x += y; x ^= i; x += y; x ^= i; x += y; x ^= i;
        }
        return x;
    }

    /// <summary>Seconds per Vector512 FMA in a chain where each FMA waits for the previous one.</summary>
    private static double FmaLatency()
    {
        const int iterations = 10_000_000;
        long started = Stopwatch.GetTimestamp();
        Sink(FmaChain((float)(Environment.TickCount64 & 1), iterations));
        return Stopwatch.GetElapsedTime(started).TotalSeconds / (iterations * 4.0);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float FmaChain(float start, int iterations)
    {
        var a = Vector512.Create(0.999f);
        var b = Vector512.Create(1e-3f);
        var c = Vector512.Create(start);
        for (int i = 0; i < iterations; i++)
        {
            c = Vector512.FusedMultiplyAdd(c, a, b);
            c = Vector512.FusedMultiplyAdd(c, a, b);
            c = Vector512.FusedMultiplyAdd(c, a, b);
            c = Vector512.FusedMultiplyAdd(c, a, b);
        }
        return c.ToScalar();
    }

    /// <summary>GFLOP/s of 12 independent FMA chains (enough to cover the latency on two pipes).</summary>
    private static double Throughput(bool wide)
    {
        const int iterations = 10_000_000;
        float start = (float)(Environment.TickCount64 & 1);
        long started = Stopwatch.GetTimestamp();
        Sink(wide ? Fma512(start, iterations) : Fma256(start, iterations));
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        int lanes = wide ? Vector512<float>.Count : Vector256<float>.Count;
        return iterations * 12.0 * lanes * 2 / seconds / 1e9;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Fma512(float start, int iterations)
    {
        var a = Vector512.Create(0.999f);
        var b = Vector512.Create(1e-3f);
        var c0 = Vector512.Create(start);
        Vector512<float> c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (int i = 0; i < iterations; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, a, b); c1 = Vector512.FusedMultiplyAdd(c1, a, b);
            c2 = Vector512.FusedMultiplyAdd(c2, a, b); c3 = Vector512.FusedMultiplyAdd(c3, a, b);
            c4 = Vector512.FusedMultiplyAdd(c4, a, b); c5 = Vector512.FusedMultiplyAdd(c5, a, b);
            c6 = Vector512.FusedMultiplyAdd(c6, a, b); c7 = Vector512.FusedMultiplyAdd(c7, a, b);
            c8 = Vector512.FusedMultiplyAdd(c8, a, b); c9 = Vector512.FusedMultiplyAdd(c9, a, b);
            c10 = Vector512.FusedMultiplyAdd(c10, a, b); c11 = Vector512.FusedMultiplyAdd(c11, a, b);
        }
        return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11).ToScalar();
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Fma256(float start, int iterations)
    {
        var a = Vector256.Create(0.999f);
        var b = Vector256.Create(1e-3f);
        var c0 = Vector256.Create(start);
        Vector256<float> c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (int i = 0; i < iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, a, b); c1 = Vector256.FusedMultiplyAdd(c1, a, b);
            c2 = Vector256.FusedMultiplyAdd(c2, a, b); c3 = Vector256.FusedMultiplyAdd(c3, a, b);
            c4 = Vector256.FusedMultiplyAdd(c4, a, b); c5 = Vector256.FusedMultiplyAdd(c5, a, b);
            c6 = Vector256.FusedMultiplyAdd(c6, a, b); c7 = Vector256.FusedMultiplyAdd(c7, a, b);
            c8 = Vector256.FusedMultiplyAdd(c8, a, b); c9 = Vector256.FusedMultiplyAdd(c9, a, b);
            c10 = Vector256.FusedMultiplyAdd(c10, a, b); c11 = Vector256.FusedMultiplyAdd(c11, a, b);
        }
        return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11).ToScalar();
    }

    private static double s_sink;
    private static void Sink(double value) => s_sink += value;
}
