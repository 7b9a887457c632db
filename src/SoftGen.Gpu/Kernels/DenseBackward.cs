using ILGPU;
using static SoftGen.Gpu.Kernels.GemmTiles;

namespace SoftGen.Gpu.Kernels;

/// <summary>
/// A Dense layer's backward pass in one launch of two GEMMs, told apart by the group index:
/// <list type="bullet">
/// <item>groups 0..weightTiles-1: dWt = X^T dZ, [In + 1, Out] over the rows, where row In of X^T is all ones so that
/// it gives db = the column sums of dZ, stored right after Wt (at BiasOffset);</item>
/// <item>the other groups: dZ_prev = (dZ W) * act'(previous layer), [rows, Out] x [Out, In], W read as Wt
/// transposed. The first layer with parameters has no input gradient (the Weights kernels).</item>
/// </list>
/// The previous layer's act' comes from its output A_prev = X (<see cref="IGpuActivationFromOutput"/>), or for GELU,
/// SiLU and Mish from its kept Z_prev (<see cref="IGpuActivationFromInput"/>). Tile shapes: <see cref="GemmTiles"/>.
/// </summary>
public static class DenseBackward
{
    /// <summary>64 x 64 tiles, dWt and db only (the first layer with parameters).</summary>
    public static void LargeWeights<TLayer>(ArrayView<float> x, ArrayView<float> dz, ArrayView<float> g, int rows)
        where TLayer : struct, IDenseLayer
    {
        var As = SharedMemory.Allocate<float>(LargeStep * LargePadded);
        var Bs = SharedMemory.Allocate<float>(LargeStep * LargePadded);
        WeightsLarge<TLayer>(As, Bs, x, dz, g, rows, Grid.IdxX);
    }

    /// <summary>64 x 64 tiles, dWt, db and dZ_prev = (dZ W) * act'(A_prev).</summary>
    public static void Large<TLayer, TPrevious>(ArrayView<float> x, ArrayView<float> p, ArrayView<float> dz, ArrayView<float> g, ArrayView<float> dzPrev,
        int rows, int weightTiles)
        where TLayer : struct, IDenseLayer where TPrevious : struct, IGpuActivationFromOutput
    {
        var As = SharedMemory.Allocate<float>(LargeStep * LargePadded);
        var Bs = SharedMemory.Allocate<float>(LargeStep * LargePadded);
        int tile = Grid.IdxX;
        if (tile < weightTiles) WeightsLarge<TLayer>(As, Bs, x, dz, g, rows, tile);
        else InputLarge<TLayer, FromOutputStore<TPrevious>>(As, Bs, p, dz, rows, tile - weightTiles,
            new FromOutputStore<TPrevious>(dzPrev, x, default(TLayer).In));
    }

    /// <summary>64 x 64 tiles, dWt, db and dZ_prev = (dZ W) * act'(Z_prev), for an activation whose derivative needs Z.</summary>
    public static void LargeAfterPreActivation<TLayer, TPrevious>(ArrayView<float> x, ArrayView<float> zPrev, ArrayView<float> p, ArrayView<float> dz, ArrayView<float> g,
        ArrayView<float> dzPrev, int rows, int weightTiles)
        where TLayer : struct, IDenseLayer where TPrevious : struct, IGpuActivationFromInput
    {
        var As = SharedMemory.Allocate<float>(LargeStep * LargePadded);
        var Bs = SharedMemory.Allocate<float>(LargeStep * LargePadded);
        int tile = Grid.IdxX;
        if (tile < weightTiles) WeightsLarge<TLayer>(As, Bs, x, dz, g, rows, tile);
        else InputLarge<TLayer, FromInputStore<TPrevious>>(As, Bs, p, dz, rows, tile - weightTiles, new FromInputStore<TPrevious>(dzPrev, zPrev, default(TLayer).In));
    }

    /// <summary>32 x 32 tiles, dWt and db only.</summary>
    public static void SmallWeights<TLayer>(ArrayView<float> x, ArrayView<float> dz, ArrayView<float> g, int rows)
        where TLayer : struct, IDenseLayer
    {
        var As = SharedMemory.Allocate<float>(SmallStep * SmallPadded);
        var Bs = SharedMemory.Allocate<float>(SmallStep * SmallPadded);
        var sums = SharedMemory.Allocate<float>(SliceSums);
        WeightsSmall<TLayer>(As, Bs, sums, x, dz, g, rows, Grid.IdxX);
    }

