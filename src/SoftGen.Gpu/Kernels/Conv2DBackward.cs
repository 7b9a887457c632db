using ILGPU;
using ILGPU.Algorithms;
using static SoftGen.Gpu.Kernels.ConvGeometry;
using static SoftGen.Gpu.Kernels.GemmTiles;

namespace SoftGen.Gpu.Kernels;

/// <summary>
/// A Conv2D layer's backward pass: one launch of two implicit GEMMs in 64 x 64 tiles (<see cref="GemmTiles"/>), told
/// apart by the group index, then <see cref="SumWeights{TLayer}"/>.
/// <list type="bullet">
/// <item>groups 0..WeightTiles x slices - 1: slice s of dWt = patches^T dZ, [Depth + 1, Filters], reduced over slice s
/// of the rows x output pixels (row Depth of patches^T is all ones, so that it gives db), into partials[s]. The
/// reduction is long (every output pixel of the batch) and its tiles few, so it is split into slices, each group
/// summing one slice of one tile; SumWeights adds the partials in slice order (deterministic).</item>
/// <item>the other groups: dZ_prev = (the transposed convolution of dZ with W) * act'(previous layer), an implicit
/// GEMM [rows x input pixels, kernel positions x Filters] x [kernel positions x Filters, InChannels]. The first layer
/// with parameters has none (the Weights kernel).</item>
/// </list>
/// </summary>
public static class Conv2DBackward
{
    /// <summary>Groups of the dW part per slice: the tiles of dWt.</summary>
    public static int WeightTiles<TLayer>() where TLayer : struct, IConvLayer =>
        Tiles(Depth<TLayer>() + 1, LargeTile) * Tiles(default(TLayer).Filters, LargeTile);

    /// <summary>dWt and db by slice only (the first layer with parameters).</summary>
    public static void Weights<TLayer>(ArrayView<float> x, ArrayView<float> dz, ArrayView<float> partials, int rows, int slices)
        where TLayer : struct, IConvLayer
    {
        var As = SharedMemory.Allocate<float>(LargeStep * LargePadded);
        var Bs = SharedMemory.Allocate<float>(LargeStep * LargePadded);
        WeightSlice<TLayer>(As, Bs, x, dz, partials, rows, slices, Grid.IdxX);
    }

    /// <summary>dWt and db by slice, and dZ_prev = (transposed convolution of dZ) * act'(A_prev).</summary>
    public static void WithInput<TLayer, TPrevious>(ArrayView<float> x, ArrayView<float> p, ArrayView<float> dz, ArrayView<float> partials,
        ArrayView<float> dzPrev, int rows, int slices)
        where TLayer : struct, IConvLayer where TPrevious : struct, IGpuActivationFromOutput
    {
        var As = SharedMemory.Allocate<float>(LargeStep * LargePadded);
        var Bs = SharedMemory.Allocate<float>(LargeStep * LargePadded);
        int tile = Grid.IdxX, weightGroups = WeightTiles<TLayer>() * slices;
        if (tile < weightGroups) WeightSlice<TLayer>(As, Bs, x, dz, partials, rows, slices, tile);
        else InputGradient<TLayer, FromOutputStore<TPrevious>>(As, Bs, p, dz, rows, tile - weightGroups,
            new FromOutputStore<TPrevious>(dzPrev, x, default(TLayer).InStride));
    }

    /// <summary>dWt and db by slice, and dZ_prev = (transposed convolution of dZ) * act'(Z_prev), for an activation whose derivative needs Z.</summary>
    public static void AfterPreActivation<TLayer, TPrevious>(ArrayView<float> x, ArrayView<float> zPrev, ArrayView<float> p, ArrayView<float> dz, ArrayView<float> partials,
        ArrayView<float> dzPrev, int rows, int slices)
        where TLayer : struct, IConvLayer where TPrevious : struct, IGpuActivationFromInput
    {
        var As = SharedMemory.Allocate<float>(LargeStep * LargePadded);
        var Bs = SharedMemory.Allocate<float>(LargeStep * LargePadded);
        int tile = Grid.IdxX, weightGroups = WeightTiles<TLayer>() * slices;
        if (tile < weightGroups) WeightSlice<TLayer>(As, Bs, x, dz, partials, rows, slices, tile);
        else InputGradient<TLayer, FromInputStore<TPrevious>>(As, Bs, p, dz, rows, tile - weightGroups,
            new FromInputStore<TPrevious>(dzPrev, zPrev, default(TLayer).InStride));
    }

    /// <summary>
    /// dWt and db = the slices' partials added in order, one thread per weight; the rows of the padding channels stay 0,
    /// and so do the entries outside a grouped convolution's groups.
    /// </summary>
    public static void SumWeights<TLayer>(ArrayView<float> partials, ArrayView<float> g, int slices)
        where TLayer : struct, IConvLayer
    {
        var l = default(TLayer);
        int depth = Depth<TLayer>(), n = l.Filters;
        int e = Grid.IdxX * Threads + Group.IdxX;
        if (e >= (depth + 1) * n) return;
        int r = e / n, c = e - r * n;
        float sum = 0f;
        for (int s = 0; s < slices; s++) sum += partials[(s * (depth + 1) + r) * n + c];
        if (r < depth && !Connected<TLayer>(r, c)) sum = 0f; // outside the groups: structurally 0
        g[(r == depth ? l.BiasOffset : l.WeightOffset + WeightRow<TLayer>(r) * l.OutStride) + c] = sum;
    }

