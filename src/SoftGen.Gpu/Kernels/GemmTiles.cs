using System.Runtime.CompilerServices;
using ILGPU;

namespace SoftGen.Gpu.Kernels;

/// <summary>Where a GEMM's epilogue puts C[row, column] (plus whatever the layer adds to it).</summary>
internal interface IGemmStore
{
    void Store(int row, int column, float value);
}

/// <summary>
/// The machinery every Dense GEMM shares, in its two tile shapes. Every group has 256 threads and each thread
/// accumulates a 4 x 4 block of C in registers (<see cref="Accumulator4x4"/>). Both operands are staged k-major in
/// shared memory, [step][tile + 4] (the 4 floats of padding keep the threads' stores off each other's banks), so that a
/// thread reads its 4 A values and its 4 B values of one k as two Float4 (LDS.128).
/// <list type="bullet">
/// <item>Large: 64 x 64 tiles of C, the threads as 16 x 16, k-tiles of 16.</item>
/// <item>Small: 32 x 32 tiles (four times the groups for the same C), k-tiles of 32, the threads as 4 slices of 8 x 8:
/// slice s runs k-steps 8s..8s+7 of each k-tile, and at the end slices 1-3 hand their sums to slice 0 through shared
/// memory, which adds them in slice order (deterministic) and stores.</item>
/// </list>
/// Each thread loads 4 values per operand and k-tile (tile x step / 256 for both shapes); values past the matrix
/// edges load as 0, so partial tiles need no other care. ILGPU 1.5.3 does not unroll loops, so the k-steps are
/// written out below: they depend on the tile shape, not on the model.
/// </summary>
internal static class GemmTiles
{
    public const int Threads = 256;
    public const int LargeTile = 64, LargeStep = 16, LargePadded = LargeTile + 4;
    public const int SmallTile = 32, SmallStep = 32, SmallPadded = SmallTile + 4;
    public const int Slices = 4, ThreadsPerSlice = Threads / Slices, StepsPerSlice = SmallStep / Slices;

    /// <summary>Floats of shared memory slices 1-3 use to hand their 16 sums per thread to slice 0.</summary>
    public const int SliceSums = (Slices - 1) * 16 * ThreadsPerSlice;

    public static int Tiles(int count, int tile) => (count + tile - 1) / tile;

