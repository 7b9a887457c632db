using ILGPU;
using ILGPU.Algorithms;
using static SoftGen.Gpu.Kernels.ChannelChunks;

namespace SoftGen.Gpu.Kernels;

/// <summary>
/// LayerNorm with an elementwise affine (PyTorch's LayerNorm over the last dimension): each position's Channels values
/// (a Dense output's row: Pixels = 1) normalised by their own mean and biased variance. Views as
/// <see cref="BatchNorm"/>'s, and saved [positions, 2]: each position's mean and 1 / sqrt(var + eps).
/// <para>Forward: <see cref="Statistics{TLayer}"/> (one thread per position, rows x Pixels), then a Normalize kernel
/// (<see cref="ChannelChunks.ElementThreads{TLayer}"/>). Backward: <see cref="RowGradients{TLayer}"/> (one thread per
/// position) and <see cref="ParameterChunks{TLayer}"/> (<see cref="ChannelChunks.ChunkThreads{TLayer}"/>), then
/// <see cref="ChannelChunks.ParameterGradients{TLayer}"/> and an InputGradient kernel.</para>
/// A position's statistics are summed serially by one thread over its features in order: a Dense layer's width is a
/// few thousand at most, and the batch gives the parallelism.
/// </summary>
public static class LayerNorm
{
    /// <summary>saved[q] = (mean, 1 / sqrt(biased var + eps)) of position q's features, two passes.</summary>
    public static void Statistics<TLayer>(ArrayView<float> x, ArrayView<float> saved, int rows)
        where TLayer : struct, INormLayer
    {
        var l = default(TLayer);
        int q = Grid.GlobalIndex.X;
        if (q >= rows * l.Pixels) return;
        int row = q * l.Stride;
        float sum = 0f;
        for (int c = 0; c < l.Channels; c++) sum += x[row + c];
        float mean = sum / l.Channels, squares = 0f;
        for (int c = 0; c < l.Channels; c++)
        {
            float d = x[row + c] - mean;
            squares += d * d;
        }
        saved[2 * q] = mean;
        saved[2 * q + 1] = 1f / XMath.Sqrt(squares / l.Channels + l.Epsilon);
    }

    /// <summary>A = act(gamma (x - mean) invStd + beta).</summary>
    public static void Normalize<TLayer, TActivation>(ArrayView<float> x, ArrayView<float> p, ArrayView<float> saved, ArrayView<float> a, int rows)
        where TLayer : struct, INormLayer where TActivation : struct, IGpuActivation =>
        Run<TLayer, NoAddend, ActivatedStore<TActivation>>(x, p, saved, default, new ActivatedStore<TActivation>(a), rows);

    /// <summary>Z = gamma (x - mean) invStd + beta, A = act(Z).</summary>
    public static void NormalizeKeepingZ<TLayer, TActivation>(ArrayView<float> x, ArrayView<float> p, ArrayView<float> saved, ArrayView<float> z,
        ArrayView<float> a, int rows)
        where TLayer : struct, INormLayer where TActivation : struct, IGpuActivation =>
        Run<TLayer, NoAddend, KeepingZStore<TActivation>>(x, p, saved, default, new KeepingZStore<TActivation>(z, a), rows);

    /// <summary>A residual block's end fused in: A = act(gamma (x - mean) invStd + beta + shortcut).</summary>
    public static void NormalizeAdding<TLayer, TActivation>(ArrayView<float> x, ArrayView<float> shortcut, ArrayView<float> p, ArrayView<float> saved,
        ArrayView<float> a, int rows)
        where TLayer : struct, INormLayer where TActivation : struct, IGpuActivation =>
        Run<TLayer, ShortcutAddend, ActivatedStore<TActivation>>(x, p, saved, new ShortcutAddend(shortcut), new ActivatedStore<TActivation>(a), rows);

    /// <summary>Z = gamma (x - mean) invStd + beta + shortcut, A = act(Z).</summary>
    public static void NormalizeAddingKeepingZ<TLayer, TActivation>(ArrayView<float> x, ArrayView<float> shortcut, ArrayView<float> p,
        ArrayView<float> saved, ArrayView<float> z, ArrayView<float> a, int rows)
        where TLayer : struct, INormLayer where TActivation : struct, IGpuActivation =>
        Run<TLayer, ShortcutAddend, KeepingZStore<TActivation>>(x, p, saved, new ShortcutAddend(shortcut), new KeepingZStore<TActivation>(z, a), rows);

