using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.InteropServices;
using SoftGen.Cpu;

namespace SoftGen.Benchmarks;

/// <summary>
/// --mode kernels: milliseconds per call of the depthwise convolution, squeeze-excitation and GeM kernels on the
/// signal shapes of the EEG model (batch 64 by default), each the best of a number of passes of back-to-back calls.
/// GFLOP/s counts the nominal multiply-adds (every tap of every output, borders included) as 2 flops; GB/s the
/// tensors each call must read and write once (not the parameters).
/// </summary>
internal static unsafe class SignalKernelTimings
{
    public sealed record Timing(string Kernel, string Shape, string Pass, int Batch, int Threads, double MillisecondsPerCall, double Gflops, double GigabytesPerSecond);

    private readonly struct DepthwiseSignal : IDepthwiseConvShape
    {
        public static int Channels => 64; public static int ChannelStride => 64;
        public static int InHeight => 1; public static int InWidth => 250; public static int OutHeight => 1; public static int OutWidth => 250;
        public static int KernelHeight => 1; public static int KernelWidth => 7; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PaddingHeight => 0; public static int PaddingWidth => 3; public static int DilationHeight => 1; public static int DilationWidth => 1;
    }

    private readonly struct DepthwiseSignalStride2 : IDepthwiseConvShape
    {
        public static int Channels => 64; public static int ChannelStride => 64;
        public static int InHeight => 1; public static int InWidth => 250; public static int OutHeight => 1; public static int OutWidth => 125;
        public static int KernelHeight => 1; public static int KernelWidth => 5; public static int StrideHeight => 1; public static int StrideWidth => 2;
        public static int PaddingHeight => 0; public static int PaddingWidth => 2; public static int DilationHeight => 1; public static int DilationWidth => 1;
    }

    private readonly struct DepthwiseImage : IDepthwiseConvShape
    {
        public static int Channels => 32; public static int ChannelStride => 32;
        public static int InHeight => 28; public static int InWidth => 28; public static int OutHeight => 28; public static int OutWidth => 28;
        public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
        public static int PaddingHeight => 1; public static int PaddingWidth => 1; public static int DilationHeight => 1; public static int DilationWidth => 1;
    }

    private readonly struct SqueezeSignal32 : ISqueezeExcitationShape
    {
        public static int Channels => 32; public static int ChannelStride => 32; public static int Height => 1; public static int Width => 500;
        public static int Squeeze => 8; public static int SqueezeStride => 16;
    }

    private readonly struct SqueezeSignal64 : ISqueezeExcitationShape
    {
        public static int Channels => 64; public static int ChannelStride => 64; public static int Height => 1; public static int Width => 250;
        public static int Squeeze => 16; public static int SqueezeStride => 16;
    }

    private readonly struct GemSignal : IGemPoolShape
    {
        public static int Channels => 64; public static int ChannelStride => 64; public static int Height => 1; public static int Width => 250;
        public static float Epsilon => 1e-6f;
    }

    public static List<Timing> Measure(int batch, int threads, int calls, int passes)
    {
        using var pool = new WorkerPool(threads);
        var timings = new List<Timing>();
        Depthwise<DepthwiseSignal>(pool, batch, calls, passes, "64 x 1 x 250, kernel 1x7, padding 0x3", timings);
        Depthwise<DepthwiseSignalStride2>(pool, batch, calls, passes, "64 x 1 x 250, kernel 1x5, stride 1x2, padding 0x2", timings);
        Depthwise<DepthwiseImage>(pool, batch, calls, passes, "32 x 28 x 28, kernel 3x3, padding 1", timings);
        Squeeze<SqueezeSignal32>(pool, batch, calls, passes, "32 x 1 x 500, r = 4", timings);
        Squeeze<SqueezeSignal64>(pool, batch, calls, passes, "64 x 1 x 250, r = 4", timings);
        Gem(pool, batch, calls, passes, timings);
        return timings;
    }

