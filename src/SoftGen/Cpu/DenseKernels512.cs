using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SoftGen.Cpu;

// The AVX-512 bodies: tiles of up to 8 rows by 32 columns (16 for the last block where the width % 32 == 16),
// epilogues in Vector512. In the forward and weight GEMMs a chunk with more than one tile row copies each 32-column
// panel of B into its scratch first, so that the tiles stream B contiguously instead of at a stride that aliases in
// L1; the input-gradient GEMM reads W already packed in panels (DenseKernels.PackPanels).
public static unsafe partial class DenseKernels
{
    private static void ForwardRows512<TShape, TAct>(void* state, int start, int end)
        where TShape : struct, IDenseShape where TAct : struct, IActivation
    {
        var s = (ForwardArgs*)state;
        float* tiles = s->Z != null ? s->Z : s->A;
        float* panel = end - start > MicroKernels512.Rows ? WorkerPool.Scratch(TShape.In * 32) : null;
        for (int j = 0; j < TShape.OutStride; j += 32)
        {
            int vectors = Math.Min(2, (TShape.OutStride - j) / 16);
            float* b = s->Wt + j;
            nint strideB = TShape.OutStride;
            if (panel != null)
            {
                Pack512(b, strideB, TShape.In, vectors, panel);
                b = panel;
                strideB = 32;
            }
            for (int r = start; r < end; r += MicroKernels512.Rows)
            {
                int rows = Math.Min(MicroKernels512.Rows, end - r);
                nint row = (nint)r * TShape.OutStride;
                MicroKernels512.Run<ForwardLayout<TShape>>(rows, vectors, s->X + (nint)r * TShape.InStride, b, strideB, tiles + row + j, TShape.In);
                ForwardEpilogue512<TShape, TAct>(s, row, j, rows, vectors);
            }
        }
    }

    /// <summary>On a tile just computed into Z (or A): z += b, a = act(z), columns at or past Out set to 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ForwardEpilogue512<TShape, TAct>(ForwardArgs* s, nint row, int j, int rows, int vectors)
        where TShape : struct, IDenseShape where TAct : struct, IActivation
    {
        float* tiles = s->Z != null ? s->Z : s->A;
        for (int i = 0; i < rows; i++, row += TShape.OutStride)
        {
            for (int col = j; col < j + 16 * vectors; col += 16)
            {
                var z = Vector512.Load(tiles + row + col) + Vector512.Load(s->Bias + col);
                var a = TAct.Apply(z);
                if (col + 16 > TShape.Out)
                {
                    var real = TailMask512(TShape.Out - col);
                    z &= real;
                    a &= real;
                }
                if (s->Z != null)
                    z.Store(s->Z + row + col);
                a.Store(s->A + row + col);
            }
        }
    }

    private static void WeightRows512<TShape>(void* state, int start, int end) where TShape : struct, IDenseShape
    {
        var s = (WeightsArgs*)state;
        float* panel = end - start > MicroKernels512.Rows ? WorkerPool.Scratch((nint)s->Rows * 32) : null;
        for (int j = 0; j < TShape.OutStride; j += 32)
        {
            int vectors = Math.Min(2, (TShape.OutStride - j) / 16);
            float* b = s->DZ + j;
            nint strideB = TShape.OutStride;
            if (panel != null)
            {
                Pack512(b, strideB, s->Rows, vectors, panel);
                b = panel;
                strideB = 32;
            }
            for (int k = start; k < end; k += MicroKernels512.Rows)
            {
                int rows = Math.Min(MicroKernels512.Rows, end - k);
                MicroKernels512.Run<WeightsLayout<TShape>>(rows, vectors, s->X + k, b, strideB, s->DWt + (nint)k * TShape.OutStride + j, s->Rows);
            }
        }
    }

    private static void InputRows512<TShape, TPrevAct>(void* state, int start, int end)
        where TShape : struct, IDenseShape where TPrevAct : struct, IActivation
    {
        var s = (InputsArgs*)state;
        for (int j = 0; j < TShape.InStride; j += 32)
        {
            int vectors = Math.Min(2, (TShape.InStride - j) / 16);
            float* b = s->W + (nint)j * TShape.Out; // the packed panel of columns j.., rows 16 * vectors floats apart
            for (int r = start; r < end; r += MicroKernels512.Rows)
            {
                int rows = Math.Min(MicroKernels512.Rows, end - r);
                nint row = (nint)r * TShape.InStride;
                MicroKernels512.Run<InputsLayout<TShape>>(rows, vectors, s->DZ + (nint)r * TShape.OutStride, b, 16 * vectors, s->DZPrev + row + j, TShape.Out);
                InputEpilogue512<TShape, TPrevAct>(s, row, j, rows, vectors);
            }
        }
    }

