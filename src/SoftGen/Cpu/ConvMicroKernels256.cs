using System.Runtime.Intrinsics;

namespace SoftGen.Cpu;

/// <summary>
/// The convolution GEMM tiles for machines without AVX-512 (AVX2: 16 registers of 256 bits): up to 6 rows by 16
/// columns (2 x Vector256) in 12 accumulators, as MicroKernels256 does for the dense layers; a 32-column panel runs as
/// two such column halves and 7 or 8 rows as 6 plus the rest. Each element's sum runs over p = 0..depth-1 in order
/// with one fused multiply-add per term, as in the Vector512 tiles, so both give the same bits.
/// </summary>
internal static unsafe partial class ConvMicroKernels
{
    private const int Rows256 = 6;

    private static void Run256<TGemm, TAccumulate>(int rows, int vectors, float* a, float* b, nint strideB, float* c, int depth)
        where TGemm : struct, IConvGemm where TAccumulate : struct, IConvConstant
    {
        for (int half = 0; half < vectors; half++)
            for (int r0 = 0; r0 < rows; r0 += Rows256)
            {
                float* ar = a + (nint)r0 * TGemm.RowStrideA;
                float* cr = c + (nint)r0 * TGemm.StrideC + 16 * half;
                float* bh = b + 16 * half;
                switch (System.Math.Min(Rows256, rows - r0))
                {
                    case 6: Tile256<TGemm, K6, TAccumulate>(ar, bh, strideB, cr, depth); break;
                    case 5: Tile256<TGemm, K5, TAccumulate>(ar, bh, strideB, cr, depth); break;
                    case 4: Tile256<TGemm, K4, TAccumulate>(ar, bh, strideB, cr, depth); break;
                    case 3: Tile256<TGemm, K3, TAccumulate>(ar, bh, strideB, cr, depth); break;
                    case 2: Tile256<TGemm, K2, TAccumulate>(ar, bh, strideB, cr, depth); break;
                    case 1: Tile256<TGemm, K1, TAccumulate>(ar, bh, strideB, cr, depth); break;
                }
            }
    }

    private static void Tile256<TGemm, TRows, TAccumulate>(float* a, float* b, nint strideB, float* c, int depth)
        where TGemm : struct, IConvGemm where TRows : struct, IConvConstant where TAccumulate : struct, IConvConstant
    {
        const int s = 8;
        int sc = TGemm.StrideC;
        bool acc = TAccumulate.Value != 0;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        if (acc)
        {
            c00 = Vector256.Load(c); c01 = Vector256.Load(c + s);
            if (TRows.Value > 1) { c10 = Vector256.Load(c + sc); c11 = Vector256.Load(c + sc + s); }
            if (TRows.Value > 2) { c20 = Vector256.Load(c + 2 * sc); c21 = Vector256.Load(c + 2 * sc + s); }
            if (TRows.Value > 3) { c30 = Vector256.Load(c + 3 * sc); c31 = Vector256.Load(c + 3 * sc + s); }
            if (TRows.Value > 4) { c40 = Vector256.Load(c + 4 * sc); c41 = Vector256.Load(c + 4 * sc + s); }
            if (TRows.Value > 5) { c50 = Vector256.Load(c + 5 * sc); c51 = Vector256.Load(c + 5 * sc + s); }
        }
        for (int p = 0; p < depth; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + s);
            var a0 = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
            if (TRows.Value > 1)
            {
                var a1 = Vector256.Create(a[1 * TGemm.RowStrideA]);
                c10 = Vector256.FusedMultiplyAdd(a1, b0, c10);
                c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
            }
            if (TRows.Value > 2)
            {
                var a2 = Vector256.Create(a[2 * TGemm.RowStrideA]);
                c20 = Vector256.FusedMultiplyAdd(a2, b0, c20);
                c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
            }
            if (TRows.Value > 3)
            {
                var a3 = Vector256.Create(a[3 * TGemm.RowStrideA]);
                c30 = Vector256.FusedMultiplyAdd(a3, b0, c30);
                c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
            }
            if (TRows.Value > 4)
            {
                var a4 = Vector256.Create(a[4 * TGemm.RowStrideA]);
                c40 = Vector256.FusedMultiplyAdd(a4, b0, c40);
                c41 = Vector256.FusedMultiplyAdd(a4, b1, c41);
            }
            if (TRows.Value > 5)
            {
                var a5 = Vector256.Create(a[5 * TGemm.RowStrideA]);
                c50 = Vector256.FusedMultiplyAdd(a5, b0, c50);
                c51 = Vector256.FusedMultiplyAdd(a5, b1, c51);
            }
            a += TGemm.ColStrideA;
            b += strideB;
        }
        Vector256.Store(c00, c); Vector256.Store(c01, c + s);
        if (TRows.Value > 1) { Vector256.Store(c10, c + sc); Vector256.Store(c11, c + sc + s); }
        if (TRows.Value > 2) { Vector256.Store(c20, c + 2 * sc); Vector256.Store(c21, c + 2 * sc + s); }
        if (TRows.Value > 3) { Vector256.Store(c30, c + 3 * sc); Vector256.Store(c31, c + 3 * sc + s); }
        if (TRows.Value > 4) { Vector256.Store(c40, c + 4 * sc); Vector256.Store(c41, c + 4 * sc + s); }
        if (TRows.Value > 5) { Vector256.Store(c50, c + 5 * sc); Vector256.Store(c51, c + 5 * sc + s); }
    }
}