    private static void Depthwise<T>(WorkerPool pool, int batch, int calls, int passes, string shape, List<Timing> timings) where T : struct, IDepthwiseConvShape
    {
        int cs = T.ChannelStride;
        long input = (long)batch * T.InHeight * T.InWidth * cs, output = (long)batch * T.OutHeight * T.OutWidth * cs;
        using var x = Floats(input, 1);
        using var w = Floats(T.KernelHeight * T.KernelWidth * cs, 2);
        using var b = Floats(cs, 3);
        using var z = Floats(output, 4);
        using var a = Floats(output, 5);
        using var dw = Floats(T.KernelHeight * T.KernelWidth * cs, 0);
        using var db = Floats(cs, 0);
        using var dx = Floats(input, 0);
        using var partials = Floats(DepthwiseConvKernels.WeightPartialsLength<T>(batch), 0);
        double flops = 2.0 * output * T.KernelHeight * T.KernelWidth / 1e9 * T.Channels / cs;
        // Forward: x in, z and a out; weights: x and dz in; inputs: dz, prevZ and prevA in, dx out.
        Add(timings, "depthwise conv", shape, "forward (SiLU, z kept)", batch, pool.ThreadCount, flops, (input + 2 * output) * 4,
            Time(calls, passes, () => DepthwiseConvKernels.Forward<T, Silu>(pool, x.Buffer, w.Buffer, b.Buffer, z.Buffer, a.Buffer, batch)));
        Add(timings, "depthwise conv", shape, "forward (identity)", batch, pool.ThreadCount, flops, (input + output) * 4,
            Time(calls, passes, () => DepthwiseConvKernels.Forward<T, Identity>(pool, x.Buffer, w.Buffer, b.Buffer, FloatBuffer.Null, a.Buffer, batch)));
        Add(timings, "depthwise conv", shape, "weight gradient", batch, pool.ThreadCount, flops, (input + output) * 4,
            Time(calls, passes, () => DepthwiseConvKernels.BackwardWeights<T>(pool, x.Buffer, a.Buffer, dw.Buffer, db.Buffer, partials.Buffer, batch)));
        Add(timings, "depthwise conv", shape, "input gradient (SiLU before)", batch, pool.ThreadCount, flops, (3 * input + output) * 4,
            Time(calls, passes, () => DepthwiseConvKernels.BackwardInputs<T, Silu>(pool, a.Buffer, w.Buffer, x.Buffer, x.Buffer, dx.Buffer, batch)));
        Add(timings, "depthwise conv", shape, "input gradient (identity before)", batch, pool.ThreadCount, flops, (input + output) * 4,
            Time(calls, passes, () => DepthwiseConvKernels.BackwardInputs<T, Identity>(pool, a.Buffer, w.Buffer, FloatBuffer.Null, x.Buffer, dx.Buffer, batch)));
    }

    private static void Squeeze<T>(WorkerPool pool, int batch, int calls, int passes, string shape, List<Timing> timings) where T : struct, ISqueezeExcitationShape
    {
        long tensor = (long)batch * T.Height * T.Width * T.ChannelStride;
        using var x = Floats(tensor, 1);
        using var parameters = Floats(SqueezeExcitationKernels.ParameterLength<T>(), 2, 0.1f);
        using var gradients = Floats(SqueezeExcitationKernels.ParameterLength<T>(), 0);
        using var scratch = Floats(SqueezeExcitationKernels.ScratchLength<T>(batch), 0);
        using var y = Floats(tensor, 0);
        using var dy = Floats(tensor, 3);
        using var dx = Floats(tensor, 0);
        // The mean, the product and (backward) the two per-pixel passes dominate; the bottleneck's matrix-vector
        // products add 4 C S per row.
        double forward = (2.0 * tensor + 4.0 * batch * T.Channels * T.Squeeze) / 1e9;
        Add(timings, "squeeze-excitation", shape, "forward", batch, pool.ThreadCount, forward, 2 * tensor * 4,
            Time(calls, passes, () => SqueezeExcitationKernels.Forward<T>(pool, x.Buffer, parameters.Buffer, scratch.Buffer, y.Buffer, batch)));
        Add(timings, "squeeze-excitation", shape, "backward (SiLU before)", batch, pool.ThreadCount, 2 * forward, 5 * tensor * 4,
            Time(calls, passes, () => SqueezeExcitationKernels.Backward<T, Silu>(pool, dy.Buffer, x.Buffer, parameters.Buffer, gradients.Buffer,
                scratch.Buffer, x.Buffer, x.Buffer, dx.Buffer, batch)));
        Add(timings, "squeeze-excitation", shape, "backward (identity before)", batch, pool.ThreadCount, 2 * forward, 4 * tensor * 4,
            Time(calls, passes, () => SqueezeExcitationKernels.Backward<T, Identity>(pool, dy.Buffer, x.Buffer, parameters.Buffer, gradients.Buffer,
                scratch.Buffer, FloatBuffer.Null, x.Buffer, dx.Buffer, batch)));
    }

