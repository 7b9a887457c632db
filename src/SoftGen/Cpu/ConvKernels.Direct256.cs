using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SoftGen.Cpu;

/// <summary>
/// The direct path's tiles for machines without AVX-512 (see <see cref="ConvMicroKernels.UseVector512"/>): 16 channels
/// (2 x Vector256) per tile; the forward runs up to 6 pixels (12 accumulators), the weight gradient up to 5 rows of Wt
/// plus the bias pair (12 accumulators). The callers' tiles (8 pixels or 9 rows by 32 channels) are cut into these.
/// Every element sums the same terms in the same order as the Vector512 tiles, so the results are the same.
/// </summary>
public static unsafe partial class ConvKernels
{
    private const int DirectPixels256 = 6;
    private const int DirectWeightRows256 = 5;

    private static void DirectForwardTile256<T, TAct>(int rows, int vectors, float* a, float* w, float* bias, int col, float* z, float* c)
        where T : struct, IConvShape where TAct : struct, IActivation
    {
        int step = T.StrideWidth * T.InChannelStride;
        for (int half = 0; half < vectors; half++)
            for (int r0 = 0; r0 < rows; r0 += DirectPixels256)
            {
                float* ar = a + r0 * step;
                nint at = (nint)r0 * T.OutChannelStride + 16 * half;
                float* zr = z != null ? z + at : null;
                int h = 16 * half;
                switch (Math.Min(DirectPixels256, rows - r0))
                {
                    case 6: DirectForwardTile256<T, TAct, K6>(ar, w + h, bias + h, col + h, zr, c + at); break;
                    case 5: DirectForwardTile256<T, TAct, K5>(ar, w + h, bias + h, col + h, zr, c + at); break;
                    case 4: DirectForwardTile256<T, TAct, K4>(ar, w + h, bias + h, col + h, zr, c + at); break;
                    case 3: DirectForwardTile256<T, TAct, K3>(ar, w + h, bias + h, col + h, zr, c + at); break;
                    case 2: DirectForwardTile256<T, TAct, K2>(ar, w + h, bias + h, col + h, zr, c + at); break;
                    case 1: DirectForwardTile256<T, TAct, K1>(ar, w + h, bias + h, col + h, zr, c + at); break;
                }
            }
    }

    private static void DirectForwardTile256<T, TAct, TRows>(float* a, float* w, float* bias, int col, float* z, float* c)
        where T : struct, IConvShape where TAct : struct, IActivation where TRows : struct, IConvConstant
    {
        const int s = 8;
        int ocs = T.OutChannelStride, span = T.KernelWidth * T.InChannelStride, step = T.StrideWidth * T.InChannelStride;
        bool keep = z != null;
        var bias0 = Vector256.Load(bias);
        var bias1 = Vector256.Load(bias + s);
        Vector256<float> c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1, c20 = bias0, c21 = bias1;
        Vector256<float> c30 = bias0, c31 = bias1, c40 = bias0, c41 = bias1, c50 = bias0, c51 = bias1;
        for (int ky = 0; ky < T.KernelHeight; ky++, a += T.DilationHeight * PaddedRow<T>())
        {
            for (int t = 0; t < span; t++, w += ocs)
            {
                var b0 = Vector256.Load(w);
                var b1 = Vector256.Load(w + s);
                var a0 = Vector256.Create(a[t]);
                c00 = Vector256.FusedMultiplyAdd(a0, b0, c00);
                c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
                if (TRows.Value > 1)
                {
                    var a1 = Vector256.Create(a[1 * step + t]);
                    c10 = Vector256.FusedMultiplyAdd(a1, b0, c10);
                    c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
                }
                if (TRows.Value > 2)
                {
                    var a2 = Vector256.Create(a[2 * step + t]);
                    c20 = Vector256.FusedMultiplyAdd(a2, b0, c20);
                    c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
                }
                if (TRows.Value > 3)
                {
                    var a3 = Vector256.Create(a[3 * step + t]);
                    c30 = Vector256.FusedMultiplyAdd(a3, b0, c30);
                    c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
                }
                if (TRows.Value > 4)
                {
                    var a4 = Vector256.Create(a[4 * step + t]);
                    c40 = Vector256.FusedMultiplyAdd(a4, b0, c40);
                    c41 = Vector256.FusedMultiplyAdd(a4, b1, c41);
                }
                if (TRows.Value > 5)
                {
                    var a5 = Vector256.Create(a[5 * step + t]);
                    c50 = Vector256.FusedMultiplyAdd(a5, b0, c50);
                    c51 = Vector256.FusedMultiplyAdd(a5, b1, c51);
                }
            }
        }
        Activate256<T, TAct>(c00, c01, keep, col, z, c);
        if (TRows.Value > 1) Activate256<T, TAct>(c10, c11, keep, col, z + ocs, c + ocs);
        if (TRows.Value > 2) Activate256<T, TAct>(c20, c21, keep, col, z + 2 * ocs, c + 2 * ocs);
        if (TRows.Value > 3) Activate256<T, TAct>(c30, c31, keep, col, z + 3 * ocs, c + 3 * ocs);
        if (TRows.Value > 4) Activate256<T, TAct>(c40, c41, keep, col, z + 4 * ocs, c + 4 * ocs);
        if (TRows.Value > 5) Activate256<T, TAct>(c50, c51, keep, col, z + 5 * ocs, c + 5 * ocs);
    }

