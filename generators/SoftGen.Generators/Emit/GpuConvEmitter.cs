using System.Collections.Generic;
using SoftGen.Generators.Model;
using static SoftGen.Generators.Emit.GpuGemm;

namespace SoftGen.Generators.Emit;

/// <summary>
/// The Conv2D kernels: implicit GEMMs on the shared tile machinery (<see cref="GpuGemm"/>), the patch matrix never
/// stored: its values are computed as the tiles are loaded. Forward: M = rows x output pixels, N = filters, K = kernel
/// positions x input channels (the real ones: the padding channels' weight rows are 0 and skipped). Backward, one
/// launch: dW (with db as an extra row of ones) reduced over rows x output pixels, and dX as the transposed
/// convolution, M = rows x input pixels, N = input channels, K = kernel positions x filters. The dW reduction is long
/// (every output pixel of the batch) and its tiles few, so it is split into slices of the pixels, each group summing
/// one slice of one tile into its own partial; a second launch adds the partials in slice order (deterministic).
/// </summary>
internal static class GpuConvEmitter
{
    /// <summary>Output pixels per slice of the dW reduction: 16 k-steps of the tile.</summary>
    public const int SliceLength = 256;

    /// <summary>Conv2D backward(x, zPrev, p, dz, partials, dzPrev, rows, slices).</summary>
    public static readonly string[] BackwardTypes = { "View", "View", "View", "View", "View", "View", "int", "int" };

    /// <summary>SumWeights(partials, g, slices).</summary>
    public static readonly string[] SumTypes = { "View", "View", "int" };

    /// <summary>The most slices: 64, fewer where the partials would pass 2^24 floats.</summary>
    public static int MaxSlices(LayerPlan l) => System.Math.Max(1, System.Math.Min(64, (1 << 24) / ((Depth(l) + 1) * l.Out)));

    /// <summary>Floats of the partial dW sums: [MaxSlices, Depth + 1, filters].</summary>
    public static int PartialsLength(LayerPlan l) => MaxSlices(l) * (Depth(l) + 1) * l.Out;

    /// <summary>The host's slice count for a batch: one per SliceLength output pixels, at most MaxSlices.</summary>
    public static string Slices(LayerPlan l) =>
        "global::System.Math.Min(" + MaxSlices(l) + ", (rows * " + l.Output.Pixels + " + " + (SliceLength - 1) + ") / " + SliceLength + ")";

    /// <summary>The GEMM depth of the forward pass and the rows of dW before the bias row.</summary>
    private static int Depth(LayerPlan l) => l.Taps * l.Input.Channels;

    /// <summary>Groups of the weight-gradient part of the backward kernel.</summary>
    public static int WeightTiles(LayerPlan l) => Tiles(Depth(l) + 1) * Tiles(l.Out);

    /// <summary>The stored weight row of patch index k (kernel position k / Cin, channel k % Cin).</summary>
    private static string WeightRow(LayerPlan l, string k) => l.Input.Channels == l.Input.ChannelStride
        ? k
        : "(" + k + " / " + l.Input.Channels + " * " + l.Input.ChannelStride + " + " + k + " % " + l.Input.Channels + ")";

