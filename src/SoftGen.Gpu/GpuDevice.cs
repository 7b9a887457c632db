using System;
using System.Linq;
using System.Threading;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace SoftGen.Gpu;

/// <summary>
/// One ILGPU context and accelerator: a CUDA device, else an OpenCL GPU. ILGPU's CPU accelerator (a thread simulator,
/// far slower than SoftGen's CPU backend) is used only inside <see cref="GpuTesting.UseCpuAccelerator"/>.
/// </summary>
public sealed class GpuDevice : IDisposable
{
    /// <summary>Threads per group of ILGPU's CPU accelerator in tests: the generated GEMM kernels use groups of 256.</summary>
    internal const int CpuAcceleratorGroupSize = 256;

    private static readonly Lazy<bool> GpuPresent = new(ProbeGpu, LazyThreadSafetyMode.ExecutionAndPublication);

    private GpuDevice(Context context, Accelerator accelerator)
    {
        Context = context;
        Accelerator = accelerator;
    }

    public Context Context { get; }
    public Accelerator Accelerator { get; }

    /// <summary>The device in words: name, kind and memory.</summary>
    public string Description => $"{Accelerator.Name} ({Accelerator.AcceleratorType}, {Accelerator.MemorySize / (1024 * 1024)} MiB)";

    /// <summary>True when a CUDA or OpenCL GPU is present (probed once per process).</summary>
    public static bool IsGpuAvailable => GpuPresent.Value;

    /// <summary>
    /// Opens the device a trainer runs on: the test accelerator inside <see cref="GpuTesting.UseCpuAccelerator"/>,
    /// else a CUDA device, else an OpenCL GPU. With no GPU: null, or, when <paramref name="required"/>, an exception.
    /// </summary>
    public static GpuDevice? Open(bool required)
    {
        if (required && GpuTesting.CpuAcceleratorRequested)
        {
            var device = new CPUDevice(numThreadsPerWarp: 32, numWarpsPerMultiprocessor: CpuAcceleratorGroupSize / 32, numMultiprocessors: 1);
            var context = Context.Create(b => b.CPU(device).EnableAlgorithms().Optimize(OptimizationLevel.O1));
            return new GpuDevice(context, device.CreateCPUAccelerator(context, CPUAcceleratorMode.Parallel));
        }
        if (!required && !IsGpuAvailable) return null;

        var gpuContext = Context.Create(b => b.Cuda().OpenCL().EnableAlgorithms().Optimize(OptimizationLevel.O2));
        try
        {
            var chosen = gpuContext.Devices.FirstOrDefault(d => d.AcceleratorType == AcceleratorType.Cuda)
                ?? gpuContext.Devices.FirstOrDefault(d => d.AcceleratorType == AcceleratorType.OpenCL);
            if (chosen is null)
            {
                if (!required) { gpuContext.Dispose(); return null; }
                throw new NotSupportedException(
                    "Backend.Gpu found no CUDA or OpenCL device on this machine; use Backend.Auto to fall back to the CPU, or Backend.Cpu.");
            }
            return new GpuDevice(gpuContext, chosen.CreateAccelerator(gpuContext));
        }
        catch
        {
            gpuContext.Dispose();
            throw;
        }
    }

    private static bool ProbeGpu()
    {
        try
        {
            using var context = Context.Create(b => b.Cuda().OpenCL());
            return context.Devices.Any(d => d.AcceleratorType is AcceleratorType.Cuda or AcceleratorType.OpenCL);
        }
        catch (Exception)
        {
            return false; // no driver libraries: no GPU
        }
    }

    public void Dispose()
    {
        Accelerator.Dispose();
        Context.Dispose();
    }
}

/// <summary>The testing hook: runs the GPU backend on ILGPU's CPU accelerator, so that CI checks the generated kernels.</summary>
public static class GpuTesting
{
    private static readonly AsyncLocal<(bool Cpu, GemmTiles Tiles)> Requested = new();

    internal static bool CpuAcceleratorRequested => Requested.Value.Cpu;

    /// <summary>The tile shape a program made now takes for its Dense GEMMs (outside a scope: by the rule).</summary>
    internal static GemmTiles RequestedTiles => Requested.Value.Tiles;

    /// <summary>
    /// Until the returned scope is disposed, trainers made with <see cref="Backend.Gpu"/> on this thread (and its async
    /// flow) run on ILGPU's CPU accelerator with groups of 256 threads, their Dense GEMMs in <paramref name="tiles"/>
    /// (the rule picks 64 x 64 on that one-multiprocessor accelerator). <see cref="Backend.Auto"/> is not affected.
    /// </summary>
    public static IDisposable UseCpuAccelerator(GemmTiles tiles = GemmTiles.ByRule)
    {
        if (!Enum.IsDefined(tiles))
            throw new ArgumentOutOfRangeException(nameof(tiles), tiles, "tiles must be ByRule, Large or Small.");
        var previous = Requested.Value;
        Requested.Value = (true, tiles);
        return new Scope(previous);
    }

    private sealed class Scope((bool, GemmTiles) previous) : IDisposable
    {
        public void Dispose() => Requested.Value = previous;
    }
}

/// <summary>The tile shape of the generated Dense GEMM launches, for tests (<see cref="GpuTesting.UseCpuAccelerator"/>).</summary>
public enum GemmTiles
{
    /// <summary>Per launch by the rule of <c>GpuProgram.UseLargeTiles</c>.</summary>
    ByRule,
    /// <summary>Always 64 x 64 tiles.</summary>
    Large,
    /// <summary>Always 32 x 32 tiles (4 slices of 64 threads over k).</summary>
    Small,
}
