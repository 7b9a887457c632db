using System;
using System.Runtime.InteropServices;
using SoftGen.Cpu;

namespace SoftGen.Tests.Kernels;

// Layer shapes for the kernel tests. "Input" shapes have InStride = In (a model's first layer); "Hidden" shapes read
// a previous layer's padded output, InStride = In rounded up to 16.
internal readonly struct Input3x1 : IDenseShape { public static int In => 3; public static int InStride => 3; public static int Out => 1; public static int OutStride => 16; }
internal readonly struct Input5x17 : IDenseShape { public static int In => 5; public static int InStride => 5; public static int Out => 17; public static int OutStride => 32; }
internal readonly struct Input64x10 : IDenseShape { public static int In => 64; public static int InStride => 64; public static int Out => 10; public static int OutStride => 16; }
internal readonly struct Input784x48 : IDenseShape { public static int In => 784; public static int InStride => 784; public static int Out => 48; public static int OutStride => 48; }
internal readonly struct Input784x512 : IDenseShape { public static int In => 784; public static int InStride => 784; public static int Out => 512; public static int OutStride => 512; }
internal readonly struct Hidden1x16 : IDenseShape { public static int In => 1; public static int InStride => 16; public static int Out => 16; public static int OutStride => 16; }
internal readonly struct Hidden10x1 : IDenseShape { public static int In => 10; public static int InStride => 16; public static int Out => 1; public static int OutStride => 16; }
internal readonly struct Hidden17x16 : IDenseShape { public static int In => 17; public static int InStride => 32; public static int Out => 16; public static int OutStride => 16; }
internal readonly struct Hidden48x17 : IDenseShape { public static int In => 48; public static int InStride => 48; public static int Out => 17; public static int OutStride => 32; }
internal readonly struct Hidden256x10 : IDenseShape { public static int In => 256; public static int InStride => 256; public static int Out => 10; public static int OutStride => 16; }
internal readonly struct Hidden512x256 : IDenseShape { public static int In => 512; public static int InStride => 512; public static int Out => 256; public static int OutStride => 256; }

/// <summary>A zeroed, 64-byte-aligned native float buffer, as the trainer allocates them.</summary>
internal sealed unsafe class NativeFloats : IDisposable
{
    public NativeFloats(int length)
    {
        Length = length;
        Pointer = (float*)NativeMemory.AlignedAlloc((nuint)Math.Max(length, 1) * sizeof(float), 64);
        Span.Clear();
    }

    public float* Pointer { get; private set; }
    public int Length { get; }
    public Span<float> Span => new(Pointer, Length);
    public FloatBuffer Buffer => new(Pointer);

    public float this[int index]
    {
        get => Span[index];
        set => Span[index] = value;
    }

    /// <summary>Uniform values in [-scale, scale) in the first <paramref name="columns"/> of each row of <paramref name="stride"/>, 0 elsewhere.</summary>
    public static NativeFloats Random(int rows, int stride, int columns, Random random, float scale = 1f)
    {
        var buffer = new NativeFloats(rows * stride);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                buffer[r * stride + c] = (float)(random.NextDouble() * 2 - 1) * scale;
        return buffer;
    }

    public static NativeFloats Filled(int length, float value)
    {
        var buffer = new NativeFloats(length);
        buffer.Span.Fill(value);
        return buffer;
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(Pointer);
        Pointer = null;
    }
}

/// <summary>Float64 references written independently of the kernels.</summary>
internal static class Reference
{
    public static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

    /// <summary>exp(z) - 1 with full relative precision near 0 (series below 1e-5, where its third term is below 1e-16 relative).</summary>
    public static double ExpMinusOne(double z) => Math.Abs(z) < 1e-5 ? z + z * z / 2 + z * z * z / 6 : Math.Exp(z) - 1;

    /// <summary>log(1 + u) with full relative precision for small u.</summary>
    public static double LogOnePlus(double u) => Math.Abs(u) < 1e-5 ? u - u * u / 2 + u * u * u / 3 : Math.Log(1 + u);

    /// <summary>log(1 + exp(z)).</summary>
    public static double Softplus(double z) => z > 0 ? z + LogOnePlus(Math.Exp(-z)) : LogOnePlus(Math.Exp(z));

    public static double NormalPdf(double z) => Math.Exp(-0.5 * z * z) / Math.Sqrt(2 * Math.PI);

    /// <summary>Phi(z) = erfc(-z / sqrt 2) / 2.</summary>
    public static double NormalCdf(double z) => 0.5 * Erfc(-z / Math.Sqrt(2));

    /// <summary>
    /// erfc to near double precision: 1 - erf by the series 2/sqrt(pi) e^(-x^2) sum 2^n x^(2n+1) / (2n+1)!! for
    /// |x| &lt; 2.5, the continued fraction e^(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))) beyond.
    /// </summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x))
            return double.NaN;
        if (x < 0)
            return 2 - Erfc(-x);
        if (x < 2.5)
        {
            double term = x, sum = x;
            for (int n = 1; n < 200 && term > 1e-18 * sum; n++)
            {
                term *= 2 * x * x / (2 * n + 1);
                sum += term;
            }
            return 1 - 2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x) * sum;
        }
        double t = x;
        for (int n = 200; n >= 1; n--)
            t = x + n / 2.0 / t;
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / t;
    }

    public static double Apply(string activation, double z) => activation switch
    {
        nameof(Identity) => z,
        nameof(Relu) => Math.Max(z, 0),
        nameof(LeakyRelu) => z > 0 ? z : 0.01 * z,
        nameof(Tanh) => Math.Tanh(z),
        nameof(Sigmoid) => Sigmoid(z),
        nameof(Gelu) => z * NormalCdf(z),
        nameof(Silu) => z * Sigmoid(z),
        nameof(Elu) => z > 0 ? z : ExpMinusOne(z),
        nameof(Mish) => z * Math.Tanh(Softplus(z)),
        _ => throw new ArgumentException(activation),
    };

    public static double Derivative(string activation, double z) => activation switch
    {
        nameof(Identity) => 1,
        nameof(Relu) => z > 0 ? 1 : 0,
        nameof(LeakyRelu) => z > 0 ? 1 : 0.01,
        nameof(Tanh) => 1 - Math.Tanh(z) * Math.Tanh(z),
        nameof(Sigmoid) => Sigmoid(z) * (1 - Sigmoid(z)),
        nameof(Gelu) => NormalCdf(z) + z * NormalPdf(z),
        nameof(Silu) => Sigmoid(z) * (1 + z * Sigmoid(-z)),
        nameof(Elu) => z > 0 ? 1 : Math.Exp(z),
        nameof(Mish) => Math.Tanh(Softplus(z)) + z * Sigmoid(z) / Math.Pow(Math.Cosh(Softplus(z)), 2),
        _ => throw new ArgumentException(activation),
    };
}
