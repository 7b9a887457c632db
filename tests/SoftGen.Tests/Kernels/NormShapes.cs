using SoftGen.Cpu;

namespace SoftGen.Tests.Kernels;

// Tensor shapes for the normalization and residual kernel tests: [rows * Height * Width, ChannelStride], Channels real.
internal readonly struct Image3At5x7 : ISpatialShape { public static int Channels => 3; public static int ChannelStride => 16; public static int Height => 5; public static int Width => 7; }
internal readonly struct Image20At3x3 : ISpatialShape { public static int Channels => 20; public static int ChannelStride => 32; public static int Height => 3; public static int Width => 3; }
internal readonly struct Image20At8x8 : ISpatialShape { public static int Channels => 20; public static int ChannelStride => 32; public static int Height => 8; public static int Width => 8; }
internal readonly struct Flat10 : ISpatialShape { public static int Channels => 10; public static int ChannelStride => 16; public static int Height => 1; public static int Width => 1; }
internal readonly struct Flat40 : ISpatialShape { public static int Channels => 40; public static int ChannelStride => 48; public static int Height => 1; public static int Width => 1; }
internal readonly struct Flat16 : ISpatialShape { public static int Channels => 16; public static int ChannelStride => 16; public static int Height => 1; public static int Width => 1; }