    /// <summary>32 x 32 tiles, dWt, db and dZ_prev = (dZ W) * act'(A_prev).</summary>
    public static void Small<TLayer, TPrevious>(ArrayView<float> x, ArrayView<float> p, ArrayView<float> dz, ArrayView<float> g, ArrayView<float> dzPrev,
        int rows, int weightTiles)
        where TLayer : struct, IDenseLayer where TPrevious : struct, IGpuActivationFromOutput
    {
        var As = SharedMemory.Allocate<float>(SmallStep * SmallPadded);
        var Bs = SharedMemory.Allocate<float>(SmallStep * SmallPadded);
        var sums = SharedMemory.Allocate<float>(SliceSums);
        int tile = Grid.IdxX;
        if (tile < weightTiles) WeightsSmall<TLayer>(As, Bs, sums, x, dz, g, rows, tile);
        else InputSmall<TLayer, FromOutputStore<TPrevious>>(As, Bs, sums, p, dz, rows, tile - weightTiles,
            new FromOutputStore<TPrevious>(dzPrev, x, default(TLayer).In));
    }

    /// <summary>32 x 32 tiles, dWt, db and dZ_prev = (dZ W) * act'(Z_prev), for an activation whose derivative needs Z.</summary>
    public static void SmallAfterPreActivation<TLayer, TPrevious>(ArrayView<float> x, ArrayView<float> zPrev, ArrayView<float> p, ArrayView<float> dz, ArrayView<float> g,
        ArrayView<float> dzPrev, int rows, int weightTiles)
        where TLayer : struct, IDenseLayer where TPrevious : struct, IGpuActivationFromInput
    {
        var As = SharedMemory.Allocate<float>(SmallStep * SmallPadded);
        var Bs = SharedMemory.Allocate<float>(SmallStep * SmallPadded);
        var sums = SharedMemory.Allocate<float>(SliceSums);
        int tile = Grid.IdxX;
        if (tile < weightTiles) WeightsSmall<TLayer>(As, Bs, sums, x, dz, g, rows, tile);
        else InputSmall<TLayer, FromInputStore<TPrevious>>(As, Bs, sums, p, dz, rows, tile - weightTiles, new FromInputStore<TPrevious>(dzPrev, zPrev, default(TLayer).In));
    }

    /// <summary>The groups of dWt's tiles (the first groups of a launch).</summary>
    public static int LargeWeightTiles(int inputs, int outputs) => Tiles(inputs + 1, LargeTile) * Tiles(outputs, LargeTile);

    public static int SmallWeightTiles(int inputs, int outputs) => Tiles(inputs + 1, SmallTile) * Tiles(outputs, SmallTile);

    /// <summary>The groups of dZ_prev's tiles (after dWt's).</summary>
    public static int LargeInputTiles(int rows, int inputs) => Tiles(rows, LargeTile) * Tiles(inputs, LargeTile);

    public static int SmallInputTiles(int rows, int inputs) => Tiles(rows, SmallTile) * Tiles(inputs, SmallTile);

    // dWt tile: rows of dWt = input index i (In: the bias), columns = output n; k runs over the batch rows.
    private static void WeightsLarge<TLayer>(ArrayView<float> As, ArrayView<float> Bs, ArrayView<float> x, ArrayView<float> dz, ArrayView<float> g,
        int rows, int tile)
        where TLayer : struct, IDenseLayer
    {
        var l = default(TLayer);
        int columnTiles = Tiles(l.Out, LargeTile), row0 = tile / columnTiles * LargeTile, col0 = tile % columnTiles * LargeTile;
        int t = Group.IdxX, tr = t / 16 * 4, tc = t % 16 * 4;
        var c = default(Accumulator4x4);
        for (int k0 = 0; k0 < rows; k0 += LargeStep)
        {
            // A = X^T[row0.., k0..] read as X[k0.., row0..] (k-major already); B = dZ[k0.., col0..].
            LoadAlongTileWithOnes(As, x, l.In, row0, k0, rows, t, LargeTile, LargePadded);
            LoadAlongTile(Bs, dz, 0, l.Out, col0, l.Out, k0, rows, t, LargeTile, LargePadded);
            Group.Barrier();
            MultiplyLarge(ref c, As.Cast<Float4>(), Bs.Cast<Float4>(), tr, tc);
            Group.Barrier();
        }
        Store(ref c, new WeightStore(g, l.WeightOffset, l.WeightStride), row0 + tr, l.In + 1, col0 + tc, l.Out);
    }

    private static void WeightsSmall<TLayer>(ArrayView<float> As, ArrayView<float> Bs, ArrayView<float> sums, ArrayView<float> x, ArrayView<float> dz,
        ArrayView<float> g, int rows, int tile)
        where TLayer : struct, IDenseLayer
    {
        var l = default(TLayer);
        int columnTiles = Tiles(l.Out, SmallTile), row0 = tile / columnTiles * SmallTile, col0 = tile % columnTiles * SmallTile;
        int t = Group.IdxX, slice = t / ThreadsPerSlice, tr = t % ThreadsPerSlice / 8 * 4, tc = t % 8 * 4;
        var c = default(Accumulator4x4);
        for (int k0 = 0; k0 < rows; k0 += SmallStep)
        {
            LoadAlongTileWithOnes(As, x, l.In, row0, k0, rows, t, SmallTile, SmallPadded);
            LoadAlongTile(Bs, dz, 0, l.Out, col0, l.Out, k0, rows, t, SmallTile, SmallPadded);
            Group.Barrier();
            MultiplySlice(ref c, As.Cast<Float4>(), Bs.Cast<Float4>(), slice, tr, tc);
            Group.Barrier();
        }
        if (ReduceSlices(ref c, sums, slice, t))
            Store(ref c, new WeightStore(g, l.WeightOffset, l.WeightStride), row0 + tr, l.In + 1, col0 + tc, l.Out);
    }