    /// <summary>rowSums[q] = (sum of dy gamma, sum of dy gamma xhat) over position q's features.</summary>
    public static void RowGradients<TLayer>(ArrayView<float> x, ArrayView<float> dz, ArrayView<float> p, ArrayView<float> saved, ArrayView<float> rowSums,
        int rows)
        where TLayer : struct, INormLayer
    {
        var l = default(TLayer);
        int q = Grid.GlobalIndex.X;
        if (q >= rows * l.Pixels) return;
        int row = q * l.Stride;
        float mean = saved[2 * q], scaled = 0f, centred = 0f;
        for (int c = 0; c < l.Channels; c++)
        {
            float dyGamma = dz[row + c] * p[l.GammaOffset + c];
            scaled += dyGamma;
            centred += dyGamma * (x[row + c] - mean);
        }
        rowSums[2 * q] = scaled;
        rowSums[2 * q + 1] = centred * saved[2 * q + 1];
    }

    /// <summary>Stage 1 of dGamma and dBeta, one thread per (chunk of positions, feature): sums of dy and dy xhat into partials [2, chunks, Channels].</summary>
    public static void ParameterChunks<TLayer>(ArrayView<float> x, ArrayView<float> dz, ArrayView<float> saved, ArrayView<float> partials, int rows)
        where TLayer : struct, INormLayer
    {
        var l = default(TLayer);
        int positions = rows * l.Pixels, chunks = Chunks(positions), channels = l.Channels, e = Grid.GlobalIndex.X;
        if (e >= chunks * channels) return;
        int chunk = e / channels, c = e - chunk * channels, begin = chunk * ChunkLength, end = begin + Length(chunk, positions);
        float dySum = 0f, dyXhat = 0f;
        for (int q = begin; q < end; q++)
        {
            int at = q * l.Stride + c;
            float dy = dz[at];
            dySum += dy;
            dyXhat += dy * ((x[at] - saved[2 * q]) * saved[2 * q + 1]);
        }
        partials[e] = dySum;
        partials[chunks * channels + e] = dyXhat;
    }

    /// <summary>dZ_prev = invStd (dy gamma - mean(dy gamma) - xhat mean(dy gamma xhat)) * act'(A_prev), the means over the position's features.</summary>
    public static void InputGradient<TLayer, TPrevious>(ArrayView<float> x, ArrayView<float> dz, ArrayView<float> p, ArrayView<float> saved,
        ArrayView<float> rowSums, ArrayView<float> dzPrev, int rows)
        where TLayer : struct, INormLayer where TPrevious : struct, IGpuActivationFromOutput =>
        RunInputGradient<TLayer, FromOutput<TPrevious>>(x, dz, p, saved, rowSums, dzPrev, new FromOutput<TPrevious>(x), rows);

    /// <summary>As <see cref="InputGradient{TLayer, TPrevious}"/> times act'(Z_prev), for an activation whose derivative needs Z.</summary>
    public static void InputGradientAfterPreActivation<TLayer, TPrevious>(ArrayView<float> x, ArrayView<float> zPrev, ArrayView<float> dz,
        ArrayView<float> p, ArrayView<float> saved, ArrayView<float> rowSums, ArrayView<float> dzPrev, int rows)
        where TLayer : struct, INormLayer where TPrevious : struct, IGpuActivationFromInput =>
        RunInputGradient<TLayer, FromInput<TPrevious>>(x, dz, p, saved, rowSums, dzPrev, new FromInput<TPrevious>(zPrev), rows);

    private static void Run<TLayer, TAddend, TStore>(ArrayView<float> x, ArrayView<float> p, ArrayView<float> saved, TAddend addend, TStore store, int rows)
        where TLayer : struct, INormLayer where TAddend : struct, IAddend where TStore : struct, IElementStore
    {
        var l = default(TLayer);
        int e = Grid.GlobalIndex.X;
        if (e >= rows * l.Pixels * l.Stride) return;
        int q = e / l.Stride, c = e - q * l.Stride;
        if (c >= l.Channels) { store.Clear(e); return; }
        store.Store(e, p[l.GammaOffset + c] * ((x[e] - saved[2 * q]) * saved[2 * q + 1]) + p[l.BetaOffset + c] + addend.At(e));
    }

    private static void RunInputGradient<TLayer, TDerivative>(ArrayView<float> x, ArrayView<float> dz, ArrayView<float> p, ArrayView<float> saved,
        ArrayView<float> rowSums, ArrayView<float> dzPrev, TDerivative derivative, int rows)
        where TLayer : struct, INormLayer where TDerivative : struct, IPreviousDerivative
    {
        var l = default(TLayer);
        int e = Grid.GlobalIndex.X;
        if (e >= rows * l.Pixels * l.Stride) return;
        int q = e / l.Stride, c = e - q * l.Stride;
        if (c >= l.Channels) { dzPrev[e] = 0f; return; }
        float invN = 1f / l.Channels, invStd = saved[2 * q + 1], xhat = (x[e] - saved[2 * q]) * invStd;
        float dx = invStd * (dz[e] * p[l.GammaOffset + c] - rowSums[2 * q] * invN - xhat * (rowSums[2 * q + 1] * invN));
        dzPrev[e] = dx * derivative.At(e);
    }
}
