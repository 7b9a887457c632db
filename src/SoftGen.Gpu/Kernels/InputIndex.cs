namespace SoftGen.Gpu.Kernels;

/// <summary>Where value (row r, pixel q, channel c) of a layer's input sits: [rows, pixels, stride], or the user's NCHW rows (the first layer's).</summary>
internal static class InputIndex
{
    public static int At(bool nchw, int channels, int stride, int pixels, int r, int q, int c) =>
        nchw ? (r * channels + c) * pixels + q : (r * pixels + q) * stride + c;
}
