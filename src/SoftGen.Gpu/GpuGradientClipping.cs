using System;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace SoftGen.Gpu;

/// <summary>
/// Gradient clipping on the device: the 2-norm of the flat gradient buffer in double, with PyTorch's clip_grad_value_
/// clamp fused into the same read, and clip_grad_norm_'s coefficient min(1, max_norm / (norm + 1e-6)) computed there
/// into <see cref="Scale"/>, which the optimizer kernel reads. Only the norm (one double) comes back to the host.
/// </summary>
/// <remarks>
/// Two launches in a fixed order of addition: <see cref="PartialSumsKernel"/>, G groups of <see cref="Threads"/>
/// (G = min(<see cref="MaxGroups"/>, ceil(length / Threads)), so it depends on the length alone), each thread adding
/// the squares of elements i, i + G Threads, ..., then a tree over the group in shared memory; and
/// <see cref="FinishKernel"/>, one group adding the G partial sums by the same tree. The same gradients give the same
/// bits on a device every time. The kernels are compiled on first use: a trainer without clipping never loads them.
/// </remarks>
internal sealed unsafe class GpuGradientClipping : IDisposable
{
    public const int Threads = 256;
    private const int MaxGroups = 256;

    private readonly Accelerator _accelerator;
    private readonly int _length, _groups;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _partials, _norm;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _scale, _one;
    private readonly double* _normHost = (double*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(64, 64); // pinned: the device copies into it
    private Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<double>, int, float>? _partialSums;
    private Action<AcceleratorStream, KernelConfig, ArrayView<double>, ArrayView<double>, ArrayView<float>, int, float>? _finish;

    public GpuGradientClipping(Accelerator accelerator, int length)
    {
        _accelerator = accelerator;
        _length = length;
        _groups = Math.Clamp((length + Threads - 1) / Threads, 1, MaxGroups);
        _partials = accelerator.Allocate1D<double>(_groups);
        _norm = accelerator.Allocate1D<double>(1);
        _scale = accelerator.Allocate1D(new[] { 1f });
        _one = accelerator.Allocate1D(new[] { 1f });
    }

    /// <summary>The coefficient the last <see cref="Launch"/> with a max norm wrote (one float on the device).</summary>
    public ArrayView<float> Scale => _scale.View;

    /// <summary>A device float that is always 1: the optimizer's gradient scale when no clipping is pending.</summary>
    public ArrayView<float> One => _one.View;

    /// <summary>
    /// Queues the clamp (when <paramref name="clipValue"/> is positive), the norm, and (when <paramref name="maxNorm"/>
    /// is positive) the coefficient into <see cref="Scale"/>; <see cref="ReadNorm"/> then waits and returns the norm.
    /// </summary>
    public void Launch(AcceleratorStream stream, ArrayView<float> gradients, float clipValue, float maxNorm)
    {
        _partialSums ??= _accelerator.LoadKernel<ArrayView<float>, ArrayView<double>, int, float>(PartialSumsKernel);
        _finish ??= _accelerator.LoadKernel<ArrayView<double>, ArrayView<double>, ArrayView<float>, int, float>(FinishKernel);
        _partialSums(stream, new KernelConfig(_groups, Threads), gradients, _partials.View, _length, clipValue);
        _finish(stream, new KernelConfig(1, Threads), _partials.View, _norm.View, _scale.View, _groups, maxNorm);
    }

    /// <summary>Copies the norm of the last <see cref="Launch"/> to the host and waits for it.</summary>
    public double ReadNorm(AcceleratorStream stream)
    {
        _norm.View.CopyToCPU(stream, ref *_normHost, 1);
        stream.Synchronize();
        return *_normHost;
    }

    // g = clamp(g, -clipValue, clipValue) when clipValue > 0 (NaN stays NaN); partials[group] = sum of g^2 in double.
    private static void PartialSumsKernel(ArrayView<float> g, ArrayView<double> partials, int length, float clipValue)
    {
        var sums = SharedMemory.Allocate<double>(Threads);
        int t = Group.IdxX, stride = Grid.DimX * Threads;
        double sum = 0;
        for (int i = Grid.IdxX * Threads + t; i < length; i += stride)
        {
            float x = g[i];
            if (clipValue > 0f)
            {
                x = x > clipValue ? clipValue : x < -clipValue ? -clipValue : x;
                g[i] = x;
            }
            sum += (double)x * x;
        }
        sums[t] = sum;
        Group.Barrier();
        AddTree(sums, t);
        if (t == 0) partials[Grid.IdxX] = sums[0];
    }

    // norm = sqrt(sum of the partials); scale = min(1, maxNorm / (norm + 1e-6)) when maxNorm > 0, as the CPU computes it.
    private static void FinishKernel(ArrayView<double> partials, ArrayView<double> norm, ArrayView<float> scale, int groups, float maxNorm)
    {
        var sums = SharedMemory.Allocate<double>(Threads);
        int t = Group.IdxX;
        double sum = 0;
        for (int k = t; k < groups; k += Threads) sum += partials[k];
        sums[t] = sum;
        Group.Barrier();
        AddTree(sums, t);
        if (t != 0) return;
        double n = XMath.Sqrt(sums[0]);
        norm[0] = n;
        if (maxNorm > 0f)
        {
            double coefficient = maxNorm / (n + 1e-6);
            scale[0] = coefficient < 1.0 ? (float)coefficient : 1f;
        }
    }

    /// <summary>sums[0] = the sum of sums[0..Threads), by halves (a fixed order); every thread of the group calls it.</summary>
    private static void AddTree(ArrayView<double> sums, int t)
    {
        for (int half = Threads / 2; half > 0; half >>= 1)
        {
            if (t < half) sums[t] += sums[t + half];
            Group.Barrier();
        }
    }

    public void Dispose()
    {
        _partials.Dispose();
        _norm.Dispose();
        _scale.Dispose();
        _one.Dispose();
        System.Runtime.InteropServices.NativeMemory.AlignedFree(_normHost);
    }
}
