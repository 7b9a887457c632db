namespace SoftGen.Generators.Model;

/// <summary>
/// The storage layout shared with the runtime (SoftGen.Cpu.IDenseShape, IConvShape): layer outputs are padded to a
/// multiple of 16 floats (one Vector512) per row (flat) or per pixel (images, stored [h, w, channel stride]);
/// weights are stored transposed as [depth, outStride], then the bias [outStride].
/// </summary>
internal static class Shapes
{
    public const int Lanes = 16;

    public static int Padded(int width) => (width + Lanes - 1) / Lanes * Lanes;

    /// <summary>Output size of a convolution along one axis (PyTorch's floor), or less than 1 when the kernel does not fit.</summary>
    public static int ConvOutput(int size, int kernel, int stride, int padding) =>
        size + 2 * padding < kernel ? 0 : (size + 2 * padding - kernel) / stride + 1;
}
