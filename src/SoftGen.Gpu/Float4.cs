using System.Runtime.InteropServices;

namespace SoftGen.Gpu;

/// <summary>
/// Four floats read or written as one 16-byte access: through a view cast to this type, ILGPU emits ld.shared.v4.f32 /
/// ld.global.v4.f32 (LDS.128 / LDG.E.128). System.Numerics.Vector4 does not compile in ILGPU kernels on .NET 10.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
public struct Float4
{
    public float X, Y, Z, W;
}
