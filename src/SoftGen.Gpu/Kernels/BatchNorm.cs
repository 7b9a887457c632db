using ILGPU;
using ILGPU.Algorithms;
using static SoftGen.Gpu.Kernels.ChannelChunks;

namespace SoftGen.Gpu.Kernels;

/// <summary>
/// BatchNorm (PyTorch's BatchNorm2d over an image, per channel over the batch's rows and pixels; BatchNorm1d over a
/// flat row, per feature over the rows). Views: x, the layer's input (the previous layer's A); p and g, the flat
/// parameter and gradient buffers (gamma and beta at the layer's offsets); state, the running statistics' buffer;
/// saved [2, Channels], the statistics the normalisation uses (mean, then 1 / sqrt(var + eps)); partials
/// [2, chunks, Channels] (<see cref="ChannelChunks.PartialsLength"/>).
/// <para>Training forward: <see cref="Moments{TLayer}"/> (<see cref="ChannelChunks.ChunkThreads{TLayer}"/> threads),
/// <see cref="Statistics{TLayer}"/> (Channels threads), then a Normalize kernel (<see cref="ChannelChunks.ElementThreads{TLayer}"/>
/// threads). Inference forward: <see cref="UseRunningStatistics{TLayer}"/>, then the same Normalize kernel. Backward:
/// <see cref="GradientChunks{TLayer}"/>, <see cref="ChannelChunks.ParameterGradients{TLayer}"/>, then an InputGradient
/// kernel.</para>
/// Every kernel takes one thread per item (any group size; threads past the end return) and writes 0 to the padding
/// channels of what it stores element by element.
/// </summary>
public static class BatchNorm
{
    /// <summary>
    /// Stage 1 of the batch statistics: per (chunk, channel), the chunk's mean and its sum of squared deviations from
    /// that mean (two passes over the chunk), into partials [2, chunks, Channels].
    /// </summary>
    public static void Moments<TLayer>(ArrayView<float> x, ArrayView<float> partials, int rows)
        where TLayer : struct, IBatchNormLayer
    {
        var l = default(TLayer);
        int positions = rows * l.Pixels, chunks = Chunks(positions), channels = l.Channels, e = Grid.GlobalIndex.X;
        if (e >= chunks * channels) return;
        int chunk = e / channels, c = e - chunk * channels, begin = chunk * ChunkLength, end = begin + Length(chunk, positions);
        float sum = 0f;
        for (int q = begin; q < end; q++) sum += x[q * l.Stride + c];
        float mean = sum / (end - begin), squares = 0f;
        for (int q = begin; q < end; q++)
        {
            float d = x[q * l.Stride + c] - mean;
            squares += d * d;
        }
        partials[e] = mean;
        partials[chunks * channels + e] = squares;
    }

    /// <summary>
    /// Stage 2, one thread per channel: the chunks' moments combined in chunk order (Chan et al.'s pairwise update),
    /// the mean and 1 / sqrt(biased var + eps) saved, and the running statistics moved toward the batch's with the
    /// layer's momentum (running_var toward the unbiased variance, as PyTorch).
    /// </summary>
    public static void Statistics<TLayer>(ArrayView<float> partials, ArrayView<float> saved, ArrayView<float> state, int rows)
        where TLayer : struct, IBatchNormLayer
    {
        var l = default(TLayer);
        int c = Grid.GlobalIndex.X, channels = l.Channels;
        if (c >= channels) return;
        int positions = rows * l.Pixels, chunks = Chunks(positions);
        float mean = partials[c], squares = partials[chunks * channels + c], count = Length(0, positions);
        for (int k = 1; k < chunks; k++)
        {
            float n = Length(k, positions), total = count + n, delta = partials[k * channels + c] - mean;
            mean += delta * (n / total);
            squares += partials[(chunks + k) * channels + c] + delta * delta * (count * (n / total));
            count = total;
        }
        float variance = squares / positions;
        saved[c] = mean;
        saved[channels + c] = 1f / XMath.Sqrt(variance + l.Epsilon);
        float m = l.Momentum, unbiased = positions > 1 ? squares / (positions - 1) : variance;
        state[l.MeanOffset + c] = (1f - m) * state[l.MeanOffset + c] + m * mean;
        state[l.VarianceOffset + c] = (1f - m) * state[l.VarianceOffset + c] + m * unbiased;
    }

