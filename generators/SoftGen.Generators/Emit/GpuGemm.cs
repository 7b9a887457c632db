using System.Collections.Generic;
using System.Linq;

namespace SoftGen.Generators.Emit;

/// <summary>
/// The tile shape of a GPU matrix product, for the generated launches' grids and the file header: the Dense GEMMs run
/// in both shapes, the Conv2D GEMMs in <see cref="Large"/> only (SoftGen.Gpu.Kernels.GemmTiles).
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
/// The GEMM geometry the generated launches need for their grids: the Dense and Conv2D GEMM kernels themselves are
/// SoftGen.Gpu.Kernels' (GemmTiles states the shapes and the math; a test checks that these sizes match it).
/// </summary>
internal static class GpuGemm
{
    public const int Tile = 64, Step = 16, Threads = 256;

    public static int Tiles(int n) => GemmShape.Large.Tiles(n);

    /// <summary>"(count + Tile - 1) / Tile": the tiles along a dimension that is known only at run time.</summary>
    public static string Tiles(string count) => GemmShape.Large.Tiles(count);
}
