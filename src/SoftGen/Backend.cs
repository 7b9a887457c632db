namespace SoftGen;

/// <summary>Where a trainer runs.</summary>
public enum Backend
{
    /// <summary>The generated, vectorised CPU code.</summary>
    Cpu = 0,
    /// <summary>The generated ILGPU kernels on a CUDA or OpenCL device.</summary>
    Gpu = 1,
    /// <summary>The GPU when one is present, otherwise the CPU.</summary>
    Auto = 2,
}
