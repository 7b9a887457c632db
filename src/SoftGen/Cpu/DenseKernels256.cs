using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SoftGen.Cpu;

// The AVX2 bodies: tiles of up to 6 rows by 16 columns (2 x Vector256), epilogues in Vector256. As on the AVX-512
// path, a forward or weight GEMM chunk with more than one tile row copies each 16-column panel of B into its scratch
// first; the input-gradient GEMM reads W already packed in 16-column panels.
public static unsafe partial class DenseKernels
{
    private static void ForwardRows256<TShape, TAct>(void* state, int start, int end)
        where TShape : struct, IDenseShape where TAct : struct, IActivation
    {
        var s = (ForwardArgs*)state;
        float* tiles = s->Z != null ? s->Z : s->A;
        float* panel = end - start > MicroKernels256.Rows ? WorkerPool.Scratch(TShape.In * 16) : null;
        for (int j = 0; j < TShape.OutStride; j += 16)
        {
            float* b = s->Wt + j;
            nint strideB = TShape.OutStride;
            if (panel != null)
            {
                Pack256(b, strideB, TShape.In, panel);
                b = panel;
                strideB = 16;
            }
            for (int r = start; r < end; r += MicroKernels256.Rows)
            {
                int rows = Math.Min(MicroKernels256.Rows, end - r);
                nint row = (nint)r * TShape.OutStride;
                MicroKernels256.Run<ForwardLayout<TShape>>(rows, s->X + (nint)r * TShape.InStride, b, strideB, tiles + row + j, TShape.In);
                ForwardEpilogue256<TShape, TAct>(s, row, j, rows);
            }
        }
    }

    /// <summary>On a tile just computed into Z (or A): z += b, a = act(z), columns at or past Out set to 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ForwardEpilogue256<TShape, TAct>(ForwardArgs* s, nint row, int j, int rows)
        where TShape : struct, IDenseShape where TAct : struct, IActivation
    {
        float* tiles = s->Z != null ? s->Z : s->A;
        for (int i = 0; i < rows; i++, row += TShape.OutStride)
        {
            for (int col = j; col < j + 16; col += 8)
            {
                var z = Vector256.Load(tiles + row + col) + Vector256.Load(s->Bias + col);
                var a = TAct.Apply(z);
                if (col + 8 > TShape.Out)
                {
                    var real = TailMask256(TShape.Out - col);
                    z &= real;
                    a &= real;
                }
                if (s->Z != null)
                    z.Store(s->Z + row + col);
                a.Store(s->A + row + col);
            }
        }
    }

    private static void WeightRows256<TShape>(void* state, int start, int end) where TShape : struct, IDenseShape
    {
        var s = (WeightsArgs*)state;
        float* panel = end - start > MicroKernels256.Rows ? WorkerPool.Scratch((nint)s->Rows * 16) : null;
        for (int j = 0; j < TShape.OutStride; j += 16)
        {
            float* b = s->DZ + j;
            nint strideB = TShape.OutStride;
            if (panel != null)
            {
                Pack256(b, strideB, s->Rows, panel);
                b = panel;
                strideB = 16;
            }
            for (int k = start; k < end; k += MicroKernels256.Rows)
            {
                int rows = Math.Min(MicroKernels256.Rows, end - k);
                MicroKernels256.Run<WeightsLayout<TShape>>(rows, s->X + k, b, strideB, s->DWt + (nint)k * TShape.OutStride + j, s->Rows);
            }
        }
    }

    private static void InputRows256<TShape, TPrevAct>(void* state, int start, int end)
        where TShape : struct, IDenseShape where TPrevAct : struct, IActivation
    {
        var s = (InputsArgs*)state;
        for (int j = 0; j < TShape.InStride; j += 16)
        {
            float* b = s->W + (nint)j * TShape.Out; // the packed panel of columns j..j+15
            for (int r = start; r < end; r += MicroKernels256.Rows)
            {
                int rows = Math.Min(MicroKernels256.Rows, end - r);
                nint row = (nint)r * TShape.InStride;
                MicroKernels256.Run<InputsLayout<TShape>>(rows, s->DZ + (nint)r * TShape.OutStride, b, 16, s->DZPrev + row + j, TShape.Out);
                InputEpilogue256<TShape, TPrevAct>(s, row, j, rows);
            }
        }
    }

    /// <summary>On a tile just computed into dZprev: multiply by the previous activation's derivative, columns at or past In set to 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputEpilogue256<TShape, TPrevAct>(InputsArgs* s, nint row, int j, int rows)
        where TShape : struct, IDenseShape where TPrevAct : struct, IActivation
    {
        for (int i = 0; i < rows; i++, row += TShape.InStride)
        {
            for (int col = j; col < j + 16; col += 8)
            {
                var z = TPrevAct.NeedsPreActivation ? Vector256.Load(s->PrevZ + row + col) : default;
                var g = Vector256.Load(s->DZPrev + row + col) * TPrevAct.Derivative(z, Vector256.Load(s->PrevA + row + col));
                if (col + 8 > TShape.In)
                    g &= TailMask256(TShape.In - col);
                g.Store(s->DZPrev + row + col);
            }
        }
    }

    /// <summary>Copies a depth x 16 block of B into a panel whose rows are 16 floats apart.</summary>
    private static void Pack256(float* source, nint stride, int depth, float* panel)
    {
        for (int p = 0; p < depth; p++, source += stride, panel += 16)
        {
            Vector256.Load(source).Store(panel);
            Vector256.Load(source + 8).Store(panel + 8);
        }
    }

    /// <summary>All bits set in the first <paramref name="count"/> lanes (none when count &lt;= 0).</summary>
    private static Vector256<float> TailMask256(int count)
        => Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle();
}