    // dZ_prev tile: rows = batch rows, columns = input index i; k runs over the outputs.
    private static void InputLarge<TLayer, TStore>(ArrayView<float> As, ArrayView<float> Bs, ArrayView<float> p, ArrayView<float> dz, int rows, int tile,
        TStore store)
        where TLayer : struct, IDenseLayer where TStore : struct, IGemmStore
    {
        var l = default(TLayer);
        int columnTiles = Tiles(l.In, LargeTile), row0 = tile / columnTiles * LargeTile, col0 = tile % columnTiles * LargeTile;
        int t = Group.IdxX, tr = t / 16 * 4, tc = t % 16 * 4;
        var c = default(Accumulator4x4);
        for (int k0 = 0; k0 < l.Out; k0 += LargeStep)
        {
            // A = dZ[row0.., k0..] and B = W[k0.., col0..] = Wt[col0.., k0..]: both read along k.
            LoadAlongK(As, dz, 0, l.Out, row0, rows, k0, l.Out, t, LargeStep, LargePadded);
            LoadAlongK(Bs, p, l.WeightOffset, l.WeightStride, col0, l.In, k0, l.Out, t, LargeStep, LargePadded);
            Group.Barrier();
            MultiplyLarge(ref c, As.Cast<Float4>(), Bs.Cast<Float4>(), tr, tc);
            Group.Barrier();
        }
        Store(ref c, store, row0 + tr, rows, col0 + tc, l.In);
    }

    private static void InputSmall<TLayer, TStore>(ArrayView<float> As, ArrayView<float> Bs, ArrayView<float> sums, ArrayView<float> p, ArrayView<float> dz,
        int rows, int tile, TStore store)
        where TLayer : struct, IDenseLayer where TStore : struct, IGemmStore
    {
        var l = default(TLayer);
        int columnTiles = Tiles(l.In, SmallTile), row0 = tile / columnTiles * SmallTile, col0 = tile % columnTiles * SmallTile;
        int t = Group.IdxX, slice = t / ThreadsPerSlice, tr = t % ThreadsPerSlice / 8 * 4, tc = t % 8 * 4;
        var c = default(Accumulator4x4);
        for (int k0 = 0; k0 < l.Out; k0 += SmallStep)
        {
            LoadAlongK(As, dz, 0, l.Out, row0, rows, k0, l.Out, t, SmallStep, SmallPadded);
            LoadAlongK(Bs, p, l.WeightOffset, l.WeightStride, col0, l.In, k0, l.Out, t, SmallStep, SmallPadded);
            Group.Barrier();
            MultiplySlice(ref c, As.Cast<Float4>(), Bs.Cast<Float4>(), slice, tr, tc);
            Group.Barrier();
        }
        if (ReduceSlices(ref c, sums, slice, t))
            Store(ref c, store, row0 + tr, rows, col0 + tc, l.In);
    }

    /// <summary>dWt[i, n] (row In: db[n]) into the gradients, in the parameters' layout.</summary>
    private readonly struct WeightStore(ArrayView<float> g, int offset, int stride) : IGemmStore
    {
        private readonly ArrayView<float> _g = g;
        private readonly int _offset = offset, _stride = stride;

        public void Store(int row, int column, float value) => _g[_offset + row * _stride + column] = value;
    }

    /// <summary>dZ_prev[r, i] = C * act'(A_prev[r, i]).</summary>
    private readonly struct FromOutputStore<TPrevious>(ArrayView<float> dzPrev, ArrayView<float> aPrev, int width) : IGemmStore
        where TPrevious : struct, IGpuActivationFromOutput
    {
        private readonly ArrayView<float> _dzPrev = dzPrev, _aPrev = aPrev;
        private readonly int _width = width;

        public void Store(int row, int column, float value) =>
            _dzPrev[row * _width + column] = value * default(TPrevious).DerivativeFromOutput(_aPrev[row * _width + column]);
    }

    /// <summary>dZ_prev[r, i] = C * act'(Z_prev[r, i]).</summary>
    private readonly struct FromInputStore<TPrevious>(ArrayView<float> dzPrev, ArrayView<float> zPrev, int width) : IGemmStore
        where TPrevious : struct, IGpuActivationFromInput
    {
        private readonly ArrayView<float> _dzPrev = dzPrev, _zPrev = zPrev;
        private readonly int _width = width;

        public void Store(int row, int column, float value) =>
            _dzPrev[row * _width + column] = value * default(TPrevious).Derivative(_zPrev[row * _width + column]);
    }
}