    /// <summary>On a tile just computed into dZprev: multiply by the previous activation's derivative, columns at or past In set to 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputEpilogue512<TShape, TPrevAct>(InputsArgs* s, nint row, int j, int rows, int vectors)
        where TShape : struct, IDenseShape where TPrevAct : struct, IActivation
    {
        for (int i = 0; i < rows; i++, row += TShape.InStride)
        {
            for (int col = j; col < j + 16 * vectors; col += 16)
            {
                var z = TPrevAct.NeedsPreActivation ? Vector512.Load(s->PrevZ + row + col) : default;
                var g = Vector512.Load(s->DZPrev + row + col) * TPrevAct.Derivative(z, Vector512.Load(s->PrevA + row + col));
                if (col + 16 > TShape.In)
                    g &= TailMask512(TShape.In - col);
                g.Store(s->DZPrev + row + col);
            }
        }
    }

    /// <summary>Copies a depth x (16 vectors) block of B into a panel whose rows are 32 floats apart.</summary>
    private static void Pack512(float* source, nint stride, int depth, int vectors, float* panel)
    {
        for (int p = 0; p < depth; p++, source += stride, panel += 32)
        {
            Vector512.Load(source).Store(panel);
            if (vectors == 2)
                Vector512.Load(source + 16).Store(panel + 16);
        }
    }

