using System;
using System.Runtime.Intrinsics;
using System.Runtime.InteropServices;
using SoftGen.Cpu;
using Xunit;

namespace SoftGen.Tests.Kernels;

/// <summary>
/// The dense GEMMs against float64 loops: every element within 1e-5 of the sum of its terms' magnitudes, padding
/// written as 0, rows past the range untouched, and the results bit-identical for any thread count.
/// </summary>
public unsafe class DenseKernelTests
{
    private const double Tolerance = 1e-5;
    private const float Sentinel = float.NaN;

    private static readonly int[] SmallRows = { 1, 5, 7, 13, 64 };

    [Fact]
    public void ForwardMatchesFloat64()
    {
        foreach (int rows in SmallRows)
        {
            CheckForward<Input3x1, Identity>(rows);
            CheckForward<Input5x17, Relu>(rows);
            CheckForward<Input64x10, Identity>(rows);
            CheckForward<Input784x48, Relu>(rows);
            CheckForward<Hidden1x16, Tanh>(rows);
            CheckForward<Hidden10x1, Sigmoid>(rows);
            CheckForward<Hidden17x16, LeakyRelu>(rows);
            CheckForward<Hidden48x17, Gelu>(rows);
            CheckForward<Hidden256x10, Identity>(rows);
        }
        CheckForward<Input784x512, Relu>(256);
        CheckForward<Hidden512x256, Gelu>(256);
    }

    [Theory]
    [InlineData(nameof(Identity))]
    [InlineData(nameof(Relu))]
    [InlineData(nameof(LeakyRelu))]
    [InlineData(nameof(Tanh))]
    [InlineData(nameof(Sigmoid))]
    [InlineData(nameof(Gelu))]
    public void ForwardAppliesEachActivation(string activation)
    {
        switch (activation)
        {
            case nameof(Identity): CheckForward<Hidden48x17, Identity>(13); break;
            case nameof(Relu): CheckForward<Hidden48x17, Relu>(13); break;
            case nameof(LeakyRelu): CheckForward<Hidden48x17, LeakyRelu>(13); break;
            case nameof(Tanh): CheckForward<Hidden48x17, Tanh>(13); break;
            case nameof(Sigmoid): CheckForward<Hidden48x17, Sigmoid>(13); break;
            case nameof(Gelu): CheckForward<Hidden48x17, Gelu>(13); break;
        }
    }

    [Fact]
    public void BackwardWeightsMatchesFloat64()
    {
        foreach (int rows in SmallRows)
        {
            CheckBackwardWeights<Input3x1>(rows);
            CheckBackwardWeights<Input5x17>(rows);
            CheckBackwardWeights<Input64x10>(rows);
            CheckBackwardWeights<Hidden1x16>(rows);
            CheckBackwardWeights<Hidden17x16>(rows);
            CheckBackwardWeights<Hidden48x17>(rows);
        }
        CheckBackwardWeights<Input784x48>(256);
        CheckBackwardWeights<Hidden512x256>(256);
    }

    [Fact]
    public void BackwardInputsMatchesFloat64()
    {
        foreach (int rows in SmallRows)
        {
            CheckBackwardInputs<Hidden1x16, Relu>(rows);
            CheckBackwardInputs<Hidden10x1, Identity>(rows);
            CheckBackwardInputs<Hidden17x16, Sigmoid>(rows);
            CheckBackwardInputs<Hidden48x17, Gelu>(rows);
            CheckBackwardInputs<Hidden256x10, LeakyRelu>(rows);
        }
        CheckBackwardInputs<Hidden512x256, Tanh>(256);
        CheckBackwardInputs<Hidden512x256, Relu>(256);
    }

    private readonly struct UnpaddedOutput : IDenseShape { public static int In => 4; public static int InStride => 4; public static int Out => 10; public static int OutStride => 10; }

    [Fact]
    public void ShapesBreakingTheLayoutRulesAreRejected()
    {
        using var pool = new WorkerPool(1);
        Assert.Throws<NotSupportedException>(() => DenseKernels.Forward<UnpaddedOutput, Relu>(pool, null, null, null, null, null, 1));
        Assert.Throws<NotSupportedException>(() => DenseKernels.BackwardWeights<UnpaddedOutput>(pool, null, null, null, null, 1));
        Assert.Throws<NotSupportedException>(() => HeadKernels.Softmax<UnpaddedOutput>(null, null, 1));
        // The model's input layer (InStride = In = 5) has no input gradient.
        Assert.Throws<NotSupportedException>(() => DenseKernels.BackwardInputs<Input5x17, Relu>(pool, null, null, null, null, null, null, 1));
    }