    private static void Gem(WorkerPool pool, int batch, int calls, int passes, List<Timing> timings)
    {
        int cs = GemSignal.ChannelStride;
        long tensor = (long)batch * GemSignal.Height * GemSignal.Width * cs;
        using var x = Floats(tensor, 1);
        using var p = Floats(16, 0);
        p.Span.Fill(3f);
        using var y = Floats((long)batch * cs, 0);
        using var dy = Floats((long)batch * cs, 2);
        using var dp = Floats(16, 0);
        using var dx = Floats(tensor, 0);
        using var partials = Floats(GemPoolKernels.PartialsLength<GemSignal>(batch), 0);
        const string shape = "64 x 1 x 250, p = 3";
        // No flop count: the cost is a log and an exp per input (forward and backward), reported as GB/s only.
        Add(timings, "GeM pool", shape, "forward", batch, pool.ThreadCount, double.NaN, tensor * 4,
            Time(calls, passes, () => GemPoolKernels.Forward<GemSignal>(pool, x.Buffer, p.Buffer, y.Buffer, batch)));
        Add(timings, "GeM pool", shape, "backward (learnable p, SiLU before)", batch, pool.ThreadCount, double.NaN, 4 * tensor * 4,
            Time(calls, passes, () => GemPoolKernels.Backward<GemSignal, Silu>(pool, dy.Buffer, x.Buffer, y.Buffer, p.Buffer, dp.Buffer,
                partials.Buffer, x.Buffer, x.Buffer, dx.Buffer, batch)));
        Add(timings, "GeM pool", shape, "backward (fixed p, identity before)", batch, pool.ThreadCount, double.NaN, 3 * tensor * 4,
            Time(calls, passes, () => GemPoolKernels.Backward<GemSignal, Identity>(pool, dy.Buffer, x.Buffer, y.Buffer, p.Buffer, FloatBuffer.Null,
                partials.Buffer, FloatBuffer.Null, x.Buffer, dx.Buffer, batch)));
    }

    private static void Add(List<Timing> timings, string kernel, string shape, string pass, int batch, int threads, double gigaflops, long bytes, double seconds)
        => timings.Add(new Timing(kernel, shape, pass, batch, threads, seconds * 1e3, gigaflops / seconds, bytes / seconds / 1e9));

    /// <summary>Seconds per call: the best of <paramref name="passes"/> passes of <paramref name="calls"/> calls, after a warm-up pass.</summary>
    private static double Time(int calls, int passes, Action call)
    {
        for (int i = 0; i < calls; i++)
            call();
        double best = double.MaxValue;
        for (int pass = 0; pass < passes; pass++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++)
                call();
            best = Math.Min(best, (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency / calls);
        }
        return best;
    }

    /// <summary>A native buffer of uniform values in [-scale, scale) (0 when seed is 0). Channel padding is not kept 0: it does not change the timings.</summary>
    private static Native Floats(long length, int seed, float scale = 1f)
    {
        var buffer = new Native(length);
        if (seed != 0)
        {
            var random = new Random(seed);
            for (long i = 0; i < length; i++)
                buffer.Pointer[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        }
        return buffer;
    }

    private sealed class Native : IDisposable
    {
        public Native(long length)
        {
            Length = length;
            Pointer = (float*)NativeMemory.AlignedAlloc((nuint)Math.Max(length, 1) * sizeof(float), 64);
            Span.Clear();
        }

        public float* Pointer { get; private set; }
        public long Length { get; }
        public Span<float> Span => new(Pointer, checked((int)Length));
        public FloatBuffer Buffer => new(Pointer);

        public void Dispose()
        {
            NativeMemory.AlignedFree(Pointer);
            Pointer = null;
        }
    }
}
