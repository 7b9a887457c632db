using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace SoftGen.Cpu;

/// <summary>The layout rules of <see cref="IDenseShape"/> that the kernels rely on, checked at no cost (the widths are JIT-time constants).</summary>
internal static class DenseShape
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Validate<TShape>() where TShape : struct, IDenseShape
    {
        if (TShape.In < 1 || TShape.InStride < TShape.In || TShape.Out < 1 || TShape.OutStride < TShape.Out || TShape.OutStride % 16 != 0)
            Throw<TShape>();
    }

    [DoesNotReturn]
    private static void Throw<TShape>() where TShape : struct, IDenseShape
        => throw new NotSupportedException(
            $"{typeof(TShape).Name} is not a valid layer shape (In {TShape.In}, InStride {TShape.InStride}, Out {TShape.Out}, OutStride {TShape.OutStride}): "
            + "the kernels need 1 <= In <= InStride, 1 <= Out <= OutStride and OutStride a multiple of 16.");
}
