namespace SoftGen.Generators.Model;

/// <summary>
/// A tensor as one row of the batch sees it. Images (Spatial) are stored per pixel, [Height, Width, ChannelStride]
/// (NHWC), the real channels first; flat rows have Height = Width = 1 and Channels values in ChannelStride.
/// </summary>
internal sealed record TensorPlan(int Channels, int Height, int Width, int ChannelStride, bool Spatial)
{
    /// <summary>True for a signal (a spatial tensor of height 1 in a signal model), written C x L.</summary>
    public bool Signal { get; init; }

    public int Pixels => Height * Width;

    /// <summary>Real values per row: PyTorch's numel per sample.</summary>
    public int Real => Channels * Height * Width;

    /// <summary>Floats per row in storage, padding included.</summary>
    public int RowLength => Pixels * ChannelStride;

    /// <summary>"32x14x14" for images (PyTorch's C x H x W), "32x500" for signals (C x L), "128" for rows.</summary>
    public string Text => Signal ? Channels + "x" + Width
        : Spatial ? Channels + "x" + Height + "x" + Width : Channels.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static TensorPlan Flat(int width, int stride) => new(width, 1, 1, stride, false);
}
