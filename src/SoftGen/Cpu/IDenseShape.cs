namespace SoftGen.Cpu;

/// <summary>
/// The compile-time shape of one dense layer. The generator emits one struct per layer implementing this;
/// the CPU kernels are generic over it, so the JIT (or the AOT compiler) compiles each kernel with the
/// widths as constants.
/// </summary>
/// <remarks>
/// Storage, all row-major and inside pinned buffers:
/// input activations X [rows, InStride] (only the first In columns are read);
/// weights Wt [In, OutStride] (the transpose of PyTorch's [Out, In] weight, columns Out..OutStride-1 are zero);
/// bias b [OutStride] (zero padded); outputs Z, A and their gradients [rows, OutStride], padding columns kept 0.
/// OutStride is Out rounded up to a multiple of 16 (one Vector512 of floats).
/// </remarks>
public interface IDenseShape
{
    /// <summary>Real input width K.</summary>
    static abstract int In { get; }

    /// <summary>Row stride of the input activations: In for the model's input rows, else the previous layer's OutStride.</summary>
    static abstract int InStride { get; }

    /// <summary>Real output width N.</summary>
    static abstract int Out { get; }

    /// <summary>Out rounded up to a multiple of 16.</summary>
    static abstract int OutStride { get; }
}
