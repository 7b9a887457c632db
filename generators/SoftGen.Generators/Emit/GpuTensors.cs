using SoftGen.Generators.Model;

namespace SoftGen.Generators.Emit;

/// <summary>
/// How the GPU program stores each layer's output. Images stay in the CPU backend's layout, [rows, pixels, channel
/// stride] with the padding channels 0: the flat parameter buffer is shared with the host, and its Conv2D weights
/// ([kernel position, in channel stride, out channel stride]) and the weights of a Dense layer after an image (one row
/// per stored value of the image) are laid out for exactly that storage, so the kernels index the same weights the CPU
/// does. Flat rows (Dense, GlobalAveragePool, dropout after them) are dense, [rows, width], as the Dense kernels were
/// written. The model's input arrives as the user's rows (images NCHW) and the first layer reads it where it is.
/// </summary>
internal static class GpuTensors
{
    /// <summary>Floats per pixel in device storage.</summary>
    public static int Stride(TensorPlan t) => t.Spatial ? t.ChannelStride : t.Channels;

    public static int RowLength(TensorPlan t) => t.Pixels * Stride(t);

    /// <summary>True when layer <paramref name="l"/> reads the user's NCHW image of more than one channel.</summary>
    public static bool ReadsNchw(LayerPlan l) => l.Index == 0 && l.Input.Spatial && l.Input.Channels > 1;

    /// <summary>The index of value (row r, pixel p, channel c) of layer <paramref name="l"/>'s input.</summary>
    public static string InputAt(LayerPlan l, string r, string p, string c) => ReadsNchw(l)
        ? "(" + r + " * " + l.Input.Real + " + " + c + " * " + l.Input.Pixels + " + " + p + ")"
        : "((" + r + " * " + l.Input.Pixels + " + " + p + ") * " + Stride(l.Input) + " + " + c + ")";

    /// <summary>The index of value (row r, pixel p, channel c) of layer <paramref name="l"/>'s output.</summary>
    public static string OutputAt(LayerPlan l, string r, string p, string c) =>
        "((" + r + " * " + l.Output.Pixels + " + " + p + ") * " + Stride(l.Output) + " + " + c + ")";

    /// <summary>The buffer layer <paramref name="l"/> reads.</summary>
    public static string Source(LayerPlan l) => l.Index == 0 ? "Inputs" : "_a" + (l.Index - 1);

    /// <summary>"(count + Threads - 1) / Threads": groups of an elementwise kernel over count items.</summary>
    public static string Groups(string count) => "(" + count + " + Threads - 1) / Threads";
}
