using ILGPU;
using ILGPU.Algorithms;
using static SoftGen.Gpu.Kernels.ConvGeometry;

namespace SoftGen.Gpu.Kernels;

/// <summary>
/// A depthwise convolution (<see cref="IConvLayer.Groups"/> == InChannels == Filters): each channel convolved with its
/// own kernel, weights compact, [Taps, OutStride] (row = kernel position, column = channel), then the bias
/// [OutStride]. No GEMM: each output value is Taps multiply-adds of one channel, so the kernels are element-wise.
/// <list type="bullet">
/// <item>Forward: one thread per stored output value (padding channels written 0).</item>
/// <item>Weight gradient in two stages, as <see cref="ChannelChunks"/>: <see cref="WeightChunks{TLayer}"/>, one thread
/// per (chunk of <see cref="ChunkLength"/> output positions, tap or bias, channel) summing its chunk serially;
/// <see cref="SumWeights{TLayer}"/>, one thread per weight adding the chunks in order (deterministic).</item>
/// <item>Input gradient: one thread per stored input value, the transposed convolution of its channel times the
/// previous layer's act'.</item>
/// </list>
/// </summary>
public static class DepthwiseConv
{
    /// <summary>Output positions (rows x output pixels) per chunk of the weight-gradient reduction.</summary>
    public const int ChunkLength = 256;

    /// <summary>Chunks of the weight-gradient reduction over <paramref name="rows"/> rows.</summary>
    public static int Chunks<TLayer>(int rows) where TLayer : struct, IConvLayer => (rows * OutPixels<TLayer>() + ChunkLength - 1) / ChunkLength;

    /// <summary>Floats of the partials <see cref="WeightChunks{TLayer}"/> writes: [chunks, Taps + 1, Filters].</summary>
    public static int PartialsLength<TLayer>(int rows) where TLayer : struct, IConvLayer =>
        Chunks<TLayer>(rows) * (Taps<TLayer>() + 1) * default(TLayer).Filters;

    /// <summary>Threads of <see cref="WeightChunks{TLayer}"/>: one per (chunk, tap or bias, channel).</summary>
    public static int WeightChunkThreads<TLayer>(int rows) where TLayer : struct, IConvLayer => PartialsLength<TLayer>(rows);

    /// <summary>Threads of <see cref="SumWeights{TLayer}"/>: one per stored weight and bias, (Taps + 1) x OutStride.</summary>
    public static int WeightThreads<TLayer>() where TLayer : struct, IConvLayer => (Taps<TLayer>() + 1) * default(TLayer).OutStride;

    /// <summary>Threads of the forward kernels: one per stored output value.</summary>
    public static int OutputThreads<TLayer>(int rows) where TLayer : struct, IConvLayer => rows * OutPixels<TLayer>() * default(TLayer).OutStride;

    /// <summary>Threads of the input-gradient kernels: one per stored input value.</summary>
    public static int InputThreads<TLayer>(int rows) where TLayer : struct, IConvLayer => rows * InPixels<TLayer>() * default(TLayer).InStride;

    /// <summary>A = act(depthwise conv(X, W) + b).</summary>
    public static void Forward<TLayer, TActivation>(ArrayView<float> x, ArrayView<float> p, ArrayView<float> a, int rows)
        where TLayer : struct, IConvLayer where TActivation : struct, IGpuActivation =>
        RunForward<TLayer, ActivatedStore<TActivation>>(x, p, new ActivatedStore<TActivation>(a), rows);

    /// <summary>Z = depthwise conv(X, W) + b and A = act(Z), for an activation whose derivative needs Z.</summary>
    public static void ForwardKeepingZ<TLayer, TActivation>(ArrayView<float> x, ArrayView<float> p, ArrayView<float> z, ArrayView<float> a, int rows)
        where TLayer : struct, IConvLayer where TActivation : struct, IGpuActivation =>
        RunForward<TLayer, KeepingZStore<TActivation>>(x, p, new KeepingZStore<TActivation>(z, a), rows);

    private static void RunForward<TLayer, TStore>(ArrayView<float> x, ArrayView<float> p, TStore store, int rows)
        where TLayer : struct, IConvLayer where TStore : struct, IElementStore
    {
        var l = default(TLayer);
        int e = Grid.GlobalIndex.X, outPixels = OutPixels<TLayer>();
        if (e >= rows * outPixels * l.OutStride) return;
        int c = e % l.OutStride, q = e / l.OutStride, r = q / outPixels, o = q - r * outPixels;
        if (c >= l.Filters) { store.Clear(e); return; }
        int y0 = o / l.OutWidth * l.StrideHeight - l.PaddingHeight, x0 = o % l.OutWidth * l.StrideWidth - l.PaddingWidth;
        float sum = p[l.BiasOffset + c];
        for (int ky = 0; ky < l.KernelHeight; ky++)
            for (int kx = 0; kx < l.KernelWidth; kx++)
                sum += p[l.WeightOffset + (ky * l.KernelWidth + kx) * l.OutStride + c]
                    * Patch<TLayer>(x, r, y0 + ky * l.DilationHeight, x0 + kx * l.DilationWidth, c);
        store.Store(e, sum);
    }

