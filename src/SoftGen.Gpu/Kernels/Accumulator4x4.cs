using System.Runtime.CompilerServices;

namespace SoftGen.Gpu.Kernels;

/// <summary>A thread's 4 x 4 block of a GEMM's output, in registers: C[i, j] is Cij.</summary>
internal struct Accumulator4x4
{
    public float C00, C01, C02, C03, C10, C11, C12, C13, C20, C21, C22, C23, C30, C31, C32, C33;

    /// <summary>One k-step: C[i, j] += a[i] b[j], 16 FFMA from the two Float4 read from the shared tiles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(Float4 a, Float4 b)
    {
        C00 += a.X * b.X; C01 += a.X * b.Y; C02 += a.X * b.Z; C03 += a.X * b.W;
        C10 += a.Y * b.X; C11 += a.Y * b.Y; C12 += a.Y * b.Z; C13 += a.Y * b.W;
        C20 += a.Z * b.X; C21 += a.Z * b.Y; C22 += a.Z * b.Z; C23 += a.Z * b.W;
        C30 += a.W * b.X; C31 += a.W * b.Y; C32 += a.W * b.Z; C33 += a.W * b.W;
    }
}
