using System;

namespace SoftGen.Cpu;

/// <summary>
/// The dense layer's forward and backward GEMMs with fused epilogues (see <see cref="IDenseShape"/> for the layouts).
/// All results are independent of the pool's thread count: work is split over output elements, never over a reduction.
/// </summary>
public static unsafe class DenseKernels
{
    /// <summary>
    /// Forward: Z = X Wt + b; A = act(Z), for rows 0..rows-1. Writes Z only when <paramref name="z"/> is not null
    /// (the generator passes it when TAct.NeedsPreActivation). Padding columns of A (and Z) are written as 0.
    /// </summary>
    public static void Forward<TShape, TAct>(WorkerPool pool, float* x, float* wt, float* bias, float* z, float* a, int rows)
        where TShape : struct, IDenseShape where TAct : struct, IActivation
        => throw new NotImplementedException();

    /// <summary>
    /// Weight gradients, overwritten: dWt[k, n] = sum_r X[r, k] dZ[r, n] ([In, OutStride]) and db[n] = sum_r dZ[r, n].
    /// </summary>
    public static void BackwardWeights<TShape>(WorkerPool pool, float* x, float* dz, float* dwt, float* db, int rows)
        where TShape : struct, IDenseShape
        => throw new NotImplementedException();

    /// <summary>
    /// Input gradient fused with the previous layer's activation derivative:
    /// dZprev[r, k] = (sum_n dZ[r, n] W[n, k]) * TPrevAct.Derivative(prevZ[r, k], prevA[r, k]), [rows, InStride],
    /// padding columns written as 0. <paramref name="wScratch"/> ([Out, InStride]) receives the transpose of Wt first.
    /// <paramref name="prevZ"/> may be null unless TPrevAct.NeedsPreActivation.
    /// </summary>
    public static void BackwardInputs<TShape, TPrevAct>(WorkerPool pool, float* dz, float* wt, float* wScratch, float* prevZ, float* prevA, float* dzPrev, int rows)
        where TShape : struct, IDenseShape where TPrevAct : struct, IActivation
        => throw new NotImplementedException();
}
