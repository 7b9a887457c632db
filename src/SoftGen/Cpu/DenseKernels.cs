using System;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SoftGen.Cpu;

/// <summary>
/// The dense layer's forward and backward GEMMs with fused epilogues (see <see cref="IDenseShape"/> for the layouts).
/// All results are independent of the pool's thread count: work is split over output elements, never over a reduction.
/// </summary>
/// <remarks>
/// Each GEMM runs as register-blocked tiles (<see cref="MicroKernels512"/> where AVX-512 is accelerated, else
/// <see cref="MicroKernels256"/>), parallel over blocks of the tile's rows; the epilogue then runs on the tile while
/// it is in L1. No allocation: the pointers travel to the workers in a struct on the caller's stack.
/// The <see cref="FloatBuffer"/> overloads are for generated code, which has no unsafe context.
/// </remarks>
public static unsafe partial class DenseKernels
{
    private struct ForwardArgs
    {
        public float* X, Wt, Bias, Z, A;
    }

    private struct WeightsArgs
    {
        public float* X, DZ, DWt;
        public int Rows;
    }

    private struct InputsArgs
    {
        public float* DZ, Wt, W, PrevZ, PrevA, DZPrev;
    }

    private static bool UseAvx512 => Vector512.IsHardwareAccelerated;

    /// <summary>
    /// Forward: Z = X Wt + b; A = act(Z), for rows 0..rows-1. Writes Z only when <paramref name="z"/> is not null
    /// (the generator passes it when TAct.NeedsPreActivation). Padding columns of A (and Z) are written as 0.
    /// </summary>
    public static void Forward<TShape, TAct>(WorkerPool pool, float* x, float* wt, float* bias, float* z, float* a, int rows)
        where TShape : struct, IDenseShape where TAct : struct, IActivation
    {
        DenseShape.Validate<TShape>();
        var args = new ForwardArgs { X = x, Wt = wt, Bias = bias, Z = z, A = a };
        if (UseAvx512)
            pool.For(rows, MicroKernels512.Rows, &ForwardRows512<TShape, TAct>, &args);
        else
            pool.For(rows, MicroKernels256.Rows, &ForwardRows256<TShape, TAct>, &args);
    }

    /// <summary>
    /// Weight gradients, overwritten: dWt[k, n] = sum_r X[r, k] dZ[r, n] ([In, OutStride]) and db[n] = sum_r dZ[r, n].
    /// </summary>
    public static void BackwardWeights<TShape>(WorkerPool pool, float* x, float* dz, float* dwt, float* db, int rows)
        where TShape : struct, IDenseShape
    {
        DenseShape.Validate<TShape>();
        var args = new WeightsArgs { X = x, DZ = dz, DWt = dwt, Rows = Math.Max(rows, 0) };
        if (UseAvx512)
            pool.For(TShape.In, MicroKernels512.Rows, &WeightRows512<TShape>, &args);
        else
            pool.For(TShape.In, MicroKernels256.Rows, &WeightRows256<TShape>, &args);
        ColumnSums<TShape>(dz, db, args.Rows);
    }

    /// <summary>
    /// Input gradient fused with the previous layer's activation derivative:
    /// dZprev[r, k] = (sum_n dZ[r, n] W[n, k]) * TPrevAct.Derivative(prevZ[r, k], prevA[r, k]), [rows, InStride],
    /// padding columns written as 0. <paramref name="wScratch"/> (Out x InStride floats) first receives W, the
    /// transpose of Wt, packed in column panels ready for the micro-kernels (see <see cref="PanelWidth"/>).
    /// <paramref name="prevZ"/> may be null unless TPrevAct.NeedsPreActivation.
    /// </summary>
    public static void BackwardInputs<TShape, TPrevAct>(WorkerPool pool, float* dz, float* wt, float* wScratch, float* prevZ, float* prevA, float* dzPrev, int rows)
        where TShape : struct, IDenseShape where TPrevAct : struct, IActivation
    {
        DenseShape.Validate<TShape>();
        if (TShape.InStride % 16 != 0)
            throw new NotSupportedException($"BackwardInputs needs InStride to be a multiple of 16 (it is {TShape.InStride}); the model's input layer has no input gradient.");

        var args = new InputsArgs { DZ = dz, Wt = wt, W = wScratch, PrevZ = prevZ, PrevA = prevA, DZPrev = dzPrev };
        if (UseAvx512)
        {
            pool.For(TShape.InStride, 32, &PackPanels<TShape, C32>, &args);
            pool.For(rows, MicroKernels512.Rows, &InputRows512<TShape, TPrevAct>, &args);
        }
        else
        {
            pool.For(TShape.InStride, 16, &PackPanels<TShape, C16>, &args);
            pool.For(rows, MicroKernels256.Rows, &InputRows256<TShape, TPrevAct>, &args);
        }
    }

