using System.Runtime.Intrinsics;

namespace SoftGen.Cpu;

/// <summary>
/// Register-blocked GEMM tiles for AVX2 (16 ymm registers): up to 6 rows by 16 columns (2 x Vector256), 12 accumulators.
/// Each element's sum runs over p = 0..depth-1 in order whatever the tile's size, so results do not depend on tiling.
/// </summary>
internal static unsafe class MicroKernels256
{
    /// <summary>Rows per full tile.</summary>
    public const int Rows = 6;

    /// <summary>
    /// C = A B for a tile of <paramref name="rows"/> (1..Rows) rows and 16 columns, over p &lt; <paramref name="depth"/>;
    /// B's rows are <paramref name="strideB"/> floats apart.
    /// </summary>
    public static void Run<TLayout>(int rows, float* a, float* b, nint strideB, float* c, int depth)
        where TLayout : struct, IGemmLayout
    {
        switch (rows)
        {
            case 6: Tile<TLayout, C6>(a, b, strideB, c, depth); break;
            case 5: Tile<TLayout, C5>(a, b, strideB, c, depth); break;
            case 4: Tile<TLayout, C4>(a, b, strideB, c, depth); break;
            case 3: Tile<TLayout, C3>(a, b, strideB, c, depth); break;
            case 2: Tile<TLayout, C2>(a, b, strideB, c, depth); break;
            case 1: Tile<TLayout, C1>(a, b, strideB, c, depth); break;
        }
    }

    // One accumulator per (row, vector), kept in registers through the depth loop; the branches on the
    // type arguments are JIT-time constants.
    private static void Tile<TLayout, TRows>(float* a, float* b, nint strideB, float* c, int depth)
        where TLayout : struct, IGemmLayout where TRows : struct, IConstant
    {
        Vector256<float> c00 = default, c01 = default;
        Vector256<float> c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default;
        Vector256<float> c40 = default, c41 = default;
        Vector256<float> c50 = default, c51 = default;
        for (int p = 0; p < depth; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0 * TLayout.RowStrideA]);
            c00 = Vector256.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
            if (TRows.Value > 1)
            {
                var a1 = Vector256.Create(a[1 * TLayout.RowStrideA]);
                c10 = Vector256.FusedMultiplyAdd(a1, b0, c10);
                c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
            }
            if (TRows.Value > 2)
            {
                var a2 = Vector256.Create(a[2 * TLayout.RowStrideA]);
                c20 = Vector256.FusedMultiplyAdd(a2, b0, c20);
                c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
            }
            if (TRows.Value > 3)
            {
                var a3 = Vector256.Create(a[3 * TLayout.RowStrideA]);
                c30 = Vector256.FusedMultiplyAdd(a3, b0, c30);
                c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
            }
            if (TRows.Value > 4)
            {
                var a4 = Vector256.Create(a[4 * TLayout.RowStrideA]);
                c40 = Vector256.FusedMultiplyAdd(a4, b0, c40);
                c41 = Vector256.FusedMultiplyAdd(a4, b1, c41);
            }
            if (TRows.Value > 5)
            {
                var a5 = Vector256.Create(a[5 * TLayout.RowStrideA]);
                c50 = Vector256.FusedMultiplyAdd(a5, b0, c50);
                c51 = Vector256.FusedMultiplyAdd(a5, b1, c51);
            }
            a += TLayout.ColStrideA;
            b += strideB;
        }

        Vector256.Store(c00, c + 0 * TLayout.StrideC);
        Vector256.Store(c01, c + 0 * TLayout.StrideC + 8);
        if (TRows.Value > 1)
        {
            Vector256.Store(c10, c + 1 * TLayout.StrideC);
            Vector256.Store(c11, c + 1 * TLayout.StrideC + 8);
        }
        if (TRows.Value > 2)
        {
            Vector256.Store(c20, c + 2 * TLayout.StrideC);
            Vector256.Store(c21, c + 2 * TLayout.StrideC + 8);
        }
        if (TRows.Value > 3)
        {
            Vector256.Store(c30, c + 3 * TLayout.StrideC);
            Vector256.Store(c31, c + 3 * TLayout.StrideC + 8);
        }
        if (TRows.Value > 4)
        {
            Vector256.Store(c40, c + 4 * TLayout.StrideC);
            Vector256.Store(c41, c + 4 * TLayout.StrideC + 8);
        }
        if (TRows.Value > 5)
        {
            Vector256.Store(c50, c + 5 * TLayout.StrideC);
            Vector256.Store(c51, c + 5 * TLayout.StrideC + 8);
        }
    }
}
