using System;
using System.Linq;
using System.Runtime.Intrinsics;
using SoftGen.Cpu;
using SoftGen.Tests.Kernels;
using Xunit;

namespace SoftGen.Tests.Conv;

/// <summary>33 input channels (stride 48) to 40 (48): panels of 32 and 16 columns in all three GEMMs, 13 rows of tails.</summary>
internal readonly struct GemmOdd : IConvShape
{
    public static int InChannels => 33; public static int InChannelStride => 48; public static int InHeight => 5; public static int InWidth => 6;
    public static int OutChannels => 40; public static int OutChannelStride => 48; public static int OutHeight => 5; public static int OutWidth => 6;
    public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
    public static int PaddingHeight => 1; public static int PaddingWidth => 1; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 1;
}

internal readonly struct GemmFashion : IConvShape
{
    public static int InChannels => 32; public static int InChannelStride => 32; public static int InHeight => 14; public static int InWidth => 14;
    public static int OutChannels => 64; public static int OutChannelStride => 64; public static int OutHeight => 14; public static int OutWidth => 14;
    public static int KernelHeight => 3; public static int KernelWidth => 3; public static int StrideHeight => 1; public static int StrideWidth => 1;
    public static int PaddingHeight => 1; public static int PaddingWidth => 1; public static int DilationHeight => 1; public static int DilationWidth => 1; public static int Groups => 1;
}

/// <summary>The tests that switch the convolution GEMMs between their Vector512 and Vector256 tiles run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class VectorWidthCollection
{
    public const string Name = "Vector width";
}

/// <summary>
/// The Vector256 tiles of the convolution kernels (what machines without AVX-512 run), forced on this machine:
/// the generated conv models and the direct and fused kernels against their references, and the three GEMMs and the
/// direct path equal to the Vector512 tiles bit for bit.
/// </summary>
[Collection(VectorWidthCollection.Name)]
public unsafe class ConvVector256Tests
{
    [Theory]
    [MemberData(nameof(ConvCases.Names), MemberType = typeof(ConvCases))]
    public void Models_match_the_reference_on_Vector256_tiles(string name)
    {
        Assert.True(Vector256.IsHardwareAccelerated, "this machine has no AVX2");
        using var _ = Force256();
        var tests = new ConvGradientTests();
        tests.Forward_loss_and_gradients_match_the_reference(name, 5, 2);
        tests.Forward_loss_and_gradients_match_the_reference(name, 13, 3);
    }

    [Fact]
    public void Direct_and_fused_kernels_match_their_references_on_Vector256_tiles()
    {
        using var _ = Force256();
        var direct = new ConvDirectKernelTests();
        direct.Forward_and_weight_gradients_match_float64();
        direct.Results_do_not_depend_on_the_thread_count();
        new ConvMaxPoolFusionTests().Fused_kernels_equal_the_unfused_ones_bit_for_bit();
    }

    [Fact]
    public void General_shapes_match_float64_on_Vector256_tiles()
    {
        using var _ = Force256();
        var general = new ConvGeneralShapeTests();
        general.Rectangular_kernels_and_per_axis_strides_match_float64();
        general.Signals_match_float64();
        general.Dilations_match_float64();
        general.Groups_match_float64_with_the_off_diagonal_gradient_exactly_0();
        general.Max_pool_fusion_with_a_1x2_window_matches_float64();
    }

    [Fact]
    public void Vector256_and_Vector512_tiles_give_the_same_bits()
    {
        Compare<GemmOdd>(13, Run<GemmOdd>);
        Compare<GemmFashion>(3, Run<GemmFashion>);
        Compare<DirectFashion>(5, RunDirect<DirectFashion>);
        Compare<DirectRgb5x5>(70, RunDirect<DirectRgb5x5>);
        Compare<DirectStride2>(4, RunDirect<DirectStride2>);
    }

    private static void Compare<T>(int rows, Func<int, float[]> run) where T : struct, IConvShape
    {
        float[] wide = run(rows);
        float[] narrow;
        using (Force256())
            narrow = run(rows);
        Assert.True(wide.Select(BitConverter.SingleToInt32Bits).SequenceEqual(narrow.Select(BitConverter.SingleToInt32Bits)),
            $"{typeof(T).Name}: the Vector256 tiles differ from the Vector512 ones");
    }

