using System.Collections.Generic;
using System.Linq;

namespace SoftGen.Generators.Emit;

/// <summary>
/// The tile shape of a GPU matrix product. Every shape runs 256 threads per group, each accumulating a 4 x 4 block in
/// registers, with both operands staged k-major in shared memory ([Step][Tile + 4], padded against bank conflicts)
/// and read as Float4. <see cref="Large"/>: a 64 x 64 output tile, the 256 threads as 16 x 16, k-steps of 16.
/// <see cref="Small"/>: a 32 x 32 output tile (four times the groups) over k-steps of 32, the 256 threads as 4 slices
/// of 8 x 8: slice s runs k-steps 8s..8s+7 of each k-tile, and at the end slices 1-3 hand their sums to slice 0
/// through shared memory, which adds them in slice order (deterministic) and stores.
/// </summary>
internal sealed class GemmShape
{
    public static readonly GemmShape Large = new(tile: GpuGemm.Tile, step: GpuGemm.Step, slices: 1, suffix: "", tileName: "Tile");
    public static readonly GemmShape Small = new(tile: 32, step: 32, slices: 4, suffix: "Small", tileName: "SmallTile");

    private GemmShape(int tile, int step, int slices, string suffix, string tileName)
    {
        Tile = tile;
        Step = step;
        Slices = slices;
        Suffix = suffix;
        TileName = tileName;
    }

    public int Tile { get; }
    public int Step { get; }
    public int Slices { get; }

    /// <summary>Appended to a kernel's name for this shape ("" for <see cref="Large"/>).</summary>
    public string Suffix { get; }

    /// <summary>The generated program's constant for <see cref="Tile"/>.</summary>
    public string TileName { get; }

    public string Text => Tile + "x" + Tile;
    public int Padded => Tile + 4;
    public int ThreadsPerSlice => GpuGemm.Threads / Slices;
    public int StepsPerSlice => Step / Slices;

    /// <summary>Threads along a tile row (and 4 outputs each).</summary>
    public int Across => Tile / GpuGemm.Micro;

    /// <summary>Loads per thread and operand tile: Tile x Step values over 256 threads (4 for both shapes).</summary>
    public int Loads => Tile * Step / GpuGemm.Threads;

    public int Tiles(int n) => (n + Tile - 1) / Tile;

    /// <summary>"(count + Tile - 1) / Tile" in the generated program's constants.</summary>
    public string Tiles(string count) => "(" + count + " + " + TileName + " - 1) / " + TileName;
}

/// <summary>
/// The GEMM machinery every GPU matrix product shares (Dense and Conv2D, forward and backward) for a
/// <see cref="GemmShape"/> (Conv2D uses <see cref="GemmShape.Large"/> only): the shared tiles, the loads, the unrolled
/// k-steps and the epilogue. The callers supply the load expressions (a plain matrix, or an implicit one: the
/// patches of a convolution) and the stores.
/// </summary>
internal static class GpuGemm
{
    // Large's geometry, which Conv2D's emitter uses directly; every shape's threads and micro-tile.
    public const int Tile = 64, Step = 16, Micro = 4, Threads = 256;

    /// <summary>
    /// The tile rule of the Dense GEMMs, which the runtime applies at every launch (GpuProgram.UseLargeTiles): 64 x 64
    /// tiles when they give at least this many groups per multiprocessor of the device, else 32 x 32 tiles.
    /// </summary>
    public const int MinGroupsPerMultiprocessor = 2;

    public static int Tiles(int n) => GemmShape.Large.Tiles(n);

    /// <summary>"(count + Tile - 1) / Tile": the tiles along a dimension that is known only at run time.</summary>
    public static string Tiles(string count) => GemmShape.Large.Tiles(count);

    public static void WriteTileSetup(SourceWriter w) => WriteTileSetup(w, GemmShape.Large);

