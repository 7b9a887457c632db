using System.Collections.Generic;
using System.Linq;

namespace SoftGen.Generators.Emit;

/// <summary>
/// The GEMM machinery every GPU matrix product shares (Dense and Conv2D, forward and backward): a 64 x 64 output tile
/// per group of 256 threads, each thread accumulating a 4 x 4 block in registers over k-steps of 16, both operands
/// staged k-major in shared memory ([16][68], padded against bank conflicts) and read as Float4. The callers supply
/// the load expressions (a plain matrix, or an implicit one: the patches of a convolution) and the epilogue.
/// </summary>
internal static class GpuGemm
{
    // Tile geometry: 256 threads as 16 x 16, each accumulating 4 x 4 outputs of a 64 x 64 tile over k-steps of 16.
    public const int Tile = 64, Step = 16, Micro = 4, Threads = 256, Padded = Tile + 4;

    public static int Tiles(int n) => (n + Tile - 1) / Tile;

    /// <summary>"(count + Tile - 1) / Tile": the tiles along a dimension that is known only at run time.</summary>
    public static string Tiles(string count) => "(" + count + " + Tile - 1) / Tile";

    public static void WriteTileSetup(SourceWriter w)
    {
        w.Line("var As = KShared.Allocate<float>(" + (Step * Padded) + "); // [16][68]: k-major, 4 floats of padding per k");
        w.Line("var Bs = KShared.Allocate<float>(" + (Step * Padded) + ");");
        w.Line("View4 As4 = As.Cast<global::SoftGen.Gpu.Float4>(), Bs4 = Bs.Cast<global::SoftGen.Gpu.Float4>();");
        w.Line("int t = KGroup.IdxX, tr = t / 16 * " + Micro + ", tc = t % 16 * " + Micro + ";");
        var names = new List<string>();
        for (int i = 0; i < Micro; i++)
            for (int j = 0; j < Micro; j++)
                names.Add("c" + i + j + " = 0f");
        w.Line("float " + string.Join(", ", names) + ";");
    }

    /// <summary>Loads per thread and tile: 64 x 16 values over 256 threads.</summary>
    public const int Loads = Tile * Step / Threads;

    /// <summary>The tile row a thread's load <paramref name="e"/> fills in <see cref="WriteLoadAlongK(SourceWriter, string, string, string, string, string, System.Func{int, string, string, string})"/>: fixed for the whole k loop.</summary>
    public static string RowAlongK(int e) => "(t / 16 + " + (e * Threads / Step) + ")";

    /// <summary>The tile column every load of a thread fills in <see cref="WriteLoadAlongTile(SourceWriter, string, string, string, string, string, System.Func{int, string, string, string})"/>: fixed for the whole k loop.</summary>
    public const string ColumnAlongTile = "(t % 64)";

    /// <summary>Loads a 64 x 16 tile whose source is contiguous along k: threads take 16 consecutive k of one tile row.</summary>
    public static void WriteLoadAlongK(SourceWriter w, string tile, string origin, string limit, string k0, string kLimit, System.Func<string, string, string> source) =>
        WriteLoadAlongK(w, tile, origin, limit, k0, kLimit, (_, m, k) => source(m, k));

    /// <summary>As above, the source also told which of the thread's loads it is (0..3, see <see cref="RowAlongK"/>).</summary>
    public static void WriteLoadAlongK(SourceWriter w, string tile, string origin, string limit, string k0, string kLimit, System.Func<int, string, string, string> source)
    {
        for (int e = 0; e < Loads; e++)
        {
            string m = RowAlongK(e), kk = "(t % 16)";
            w.Line("{ int m = " + origin + " + " + m + ", k = " + k0 + " + " + kk + "; " + tile + "[" + kk + " * " + Padded + " + " + m + "] = m < " + limit + " && k < " + kLimit
                + " ? " + source(e, "m", "k") + " : 0f; }");
        }
    }

    /// <summary>Loads a 16 x 64 tile whose source is contiguous along the tile: threads take 64 consecutive columns of one k.</summary>
    public static void WriteLoadAlongTile(SourceWriter w, string tile, string origin, string limit, string k0, string kLimit, System.Func<string, string, string> source) =>
        WriteLoadAlongTile(w, tile, origin, limit, k0, kLimit, (_, k, c) => source(k, c));

    /// <summary>As above, the source also told which of the thread's loads it is (0..3).</summary>
    public static void WriteLoadAlongTile(SourceWriter w, string tile, string origin, string limit, string k0, string kLimit, System.Func<int, string, string, string> source)
    {
        for (int e = 0; e < Loads; e++)
        {
            string kk = "(t / 64 + " + (e * Threads / Tile) + ")", c = ColumnAlongTile;
            w.Line("{ int k = " + k0 + " + " + kk + ", c = " + origin + " + " + c + "; " + tile + "[" + kk + " * " + Padded + " + " + c + "] = k < " + kLimit + " && c < " + limit
                + " ? " + source(e, "k", "c") + " : 0f; }");
        }
    }

    public static void WriteMicroKernel(SourceWriter w)
    {
        w.Line("KGroup.Barrier();");
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
        w.Line("KGroup.Barrier();");
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
