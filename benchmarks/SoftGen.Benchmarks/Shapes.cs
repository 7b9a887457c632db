using SoftGen.Cpu;

namespace SoftGen.Benchmarks;

// The layer shapes the generator emits for Mlp128, Mlp512 and Mlp1024 (OutStride = Out rounded up to 16;
// InStride = the previous layer's OutStride, or 784 for the input), for the step profile's direct kernel calls.

internal readonly struct Shape784x128 : IDenseShape
{
    public static int In => 784; public static int InStride => 784; public static int Out => 128; public static int OutStride => 128;
}

internal readonly struct Shape128x64 : IDenseShape
{
    public static int In => 128; public static int InStride => 128; public static int Out => 64; public static int OutStride => 64;
}

internal readonly struct Shape64x10 : IDenseShape
{
    public static int In => 64; public static int InStride => 64; public static int Out => 10; public static int OutStride => 16;
}

internal readonly struct Shape784x512 : IDenseShape
{
    public static int In => 784; public static int InStride => 784; public static int Out => 512; public static int OutStride => 512;
}

internal readonly struct Shape512x256 : IDenseShape
{
    public static int In => 512; public static int InStride => 512; public static int Out => 256; public static int OutStride => 256;
}

internal readonly struct Shape256x10 : IDenseShape
{
    public static int In => 256; public static int InStride => 256; public static int Out => 10; public static int OutStride => 16;
}

internal readonly struct Shape784x1024 : IDenseShape
{
    public static int In => 784; public static int InStride => 784; public static int Out => 1024; public static int OutStride => 1024;
}

internal readonly struct Shape1024x512 : IDenseShape
{
    public static int In => 1024; public static int InStride => 1024; public static int Out => 512; public static int OutStride => 512;
}

internal readonly struct Shape512x10 : IDenseShape
{
    public static int In => 512; public static int InStride => 512; public static int Out => 10; public static int OutStride => 16;
}
