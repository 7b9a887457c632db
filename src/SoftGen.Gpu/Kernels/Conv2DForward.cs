using ILGPU;
using static SoftGen.Gpu.Kernels.ConvGeometry;
using static SoftGen.Gpu.Kernels.GemmTiles;

namespace SoftGen.Gpu.Kernels;

/// <summary>
/// A Conv2D layer's forward pass as an implicit GEMM in 64 x 64 tiles (<see cref="GemmTiles"/>), the bias and
/// activation in its epilogue: Z [rows x output pixels, Filters] = patches [.., Depth] Wt [Depth, Filters], A = act(Z),
/// Depth = kernel positions x real input channels (the padding channels' weight rows are 0 and skipped). A grouped
/// convolution multiplies its block-diagonal Wt whole (the entries outside the groups are 0). A and Z are
/// stored [rows, output pixels, OutStride], the padding channels left 0. One group per tile, pixel tiles outer.
/// </summary>
public static class Conv2DForward
{
    /// <summary>A = act(conv(X, W) + b).</summary>
    public static void Run<TLayer, TActivation>(ArrayView<float> x, ArrayView<float> p, ArrayView<float> a, int rows)
        where TLayer : struct, IConvLayer where TActivation : struct, IGpuActivation =>
        Gemm<TLayer, ActivationStore<TActivation>>(x, p, rows, new ActivationStore<TActivation>(p, a, default(TLayer).BiasOffset, default(TLayer).OutStride));

    /// <summary>Z = conv(X, W) + b and A = act(Z), for an activation whose derivative needs Z.</summary>
    public static void RunKeepingZ<TLayer, TActivation>(ArrayView<float> x, ArrayView<float> p, ArrayView<float> z, ArrayView<float> a, int rows)
        where TLayer : struct, IConvLayer where TActivation : struct, IGpuActivation =>
        Gemm<TLayer, KeepingZStore<TActivation>>(x, p, rows, new KeepingZStore<TActivation>(p, z, a, default(TLayer).BiasOffset, default(TLayer).OutStride));

    private static void Gemm<TLayer, TStore>(ArrayView<float> x, ArrayView<float> p, int rows, TStore store)
        where TLayer : struct, IConvLayer where TStore : struct, IGemmStore
    {
        var l = default(TLayer);
        int depth = Depth<TLayer>(), outPixels = OutPixels<TLayer>(), pixels = rows * outPixels;
        int columnTiles = Tiles(l.Filters, LargeTile), tile = Grid.IdxX, row0 = tile / columnTiles * LargeTile, col0 = tile % columnTiles * LargeTile;
        var As = SharedMemory.Allocate<float>(LargeStep * LargePadded);
        var Bs = SharedMemory.Allocate<float>(LargeStep * LargePadded);
        int t = Group.IdxX, tr = t / 16 * 4, tc = t % 16 * 4;
        // The 4 output pixels this thread stages (tile rows t / 16 + 16e), decomposed once: their row and the corner of their window.
        var w0 = new Window(row0 + t / LargeStep, outPixels, l.OutWidth, l.StrideHeight, l.StrideWidth, l.PaddingHeight, l.PaddingWidth);
        var w1 = new Window(row0 + t / LargeStep + 16, outPixels, l.OutWidth, l.StrideHeight, l.StrideWidth, l.PaddingHeight, l.PaddingWidth);
        var w2 = new Window(row0 + t / LargeStep + 32, outPixels, l.OutWidth, l.StrideHeight, l.StrideWidth, l.PaddingHeight, l.PaddingWidth);
        var w3 = new Window(row0 + t / LargeStep + 48, outPixels, l.OutWidth, l.StrideHeight, l.StrideWidth, l.PaddingHeight, l.PaddingWidth);
        int kk = t % LargeStep, at = kk * LargePadded + t / LargeStep;
        var c = default(Accumulator4x4);
        for (int k0 = 0; k0 < depth; k0 += LargeStep)
        {
            // A = patches[row0.., k0..], made as loaded (zeros in the padding); B = the rows of Wt for these (position, channel) pairs.
            int k = k0 + kk, tap = k / l.InChannels, ch = k - tap * l.InChannels, tapRow = tap / l.KernelWidth, ky = tapRow * l.DilationHeight, kx = (tap - tapRow * l.KernelWidth) * l.DilationWidth;
            As[at] = w0.Pixel < pixels && k < depth ? Patch<TLayer>(x, w0.Row, w0.Y + ky, w0.X + kx, ch) : 0f;
            As[at + 16] = w1.Pixel < pixels && k < depth ? Patch<TLayer>(x, w1.Row, w1.Y + ky, w1.X + kx, ch) : 0f;
            As[at + 32] = w2.Pixel < pixels && k < depth ? Patch<TLayer>(x, w2.Row, w2.Y + ky, w2.X + kx, ch) : 0f;
            As[at + 48] = w3.Pixel < pixels && k < depth ? Patch<TLayer>(x, w3.Row, w3.Y + ky, w3.X + kx, ch) : 0f;
            LoadWeights<TLayer>(Bs, p, col0, k0, depth, t);
            Group.Barrier();
            MultiplyLarge(ref c, As.Cast<Float4>(), Bs.Cast<Float4>(), tr, tc);
            Group.Barrier();
        }
        Store(ref c, store, row0 + tr, pixels, col0 + tc, l.Filters);
    }

