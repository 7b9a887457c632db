using System.Runtime.Intrinsics;

namespace SoftGen.Cpu;

/// <summary>Where a convolution's GEMM finds A and C: A(i, p) = a[i RowStrideA + p ColStrideA], C(i, j) = c[i StrideC + j].</summary>
internal interface IConvGemm
{
    static abstract int RowStrideA { get; }
    static abstract int ColStrideA { get; }
    static abstract int StrideC { get; }
}

/// <summary>A small integer known to the JIT (a tile's rows or vectors; 0 or 1 for a flag).</summary>
internal interface IConvConstant
{
    static abstract int Value { get; }
}

internal readonly struct K0 : IConvConstant { public static int Value => 0; }
internal readonly struct K1 : IConvConstant { public static int Value => 1; }
internal readonly struct K2 : IConvConstant { public static int Value => 2; }
internal readonly struct K3 : IConvConstant { public static int Value => 3; }
internal readonly struct K4 : IConvConstant { public static int Value => 4; }
internal readonly struct K5 : IConvConstant { public static int Value => 5; }
internal readonly struct K6 : IConvConstant { public static int Value => 6; }
internal readonly struct K7 : IConvConstant { public static int Value => 7; }
internal readonly struct K8 : IConvConstant { public static int Value => 8; }
internal readonly struct K9 : IConvConstant { public static int Value => 9; }

/// <summary>
/// Register-blocked GEMM tiles for the convolution kernels: up to 8 rows by 32 columns (2 x Vector512) held in 16
/// accumulators through the depth loop, C = A B or, with TAccumulate = K1, C += A B (so that a long reduction can run
/// in blocks whose operands are built in cache). Each element's sum runs over p = 0..depth-1 in order whatever the
/// tile's size, so results do not depend on tiling. Where Vector512 is not accelerated (no AVX-512), the same GEMMs
/// run on Vector256 tiles (ConvMicroKernels256.cs) with the same results.
/// </summary>
internal static unsafe partial class ConvMicroKernels
{
    public const int Rows = 8;

    /// <summary>
    /// Vector512 tiles where AVX-512 runs natively, else Vector256 tiles. Not readonly so that the tests can run the
    /// Vector256 tiles on an AVX-512 machine too (both give the same bits, so a change mid-run changes no result).
    /// </summary>
    internal static bool UseVector512 = Vector512.IsHardwareAccelerated;

    public static void Run<TGemm, TAccumulate>(int rows, int vectors, float* a, float* b, nint strideB, float* c, int depth)
        where TGemm : struct, IConvGemm where TAccumulate : struct, IConvConstant
    {
        if (!UseVector512)
            Run256<TGemm, TAccumulate>(rows, vectors, a, b, strideB, c, depth);
        else if (vectors == 2)
            Run<TGemm, K2, TAccumulate>(rows, a, b, strideB, c, depth);
        else
            Run<TGemm, K1, TAccumulate>(rows, a, b, strideB, c, depth);
    }

    private static void Run<TGemm, TVectors, TAccumulate>(int rows, float* a, float* b, nint strideB, float* c, int depth)
        where TGemm : struct, IConvGemm where TVectors : struct, IConvConstant where TAccumulate : struct, IConvConstant
    {
        switch (rows)
        {
            case 8: Tile<TGemm, K8, TVectors, TAccumulate>(a, b, strideB, c, depth); break;
            case 7: Tile<TGemm, K7, TVectors, TAccumulate>(a, b, strideB, c, depth); break;
            case 6: Tile<TGemm, K6, TVectors, TAccumulate>(a, b, strideB, c, depth); break;
            case 5: Tile<TGemm, K5, TVectors, TAccumulate>(a, b, strideB, c, depth); break;
            case 4: Tile<TGemm, K4, TVectors, TAccumulate>(a, b, strideB, c, depth); break;
            case 3: Tile<TGemm, K3, TVectors, TAccumulate>(a, b, strideB, c, depth); break;
            case 2: Tile<TGemm, K2, TVectors, TAccumulate>(a, b, strideB, c, depth); break;
            case 1: Tile<TGemm, K1, TVectors, TAccumulate>(a, b, strideB, c, depth); break;
        }
    }