    public static void WriteForward(SourceWriter w, LayerPlan l)
    {
        int i = l.Index, n = l.Out;
        w.Line("/// <summary>");
        w.Line("/// Layer " + i + " forward: " + CpuPassEmitter.Formula(l) + ", " + Describe.ConvText(l) + ", [rows, " + l.Input.Text + "] -> [rows, " + l.Output.Text + "].");
        w.Line("/// An implicit GEMM: Z [rows x " + l.Output.Pixels + " pixels, " + n + "] = patches [.., " + Depth(l) + "] Wt [" + Depth(l) + ", " + n
            + "]; Wt at " + l.WeightOffset + " ([" + l.Taps + " x " + l.Input.ChannelStride + ", " + l.OutStride + "]), b at " + l.BiasOffset + ".");
        w.Line("/// </summary>");
        using (w.Block("private static void Forward" + i + "(View x, View p, View z, View a, int rows)"))
        {
            w.Line("const int K = " + Depth(l) + ", N = " + n + ", NTiles = " + Tiles(n) + ", WOffset = " + l.WeightOffset + ", BOffset = " + l.BiasOffset
                + ", WStride = " + l.OutStride + ", OutPixels = " + l.Output.Pixels + ";");
            w.Line("int pixels = rows * OutPixels;");
            w.Line("int tile = KGrid.IdxX, row0 = tile / NTiles * Tile, col0 = tile % NTiles * Tile; // row: output pixel, column: filter");
            WriteTileSetup(w);
            w.Line("const int OutWidth = " + l.Output.Width + ", InChannels = " + l.Input.Channels + ", Kernel = " + l.Kernel + ", Stride = " + l.Stride + ", Padding = " + l.Padding + ";");
            w.Line("// The " + Loads + " output pixels this thread stages, decomposed once: their row, and the corner of their kernel window.");
            for (int e = 0; e < Loads; e++)
                w.Line("int m" + e + " = row0 + " + RowAlongK(e) + ", r" + e + " = m" + e + " / OutPixels, y" + e + " = m" + e + " % OutPixels / OutWidth * Stride - Padding, x" + e
                    + " = m" + e + " % OutWidth * Stride - Padding;");
            using (w.Block("for (int k0 = 0; k0 < K; k0 += " + Step + ")"))
            {
                w.Line("// A = patches[row0.., k0..], made as loaded (zeros in the padding); B = the rows of Wt for these (position, channel) pairs.");
                w.Line("int kk = k0 + t % 16, tap = kk / InChannels, ch = kk - tap * InChannels, ky = tap / Kernel, kx = tap - ky * Kernel;");
                WriteLoadAlongK(w, "As", "row0", "pixels", "k0", "K", (e, m, k) => "Patch" + i + "(x, r" + e + ", y" + e + " + ky, x" + e + " + kx, ch)");
                WriteLoadAlongTile(w, "Bs", "col0", "N", "k0", "K", (k, c) => "p[WOffset + " + WeightRow(l, k) + " * WStride + " + c + "]");
                WriteMicroKernel(w);
            }
            w.Line("// Epilogue: bias and activation; Z and A [pixels, " + l.OutStride + "], the padding channels left 0.");
            WriteEpilogue(w, "row0", "pixels", "col0", "N", (r, c, acc) =>
            {
                var lines = new List<string> { "float zv = " + acc + " + p[BOffset + " + c + "];" };
                if (l.KeepsPreActivation) lines.Add("z[" + r + " * WStride + " + c + "] = zv;");
                lines.Add("a[" + r + " * WStride + " + c + "] = " + GpuMath.Apply(l.Activation, "zv") + ";");
                return lines;
            });
        }
        w.Line();
        WritePatch(w, l);
    }

