using System.Collections.Generic;
using System.Linq;

namespace SoftGen.Generators.Emit;

/// <summary>
/// The tile shape of a GPU matrix product, for the generated launches' grids and the file header. The Dense GEMMs
/// run in both shapes and are SoftGen.Gpu.Kernels' (GemmTiles states the shapes and their math; a test checks that
/// these sizes match it); the Conv2D GEMMs are generated here in <see cref="Large"/> only.
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

    /// <summary>Slices of the group that split each k-tile (Small: 4 of 64 threads, each taking 8 of the 32 k-steps).</summary>
    public int Slices { get; }

    /// <summary>Appended to a kernel's name for this shape ("" for <see cref="Large"/>).</summary>
    public string Suffix { get; }

    /// <summary>The generated program's constant for <see cref="Tile"/>.</summary>
    public string TileName { get; }

    public string Text => Tile + "x" + Tile;

    public int Tiles(int n) => (n + Tile - 1) / Tile;

    /// <summary>"(count + Tile - 1) / Tile" in the generated program's constants.</summary>
    public string Tiles(string count) => "(" + count + " + " + TileName + " - 1) / " + TileName;
}

/// <summary>
/// The generated Conv2D GEMMs' machinery (<see cref="GemmShape.Large"/>: 64 x 64 tiles, 256 threads as 16 x 16, each
/// accumulating a 4 x 4 block in registers, k-tiles of 16): the shared tiles, staged k-major ([16][68], padded against
/// bank conflicts) and read as Float4, the loads, the unrolled k-steps and the epilogue. The callers supply the load
/// expressions (the patches of a convolution) and the stores. It mirrors SoftGen.Gpu.Kernels.GemmTiles, whose
/// runtime GEMMs the Dense layers use; a convolution's implicit-GEMM loads are per layer index arithmetic, which this
/// emitter writes with the layer's sizes as constants.
/// </summary>
internal static class GpuGemm
{
    public const int Tile = 64, Step = 16, Micro = 4, Threads = 256;

    private const int Padded = Tile + 4, Across = Tile / Micro;

    public static int Tiles(int n) => GemmShape.Large.Tiles(n);

    /// <summary>"(count + Tile - 1) / Tile": the tiles along a dimension that is known only at run time.</summary>
    public static string Tiles(string count) => GemmShape.Large.Tiles(count);

    public static void WriteTileSetup(SourceWriter w)
    {
        w.Line("var As = global::ILGPU.SharedMemory.Allocate<float>(" + Step * Padded + "); // [" + Step + "][" + Padded + "]: k-major, 4 floats of padding per k");
        w.Line("var Bs = global::ILGPU.SharedMemory.Allocate<float>(" + Step * Padded + ");");
        w.Line("global::ILGPU.ArrayView<global::SoftGen.Gpu.Float4> As4 = As.Cast<global::SoftGen.Gpu.Float4>(), Bs4 = Bs.Cast<global::SoftGen.Gpu.Float4>();");
        w.Line("int t = global::ILGPU.Group.IdxX, tr = t / " + Across + " * " + Micro + ", tc = t % " + Across + " * " + Micro + ";");
        var names = new List<string>();
        for (int i = 0; i < Micro; i++)
            for (int j = 0; j < Micro; j++)
                names.Add("c" + i + j + " = 0f");
        w.Line("float " + string.Join(", ", names) + ";");
    }

    /// <summary>Loads per thread and tile: 64 x 16 values over 256 threads.</summary>
    public const int Loads = Tile * Step / Threads;

    /// <summary>The tile row a thread's load <paramref name="e"/> fills in WriteLoadAlongK: fixed for the whole k loop.</summary>
    public static string RowAlongK(int e) => "(t / " + Step + " + " + (e * Threads / Step) + ")";

    /// <summary>The tile column every load of a thread fills in WriteLoadAlongTile: fixed for the whole k loop.</summary>
    public const string ColumnAlongTile = "(t % 64)";

    /// <summary>Loads a Tile x Step tile whose source is contiguous along k: threads take Step consecutive k of one tile row.</summary>
    public static void WriteLoadAlongK(SourceWriter w, string tile, string origin, string limit, string k0, string kLimit, System.Func<string, string, string> source) =>
        WriteLoadAlongK(w, tile, origin, limit, k0, kLimit, (_, m, k) => source(m, k));

    /// <summary>As above, the source also told which of the thread's loads it is (0..3, see <see cref="RowAlongK"/>).</summary>
    public static void WriteLoadAlongK(SourceWriter w, string tile, string origin, string limit, string k0, string kLimit, System.Func<int, string, string, string> source)
    {
        for (int e = 0; e < Loads; e++)
        {
            string m = RowAlongK(e), kk = "(t % " + Step + ")";
            w.Line("{ int m = " + origin + " + " + m + ", k = " + k0 + " + " + kk + "; " + tile + "[" + kk + " * " + Padded + " + " + m + "] = m < " + limit + " && k < " + kLimit
                + " ? " + source(e, "m", "k") + " : 0f; }");
        }
    }

    /// <summary>Loads a Step x Tile tile whose source is contiguous along the tile: threads take Tile consecutive columns of one k.</summary>
    public static void WriteLoadAlongTile(SourceWriter w, string tile, string origin, string limit, string k0, string kLimit, System.Func<string, string, string> source)
    {
        for (int e = 0; e < Loads; e++)
        {
            string kk = "(t / " + Tile + " + " + (e * Threads / Tile) + ")", c = "(t % " + Tile + ")";
            w.Line("{ int k = " + k0 + " + " + kk + ", c = " + origin + " + " + c + "; " + tile + "[" + kk + " * " + Padded + " + " + c + "] = k < " + kLimit + " && c < " + limit
                + " ? " + source("k", "c") + " : 0f; }");
        }
    }

    public static void WriteMicroKernel(SourceWriter w)
    {
        w.Line("global::ILGPU.Group.Barrier();");
        w.Line("// The " + Step + " k-steps of the tile, unrolled here: ILGPU 1.5.3 does not unroll loops itself.");
        var parts = new[] { "X", "Y", "Z", "W" };
        for (int kk = 0; kk < Step; kk++)
        {
            using (w.Block(""))
            {
                w.Line("var av = As4[(" + (kk * Padded) + " + tr) / 4];");
                w.Line("var bv = Bs4[(" + (kk * Padded) + " + tc) / 4];");
                for (int i = 0; i < Micro; i++)
                    w.Line(string.Join(" ", Enumerable.Range(0, Micro).Select(j => "c" + i + j + " += av." + parts[i] + " * bv." + parts[j] + ";")));
            }
        }
        w.Line("global::ILGPU.Group.Barrier();");
    }

    /// <summary>The stores of a thread's 4 x 4 block: <paramref name="store"/>(row, column, accumulator) for those inside the limits.</summary>
    public static void WriteEpilogue(SourceWriter w, string row0, string rowLimit, string col0, string colLimit, System.Func<string, string, string, List<string>> store)
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