    private static void WeightSlice<TLayer>(ArrayView<float> As, ArrayView<float> Bs, ArrayView<float> x, ArrayView<float> dz, ArrayView<float> partials,
        int rows, int slices, int tile)
        where TLayer : struct, IConvLayer
    {
        var l = default(TLayer);
        int depth = Depth<TLayer>(), weightTiles = WeightTiles<TLayer>(), outPixels = OutPixels<TLayer>();
        int slice = tile / weightTiles, pixels = rows * outPixels;
        // Each slice's pixels: a multiple of the k-step, so that only the last slice has a partial k-tile.
        int chunk = ((pixels + slices - 1) / slices + 15) / 16 * 16, begin = slice * chunk, end = XMath.Min(begin + chunk, pixels);
        tile -= slice * weightTiles;
        int columnTiles = Tiles(l.Filters, LargeTile), row0 = tile / columnTiles * LargeTile, col0 = tile % columnTiles * LargeTile; // row: patch index (Depth: the bias), column: filter
        int t = Group.IdxX, tr = t / 16 * 4, tc = t % 16 * 4;
        // The patch index this thread stages (tile column t % 64), decomposed once: dilated kernel position (ky, kx) less the padding, and channel.
        int column = t % LargeTile, kk = t / LargeTile, pk = row0 + column;
        int tap = pk / l.InChannels, ch = pk - tap * l.InChannels;
        int ky = tap / l.KernelWidth * l.DilationHeight - l.PaddingHeight, kx = tap % l.KernelWidth * l.DilationWidth - l.PaddingWidth;
        var c = default(Accumulator4x4);
        for (int k0 = begin; k0 < end; k0 += LargeStep)
        {
            // A = patches^T[row0.., k0..] made as patches[k0.., row0..]; B = dZ[k0.., col0..].
            LoadPatchColumn<TLayer>(As, kk * LargePadded + column, x, k0 + kk, end, pk, depth, ky, kx, ch);
            LoadPatchColumn<TLayer>(As, (kk + 4) * LargePadded + column, x, k0 + kk + 4, end, pk, depth, ky, kx, ch);
            LoadPatchColumn<TLayer>(As, (kk + 8) * LargePadded + column, x, k0 + kk + 8, end, pk, depth, ky, kx, ch);
            LoadPatchColumn<TLayer>(As, (kk + 12) * LargePadded + column, x, k0 + kk + 12, end, pk, depth, ky, kx, ch);
            LoadAlongTile(Bs, dz, 0, l.OutStride, col0, l.Filters, k0, end, t, LargeTile, LargePadded);
            Group.Barrier();
            MultiplyLarge(ref c, As.Cast<Float4>(), Bs.Cast<Float4>(), tr, tc);
            Group.Barrier();
        }
        Store(ref c, new PartialStore(partials, slice, depth, l.Filters), row0 + tr, depth + 1, col0 + tc, l.Filters);
    }

    /// <summary>patches[m, pk] (1 for the bias column pk = depth) for output pixel m of the batch.</summary>
    private static void LoadPatchColumn<TLayer>(ArrayView<float> tile, int at, ArrayView<float> x, int m, int end, int pk, int depth, int ky, int kx, int ch)
        where TLayer : struct, IConvLayer
    {
        var l = default(TLayer);
        int outPixels = OutPixels<TLayer>();
        tile[at] = m < end && pk < depth + 1
            ? (pk == depth ? 1f : Patch<TLayer>(x, m / outPixels, m % outPixels / l.OutWidth * l.StrideHeight + ky, m % l.OutWidth * l.StrideWidth + kx, ch))
            : 0f;
    }