    /// <summary>target[i, j] = source[j, i] for a 16 x 16 block, in registers (unpack, then shuffles of pairs, of quads, of lanes).</summary>
    private static void Transpose16x16(float* source, nint sourceStride, float* target, nint targetStride)
    {
        var r0 = Vector512.Load(source);
        var r1 = Vector512.Load(source + sourceStride);
        var r2 = Vector512.Load(source + 2 * sourceStride);
        var r3 = Vector512.Load(source + 3 * sourceStride);
        var r4 = Vector512.Load(source + 4 * sourceStride);
        var r5 = Vector512.Load(source + 5 * sourceStride);
        var r6 = Vector512.Load(source + 6 * sourceStride);
        var r7 = Vector512.Load(source + 7 * sourceStride);
        var r8 = Vector512.Load(source + 8 * sourceStride);
        var r9 = Vector512.Load(source + 9 * sourceStride);
        var r10 = Vector512.Load(source + 10 * sourceStride);
        var r11 = Vector512.Load(source + 11 * sourceStride);
        var r12 = Vector512.Load(source + 12 * sourceStride);
        var r13 = Vector512.Load(source + 13 * sourceStride);
        var r14 = Vector512.Load(source + 14 * sourceStride);
        var r15 = Vector512.Load(source + 15 * sourceStride);

        // t: per 128-bit lane, element pairs of rows (2i, 2i + 1).
        var t0 = Avx512F.UnpackLow(r0, r1);
        var t1 = Avx512F.UnpackHigh(r0, r1);
        var t2 = Avx512F.UnpackLow(r2, r3);
        var t3 = Avx512F.UnpackHigh(r2, r3);
        var t4 = Avx512F.UnpackLow(r4, r5);
        var t5 = Avx512F.UnpackHigh(r4, r5);
        var t6 = Avx512F.UnpackLow(r6, r7);
        var t7 = Avx512F.UnpackHigh(r6, r7);
        var t8 = Avx512F.UnpackLow(r8, r9);
        var t9 = Avx512F.UnpackHigh(r8, r9);
        var t10 = Avx512F.UnpackLow(r10, r11);
        var t11 = Avx512F.UnpackHigh(r10, r11);
        var t12 = Avx512F.UnpackLow(r12, r13);
        var t13 = Avx512F.UnpackHigh(r12, r13);
        var t14 = Avx512F.UnpackLow(r14, r15);
        var t15 = Avx512F.UnpackHigh(r14, r15);

        // u(4q + c): lane L holds column 4L + c of rows 4q..4q+3.
        var u0 = Avx512F.Shuffle(t0, t2, 0x44);
        var u1 = Avx512F.Shuffle(t0, t2, 0xEE);
        var u2 = Avx512F.Shuffle(t1, t3, 0x44);
        var u3 = Avx512F.Shuffle(t1, t3, 0xEE);
        var u4 = Avx512F.Shuffle(t4, t6, 0x44);
        var u5 = Avx512F.Shuffle(t4, t6, 0xEE);
        var u6 = Avx512F.Shuffle(t5, t7, 0x44);
        var u7 = Avx512F.Shuffle(t5, t7, 0xEE);
        var u8 = Avx512F.Shuffle(t8, t10, 0x44);
        var u9 = Avx512F.Shuffle(t8, t10, 0xEE);
        var u10 = Avx512F.Shuffle(t9, t11, 0x44);
        var u11 = Avx512F.Shuffle(t9, t11, 0xEE);
        var u12 = Avx512F.Shuffle(t12, t14, 0x44);
        var u13 = Avx512F.Shuffle(t12, t14, 0xEE);
        var u14 = Avx512F.Shuffle(t13, t15, 0x44);
        var u15 = Avx512F.Shuffle(t13, t15, 0xEE);

        // v: lanes regrouped so that two columns' quarters for 8 rows sit together.
        var v0 = Avx512F.Shuffle4x128(u0, u4, 0x88);
        var v1 = Avx512F.Shuffle4x128(u1, u5, 0x88);
        var v2 = Avx512F.Shuffle4x128(u2, u6, 0x88);
        var v3 = Avx512F.Shuffle4x128(u3, u7, 0x88);
        var v4 = Avx512F.Shuffle4x128(u0, u4, 0xDD);
        var v5 = Avx512F.Shuffle4x128(u1, u5, 0xDD);
        var v6 = Avx512F.Shuffle4x128(u2, u6, 0xDD);
        var v7 = Avx512F.Shuffle4x128(u3, u7, 0xDD);
        var v8 = Avx512F.Shuffle4x128(u8, u12, 0x88);
        var v9 = Avx512F.Shuffle4x128(u9, u13, 0x88);
        var v10 = Avx512F.Shuffle4x128(u10, u14, 0x88);
        var v11 = Avx512F.Shuffle4x128(u11, u15, 0x88);
        var v12 = Avx512F.Shuffle4x128(u8, u12, 0xDD);
        var v13 = Avx512F.Shuffle4x128(u9, u13, 0xDD);
        var v14 = Avx512F.Shuffle4x128(u10, u14, 0xDD);
        var v15 = Avx512F.Shuffle4x128(u11, u15, 0xDD);

        Avx512F.Shuffle4x128(v0, v8, 0x88).Store(target);
        Avx512F.Shuffle4x128(v1, v9, 0x88).Store(target + targetStride);
        Avx512F.Shuffle4x128(v2, v10, 0x88).Store(target + 2 * targetStride);
        Avx512F.Shuffle4x128(v3, v11, 0x88).Store(target + 3 * targetStride);
        Avx512F.Shuffle4x128(v4, v12, 0x88).Store(target + 4 * targetStride);
        Avx512F.Shuffle4x128(v5, v13, 0x88).Store(target + 5 * targetStride);
        Avx512F.Shuffle4x128(v6, v14, 0x88).Store(target + 6 * targetStride);
        Avx512F.Shuffle4x128(v7, v15, 0x88).Store(target + 7 * targetStride);
        Avx512F.Shuffle4x128(v0, v8, 0xDD).Store(target + 8 * targetStride);
        Avx512F.Shuffle4x128(v1, v9, 0xDD).Store(target + 9 * targetStride);
        Avx512F.Shuffle4x128(v2, v10, 0xDD).Store(target + 10 * targetStride);
        Avx512F.Shuffle4x128(v3, v11, 0xDD).Store(target + 11 * targetStride);
        Avx512F.Shuffle4x128(v4, v12, 0xDD).Store(target + 12 * targetStride);
        Avx512F.Shuffle4x128(v5, v13, 0xDD).Store(target + 13 * targetStride);
        Avx512F.Shuffle4x128(v6, v14, 0xDD).Store(target + 14 * targetStride);
        Avx512F.Shuffle4x128(v7, v15, 0xDD).Store(target + 15 * targetStride);
    }

    /// <summary>All bits set in the first <paramref name="count"/> lanes (none when count &lt;= 0).</summary>
    private static Vector512<float> TailMask512(int count)
        => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();
}
