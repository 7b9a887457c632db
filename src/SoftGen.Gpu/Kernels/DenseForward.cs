using ILGPU;
using static SoftGen.Gpu.Kernels.GemmTiles;

namespace SoftGen.Gpu.Kernels;

/// <summary>
/// A Dense layer's forward pass, one GEMM with the bias and activation in its epilogue:
/// Z = X Wt + b, A = act(Z), X [rows, In] dense, Wt [In, WeightStride] k-major at WeightOffset, b at BiasOffset,
/// A (and Z where the backward pass needs it) [rows, Out] dense. One group per tile of A, row tiles outer (see
/// <see cref="GemmTiles"/> for the tile shapes); the generated program picks the shape per launch.
/// </summary>
public static class DenseForward
{
    /// <summary>64 x 64 tiles: A = act(X Wt + b).</summary>
    public static void Large<TLayer, TActivation>(ArrayView<float> x, ArrayView<float> p, ArrayView<float> a, int rows)
        where TLayer : struct, IDenseLayer where TActivation : struct, IGpuActivation =>
        RunLarge<TLayer, ActivationStore<TActivation>>(x, p, rows, new ActivationStore<TActivation>(p, a, default(TLayer).BiasOffset, default(TLayer).Out));

    /// <summary>64 x 64 tiles: Z = X Wt + b and A = act(Z), for an activation whose derivative needs Z.</summary>
    public static void LargeKeepingZ<TLayer, TActivation>(ArrayView<float> x, ArrayView<float> p, ArrayView<float> z, ArrayView<float> a, int rows)
        where TLayer : struct, IDenseLayer where TActivation : struct, IGpuActivation =>
        RunLarge<TLayer, KeepingZStore<TActivation>>(x, p, rows, new KeepingZStore<TActivation>(p, z, a, default(TLayer).BiasOffset, default(TLayer).Out));

    /// <summary>32 x 32 tiles: A = act(X Wt + b).</summary>
    public static void Small<TLayer, TActivation>(ArrayView<float> x, ArrayView<float> p, ArrayView<float> a, int rows)
        where TLayer : struct, IDenseLayer where TActivation : struct, IGpuActivation =>
        RunSmall<TLayer, ActivationStore<TActivation>>(x, p, rows, new ActivationStore<TActivation>(p, a, default(TLayer).BiasOffset, default(TLayer).Out));

    /// <summary>32 x 32 tiles: Z = X Wt + b and A = act(Z).</summary>
    public static void SmallKeepingZ<TLayer, TActivation>(ArrayView<float> x, ArrayView<float> p, ArrayView<float> z, ArrayView<float> a, int rows)
        where TLayer : struct, IDenseLayer where TActivation : struct, IGpuActivation =>
        RunSmall<TLayer, KeepingZStore<TActivation>>(x, p, rows, new KeepingZStore<TActivation>(p, z, a, default(TLayer).BiasOffset, default(TLayer).Out));

    /// <summary>Groups of a launch: one per tile of A.</summary>
    public static int LargeGroups(int rows, int outputs) => Tiles(rows, LargeTile) * Tiles(outputs, LargeTile);

    public static int SmallGroups(int rows, int outputs) => Tiles(rows, SmallTile) * Tiles(outputs, SmallTile);

    private static void RunLarge<TLayer, TStore>(ArrayView<float> x, ArrayView<float> p, int rows, TStore store)
        where TLayer : struct, IDenseLayer where TStore : struct, IGemmStore
    {
        var l = default(TLayer);
        int columnTiles = Tiles(l.Out, LargeTile), tile = Grid.IdxX, row0 = tile / columnTiles * LargeTile, col0 = tile % columnTiles * LargeTile;
        var As = SharedMemory.Allocate<float>(LargeStep * LargePadded);
        var Bs = SharedMemory.Allocate<float>(LargeStep * LargePadded);
        int t = Group.IdxX, tr = t / 16 * 4, tc = t % 16 * 4;
        var c = default(Accumulator4x4);
        for (int k0 = 0; k0 < l.In; k0 += LargeStep)
        {
            // A = X[row0.., k0..], read along k; B = Wt[k0.., col0..], read along the tile.
            LoadAlongK(As, x, 0, l.In, row0, rows, k0, l.In, t, LargeStep, LargePadded);
            LoadAlongTile(Bs, p, l.WeightOffset, l.WeightStride, col0, l.Out, k0, l.In, t, LargeTile, LargePadded);
            Group.Barrier();
            MultiplyLarge(ref c, As.Cast<Float4>(), Bs.Cast<Float4>(), tr, tc);
            Group.Barrier();
        }
        Store(ref c, store, row0 + tr, rows, col0 + tc, l.Out);
    }

    private static void RunSmall<TLayer, TStore>(ArrayView<float> x, ArrayView<float> p, int rows, TStore store)
        where TLayer : struct, IDenseLayer where TStore : struct, IGemmStore
    {
        var l = default(TLayer);
        int columnTiles = Tiles(l.Out, SmallTile), tile = Grid.IdxX, row0 = tile / columnTiles * SmallTile, col0 = tile % columnTiles * SmallTile;
        var As = SharedMemory.Allocate<float>(SmallStep * SmallPadded);
        var Bs = SharedMemory.Allocate<float>(SmallStep * SmallPadded);
        var sums = SharedMemory.Allocate<float>(SliceSums);
        int t = Group.IdxX, slice = t / ThreadsPerSlice, tr = t % ThreadsPerSlice / 8 * 4, tc = t % 8 * 4;
        var c = default(Accumulator4x4);
        for (int k0 = 0; k0 < l.In; k0 += SmallStep)
        {
            LoadAlongK(As, x, 0, l.In, row0, rows, k0, l.In, t, SmallStep, SmallPadded);
            LoadAlongTile(Bs, p, l.WeightOffset, l.WeightStride, col0, l.Out, k0, l.In, t, SmallTile, SmallPadded);
            Group.Barrier();
            MultiplySlice(ref c, As.Cast<Float4>(), Bs.Cast<Float4>(), slice, tr, tc);
            Group.Barrier();
        }
        if (ReduceSlices(ref c, sums, slice, t))
            Store(ref c, store, row0 + tr, rows, col0 + tc, l.Out);
    }

    /// <summary>A[r, c] = act(C + b[c]).</summary>
    private readonly struct ActivationStore<TActivation>(ArrayView<float> p, ArrayView<float> a, int biasOffset, int outputs) : IGemmStore
        where TActivation : struct, IGpuActivation
    {
        private readonly ArrayView<float> _p = p, _a = a;
        private readonly int _bias = biasOffset, _out = outputs;

        public void Store(int row, int column, float value) => _a[row * _out + column] = default(TActivation).Apply(value + _p[_bias + column]);
    }

    /// <summary>Z[r, c] = C + b[c], A[r, c] = act(Z[r, c]).</summary>
    private readonly struct KeepingZStore<TActivation>(ArrayView<float> p, ArrayView<float> z, ArrayView<float> a, int biasOffset, int outputs) : IGemmStore
        where TActivation : struct, IGpuActivation
    {
        private readonly ArrayView<float> _p = p, _z = z, _a = a;
        private readonly int _bias = biasOffset, _out = outputs;

        public void Store(int row, int column, float value)
        {
            float zv = value + _p[_bias + column];
            _z[row * _out + column] = zv;
            _a[row * _out + column] = default(TActivation).Apply(zv);
        }
    }
}
