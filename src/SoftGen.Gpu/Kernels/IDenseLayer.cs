namespace SoftGen.Gpu.Kernels;

/// <summary>
/// A Dense layer's sizes and where its parameters sit in the flat parameter buffer, as constants of a struct type
/// that the generated program declares per layer. The GEMM kernels take it as a type argument, so ILGPU folds these
/// values into the code as it did when the generator wrote them as literals (the PTX report in BENCHMARKS.md compares:
/// passing them as kernel arguments instead costs registers and instructions per k-tile).
/// </summary>
public interface IDenseLayer
{
    /// <summary>Inputs per row (the GEMM's k in the forward pass).</summary>
    int In { get; }

    /// <summary>Outputs per row.</summary>
    int Out { get; }

    /// <summary>Where Wt ([In, WeightStride], k-major) starts.</summary>
    int WeightOffset { get; }

    /// <summary>Floats per row of Wt (Out rounded up to the storage's alignment).</summary>
    int WeightStride { get; }

    /// <summary>Where b starts (db is stored there in the gradients: row In of dWt).</summary>
    int BiasOffset { get; }
}