    /// <summary>Patch{i}(x, r, iy, ix, c): input value (iy, ix, c) of row r, 0 in the padding.</summary>
    private static void WritePatch(SourceWriter w, LayerPlan l)
    {
        var input = l.Input;
        w.Line("/// <summary>Layer " + l.Index + "'s input at (row r, pixel iy, ix, channel c), 0 in the padding: a value of the patch matrix.</summary>");
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]");
        using (w.Block("private static float Patch" + l.Index + "(View x, int r, int iy, int ix, int c)"))
        {
            var value = "x[" + GpuTensors.InputAt(l, "r", "iy * " + input.Width + " + ix", "c") + "]";
            w.Line(l.Padding == 0
                ? "return " + value + "; // no padding: every kernel position lands inside the image"
                : "return iy >= 0 && iy < " + input.Height + " && ix >= 0 && ix < " + input.Width + " ? " + value + " : 0f;");
        }
    }

    public static void WriteBackward(SourceWriter w, LayerPlan l, LayerPlan previous, bool inputGradient)
    {
        int i = l.Index, n = l.Out, depth = Depth(l);
        var prevAct = previous.AppliedActivation;
        w.Line("/// <summary>");
        w.Line("/// Layer " + i + " backward. Groups 0..WeightTiles x slices - 1: slice s of dWt = patches^T dZ, [" + (depth + 1) + ", " + n
            + "] reduced over slice s of the rows x " + l.Output.Pixels + " output pixels");
        w.Line("/// (row " + depth + " of patches^T is all ones, so that it gives db), into partials[s]; SumWeights" + i + " adds them.");
        if (inputGradient)
            w.Line("/// The other groups: dZ_prev = (the transposed convolution of dZ with W) * act'(layer " + (i - 1) + "), an implicit GEMM [rows x "
                + l.Input.Pixels + " input pixels, " + l.Taps + " x " + n + "] x [" + l.Taps + " x " + n + ", " + l.Input.Channels + "].");
        w.Line("/// </summary>");
        using (w.Block("private static void Backward" + i + "(View x, View zPrev, View p, View dz, View partials, View dzPrev, int rows, int slices)"))
        {
            w.Line("const int K = " + depth + ", N = " + n + ", WeightTiles = " + WeightTiles(l) + ";");
            WriteTileSetup(w);
            w.Line("int tile = KGrid.IdxX;");
            using (w.Block("if (tile < WeightTiles * slices)"))
            {
                w.Line("const int NTiles = " + Tiles(n) + ";");
                w.Line("int slice = tile / WeightTiles, pixels = rows * " + l.Output.Pixels + ";");
                w.Line("int chunk = ((pixels + slices - 1) / slices + 15) / 16 * 16, begin = slice * chunk, end = KMath.Min(begin + chunk, pixels);");
                w.Line("tile -= slice * WeightTiles;");
                w.Line("int row0 = tile / NTiles * Tile, col0 = tile % NTiles * Tile; // row: patch index k (K = bias), column: filter n");
                w.Line("const int OutPixels = " + l.Output.Pixels + ", OutWidth = " + l.Output.Width + ", InChannels = " + l.Input.Channels + ", Kernel = " + l.Kernel
                    + ", Stride = " + l.Stride + ", Padding = " + l.Padding + ";");
                w.Line("// The patch index this thread stages, decomposed once: kernel position (ky, kx) less the padding, and channel.");
                w.Line("int pk = row0 + " + ColumnAlongTile + ", tap = pk / InChannels, ch = pk - tap * InChannels, ky = tap / Kernel - Padding, kx = tap % Kernel - Padding;");
                using (w.Block("for (int k0 = begin; k0 < end; k0 += " + Step + ")"))
                {
                    w.Line("// A = patches^T[row0.., k0..] made as patches[k0.., row0..]; B = dZ[k0.., col0..].");
                    WriteLoadAlongTile(w, "As", "row0", "K + 1", "k0", "end", (m, c) => "(" + c + " == K ? 1f : Patch" + i + "(x, " + m + " / OutPixels, "
                        + m + " % OutPixels / OutWidth * Stride + ky, " + m + " % OutWidth * Stride + kx, ch))");
                    WriteLoadAlongTile(w, "Bs", "col0", "N", "k0", "end", (m, c) => "dz[" + m + " * " + l.OutStride + " + " + c + "]");
                    WriteMicroKernel(w);
                }
                WriteEpilogue(w, "row0", "K + 1", "col0", "N", (r, c, acc) => new List<string>
                {
                    "partials[(slice * (K + 1) + " + r + ") * N + " + c + "] = " + acc + ";",
                });
            }
            if (inputGradient)
                WriteInputGradient(w, l, prevAct);
        }
        w.Line();
        WriteSum(w, l);
        if (!inputGradient) return;
        w.Line();
        WriteGather(w, l);
    }

    /// <summary>The dX part of the backward kernel: the transposed convolution as an implicit GEMM, times act'(prev).</summary>
    private static void WriteInputGradient(SourceWriter w, LayerPlan l, ActivationKind prevAct)
    {
        int i = l.Index, n = l.Out;
        using (w.Block("else"))
        {
            w.Line("const int InChannels = " + l.Input.Channels + ", InStride = " + l.Input.ChannelStride + ", KT = " + (l.Taps * n) + ", ITiles = " + Tiles(l.Input.Channels)
                + ", WOffset = " + l.WeightOffset + ", WStride = " + l.OutStride + ";");
            w.Line("tile -= WeightTiles * slices;");
            w.Line("int pixels = rows * " + l.Input.Pixels + ";");
            w.Line("int row0 = tile / ITiles * Tile, col0 = tile % ITiles * Tile; // row: input pixel, column: input channel");
            w.Line("const int InPixels = " + l.Input.Pixels + ", InWidth = " + l.Input.Width + ", Kernel = " + l.Kernel + ", Padding = " + l.Padding + ";");
            w.Line("// The " + Loads + " input pixels this thread stages, decomposed once: their row, and their position plus the padding.");
            for (int e = 0; e < Loads; e++)
                w.Line("int m" + e + " = row0 + " + RowAlongK(e) + ", r" + e + " = m" + e + " / InPixels, ty" + e + " = m" + e + " % InPixels / InWidth + Padding, tx" + e
                    + " = m" + e + " % InWidth + Padding;");
            using (w.Block("for (int k0 = 0; k0 < KT; k0 += " + Step + ")"))
            {
                w.Line("// A = the output gradients each input pixel feeds (k = kernel position x " + n + " + filter); B = W[position, channel, filter]: both along k.");
                w.Line("int kk = k0 + t % 16, tap = kk / N, f = kk - tap * N, ky = tap / Kernel, kx = tap - ky * Kernel;");
                WriteLoadAlongK(w, "As", "row0", "pixels", "k0", "KT", (e, m, k) => "Gather" + i + "(dz, r" + e + ", ty" + e + " - ky, tx" + e + " - kx, f)");
                WriteLoadAlongK(w, "Bs", "col0", "InChannels", "k0", "KT", (c, k) => "p[WOffset + (" + k + " / N * InStride + " + c + ") * WStride + " + k + " % N]");
                WriteMicroKernel(w);
            }
            w.Line("// Epilogue: times the derivative of layer " + (i - 1) + "'s activation (" + Describe.ActivationName(prevAct) + "); padding channels stay 0.");
            WriteEpilogue(w, "row0", "pixels", "col0", "InChannels", (r, c, acc) => new List<string>
            {
                "dzPrev[" + r + " * InStride + " + c + "] = " + acc + GpuMath.TimesDerivative(prevAct, "zPrev[" + r + " * InStride + " + c + "]", "x[" + r + " * InStride + " + c + "]") + ";",
            });
        }
    }

    /// <summary>SumWeights{i}: dWt and db = the partials added in slice order, one thread per weight.</summary>
    private static void WriteSum(SourceWriter w, LayerPlan l)
    {
        w.Line("/// <summary>Layer " + l.Index + "'s weight gradients: the slices' partials added in order; the rows of the padding channels stay 0.</summary>");
        using (w.Block("private static void SumWeights" + l.Index + "(View partials, View g, int slices)"))
        {
            w.Line("const int K = " + Depth(l) + ", N = " + l.Out + ", WOffset = " + l.WeightOffset + ", BOffset = " + l.BiasOffset + ", WStride = " + l.OutStride + ";");
            w.Line("int e = KGrid.IdxX * Threads + KGroup.IdxX;");
            w.Line("if (e >= (K + 1) * N) return;");
            w.Line("int r = e / N, c = e - r * N;");
            w.Line("float sum = 0f;");
            w.Line("for (int s = 0; s < slices; s++) sum += partials[(s * (K + 1) + r) * N + c];");
            w.Line("g[(r == K ? BOffset : WOffset + " + WeightRow(l, "r") + " * WStride) + c] = sum;");
        }
    }

    /// <summary>Gather{i}(dz, r, ty, tx, f): the dZ (filter f) of the output pixel at (ty, tx) / stride of row r, 0 where there is none.</summary>
    private static void WriteGather(SourceWriter w, LayerPlan l)
    {
        w.Line("/// <summary>Layer " + l.Index + "'s transposed convolution: the dZ of filter f at the output pixel (ty, tx)"
            + (l.Stride > 1 ? " / " + l.Stride : "") + " of row r (the input pixel plus the padding less the kernel position), 0 where there is none"
            + (l.Stride > 1 ? " (the border, or between the steps of the stride)" : " (the border)") + ".</summary>");
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]");
        using (w.Block("private static float Gather" + l.Index + "(View dz, int r, int ty, int tx, int f)"))
        {
            w.Line("const int Stride = " + l.Stride + ", OutPixels = " + l.Output.Pixels + ", OutWidth = " + l.Output.Width
                + ", OutHeight = " + l.Output.Height + ", OutStride = " + l.OutStride + ";");
            w.Line("if (ty < 0 || tx < 0) return 0f;");
            w.Line("int oy = ty / Stride, ox = tx / Stride;");
            w.Line("return " + (l.Stride > 1 ? "oy * Stride == ty && ox * Stride == tx && " : "") + "oy < OutHeight && ox < OutWidth ? dz[(r * OutPixels + oy * OutWidth + ox) * OutStride + f] : 0f;");
        }
    }
}