    /// <summary>The direct path: forward (ReLU, Z written too) and the weight and bias gradients, concatenated.</summary>
    private static float[] RunDirect<T>(int rows) where T : struct, IConvShape
    {
        var random = new Random(rows);
        using var pool = new WorkerPool(2);
        int depth = T.KernelHeight * T.KernelWidth * T.InChannelStride, ocs = T.OutChannelStride;
        int outPixels = rows * T.OutHeight * T.OutWidth;
        using var x = NativeFloats.Random(rows * T.InHeight * T.InWidth, T.InChannelStride, T.InChannels, random);
        using var wt = NativeFloats.Random(depth, ocs, T.OutChannels, random);
        using var bias = NativeFloats.Random(1, ocs, T.OutChannels, random);
        using var dz = NativeFloats.Random(outPixels, ocs, T.OutChannels, random);
        using var z = new NativeFloats(outPixels * ocs);
        using var a = new NativeFloats(outPixels * ocs);
        using var dwt = new NativeFloats(depth * ocs);
        using var db = new NativeFloats(ocs);
        using var partials = new NativeFloats(ConvKernels.WeightPartialsLength<T>(rows));
        ConvKernels.Forward<T, Relu>(pool, x.Pointer, wt.Pointer, bias.Pointer, z.Pointer, a.Pointer, rows);
        ConvKernels.BackwardWeights<T>(pool, x.Pointer, dz.Pointer, dwt.Pointer, db.Pointer, partials.Pointer, rows);
        return z.Span.ToArray().Concat(a.Span.ToArray()).Concat(dwt.Span.ToArray()).Concat(db.Span.ToArray()).ToArray();
    }

    /// <summary>Forward (GELU, so Z is written too), the weight gradient and the input gradient, concatenated.</summary>
    private static float[] Run<T>(int rows) where T : struct, IConvShape
    {
        var random = new Random(rows);
        using var pool = new WorkerPool(2);
        int depth = T.KernelHeight * T.KernelWidth * T.InChannelStride, ocs = T.OutChannelStride, ics = T.InChannelStride;
        int inPixels = rows * T.InHeight * T.InWidth, outPixels = rows * T.OutHeight * T.OutWidth;
        using var x = NativeFloats.Random(inPixels, ics, T.InChannels, random);
        using var wt = new NativeFloats(depth * ocs);
        for (int p = 0; p < depth; p++)
            if (p % ics < T.InChannels)
                for (int o = 0; o < T.OutChannels; o++)
                    wt[p * ocs + o] = (float)(random.NextDouble() * 2 - 1) * 0.2f;
        using var bias = NativeFloats.Random(1, ocs, T.OutChannels, random);
        using var dz = NativeFloats.Random(outPixels, ocs, T.OutChannels, random);
        using var z = new NativeFloats(outPixels * ocs);
        using var a = new NativeFloats(outPixels * ocs);
        using var dwt = new NativeFloats(depth * ocs);
        using var db = new NativeFloats(ocs);
        using var partials = new NativeFloats(ConvKernels.WeightPartialsLength<T>(rows));
        using var rotated = new NativeFloats(depth * ocs);
        using var dx = new NativeFloats(inPixels * ics);
        ConvKernels.Forward<T, Gelu>(pool, x.Pointer, wt.Pointer, bias.Pointer, z.Pointer, a.Pointer, rows);
        ConvKernels.BackwardWeights<T>(pool, x.Pointer, dz.Pointer, dwt.Pointer, db.Pointer, partials.Pointer, rows);
        ConvKernels.BackwardInputs<T, Tanh>(pool, dz.Pointer, wt.Pointer, rotated.Pointer, null, x.Pointer, dx.Pointer, rows);
        return z.Span.ToArray().Concat(a.Span.ToArray()).Concat(dwt.Span.ToArray()).Concat(db.Span.ToArray()).Concat(dx.Span.ToArray()).ToArray();
    }

    private static Restore Force256()
    {
        var restore = new Restore(ConvMicroKernels.UseVector512);
        ConvMicroKernels.UseVector512 = false;
        return restore;
    }

    private readonly struct Restore(bool value) : IDisposable
    {
        public void Dispose() => ConvMicroKernels.UseVector512 = value;
    }
}