    [Fact]
    public void ResultsDoNotDependOnTheThreadCount()
    {
        foreach (int rows in new[] { 1, 13, 64, 250 })
        {
            AssertSameForAnyThreadCount<Input784x48, Relu>(rows);
            AssertSameForAnyThreadCount<Hidden48x17, Gelu>(rows);
            AssertSameForAnyThreadCount<Hidden512x256, Tanh>(rows);
        }
    }

    [Fact]
    public void KernelsAllocateNothingAfterWarmUp()
    {
        const int rows = 64;
        using var pool = new WorkerPool(2);
        var random = new Random(5);
        using var x = NativeFloats.Random(rows, Hidden48x17.InStride, Hidden48x17.In, random);
        using var wt = NativeFloats.Random(Hidden48x17.In, Hidden48x17.OutStride, Hidden48x17.Out, random);
        using var bias = NativeFloats.Random(1, Hidden48x17.OutStride, Hidden48x17.Out, random);
        using var z = new NativeFloats(rows * Hidden48x17.OutStride);
        using var a = new NativeFloats(rows * Hidden48x17.OutStride);
        using var dwt = new NativeFloats(Hidden48x17.In * Hidden48x17.OutStride);
        using var db = new NativeFloats(Hidden48x17.OutStride);
        using var w = new NativeFloats(Hidden48x17.Out * Hidden48x17.InStride);
        using var dzPrev = new NativeFloats(rows * Hidden48x17.InStride);

        void Step()
        {
            DenseKernels.Forward<Hidden48x17, Gelu>(pool, x.Pointer, wt.Pointer, bias.Pointer, z.Pointer, a.Pointer, rows);
            DenseKernels.BackwardWeights<Hidden48x17>(pool, x.Pointer, a.Pointer, dwt.Pointer, db.Pointer, rows);
            DenseKernels.BackwardInputs<Hidden48x17, Gelu>(pool, a.Pointer, wt.Pointer, w.Pointer, x.Pointer, x.Pointer, dzPrev.Pointer, rows);
        }

        for (int i = 0; i < 10; i++)
            Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
            Step();
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    // ---- checks ----

    private static void CheckForward<TShape, TAct>(int rows) where TShape : struct, IDenseShape where TAct : struct, IActivation
    {
        int inStride = TShape.InStride, outStride = TShape.OutStride;
        var random = new Random(rows * 1000 + TShape.In);
        using var pool = new WorkerPool(2);
        using var x = NativeFloats.Random(rows, inStride, TShape.In, random);
        // Garbage in the input's padding columns must not be read.
        for (int r = 0; r < rows; r++)
            for (int k = TShape.In; k < inStride; k++)
                x[r * inStride + k] = 1e30f;
        using var wt = NativeFloats.Random(TShape.In, outStride, TShape.Out, random, 1f / MathF.Sqrt(TShape.In));
        using var bias = NativeFloats.Random(1, outStride, TShape.Out, random, 0.5f);
        using var z = NativeFloats.Filled((rows + 1) * outStride, Sentinel);
        using var a = NativeFloats.Filled((rows + 1) * outStride, Sentinel);
        using var aOnly = NativeFloats.Filled((rows + 1) * outStride, Sentinel);

        DenseKernels.Forward<TShape, TAct>(pool, x.Pointer, wt.Pointer, bias.Pointer, z.Pointer, a.Pointer, rows);
        DenseKernels.Forward<TShape, TAct>(pool, x.Pointer, wt.Pointer, bias.Pointer, null, aOnly.Pointer, rows);

        string name = typeof(TAct).Name;
        for (int r = 0; r < rows; r++)
        {
            if (!Visit(r, rows, (long)rows * TShape.In * TShape.Out))
                continue;
            for (int n = 0; n < TShape.Out; n++)
            {
                double sum = bias[n], magnitude = Math.Abs(bias[n]);
                for (int k = 0; k < TShape.In; k++)
                {
                    double term = (double)x[r * inStride + k] * wt[k * outStride + n];
                    sum += term;
                    magnitude += Math.Abs(term);
                }
                float zk = z[r * outStride + n];
                Assert.True(Math.Abs(zk - sum) <= Tolerance * magnitude + 1e-30, $"{typeof(TShape).Name} rows {rows}: Z[{r}, {n}] = {zk:R}, float64 {sum:R}");
                double expected = Reference.Apply(name, zk);
                float ak = a[r * outStride + n];
                Assert.True(Math.Abs(ak - expected) <= 2e-7 + 1e-6 * Math.Abs(expected), $"{name}: A[{r}, {n}] = {ak:R}, float64 act(Z) {expected:R}");
            }
            for (int n = TShape.Out; n < outStride; n++)
            {
                Assert.Equal(0f, z[r * outStride + n]);
                Assert.Equal(0f, a[r * outStride + n]);
            }
        }
        Assert.True(Bits(a.Span[..(rows * outStride)]).SequenceEqual(Bits(aOnly.Span[..(rows * outStride)])), "A differs when Z is not written");
        AssertUntouched(z, rows * outStride);
        AssertUntouched(a, rows * outStride);
        AssertUntouched(aOnly, rows * outStride);
    }

    private static void CheckBackwardWeights<TShape>(int rows) where TShape : struct, IDenseShape
    {
        int inStride = TShape.InStride, outStride = TShape.OutStride;
        var random = new Random(rows * 1000 + TShape.Out);
        using var pool = new WorkerPool(2);
        using var x = NativeFloats.Random(rows, inStride, TShape.In, random);
        using var dz = NativeFloats.Random(rows, outStride, TShape.Out, random);
        using var dwt = NativeFloats.Filled(TShape.In * outStride + 1, Sentinel);
        using var db = NativeFloats.Filled(outStride + 1, Sentinel);

        DenseKernels.BackwardWeights<TShape>(pool, x.Pointer, dz.Pointer, dwt.Pointer, db.Pointer, rows);

        for (int n = 0; n < outStride; n++)
        {
            for (int k = 0; k < TShape.In; k++)
            {
                if (!Visit(k, TShape.In, (long)rows * TShape.In * outStride))
                    continue;
                double sum = 0, magnitude = 0;
                for (int r = 0; r < rows; r++)
                {
                    double term = (double)x[r * inStride + k] * dz[r * outStride + n];
                    sum += term;
                    magnitude += Math.Abs(term);
                }
                float got = dwt[k * outStride + n];
                Assert.True(Math.Abs(got - sum) <= Tolerance * magnitude, $"{typeof(TShape).Name} rows {rows}: dWt[{k}, {n}] = {got:R}, float64 {sum:R}");
                if (n >= TShape.Out)
                    Assert.Equal(0f, got);
            }
            double columnSum = 0, columnMagnitude = 0;
            for (int r = 0; r < rows; r++)
            {
                columnSum += dz[r * outStride + n];
                columnMagnitude += Math.Abs(dz[r * outStride + n]);
            }
            Assert.True(Math.Abs(db[n] - columnSum) <= Tolerance * columnMagnitude, $"db[{n}] = {db[n]:R}, float64 {columnSum:R}");
        }
        AssertUntouched(dwt, TShape.In * outStride);
        AssertUntouched(db, outStride);
    }

    private static void CheckBackwardInputs<TShape, TPrevAct>(int rows) where TShape : struct, IDenseShape where TPrevAct : struct, IActivation
    {
        int inStride = TShape.InStride, outStride = TShape.OutStride;
        var random = new Random(rows * 1000 + TShape.In + TShape.Out);
        using var pool = new WorkerPool(2);
        using var dz = NativeFloats.Random(rows, outStride, TShape.Out, random);
        using var wt = NativeFloats.Random(TShape.In, outStride, TShape.Out, random, 0.3f);
        using var w = NativeFloats.Filled(TShape.Out * inStride, Sentinel);
        // The previous layer's Z and A = act(Z), padding 0 as the forward pass leaves them.
        using var prevZ = NativeFloats.Random(rows, inStride, TShape.In, random, 3f);
        using var prevA = new NativeFloats(rows * inStride);
        for (int r = 0; r < rows; r++)
            for (int k = 0; k < TShape.In; k++)
                prevA[r * inStride + k] = TPrevAct.Apply(prevZ[r * inStride + k]);
        using var dzPrev = NativeFloats.Filled((rows + 1) * inStride, Sentinel);

        DenseKernels.BackwardInputs<TShape, TPrevAct>(pool, dz.Pointer, wt.Pointer, w.Pointer, TPrevAct.NeedsPreActivation ? prevZ.Pointer : null, prevA.Pointer, dzPrev.Pointer, rows);

        // The scratch holds W = Wt^T in column panels: panel c (a multiple of the panel width P) holds W[n, c + i]
        // at c Out + n w + i, w = min(P, InStride - c); columns at or past In are 0.
        int panelWidth = Vector512.IsHardwareAccelerated ? 32 : 16;
        Assert.Equal(panelWidth, DenseKernels.PanelWidth);
        for (int n = 0; n < TShape.Out; n++)
            for (int k = 0; k < inStride; k++)
            {
                int c = k / panelWidth * panelWidth, width = Math.Min(panelWidth, inStride - c);
                Assert.Equal(k < TShape.In ? wt[k * outStride + n] : 0f, w[c * TShape.Out + n * width + k - c]);
            }

        string name = typeof(TPrevAct).Name;
        for (int r = 0; r < rows; r++)
        {
            if (!Visit(r, rows, (long)rows * TShape.In * TShape.Out))
                continue;
            for (int k = 0; k < TShape.In; k++)
            {
                double sum = 0, magnitude = 0;
                for (int n = 0; n < TShape.Out; n++)
                {
                    double term = (double)dz[r * outStride + n] * wt[k * outStride + n];
                    sum += term;
                    magnitude += Math.Abs(term);
                }
                double derivative = Reference.Derivative(name, prevZ[r * inStride + k]);
                double expected = sum * derivative;
                float got = dzPrev[r * inStride + k];
                Assert.True(Math.Abs(got - expected) <= Tolerance * magnitude * Math.Abs(derivative) + 1e-6 * Math.Abs(sum),
                    $"{typeof(TShape).Name} {name} rows {rows}: dZprev[{r}, {k}] = {got:R}, float64 {expected:R}");
            }
            for (int k = TShape.In; k < inStride; k++)
                Assert.Equal(0f, dzPrev[r * inStride + k]);
        }
        AssertUntouched(dzPrev, rows * inStride);
    }

    private static void AssertSameForAnyThreadCount<TShape, TAct>(int rows) where TShape : struct, IDenseShape where TAct : struct, IActivation
    {
        int inStride = TShape.InStride, outStride = TShape.OutStride;
        var random = new Random(rows);
        using var x = NativeFloats.Random(rows, inStride, TShape.In, random);
        using var wt = NativeFloats.Random(TShape.In, outStride, TShape.Out, random, 0.1f);
        using var bias = NativeFloats.Random(1, outStride, TShape.Out, random);
        using var dz = NativeFloats.Random(rows, outStride, TShape.Out, random);

        float[]? baseline = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var pool = new WorkerPool(threads);
            using var z = new NativeFloats(rows * outStride);
            using var a = new NativeFloats(rows * outStride);
            using var dwt = new NativeFloats(TShape.In * outStride);
            using var db = new NativeFloats(outStride);
            using var w = new NativeFloats(TShape.Out * inStride);
            using var dzPrev = new NativeFloats(rows * inStride);
            DenseKernels.Forward<TShape, TAct>(pool, x.Pointer, wt.Pointer, bias.Pointer, z.Pointer, a.Pointer, rows);
            DenseKernels.BackwardWeights<TShape>(pool, x.Pointer, dz.Pointer, dwt.Pointer, db.Pointer, rows);
            if (inStride % 16 == 0)
                DenseKernels.BackwardInputs<TShape, TAct>(pool, dz.Pointer, wt.Pointer, w.Pointer, x.Pointer, x.Pointer, dzPrev.Pointer, rows);

            float[] all = [.. z.Span, .. a.Span, .. dwt.Span, .. db.Span, .. dzPrev.Span];
            if (baseline is null)
                baseline = all;
            else
                Assert.True(Bits(baseline).SequenceEqual(Bits(all)), $"{typeof(TShape).Name} rows {rows}: {threads} threads differ from 1");
        }
    }

    /// <summary>
    /// Whether a float64 check visits row (or column) <paramref name="index"/>: all of them for small problems, else
    /// every few, the first and the last tile's worth, so that the Debug-built references stay quick.
    /// </summary>
    private static bool Visit(int index, int count, long work)
    {
        long step = Math.Max(1, work / 4_000_000);
        return index % step == 0 || index >= count - 9;
    }

    private static ReadOnlySpan<int> Bits(ReadOnlySpan<float> values) => MemoryMarshal.Cast<float, int>(values);

    /// <summary>Everything from <paramref name="written"/> on still holds the sentinel.</summary>
    private static void AssertUntouched(NativeFloats buffer, int written)
    {
        foreach (float v in buffer.Span[written..])
            Assert.True(float.IsNaN(v), "a kernel wrote past its rows");
    }
}
