using System.Runtime.Intrinsics;

namespace SoftGen.Cpu;

/// <summary>
/// Register-blocked GEMM tiles for AVX-512: up to 8 rows by 32 columns (2 x Vector512), 16 accumulators held in zmm
/// registers through the whole depth loop; per step one broadcast of A per row and one FMA per accumulator.
/// Each element's sum runs over p = 0..depth-1 in order whatever the tile's size, so results do not depend on tiling.
/// </summary>
internal static unsafe class MicroKernels512
{
    /// <summary>Rows per full tile.</summary>
    public const int Rows = 8;

    /// <summary>
    /// C = A B for a tile of <paramref name="rows"/> (1..Rows) rows and <paramref name="vectors"/> (1 or 2) Vector512s of
    /// columns, over p &lt; <paramref name="depth"/>; B's rows are <paramref name="strideB"/> floats apart.
    /// </summary>
    public static void Run<TLayout>(int rows, int vectors, float* a, float* b, nint strideB, float* c, int depth)
        where TLayout : struct, IGemmLayout
    {
        if (vectors == 2)
            Run<TLayout, C2>(rows, a, b, strideB, c, depth);
        else
            Run<TLayout, C1>(rows, a, b, strideB, c, depth);
    }

    private static void Run<TLayout, TVectors>(int rows, float* a, float* b, nint strideB, float* c, int depth)
        where TLayout : struct, IGemmLayout where TVectors : struct, IConstant
    {
        switch (rows)
        {
            case 8: Tile<TLayout, C8, TVectors>(a, b, strideB, c, depth); break;
            case 7: Tile<TLayout, C7, TVectors>(a, b, strideB, c, depth); break;
            case 6: Tile<TLayout, C6, TVectors>(a, b, strideB, c, depth); break;
            case 5: Tile<TLayout, C5, TVectors>(a, b, strideB, c, depth); break;
            case 4: Tile<TLayout, C4, TVectors>(a, b, strideB, c, depth); break;
            case 3: Tile<TLayout, C3, TVectors>(a, b, strideB, c, depth); break;
            case 2: Tile<TLayout, C2, TVectors>(a, b, strideB, c, depth); break;
            case 1: Tile<TLayout, C1, TVectors>(a, b, strideB, c, depth); break;
        }
    }

    // One accumulator per (row, vector), kept in registers through the depth loop; the branches on the
    // type arguments are JIT-time constants.
    private static void Tile<TLayout, TRows, TVectors>(float* a, float* b, nint strideB, float* c, int depth)
        where TLayout : struct, IGemmLayout where TRows : struct, IConstant where TVectors : struct, IConstant
    {
        Vector512<float> c00 = default, c01 = default;
        Vector512<float> c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default;
        Vector512<float> c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default;
        Vector512<float> c70 = default, c71 = default;
        for (int p = 0; p < depth; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = TVectors.Value > 1 ? Vector512.Load(b + 16) : default;
            var a0 = Vector512.Create(a[0 * TLayout.RowStrideA]);
            c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
            if (TVectors.Value > 1) c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            if (TRows.Value > 1)
            {
                var a1 = Vector512.Create(a[1 * TLayout.RowStrideA]);
                c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
                if (TVectors.Value > 1) c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            }
            if (TRows.Value > 2)
            {
                var a2 = Vector512.Create(a[2 * TLayout.RowStrideA]);
                c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
                if (TVectors.Value > 1) c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            }
            if (TRows.Value > 3)
            {
                var a3 = Vector512.Create(a[3 * TLayout.RowStrideA]);
                c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
                if (TVectors.Value > 1) c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            }
            if (TRows.Value > 4)
            {
                var a4 = Vector512.Create(a[4 * TLayout.RowStrideA]);
                c40 = Vector512.FusedMultiplyAdd(a4, b0, c40);
                if (TVectors.Value > 1) c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
            }
            if (TRows.Value > 5)
            {
                var a5 = Vector512.Create(a[5 * TLayout.RowStrideA]);
                c50 = Vector512.FusedMultiplyAdd(a5, b0, c50);
                if (TVectors.Value > 1) c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
            }
            if (TRows.Value > 6)
            {
                var a6 = Vector512.Create(a[6 * TLayout.RowStrideA]);
                c60 = Vector512.FusedMultiplyAdd(a6, b0, c60);
                if (TVectors.Value > 1) c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
            }
            if (TRows.Value > 7)
            {
                var a7 = Vector512.Create(a[7 * TLayout.RowStrideA]);
                c70 = Vector512.FusedMultiplyAdd(a7, b0, c70);
                if (TVectors.Value > 1) c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
            }
            a += TLayout.ColStrideA;
            b += strideB;
        }

        Vector512.Store(c00, c + 0 * TLayout.StrideC);
        if (TVectors.Value > 1) Vector512.Store(c01, c + 0 * TLayout.StrideC + 16);
        if (TRows.Value > 1)
        {
            Vector512.Store(c10, c + 1 * TLayout.StrideC);
            if (TVectors.Value > 1) Vector512.Store(c11, c + 1 * TLayout.StrideC + 16);
        }
        if (TRows.Value > 2)
        {
            Vector512.Store(c20, c + 2 * TLayout.StrideC);
            if (TVectors.Value > 1) Vector512.Store(c21, c + 2 * TLayout.StrideC + 16);
        }
        if (TRows.Value > 3)
        {
            Vector512.Store(c30, c + 3 * TLayout.StrideC);
            if (TVectors.Value > 1) Vector512.Store(c31, c + 3 * TLayout.StrideC + 16);
        }
        if (TRows.Value > 4)
        {
            Vector512.Store(c40, c + 4 * TLayout.StrideC);
            if (TVectors.Value > 1) Vector512.Store(c41, c + 4 * TLayout.StrideC + 16);
        }
        if (TRows.Value > 5)
        {
            Vector512.Store(c50, c + 5 * TLayout.StrideC);
            if (TVectors.Value > 1) Vector512.Store(c51, c + 5 * TLayout.StrideC + 16);
        }
        if (TRows.Value > 6)
        {
            Vector512.Store(c60, c + 6 * TLayout.StrideC);
            if (TVectors.Value > 1) Vector512.Store(c61, c + 6 * TLayout.StrideC + 16);
        }
        if (TRows.Value > 7)
        {
            Vector512.Store(c70, c + 7 * TLayout.StrideC);
            if (TVectors.Value > 1) Vector512.Store(c71, c + 7 * TLayout.StrideC + 16);
        }
    }
}