    /// <summary>
    /// Stages a tile whose source is contiguous along k: the tile's rows origin.. are source rows, value (m, k) at
    /// src[offset + m * stride + k]; a thread takes one k of 4 rows (consecutive threads: consecutive k).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadAlongK(ArrayView<float> tile, ArrayView<float> src, int offset, int stride, int origin, int limit, int k0, int kLimit,
        int t, int step, int padded)
    {
        int kk = t % step, m = t / step, rowsPerLoad = Threads / step, k = k0 + kk;
        LoadAt(tile, kk * padded + m, src, offset, stride, origin + m, limit, k, kLimit);
        LoadAt(tile, kk * padded + m + rowsPerLoad, src, offset, stride, origin + m + rowsPerLoad, limit, k, kLimit);
        LoadAt(tile, kk * padded + m + 2 * rowsPerLoad, src, offset, stride, origin + m + 2 * rowsPerLoad, limit, k, kLimit);
        LoadAt(tile, kk * padded + m + 3 * rowsPerLoad, src, offset, stride, origin + m + 3 * rowsPerLoad, limit, k, kLimit);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadAt(ArrayView<float> tile, int at, ArrayView<float> src, int offset, int stride, int m, int limit, int k, int kLimit) =>
        tile[at] = m < limit && k < kLimit ? src[offset + m * stride + k] : 0f;

    /// <summary>
    /// Stages a tile whose source is contiguous along the tile: value (k, c) at src[offset + k * stride + c] for the
    /// tile's columns origin..; a thread takes one column of 4 k (consecutive threads: consecutive columns).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadAlongTile(ArrayView<float> tile, ArrayView<float> src, int offset, int stride, int origin, int limit, int k0, int kLimit,
        int t, int tileSize, int padded)
    {
        int c = t % tileSize, kk = t / tileSize, kPerLoad = Threads / tileSize, column = origin + c;
        LoadAt(tile, kk * padded + c, src, offset, stride, k0 + kk, kLimit, column, limit);
        LoadAt(tile, (kk + kPerLoad) * padded + c, src, offset, stride, k0 + kk + kPerLoad, kLimit, column, limit);
        LoadAt(tile, (kk + 2 * kPerLoad) * padded + c, src, offset, stride, k0 + kk + 2 * kPerLoad, kLimit, column, limit);
        LoadAt(tile, (kk + 3 * kPerLoad) * padded + c, src, offset, stride, k0 + kk + 3 * kPerLoad, kLimit, column, limit);
    }

    /// <summary>
    /// As <see cref="LoadAlongTile"/> from X [rows, width] with a column of ones appended at column width: X^T with a
    /// row of ones, whose product with dZ gives db next to dW.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadAlongTileWithOnes(ArrayView<float> tile, ArrayView<float> x, int width, int origin, int k0, int kLimit, int t, int tileSize, int padded)
    {
        int c = t % tileSize, kk = t / tileSize, kPerLoad = Threads / tileSize, column = origin + c;
        LoadWithOnes(tile, kk * padded + c, x, width, k0 + kk, kLimit, column);
        LoadWithOnes(tile, (kk + kPerLoad) * padded + c, x, width, k0 + kk + kPerLoad, kLimit, column);
        LoadWithOnes(tile, (kk + 2 * kPerLoad) * padded + c, x, width, k0 + kk + 2 * kPerLoad, kLimit, column);
        LoadWithOnes(tile, (kk + 3 * kPerLoad) * padded + c, x, width, k0 + kk + 3 * kPerLoad, kLimit, column);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadWithOnes(ArrayView<float> tile, int at, ArrayView<float> x, int width, int k, int kLimit, int column) =>
        tile[at] = k < kLimit && column < width + 1 ? (column == width ? 1f : x[k * width + column]) : 0f;

    /// <summary>The 16 k-steps of a Large k-tile: thread rows tr.., columns tc.. (multiples of 4) of the staged tiles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyLarge(ref Accumulator4x4 c, ArrayView<Float4> a, ArrayView<Float4> b, int tr, int tc)
    {
        const int K = LargePadded / 4; // Float4 per k-step
        int i = tr / 4, j = tc / 4;
        c.Add(a[i], b[j]); c.Add(a[i + K], b[j + K]); c.Add(a[i + 2 * K], b[j + 2 * K]); c.Add(a[i + 3 * K], b[j + 3 * K]);
        c.Add(a[i + 4 * K], b[j + 4 * K]); c.Add(a[i + 5 * K], b[j + 5 * K]); c.Add(a[i + 6 * K], b[j + 6 * K]); c.Add(a[i + 7 * K], b[j + 7 * K]);
        c.Add(a[i + 8 * K], b[j + 8 * K]); c.Add(a[i + 9 * K], b[j + 9 * K]); c.Add(a[i + 10 * K], b[j + 10 * K]); c.Add(a[i + 11 * K], b[j + 11 * K]);
        c.Add(a[i + 12 * K], b[j + 12 * K]); c.Add(a[i + 13 * K], b[j + 13 * K]); c.Add(a[i + 14 * K], b[j + 14 * K]); c.Add(a[i + 15 * K], b[j + 15 * K]);
    }

    /// <summary>A slice's 8 of a Small k-tile's 32 k-steps, from k-step 8 x slice.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplySlice(ref Accumulator4x4 c, ArrayView<Float4> a, ArrayView<Float4> b, int slice, int tr, int tc)
    {
        const int K = SmallPadded / 4;
        int first = slice * StepsPerSlice * K, i = first + tr / 4, j = first + tc / 4;
        c.Add(a[i], b[j]); c.Add(a[i + K], b[j + K]); c.Add(a[i + 2 * K], b[j + 2 * K]); c.Add(a[i + 3 * K], b[j + 3 * K]);
        c.Add(a[i + 4 * K], b[j + 4 * K]); c.Add(a[i + 5 * K], b[j + 5 * K]); c.Add(a[i + 6 * K], b[j + 6 * K]); c.Add(a[i + 7 * K], b[j + 7 * K]);
    }

    /// <summary>
    /// Slices 1-3 hand their sums to slice 0 (through <paramref name="sums"/>, <see cref="SliceSums"/> floats), which adds
    /// them in slice order. True for the threads of slice 0, which then hold the tile's C. Every thread of the group must
    /// call it (it waits at a barrier).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool ReduceSlices(ref Accumulator4x4 c, ArrayView<float> sums, int slice, int t)
    {
        const int P = ThreadsPerSlice, Block = 16 * P;
        if (slice > 0)
        {
            int o = (slice - 1) * Block + t % P;
            sums[o] = c.C00; sums[o + P] = c.C01; sums[o + 2 * P] = c.C02; sums[o + 3 * P] = c.C03;
            sums[o + 4 * P] = c.C10; sums[o + 5 * P] = c.C11; sums[o + 6 * P] = c.C12; sums[o + 7 * P] = c.C13;
            sums[o + 8 * P] = c.C20; sums[o + 9 * P] = c.C21; sums[o + 10 * P] = c.C22; sums[o + 11 * P] = c.C23;
            sums[o + 12 * P] = c.C30; sums[o + 13 * P] = c.C31; sums[o + 14 * P] = c.C32; sums[o + 15 * P] = c.C33;
        }
        Group.Barrier();
        if (slice != 0) return false;
        c.C00 += Sum(sums, t); c.C01 += Sum(sums, t + P); c.C02 += Sum(sums, t + 2 * P); c.C03 += Sum(sums, t + 3 * P);
        c.C10 += Sum(sums, t + 4 * P); c.C11 += Sum(sums, t + 5 * P); c.C12 += Sum(sums, t + 6 * P); c.C13 += Sum(sums, t + 7 * P);
        c.C20 += Sum(sums, t + 8 * P); c.C21 += Sum(sums, t + 9 * P); c.C22 += Sum(sums, t + 10 * P); c.C23 += Sum(sums, t + 11 * P);
        c.C30 += Sum(sums, t + 12 * P); c.C31 += Sum(sums, t + 13 * P); c.C32 += Sum(sums, t + 14 * P); c.C33 += Sum(sums, t + 15 * P);
        return true;
    }

    /// <summary>Slices 1, 2 and 3's sums of one accumulator, in that order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Sum(ArrayView<float> sums, int at) => sums[at] + sums[at + 16 * ThreadsPerSlice] + sums[at + 32 * ThreadsPerSlice];

    /// <summary>The epilogue: C[row0 + i, col0 + j] to <paramref name="store"/> for the 16 inside the limits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store<TStore>(ref Accumulator4x4 c, TStore store, int row0, int rowLimit, int col0, int colLimit)
        where TStore : struct, IGemmStore
    {
        if (row0 < rowLimit) StoreRow(store, row0, col0, colLimit, c.C00, c.C01, c.C02, c.C03);
        if (row0 + 1 < rowLimit) StoreRow(store, row0 + 1, col0, colLimit, c.C10, c.C11, c.C12, c.C13);
        if (row0 + 2 < rowLimit) StoreRow(store, row0 + 2, col0, colLimit, c.C20, c.C21, c.C22, c.C23);
        if (row0 + 3 < rowLimit) StoreRow(store, row0 + 3, col0, colLimit, c.C30, c.C31, c.C32, c.C33);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<TStore>(TStore store, int row, int col0, int colLimit, float v0, float v1, float v2, float v3)
        where TStore : struct, IGemmStore
    {
        if (col0 < colLimit) store.Store(row, col0, v0);
        if (col0 + 1 < colLimit) store.Store(row, col0 + 1, v1);
        if (col0 + 2 < colLimit) store.Store(row, col0 + 2, v2);
        if (col0 + 3 < colLimit) store.Store(row, col0 + 3, v3);
    }
}