    /// <summary>Stores act(z) for 16 channels from <paramref name="col"/> (and z when <paramref name="keep"/>), those past OutChannels 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Activate256<T, TAct>(Vector256<float> z0, Vector256<float> z1, bool keep, int col, float* zOut, float* a)
        where T : struct, IConvShape where TAct : struct, IActivation
    {
        var a0 = TAct.Apply(z0);
        var a1 = TAct.Apply(z1);
        if (T.OutChannels % 16 != 0 && col + 16 > T.OutChannels)
        {
            var real0 = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(T.OutChannels - col)).AsSingle();
            var real1 = Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(T.OutChannels - col - 8)).AsSingle();
            z0 &= real0;
            a0 &= real0;
            z1 &= real1;
            a1 &= real1;
        }
        if (keep)
        {
            z0.Store(zOut);
            z1.Store(zOut + 8);
        }
        a0.Store(a);
        a1.Store(a + 8);
    }

    private static void DirectWeightTile256<T>(int rows, int vectors, bool withBias, bool accumulate, float* padded, int* offsets, float* dz, float* c,
        float* bias, int line, int lines) where T : struct, IConvShape
    {
        int ocs = T.OutChannelStride;
        for (int half = 0; half < vectors; half++)
            for (int r0 = 0; r0 < rows; r0 += DirectWeightRows256)
            {
                int h = 16 * half;
                float* cr = c + (nint)r0 * ocs + h;
                if (withBias && r0 == 0)
                    DirectWeightTile256<T, K1>(Math.Min(DirectWeightRows256, rows - r0), accumulate, padded, offsets + r0, dz + h, cr, bias + h, line, lines);
                else
                    DirectWeightTile256<T, K0>(Math.Min(DirectWeightRows256, rows - r0), accumulate, padded, offsets + r0, dz + h, cr, bias + h, line, lines);
            }
    }

    private static void DirectWeightTile256<T, TBias>(int rows, bool accumulate, float* padded, int* offsets, float* dz, float* c, float* bias, int line, int lines)
        where T : struct, IConvShape where TBias : struct, IConvConstant
    {
        switch (rows)
        {
            case 5: DirectWeightTile256<T, K5, TBias>(accumulate, padded, offsets, dz, c, bias, line, lines); break;
            case 4: DirectWeightTile256<T, K4, TBias>(accumulate, padded, offsets, dz, c, bias, line, lines); break;
            case 3: DirectWeightTile256<T, K3, TBias>(accumulate, padded, offsets, dz, c, bias, line, lines); break;
            case 2: DirectWeightTile256<T, K2, TBias>(accumulate, padded, offsets, dz, c, bias, line, lines); break;
            case 1: DirectWeightTile256<T, K1, TBias>(accumulate, padded, offsets, dz, c, bias, line, lines); break;
        }
    }

    private static void DirectWeightTile256<T, TRows, TBias>(bool accumulate, float* padded, int* offsets, float* dz, float* c, float* bias, int line, int lines)
        where T : struct, IConvShape where TRows : struct, IConvConstant where TBias : struct, IConvConstant
    {
        const int s = 8;
        int ocs = T.OutChannelStride, step = T.StrideWidth * T.InChannelStride;
        bool withBias = TBias.Value != 0;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, d0 = default, d1 = default;
        int o0 = offsets[0];
        int o1 = TRows.Value > 1 ? offsets[1] : 0, o2 = TRows.Value > 2 ? offsets[2] : 0;
        int o3 = TRows.Value > 3 ? offsets[3] : 0, o4 = TRows.Value > 4 ? offsets[4] : 0;
        if (accumulate)
        {
            c00 = Vector256.Load(c); c01 = Vector256.Load(c + s);
            if (TRows.Value > 1) { c10 = Vector256.Load(c + ocs); c11 = Vector256.Load(c + ocs + s); }
            if (TRows.Value > 2) { c20 = Vector256.Load(c + 2 * ocs); c21 = Vector256.Load(c + 2 * ocs + s); }
            if (TRows.Value > 3) { c30 = Vector256.Load(c + 3 * ocs); c31 = Vector256.Load(c + 3 * ocs + s); }
            if (TRows.Value > 4) { c40 = Vector256.Load(c + 4 * ocs); c41 = Vector256.Load(c + 4 * ocs + s); }
            if (withBias) { d0 = Vector256.Load(bias); d1 = Vector256.Load(bias + s); }
        }
        for (int oy = line; oy < line + lines; oy++)
        {
            float* a = padded + (nint)oy * T.StrideHeight * PaddedRow<T>();
            for (int ox = 0; ox < T.OutWidth; ox++, a += step, dz += ocs)
            {
                var b0 = Vector256.Load(dz);
                var b1 = Vector256.Load(dz + s);
                if (withBias)
                {
                    d0 += b0;
                    d1 += b1;
                }
                var a0 = Vector256.Create(a[o0]);
                c00 = Vector256.FusedMultiplyAdd(a0, b0, c00);
                c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
                if (TRows.Value > 1)
                {
                    var a1 = Vector256.Create(a[o1]);
                    c10 = Vector256.FusedMultiplyAdd(a1, b0, c10);
                    c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
                }
                if (TRows.Value > 2)
                {
                    var a2 = Vector256.Create(a[o2]);
                    c20 = Vector256.FusedMultiplyAdd(a2, b0, c20);
                    c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
                }
                if (TRows.Value > 3)
                {
                    var a3 = Vector256.Create(a[o3]);
                    c30 = Vector256.FusedMultiplyAdd(a3, b0, c30);
                    c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
                }
                if (TRows.Value > 4)
                {
                    var a4 = Vector256.Create(a[o4]);
                    c40 = Vector256.FusedMultiplyAdd(a4, b0, c40);
                    c41 = Vector256.FusedMultiplyAdd(a4, b1, c41);
                }
            }
        }
        Vector256.Store(c00, c); Vector256.Store(c01, c + s);
        if (TRows.Value > 1) { Vector256.Store(c10, c + ocs); Vector256.Store(c11, c + ocs + s); }
        if (TRows.Value > 2) { Vector256.Store(c20, c + 2 * ocs); Vector256.Store(c21, c + 2 * ocs + s); }
        if (TRows.Value > 3) { Vector256.Store(c30, c + 3 * ocs); Vector256.Store(c31, c + 3 * ocs + s); }
        if (TRows.Value > 4) { Vector256.Store(c40, c + 4 * ocs); Vector256.Store(c41, c + 4 * ocs + s); }
        if (withBias) { Vector256.Store(d0, bias); Vector256.Store(d1, bias + s); }
    }
}