    private static void Tile<TGemm, TRows, TVectors, TAccumulate>(float* a, float* b, nint strideB, float* c, int depth)
        where TGemm : struct, IConvGemm where TRows : struct, IConvConstant where TVectors : struct, IConvConstant
        where TAccumulate : struct, IConvConstant
    {
        const int s = 16;
        int sc = TGemm.StrideC;
        bool two = TVectors.Value > 1, acc = TAccumulate.Value != 0;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        if (acc)
        {
            c00 = Vector512.Load(c); if (two) c01 = Vector512.Load(c + s);
            if (TRows.Value > 1) { c10 = Vector512.Load(c + sc); if (two) c11 = Vector512.Load(c + sc + s); }
            if (TRows.Value > 2) { c20 = Vector512.Load(c + 2 * sc); if (two) c21 = Vector512.Load(c + 2 * sc + s); }
            if (TRows.Value > 3) { c30 = Vector512.Load(c + 3 * sc); if (two) c31 = Vector512.Load(c + 3 * sc + s); }
            if (TRows.Value > 4) { c40 = Vector512.Load(c + 4 * sc); if (two) c41 = Vector512.Load(c + 4 * sc + s); }
            if (TRows.Value > 5) { c50 = Vector512.Load(c + 5 * sc); if (two) c51 = Vector512.Load(c + 5 * sc + s); }
            if (TRows.Value > 6) { c60 = Vector512.Load(c + 6 * sc); if (two) c61 = Vector512.Load(c + 6 * sc + s); }
            if (TRows.Value > 7) { c70 = Vector512.Load(c + 7 * sc); if (two) c71 = Vector512.Load(c + 7 * sc + s); }
        }
        for (int p = 0; p < depth; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = two ? Vector512.Load(b + s) : default;
            var a0 = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
            if (two) c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            if (TRows.Value > 1)
            {
                var a1 = Vector512.Create(a[1 * TGemm.RowStrideA]);
                c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
                if (two) c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            }
            if (TRows.Value > 2)
            {
                var a2 = Vector512.Create(a[2 * TGemm.RowStrideA]);
                c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
                if (two) c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            }
            if (TRows.Value > 3)
            {
                var a3 = Vector512.Create(a[3 * TGemm.RowStrideA]);
                c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
                if (two) c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            }
            if (TRows.Value > 4)
            {
                var a4 = Vector512.Create(a[4 * TGemm.RowStrideA]);
                c40 = Vector512.FusedMultiplyAdd(a4, b0, c40);
                if (two) c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
            }
            if (TRows.Value > 5)
            {
                var a5 = Vector512.Create(a[5 * TGemm.RowStrideA]);
                c50 = Vector512.FusedMultiplyAdd(a5, b0, c50);
                if (two) c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
            }
            if (TRows.Value > 6)
            {
                var a6 = Vector512.Create(a[6 * TGemm.RowStrideA]);
                c60 = Vector512.FusedMultiplyAdd(a6, b0, c60);
                if (two) c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
            }
            if (TRows.Value > 7)
            {
                var a7 = Vector512.Create(a[7 * TGemm.RowStrideA]);
                c70 = Vector512.FusedMultiplyAdd(a7, b0, c70);
                if (two) c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
            }
            a += TGemm.ColStrideA;
            b += strideB;
        }
        Vector512.Store(c00, c); if (two) Vector512.Store(c01, c + s);
        if (TRows.Value > 1) { Vector512.Store(c10, c + sc); if (two) Vector512.Store(c11, c + sc + s); }
        if (TRows.Value > 2) { Vector512.Store(c20, c + 2 * sc); if (two) Vector512.Store(c21, c + 2 * sc + s); }
        if (TRows.Value > 3) { Vector512.Store(c30, c + 3 * sc); if (two) Vector512.Store(c31, c + 3 * sc + s); }
        if (TRows.Value > 4) { Vector512.Store(c40, c + 4 * sc); if (two) Vector512.Store(c41, c + 4 * sc + s); }
        if (TRows.Value > 5) { Vector512.Store(c50, c + 5 * sc); if (two) Vector512.Store(c51, c + 5 * sc + s); }
        if (TRows.Value > 6) { Vector512.Store(c60, c + 6 * sc); if (two) Vector512.Store(c61, c + 6 * sc + s); }
        if (TRows.Value > 7) { Vector512.Store(c70, c + 7 * sc); if (two) Vector512.Store(c71, c + 7 * sc + s); }
    }
}