    private static void InputGradient<TLayer, TStore>(ArrayView<float> As, ArrayView<float> Bs, ArrayView<float> p, ArrayView<float> dz, int rows, int tile, TStore store)
        where TLayer : struct, IConvLayer where TStore : struct, IGemmStore
    {
        var l = default(TLayer);
        int inPixels = InPixels<TLayer>(), depth = Taps<TLayer>() * l.Filters, pixels = rows * inPixels;
        int columnTiles = Tiles(l.InChannels, LargeTile), row0 = tile / columnTiles * LargeTile, col0 = tile % columnTiles * LargeTile; // row: input pixel, column: input channel
        int t = Group.IdxX, tr = t / 16 * 4, tc = t % 16 * 4;
        // The 4 input pixels this thread stages, decomposed once: their row, and their position plus the padding.
        var p0 = new Target(row0 + t / LargeStep, inPixels, l.InWidth, l.PaddingHeight, l.PaddingWidth);
        var p1 = new Target(row0 + t / LargeStep + 16, inPixels, l.InWidth, l.PaddingHeight, l.PaddingWidth);
        var p2 = new Target(row0 + t / LargeStep + 32, inPixels, l.InWidth, l.PaddingHeight, l.PaddingWidth);
        var p3 = new Target(row0 + t / LargeStep + 48, inPixels, l.InWidth, l.PaddingHeight, l.PaddingWidth);
        int kk = t % LargeStep, at = kk * LargePadded + t / LargeStep;
        var c = default(Accumulator4x4);
        for (int k0 = 0; k0 < depth; k0 += LargeStep)
        {
            // A = the output gradients each input pixel feeds (k = kernel position x Filters + filter); B = W[position, channel, filter]: both along k.
            int k = k0 + kk, tap = k / l.Filters, f = k - tap * l.Filters, tapRow = tap / l.KernelWidth, ky = tapRow * l.DilationHeight, kx = (tap - tapRow * l.KernelWidth) * l.DilationWidth;
            As[at] = p0.Pixel < pixels && k < depth ? Gather<TLayer>(dz, p0.Row, p0.Y - ky, p0.X - kx, f) : 0f;
            As[at + 16] = p1.Pixel < pixels && k < depth ? Gather<TLayer>(dz, p1.Row, p1.Y - ky, p1.X - kx, f) : 0f;
            As[at + 32] = p2.Pixel < pixels && k < depth ? Gather<TLayer>(dz, p2.Row, p2.Y - ky, p2.X - kx, f) : 0f;
            As[at + 48] = p3.Pixel < pixels && k < depth ? Gather<TLayer>(dz, p3.Row, p3.Y - ky, p3.X - kx, f) : 0f;
            int channel = col0 + t / LargeStep;
            LoadTransposedWeight<TLayer>(Bs, at, p, channel, k, depth);
            LoadTransposedWeight<TLayer>(Bs, at + 16, p, channel + 16, k, depth);
            LoadTransposedWeight<TLayer>(Bs, at + 32, p, channel + 32, k, depth);
            LoadTransposedWeight<TLayer>(Bs, at + 48, p, channel + 48, k, depth);
            Group.Barrier();
            MultiplyLarge(ref c, As.Cast<Float4>(), Bs.Cast<Float4>(), tr, tc);
            Group.Barrier();
        }
        Store(ref c, store, row0 + tr, pixels, col0 + tc, l.InChannels);
    }

    /// <summary>W[k / Filters, channel, k % Filters]: the weight from input channel to filter at kernel position k / Filters.</summary>
    private static void LoadTransposedWeight<TLayer>(ArrayView<float> tile, int at, ArrayView<float> p, int channel, int k, int depth)
        where TLayer : struct, IConvLayer
    {
        var l = default(TLayer);
        tile[at] = channel < l.InChannels && k < depth ? p[l.WeightOffset + (k / l.Filters * l.InStride + channel) * l.OutStride + k % l.Filters] : 0f;
    }

    /// <summary>An input pixel's row and its position plus the padding.</summary>
    private readonly struct Target
    {
        public readonly int Pixel, Row, Y, X;

        public Target(int pixel, int inPixels, int inWidth, int paddingHeight, int paddingWidth)
        {
            Pixel = pixel;
            Row = pixel / inPixels;
            Y = pixel % inPixels / inWidth + paddingHeight;
            X = pixel % inWidth + paddingWidth;
        }
    }

    /// <summary>partials[slice, row, f]: slice s's dWt (row Depth: db).</summary>
    private readonly struct PartialStore(ArrayView<float> partials, int slice, int depth, int filters) : IGemmStore
    {
        private readonly ArrayView<float> _partials = partials;
        private readonly int _slice = slice, _depth = depth, _filters = filters;

        public void Store(int row, int column, float value) => _partials[(_slice * (_depth + 1) + row) * _filters + column] = value;
    }

    /// <summary>dZ_prev[pixel, channel] = C * act'(A_prev[pixel, channel]); the padding channels stay 0.</summary>
    private readonly struct FromOutputStore<TPrevious>(ArrayView<float> dzPrev, ArrayView<float> aPrev, int inStride) : IGemmStore
        where TPrevious : struct, IGpuActivationFromOutput
    {
        private readonly ArrayView<float> _dzPrev = dzPrev, _aPrev = aPrev;
        private readonly int _stride = inStride;

        public void Store(int row, int column, float value) =>
            _dzPrev[row * _stride + column] = value * default(TPrevious).DerivativeFromOutput(_aPrev[row * _stride + column]);
    }

    /// <summary>dZ_prev[pixel, channel] = C * act'(Z_prev[pixel, channel]).</summary>
    private readonly struct FromInputStore<TPrevious>(ArrayView<float> dzPrev, ArrayView<float> zPrev, int inStride) : IGemmStore
        where TPrevious : struct, IGpuActivationFromInput
    {
        private readonly ArrayView<float> _dzPrev = dzPrev, _zPrev = zPrev;
        private readonly int _stride = inStride;

        public void Store(int row, int column, float value) =>
            _dzPrev[row * _stride + column] = value * default(TPrevious).Derivative(_zPrev[row * _stride + column]);
    }
}
