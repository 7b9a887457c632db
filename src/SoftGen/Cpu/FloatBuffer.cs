namespace SoftGen.Cpu;

/// <summary>
/// A position in pinned float memory that a trainer owns (or in a span it has pinned for the duration of a call).
/// Generated code passes these to the kernels, so that a user's project needs no unsafe code.
/// </summary>
public readonly unsafe struct FloatBuffer
{
    internal FloatBuffer(float* pointer) => Pointer = pointer;

    internal float* Pointer { get; }

    /// <summary>No buffer: for the optional arguments of the kernels (a pre-activation that is not kept).</summary>
    public static FloatBuffer Null => default;

    public bool IsNull => Pointer == null;

    /// <summary>The position <paramref name="offset"/> floats further on.</summary>
    public static FloatBuffer operator +(FloatBuffer buffer, int offset) => new(buffer.Pointer + offset);

    public static implicit operator float*(FloatBuffer buffer) => buffer.Pointer;

    /// <summary>Sets the <paramref name="count"/> floats from this position on to 0 (a bias-free layer's bias gradient).</summary>
    public void Clear(int count) => new System.Span<float>(Pointer, count).Clear();

    /// <summary>Sets the first <paramref name="count"/> floats to <paramref name="value"/>.</summary>
    public void Fill(int count, float value) => new System.Span<float>(Pointer, count).Fill(value);
}