    /// <summary>
    /// Stage 1 of dW and db: partials[chunk, tap, c] = the chunk's sum of dZ[.., c] x the input its tap reads (tap ==
    /// Taps: the bias, dZ alone), the positions in order.
    /// </summary>
    public static void WeightChunks<TLayer>(ArrayView<float> x, ArrayView<float> dz, ArrayView<float> partials, int rows)
        where TLayer : struct, IConvLayer
    {
        var l = default(TLayer);
        int e = Grid.GlobalIndex.X, taps = Taps<TLayer>(), outPixels = OutPixels<TLayer>(), positions = rows * outPixels;
        if (e >= Chunks<TLayer>(rows) * (taps + 1) * l.Filters) return;
        int c = e % l.Filters, t = e / l.Filters, tap = t % (taps + 1), chunk = t / (taps + 1);
        int begin = chunk * ChunkLength, end = XMath.Min(begin + ChunkLength, positions);
        int dy = tap / l.KernelWidth * l.DilationHeight - l.PaddingHeight, dx = tap % l.KernelWidth * l.DilationWidth - l.PaddingWidth;
        float sum = 0f;
        for (int m = begin; m < end; m++)
        {
            float g = dz[m * l.OutStride + c];
            if (tap == taps) { sum += g; continue; }
            int r = m / outPixels, o = m - r * outPixels;
            sum += g * Patch<TLayer>(x, r, o / l.OutWidth * l.StrideHeight + dy, o % l.OutWidth * l.StrideWidth + dx, c);
        }
        partials[e] = sum;
    }

    /// <summary>Stage 2: dW[tap, c] and db[c] = the chunks' partials added in order; the padding columns written 0.</summary>
    public static void SumWeights<TLayer>(ArrayView<float> partials, ArrayView<float> g, int rows)
        where TLayer : struct, IConvLayer
    {
        var l = default(TLayer);
        int e = Grid.GlobalIndex.X, taps = Taps<TLayer>();
        if (e >= (taps + 1) * l.OutStride) return;
        int c = e % l.OutStride, tap = e / l.OutStride;
        float sum = 0f;
        if (c < l.Filters)
        {
            int chunks = Chunks<TLayer>(rows);
            for (int k = 0; k < chunks; k++) sum += partials[(k * (taps + 1) + tap) * l.Filters + c];
        }
        g[(tap == taps ? l.BiasOffset : l.WeightOffset + tap * l.OutStride) + c] = sum;
    }

    /// <summary>dZ_prev = (the transposed depthwise convolution of dZ) * act'(A_prev); the padding channels written 0.</summary>
    public static void InputGradient<TLayer, TPrevious>(ArrayView<float> p, ArrayView<float> dz, ArrayView<float> aPrev, ArrayView<float> dzPrev, int rows)
        where TLayer : struct, IConvLayer where TPrevious : struct, IGpuActivationFromOutput =>
        RunInputGradient<TLayer, FromOutput<TPrevious>>(p, dz, dzPrev, new FromOutput<TPrevious>(aPrev), rows);

    /// <summary>dZ_prev = (the transposed depthwise convolution of dZ) * act'(Z_prev), for an activation whose derivative needs Z.</summary>
    public static void InputGradientAfterPreActivation<TLayer, TPrevious>(ArrayView<float> p, ArrayView<float> dz, ArrayView<float> zPrev, ArrayView<float> dzPrev, int rows)
        where TLayer : struct, IConvLayer where TPrevious : struct, IGpuActivationFromInput =>
        RunInputGradient<TLayer, FromInput<TPrevious>>(p, dz, dzPrev, new FromInput<TPrevious>(zPrev), rows);

    private static void RunInputGradient<TLayer, TDerivative>(ArrayView<float> p, ArrayView<float> dz, ArrayView<float> dzPrev, TDerivative derivative, int rows)
        where TLayer : struct, IConvLayer where TDerivative : struct, IPreviousDerivative
    {
        var l = default(TLayer);
        int e = Grid.GlobalIndex.X, inPixels = InPixels<TLayer>();
        if (e >= rows * inPixels * l.InStride) return;
        int c = e % l.InStride, q = e / l.InStride, r = q / inPixels, i = q - r * inPixels;
        if (c >= l.InChannels) { dzPrev[e] = 0f; return; }
        int ty = i / l.InWidth + l.PaddingHeight, tx = i % l.InWidth + l.PaddingWidth;
        float sum = 0f;
        for (int ky = 0; ky < l.KernelHeight; ky++)
            for (int kx = 0; kx < l.KernelWidth; kx++)
                sum += p[l.WeightOffset + (ky * l.KernelWidth + kx) * l.OutStride + c]
                    * Gather<TLayer>(dz, r, ty - ky * l.DilationHeight, tx - kx * l.DilationWidth, c);
        dzPrev[e] = sum * derivative.At(e);
    }
}
