namespace SoftGen.Cpu;

/// <summary>
/// Where a micro-kernel finds A and C, for C = A B: A(i, p) = a[i RowStrideA + p ColStrideA], C(i, j) = c[i StrideC + j]
/// (B(p, j) = b[p strideB + j] is usually a packed panel). Implemented by structs over a layer shape, so that these strides
/// are JIT-time constants.
/// </summary>
internal interface IGemmLayout
{
    static abstract int RowStrideA { get; }
    static abstract int ColStrideA { get; }
    static abstract int StrideC { get; }
}

/// <summary>Forward: A = X [rows, InStride], B = Wt [In, OutStride], C = Z or A [rows, OutStride].</summary>
internal readonly struct ForwardLayout<TShape> : IGemmLayout where TShape : struct, IDenseShape
{
    public static int RowStrideA => TShape.InStride;
    public static int ColStrideA => 1;
    public static int StrideC => TShape.OutStride;
}

/// <summary>Weight gradient: A = X^T (A(k, r) = X[r, k]), B = dZ [rows, OutStride], C = dWt [In, OutStride].</summary>
internal readonly struct WeightsLayout<TShape> : IGemmLayout where TShape : struct, IDenseShape
{
    public static int RowStrideA => 1;
    public static int ColStrideA => TShape.InStride;
    public static int StrideC => TShape.OutStride;
}

/// <summary>Input gradient: A = dZ [rows, OutStride], B = a panel of W (Wt transposed, packed), C = dZprev [rows, InStride].</summary>
internal readonly struct InputsLayout<TShape> : IGemmLayout where TShape : struct, IDenseShape
{
    public static int RowStrideA => TShape.OutStride;
    public static int ColStrideA => 1;
    public static int StrideC => TShape.InStride;
}

/// <summary>A small integer known to the JIT: a micro-kernel's row count or its width in vectors.</summary>
internal interface IConstant
{
    static abstract int Value { get; }
}

internal readonly struct C1 : IConstant { public static int Value => 1; }
internal readonly struct C2 : IConstant { public static int Value => 2; }
internal readonly struct C3 : IConstant { public static int Value => 3; }
internal readonly struct C4 : IConstant { public static int Value => 4; }
internal readonly struct C5 : IConstant { public static int Value => 5; }
internal readonly struct C6 : IConstant { public static int Value => 6; }
internal readonly struct C7 : IConstant { public static int Value => 7; }
internal readonly struct C8 : IConstant { public static int Value => 8; }
internal readonly struct C16 : IConstant { public static int Value => 16; }
internal readonly struct C32 : IConstant { public static int Value => 32; }