    /// <inheritdoc cref="Forward{TShape, TAct}(WorkerPool, float*, float*, float*, float*, float*, int)"/>
    public static void Forward<TShape, TAct>(WorkerPool pool, FloatBuffer x, FloatBuffer wt, FloatBuffer bias, FloatBuffer z, FloatBuffer a, int rows)
        where TShape : struct, IDenseShape where TAct : struct, IActivation
        => Forward<TShape, TAct>(pool, x.Pointer, wt.Pointer, bias.Pointer, z.Pointer, a.Pointer, rows);

    /// <inheritdoc cref="BackwardWeights{TShape}(WorkerPool, float*, float*, float*, float*, int)"/>
    public static void BackwardWeights<TShape>(WorkerPool pool, FloatBuffer x, FloatBuffer dz, FloatBuffer dwt, FloatBuffer db, int rows)
        where TShape : struct, IDenseShape
        => BackwardWeights<TShape>(pool, x.Pointer, dz.Pointer, dwt.Pointer, db.Pointer, rows);

    /// <inheritdoc cref="BackwardInputs{TShape, TPrevAct}(WorkerPool, float*, float*, float*, float*, float*, float*, int)"/>
    public static void BackwardInputs<TShape, TPrevAct>(WorkerPool pool, FloatBuffer dz, FloatBuffer wt, FloatBuffer wScratch, FloatBuffer prevZ, FloatBuffer prevA, FloatBuffer dzPrev, int rows)
        where TShape : struct, IDenseShape where TPrevAct : struct, IActivation
        => BackwardInputs<TShape, TPrevAct>(pool, dz.Pointer, wt.Pointer, wScratch.Pointer, prevZ.Pointer, prevA.Pointer, dzPrev.Pointer, rows);

    private static void ColumnSums<TShape>(float* dz, float* db, int rows) where TShape : struct, IDenseShape
    {
        for (int j = 0; j < TShape.OutStride; j += 8)
        {
            var sum = Vector256<float>.Zero;
            for (int r = 0; r < rows; r++)
                sum += Vector256.Load(dz + (nint)r * TShape.OutStride + j);
            sum.Store(db + j);
        }
    }

    /// <summary>
    /// Columns per panel of the packed W that <see cref="BackwardInputs{TShape, TPrevAct}(WorkerPool, float*, float*, float*, float*, float*, float*, int)"/>
    /// leaves in its scratch: 32 where AVX-512 is accelerated, else 16. Panel c covers the columns [c, c + w) of W,
    /// w = min(PanelWidth, InStride - c), and holds W[n, c + i] at wScratch[c Out + n w + i]: every tile then reads
    /// its B contiguously, and no chunk has to copy it again. Columns at or past In are 0.
    /// </summary>
    internal static int PanelWidth => UseAvx512 ? 32 : 16;

    /// <summary>Packs the panels of W whose first column is in [start, end) (multiples of the panel width) from Wt, 16 x 16 blocks at a time.</summary>
    private static void PackPanels<TShape, TWidth>(void* state, int start, int end)
        where TShape : struct, IDenseShape where TWidth : struct, IConstant
    {
        var s = (InputsArgs*)state;
        for (int c = start; c < end; c += TWidth.Value)
        {
            int width = Math.Min(TWidth.Value, TShape.InStride - c);
            float* panel = s->W + (nint)c * TShape.Out;
            for (int n0 = 0; n0 < TShape.Out; n0 += 16)
            {
                int count = Math.Min(16, TShape.Out - n0);
                for (int h = 0; h < width; h += 16)
                {
                    int k0 = c + h;
                    float* source = s->Wt + (nint)k0 * TShape.OutStride + n0;
                    float* target = panel + (nint)n0 * width + h;
                    if (Avx512F.IsSupported && count == 16 && k0 + 16 <= TShape.In)
                    {
                        Transpose16x16(source, TShape.OutStride, target, width);
                        continue;
                    }
                    for (int n = 0; n < count; n++)
                        for (int k = 0; k < 16; k++)
                            target[(nint)n * width + k] = k0 + k < TShape.In ? source[(nint)k * TShape.OutStride + n] : 0f;
                }
            }
        }
    }
}