    /// <summary>Inference: saved = the running mean and 1 / sqrt(running_var + eps), one thread per channel.</summary>
    public static void UseRunningStatistics<TLayer>(ArrayView<float> state, ArrayView<float> saved)
        where TLayer : struct, IBatchNormLayer
    {
        var l = default(TLayer);
        int c = Grid.GlobalIndex.X;
        if (c >= l.Channels) return;
        saved[c] = state[l.MeanOffset + c];
        saved[l.Channels + c] = 1f / XMath.Sqrt(state[l.VarianceOffset + c] + l.Epsilon);
    }

    /// <summary>A = act(gamma (x - mean) invStd + beta).</summary>
    public static void Normalize<TLayer, TActivation>(ArrayView<float> x, ArrayView<float> p, ArrayView<float> saved, ArrayView<float> a, int rows)
        where TLayer : struct, IBatchNormLayer where TActivation : struct, IGpuActivation =>
        Run<TLayer, NoAddend, ActivatedStore<TActivation>>(x, p, saved, default, new ActivatedStore<TActivation>(a), rows);

    /// <summary>Z = gamma (x - mean) invStd + beta, A = act(Z).</summary>
    public static void NormalizeKeepingZ<TLayer, TActivation>(ArrayView<float> x, ArrayView<float> p, ArrayView<float> saved, ArrayView<float> z,
        ArrayView<float> a, int rows)
        where TLayer : struct, IBatchNormLayer where TActivation : struct, IGpuActivation =>
        Run<TLayer, NoAddend, KeepingZStore<TActivation>>(x, p, saved, default, new KeepingZStore<TActivation>(z, a), rows);

    /// <summary>A residual block's end fused in: A = act(gamma (x - mean) invStd + beta + shortcut).</summary>
    public static void NormalizeAdding<TLayer, TActivation>(ArrayView<float> x, ArrayView<float> shortcut, ArrayView<float> p, ArrayView<float> saved,
        ArrayView<float> a, int rows)
        where TLayer : struct, IBatchNormLayer where TActivation : struct, IGpuActivation =>
        Run<TLayer, ShortcutAddend, ActivatedStore<TActivation>>(x, p, saved, new ShortcutAddend(shortcut), new ActivatedStore<TActivation>(a), rows);

    /// <summary>Z = gamma (x - mean) invStd + beta + shortcut, A = act(Z).</summary>
    public static void NormalizeAddingKeepingZ<TLayer, TActivation>(ArrayView<float> x, ArrayView<float> shortcut, ArrayView<float> p,
        ArrayView<float> saved, ArrayView<float> z, ArrayView<float> a, int rows)
        where TLayer : struct, IBatchNormLayer where TActivation : struct, IGpuActivation =>
        Run<TLayer, ShortcutAddend, KeepingZStore<TActivation>>(x, p, saved, new ShortcutAddend(shortcut), new KeepingZStore<TActivation>(z, a), rows);

