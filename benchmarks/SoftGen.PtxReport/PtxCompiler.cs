using System;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace PtxReport;

/// <summary>
/// ILGPU's PTX backend without a GPU: sm_90, PTX ISA 7.8 (the newest the offline CUDA 11.8 ptxas reads), with the
/// runtime's context settings (GpuDevice: algorithms enabled, O2) and its specialization (none: LoadKernel and
/// LoadAutoGroupedKernel pass KernelSpecialization.Empty).
/// </summary>
internal sealed class PtxCompiler : IDisposable
{
    private readonly Context _context;
    private readonly PTXBackend _backend;

    public PtxCompiler()
    {
        _context = Context.Create(b => b.EnableAlgorithms().Optimize(OptimizationLevel.O2));
        _backend = new PTXBackend(_context, new CudaArchitecture(9, 0), new CudaInstructionSet(7, 8), nvvmAPI: null!);
    }

    public string Compile(KernelSource kernel)
    {
        try
        {
            var compiled = (PTXCompiledKernel)_backend.Compile(kernel.EntryPoint, KernelSpecialization.Empty);
            return compiled.PTXAssembly;
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"Kernel {kernel.Method.DeclaringType?.FullName}.{kernel.Name} did not compile to PTX: {e.Message}", e);
        }
    }

    public void Dispose()
    {
        _backend.Dispose();
        _context.Dispose();
    }
}
