using System;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;

namespace SoftGen.Tests.Gpu;

/// <summary>
/// Runs SoftGen.Gpu.Kernels' element and reduction kernels one by one on ILGPU's CPU accelerator, in groups of
/// <see cref="GroupSize"/> threads (the tests pick an odd size so that the last group is partial; the GEMM kernels
/// need <see cref="SoftGen.Gpu.Kernels.GemmTiles.Threads"/>, 256, a multiple of the simulated warp of 32).
/// </summary>
internal sealed class GpuKernelHarness : IDisposable
{
    private readonly Context _context;

    public GpuKernelHarness(int groupSize = 13)
    {
        GroupSize = groupSize;
        var device = groupSize <= 16
            ? new CPUDevice(numThreadsPerWarp: 4, numWarpsPerMultiprocessor: 4, numMultiprocessors: 1)
            : new CPUDevice(numThreadsPerWarp: 32, numWarpsPerMultiprocessor: groupSize / 32, numMultiprocessors: 1);
        _context = Context.Create(b => b.CPU(device).EnableAlgorithms().Optimize(OptimizationLevel.O1));
        Accelerator = device.CreateCPUAccelerator(_context, CPUAcceleratorMode.Parallel);
    }

    public Accelerator Accelerator { get; }

    public int GroupSize { get; }

    /// <summary>A device copy of <paramref name="values"/>.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Upload(float[] values) => Accelerator.Allocate1D(values);

    /// <summary>A device buffer of <paramref name="length"/> floats, all <paramref name="fill"/> (NaN by default: what a kernel must overwrite).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Filled(int length, float fill = float.NaN)
    {
        var values = new float[length];
        Array.Fill(values, fill);
        return Accelerator.Allocate1D(values);
    }

    /// <summary>Groups of <see cref="GroupSize"/> covering <paramref name="threads"/> threads, at least one.</summary>
    public KernelConfig For(int threads) => new(Math.Max(1, (threads + GroupSize - 1) / GroupSize), GroupSize);

    public void Dispose()
    {
        Accelerator.Dispose();
        _context.Dispose();
    }
}