    /// <summary>
    /// Backward stage 1, one thread per (chunk, channel): the chunk's sums of dy and of dy xhat (dy = dZ, the gradient
    /// at the layer's pre-activation output), into partials [2, chunks, Channels]; then
    /// <see cref="ChannelChunks.ParameterGradients{TLayer}"/> gives dBeta and dGamma.
    /// </summary>
    public static void GradientChunks<TLayer>(ArrayView<float> x, ArrayView<float> dz, ArrayView<float> saved, ArrayView<float> partials, int rows)
        where TLayer : struct, IBatchNormLayer
    {
        var l = default(TLayer);
        int positions = rows * l.Pixels, chunks = Chunks(positions), channels = l.Channels, e = Grid.GlobalIndex.X;
        if (e >= chunks * channels) return;
        int chunk = e / channels, c = e - chunk * channels, begin = chunk * ChunkLength, end = begin + Length(chunk, positions);
        float mean = saved[c], dySum = 0f, dyCentred = 0f;
        for (int q = begin; q < end; q++)
        {
            int at = q * l.Stride + c;
            float dy = dz[at];
            dySum += dy;
            dyCentred += dy * (x[at] - mean);
        }
        partials[e] = dySum;
        partials[chunks * channels + e] = dyCentred * saved[channels + c];
    }

    /// <summary>dZ_prev = gamma invStd (dy - mean(dy) - xhat mean(dy xhat)) * act'(A_prev), the means from g's dBeta and dGamma.</summary>
    public static void InputGradient<TLayer, TPrevious>(ArrayView<float> x, ArrayView<float> dz, ArrayView<float> p, ArrayView<float> saved,
        ArrayView<float> g, ArrayView<float> dzPrev, int rows)
        where TLayer : struct, IBatchNormLayer where TPrevious : struct, IGpuActivationFromOutput =>
        RunInputGradient<TLayer, FromOutput<TPrevious>>(x, dz, p, saved, g, dzPrev, new FromOutput<TPrevious>(x), rows);

    /// <summary>dZ_prev = gamma invStd (dy - mean(dy) - xhat mean(dy xhat)) * act'(Z_prev), for an activation whose derivative needs Z.</summary>
    public static void InputGradientAfterPreActivation<TLayer, TPrevious>(ArrayView<float> x, ArrayView<float> zPrev, ArrayView<float> dz,
        ArrayView<float> p, ArrayView<float> saved, ArrayView<float> g, ArrayView<float> dzPrev, int rows)
        where TLayer : struct, IBatchNormLayer where TPrevious : struct, IGpuActivationFromInput =>
        RunInputGradient<TLayer, FromInput<TPrevious>>(x, dz, p, saved, g, dzPrev, new FromInput<TPrevious>(zPrev), rows);

    private static void Run<TLayer, TAddend, TStore>(ArrayView<float> x, ArrayView<float> p, ArrayView<float> saved, TAddend addend, TStore store, int rows)
        where TLayer : struct, IBatchNormLayer where TAddend : struct, IAddend where TStore : struct, IElementStore
    {
        var l = default(TLayer);
        int e = Grid.GlobalIndex.X;
        if (e >= rows * l.Pixels * l.Stride) return;
        int c = e % l.Stride;
        if (c >= l.Channels) { store.Clear(e); return; }
        store.Store(e, p[l.GammaOffset + c] * ((x[e] - saved[c]) * saved[l.Channels + c]) + p[l.BetaOffset + c] + addend.At(e));
    }

    private static void RunInputGradient<TLayer, TDerivative>(ArrayView<float> x, ArrayView<float> dz, ArrayView<float> p, ArrayView<float> saved,
        ArrayView<float> g, ArrayView<float> dzPrev, TDerivative derivative, int rows)
        where TLayer : struct, IBatchNormLayer where TDerivative : struct, IPreviousDerivative
    {
        var l = default(TLayer);
        int e = Grid.GlobalIndex.X;
        if (e >= rows * l.Pixels * l.Stride) return;
        int c = e % l.Stride;
        if (c >= l.Channels) { dzPrev[e] = 0f; return; }
        float invN = 1f / (rows * l.Pixels), invStd = saved[l.Channels + c], xhat = (x[e] - saved[c]) * invStd;
        float dx = p[l.GammaOffset + c] * invStd * (dz[e] - g[l.BetaOffset + c] * invN - xhat * (g[l.GammaOffset + c] * invN));
        dzPrev[e] = dx * derivative.At(e);
    }
}
