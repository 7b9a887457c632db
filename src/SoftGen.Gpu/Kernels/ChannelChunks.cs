using ILGPU;
using ILGPU.Algorithms;

namespace SoftGen.Gpu.Kernels;

/// <summary>
/// The norm kernels' per-channel reductions over the batch, split in two stages so that a GPU runs them in parallel
/// and every sum is taken in a fixed order: stage 1, one thread per (chunk of <see cref="ChunkLength"/> positions,
/// channel), each summing its chunk serially into a partial (consecutive threads read consecutive channels); stage 2,
/// one thread per channel adding the chunks' partials in chunk order. The result depends on neither the group size
/// nor the scheduling. A position is one pixel of one row (rows x Pixels of them).
/// </summary>
public static class ChannelChunks
{
    /// <summary>Positions per chunk.</summary>
    public const int ChunkLength = 256;

    /// <summary>Chunks over <paramref name="positions"/> positions (rows x pixels).</summary>
    public static int Chunks(int positions) => (positions + ChunkLength - 1) / ChunkLength;

    /// <summary>Floats of the partials buffer the norm kernels take: two sums per (chunk, channel).</summary>
    public static int PartialsLength(int positions, int channels) => 2 * Chunks(positions) * channels;

    /// <summary>Threads of a stage-1 launch: one per (chunk, channel).</summary>
    public static int ChunkThreads<TLayer>(int rows) where TLayer : struct, ITensorLayout =>
        Chunks(rows * default(TLayer).Pixels) * default(TLayer).Channels;

    /// <summary>Threads of an element-wise launch: one per stored float, padding included.</summary>
    public static int ElementThreads<TLayer>(int rows) where TLayer : struct, ITensorLayout =>
        rows * default(TLayer).Pixels * default(TLayer).Stride;

    /// <summary>
    /// Stage 2 of a norm layer's parameter gradients, one thread per channel: dBeta[c] = the chunks' sums of dy and
    /// dGamma[c] = their sums of dy xhat (partials [2, chunks, Channels] from BatchNorm.GradientChunks or
    /// LayerNorm.ParameterChunks), written into the gradient buffer at the layer's offsets.
    /// </summary>
    public static void ParameterGradients<TLayer>(ArrayView<float> partials, ArrayView<float> g, int rows)
        where TLayer : struct, INormLayer
    {
        var l = default(TLayer);
        int c = Grid.GlobalIndex.X, channels = l.Channels;
        if (c >= channels) return;
        int chunks = Chunks(rows * l.Pixels);
        float dBeta = 0f, dGamma = 0f;
        for (int k = 0; k < chunks; k++)
        {
            dBeta += partials[k * channels + c];
            dGamma += partials[(chunks + k) * channels + c];
        }
        g[l.BetaOffset + c] = dBeta;
        g[l.GammaOffset + c] = dGamma;
    }

    /// <summary>Positions in chunk k of <paramref name="positions"/>.</summary>
    internal static int Length(int k, int positions) => XMath.Min(ChunkLength, positions - k * ChunkLength);
}