    public static void WriteTileSetup(SourceWriter w, GemmShape shape)
    {
        int size = shape.Step * shape.Padded;
        w.Line("var As = KShared.Allocate<float>(" + size + "); // [" + shape.Step + "][" + shape.Padded + "]: k-major, 4 floats of padding per k");
        w.Line("var Bs = KShared.Allocate<float>(" + size + ");");
        w.Line("View4 As4 = As.Cast<global::SoftGen.Gpu.Float4>(), Bs4 = Bs.Cast<global::SoftGen.Gpu.Float4>();");
        if (shape.Slices == 1)
            w.Line("int t = KGroup.IdxX, tr = t / " + shape.Across + " * " + Micro + ", tc = t % " + shape.Across + " * " + Micro + ";");
        else
        {
            w.Line("var Rs = KShared.Allocate<float>(" + ((shape.Slices - 1) * Micro * Micro * shape.ThreadsPerSlice) + "); // slices 1-" + (shape.Slices - 1)
                + "'s sums for slice 0: [slice - 1][16][" + shape.ThreadsPerSlice + "]");
            w.Line("int t = KGroup.IdxX, slice = t / " + shape.ThreadsPerSlice + ", tr = t % " + shape.ThreadsPerSlice + " / " + shape.Across + " * " + Micro + ", tc = t % "
                + shape.Across + " * " + Micro + ";");
            w.Line("int sliceSteps = slice * " + (shape.StepsPerSlice * shape.Padded) + "; // this slice's first k-step in the shared tiles");
        }
        var names = new List<string>();
        for (int i = 0; i < Micro; i++)
            for (int j = 0; j < Micro; j++)
                names.Add("c" + i + j + " = 0f");
        w.Line("float " + string.Join(", ", names) + ";");
    }

    /// <summary>Loads per thread and tile of <see cref="GemmShape.Large"/>: 64 x 16 values over 256 threads.</summary>
    public static int Loads => GemmShape.Large.Loads;

    /// <summary>The tile row a thread's load <paramref name="e"/> fills in WriteLoadAlongK: fixed for the whole k loop.</summary>
    public static string RowAlongK(int e, GemmShape? shape = null)
    {
        shape ??= GemmShape.Large;
        return "(t / " + shape.Step + " + " + (e * Threads / shape.Step) + ")";
    }

    /// <summary>The tile column every load of a thread fills in WriteLoadAlongTile (Large): fixed for the whole k loop.</summary>
    public const string ColumnAlongTile = "(t % 64)";

    /// <summary>Loads a Tile x Step tile whose source is contiguous along k: threads take Step consecutive k of one tile row.</summary>
    public static void WriteLoadAlongK(SourceWriter w, string tile, string origin, string limit, string k0, string kLimit, System.Func<string, string, string> source, GemmShape? shape = null) =>
        WriteLoadAlongK(w, tile, origin, limit, k0, kLimit, (_, m, k) => source(m, k), shape);

    /// <summary>As above, the source also told which of the thread's loads it is (0..3, see <see cref="RowAlongK"/>).</summary>
    public static void WriteLoadAlongK(SourceWriter w, string tile, string origin, string limit, string k0, string kLimit, System.Func<int, string, string, string> source, GemmShape? shape = null)
    {
        shape ??= GemmShape.Large;
        for (int e = 0; e < shape.Loads; e++)
        {
            string m = RowAlongK(e, shape), kk = "(t % " + shape.Step + ")";
            w.Line("{ int m = " + origin + " + " + m + ", k = " + k0 + " + " + kk + "; " + tile + "[" + kk + " * " + shape.Padded + " + " + m + "] = m < " + limit + " && k < " + kLimit
                + " ? " + source(e, "m", "k") + " : 0f; }");
        }
    }

    /// <summary>Loads a Step x Tile tile whose source is contiguous along the tile: threads take Tile consecutive columns of one k.</summary>
    public static void WriteLoadAlongTile(SourceWriter w, string tile, string origin, string limit, string k0, string kLimit, System.Func<string, string, string> source, GemmShape? shape = null) =>
        WriteLoadAlongTile(w, tile, origin, limit, k0, kLimit, (_, k, c) => source(k, c), shape);

    /// <summary>As above, the source also told which of the thread's loads it is (0..3).</summary>
    public static void WriteLoadAlongTile(SourceWriter w, string tile, string origin, string limit, string k0, string kLimit, System.Func<int, string, string, string> source, GemmShape? shape = null)
    {
        shape ??= GemmShape.Large;
        for (int e = 0; e < shape.Loads; e++)
        {
            string kk = "(t / " + shape.Tile + " + " + (e * Threads / shape.Tile) + ")", c = "(t % " + shape.Tile + ")";
            w.Line("{ int k = " + k0 + " + " + kk + ", c = " + origin + " + " + c + "; " + tile + "[" + kk + " * " + shape.Padded + " + " + c + "] = k < " + kLimit + " && c < " + limit
                + " ? " + source(e, "k", "c") + " : 0f; }");
        }
    }