    /// <summary>B = Wt[WeightRow(k0..), col0..], along the tile (as <see cref="GemmTiles.LoadAlongTile"/>, through the weight rows).</summary>
    private static void LoadWeights<TLayer>(ArrayView<float> tile, ArrayView<float> p, int col0, int k0, int depth, int t)
        where TLayer : struct, IConvLayer
    {
        int c = t % LargeTile, kk = t / LargeTile, column = col0 + c;
        LoadWeight<TLayer>(tile, (kk + 0) * LargePadded + c, p, k0 + kk + 0, depth, column);
        LoadWeight<TLayer>(tile, (kk + 4) * LargePadded + c, p, k0 + kk + 4, depth, column);
        LoadWeight<TLayer>(tile, (kk + 8) * LargePadded + c, p, k0 + kk + 8, depth, column);
        LoadWeight<TLayer>(tile, (kk + 12) * LargePadded + c, p, k0 + kk + 12, depth, column);
    }

    private static void LoadWeight<TLayer>(ArrayView<float> tile, int at, ArrayView<float> p, int k, int depth, int column)
        where TLayer : struct, IConvLayer
    {
        var l = default(TLayer);
        tile[at] = k < depth && column < l.Filters ? p[l.WeightOffset + WeightRow<TLayer>(k) * l.OutStride + column] : 0f;
    }

    /// <summary>An output pixel's row and the corner of its kernel window (less the padding).</summary>
    private readonly struct Window
    {
        public readonly int Pixel, Row, Y, X;

        public Window(int pixel, int outPixels, int outWidth, int strideHeight, int strideWidth, int paddingHeight, int paddingWidth)
        {
            Pixel = pixel;
            Row = pixel / outPixels;
            Y = pixel % outPixels / outWidth * strideHeight - paddingHeight;
            X = pixel % outWidth * strideWidth - paddingWidth;
        }
    }

    /// <summary>A[pixel, f] = act(C + b[f]).</summary>
    private readonly struct ActivationStore<TActivation>(ArrayView<float> p, ArrayView<float> a, int biasOffset, int outStride) : IGemmStore
        where TActivation : struct, IGpuActivation
    {
        private readonly ArrayView<float> _p = p, _a = a;
        private readonly int _bias = biasOffset, _stride = outStride;

        public void Store(int row, int column, float value) => _a[row * _stride + column] = default(TActivation).Apply(value + _p[_bias + column]);
    }

    /// <summary>Z[pixel, f] = C + b[f], A[pixel, f] = act(Z[pixel, f]).</summary>
    private readonly struct KeepingZStore<TActivation>(ArrayView<float> p, ArrayView<float> z, ArrayView<float> a, int biasOffset, int outStride) : IGemmStore
        where TActivation : struct, IGpuActivation
    {
        private readonly ArrayView<float> _p = p, _z = z, _a = a;
        private readonly int _bias = biasOffset, _stride = outStride;

        public void Store(int row, int column, float value)
        {
            float zv = value + _p[_bias + column];
            _z[row * _stride + column] = zv;
            _a[row * _stride + column] = default(TActivation).Apply(zv);
        }
    }
}