    public static void WriteMicroKernel(SourceWriter w) => WriteMicroKernel(w, GemmShape.Large);

    public static void WriteMicroKernel(SourceWriter w, GemmShape shape)
    {
        w.Line("KGroup.Barrier();");
        w.Line(shape.Slices == 1
            ? "// The " + shape.Step + " k-steps of the tile, unrolled here: ILGPU 1.5.3 does not unroll loops itself."
            : "// This slice's " + shape.StepsPerSlice + " of the tile's " + shape.Step + " k-steps, unrolled here: ILGPU 1.5.3 does not unroll loops itself.");
        var parts = new[] { "X", "Y", "Z", "W" };
        string start = shape.Slices == 1 ? "" : "sliceSteps + ";
        for (int kk = 0; kk < shape.StepsPerSlice; kk++)
        {
            using (w.Block(""))
            {
                w.Line("var av = As4[(" + start + (kk * shape.Padded) + " + tr) / 4];");
                w.Line("var bv = Bs4[(" + start + (kk * shape.Padded) + " + tc) / 4];");
                for (int i = 0; i < Micro; i++)
                    w.Line(string.Join(" ", Enumerable.Range(0, Micro).Select(j => "c" + i + j + " += av." + parts[i] + " * bv." + parts[j] + ";")));
            }
        }
        w.Line("KGroup.Barrier();");
    }

    /// <summary>The stores of a thread's 4 x 4 block: <paramref name="store"/>(row, column, accumulator) for those inside the limits.</summary>
    public static void WriteEpilogue(SourceWriter w, string row0, string rowLimit, string col0, string colLimit, System.Func<string, string, string, List<string>> store) =>
        WriteEpilogue(w, GemmShape.Large, row0, rowLimit, col0, colLimit, store);

    /// <summary>
    /// As above for <paramref name="shape"/>; a sliced shape first adds the slices' sums into slice 0's registers, and
    /// only slice 0 stores. Must be reached by every thread of the group (it has a barrier).
    /// </summary>
    public static void WriteEpilogue(SourceWriter w, GemmShape shape, string row0, string rowLimit, string col0, string colLimit, System.Func<string, string, string, List<string>> store)
    {
        if (shape.Slices == 1)
        {
            WriteStores(w, row0, rowLimit, col0, colLimit, store);
            return;
        }
        int per = shape.ThreadsPerSlice, block = Micro * Micro * per;
        w.Line("// Slices 1-" + (shape.Slices - 1) + " hand their sums to slice 0, which adds them in slice order and stores.");
        using (w.Block("if (slice > 0)"))
        {
            w.Line("int o = (slice - 1) * " + block + " + t % " + per + ";");
            for (int i = 0; i < Micro; i++)
                w.Line(string.Join(" ", Enumerable.Range(0, Micro).Select(j => "Rs[o + " + ((i * Micro + j) * per) + "] = c" + i + j + ";")));
        }
        w.Line("KGroup.Barrier();");
        using (w.Block("if (slice == 0)"))
        {
            for (int i = 0; i < Micro; i++)
                for (int j = 0; j < Micro; j++)
                    w.Line("c" + i + j + " += " + string.Join(" + ", Enumerable.Range(0, shape.Slices - 1).Select(s => "Rs[t + " + (s * block + (i * Micro + j) * per) + "]")) + ";");
            WriteStores(w, row0, rowLimit, col0, colLimit, store);
        }
    }

    private static void WriteStores(SourceWriter w, string row0, string rowLimit, string col0, string colLimit, System.Func<string, string, string, List<string>> store)
    {
        for (int i = 0; i < Micro; i++)
        {
            using (w.Block("if (" + row0 + " + tr + " + i + " < " + rowLimit + ")"))
            {
                w.Line("int r = " + row0 + " + tr + " + i + ";");
                for (int j = 0; j < Micro; j++)
                {
                    var lines = store("r", "c", "c" + i + j);
                    w.Line("{ int c = " + col0 + " + tc + " + j + "; if (c < " + colLimit + ") { " + string.Join(" ", lines) + " } }");
                }
            }
        }
    }
}
