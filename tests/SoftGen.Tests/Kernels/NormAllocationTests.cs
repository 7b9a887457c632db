using System;
using SoftGen.Cpu;
using Xunit;
using static SoftGen.Tests.Kernels.NormReference;

namespace SoftGen.Tests.Kernels;

/// <summary>The normalization and residual kernels allocate no managed memory once warm (one thread: all on the caller).</summary>
public unsafe class NormAllocationTests
{
    [Fact]
    public void KernelsAllocateNothing()
    {
        const int rows = 4;
        int cs = Image20At3x3.ChannelStride, count = rows * 9;
        int layerRows = count * cs / Flat40.ChannelStride; // the same buffers seen as rows of 48 floats
        var random = new Random(2);
        using var pool = new WorkerPool(1);
        using var x = Tensor(count, cs, Image20At3x3.Channels, random);
        using var dy = Tensor(count, cs, Image20At3x3.Channels, random);
        int parameters = Flat40.ChannelStride; // enough for either shape
        using var gamma = NativeFloats.Filled(parameters, 1f);
        using var beta = new NativeFloats(parameters);
        using var runningMean = new NativeFloats(cs);
        using var runningVar = NativeFloats.Filled(cs, 1f);
        using var mean = new NativeFloats(count);
        using var invStd = new NativeFloats(count);
        using var z = new NativeFloats(count * cs);
        using var a = new NativeFloats(count * cs);
        using var dx = new NativeFloats(count * cs);
        using var dGamma = new NativeFloats(parameters);
        using var dBeta = new NativeFloats(parameters);
        using var partials = new NativeFloats(Math.Max(BatchNormKernels.PartialsLength<Image20At3x3>(rows), LayerNormKernels.PartialsLength<Flat40>(layerRows)));
        using var weight = new NativeFloats(8 * cs);
        using var folded = new NativeFloats(8 * cs);

        void All()
        {
            BatchNormKernels.ForwardTraining<Image20At3x3, Silu>(pool, x.Buffer, gamma.Buffer, beta.Buffer, runningMean.Buffer, runningVar.Buffer,
                0.1f, 1e-5f, mean.Buffer, invStd.Buffer, partials.Buffer, dy.Buffer, z.Buffer, a.Buffer, rows);
            BatchNormKernels.Backward<Image20At3x3, Silu>(pool, dy.Buffer, a.Buffer, mean.Buffer, invStd.Buffer, gamma.Buffer, dGamma.Buffer,
                dBeta.Buffer, partials.Buffer, z.Buffer, dx.Buffer, rows);
            BatchNormKernels.ForwardInference<Image20At3x3, Relu>(pool, x.Buffer, gamma.Buffer, beta.Buffer, runningMean.Buffer, runningVar.Buffer,
                1e-5f, FloatBuffer.Null, a.Buffer, rows);
            BatchNormKernels.Fold(weight.Buffer, FloatBuffer.Null, 8, 20, cs, gamma.Buffer, beta.Buffer, runningMean.Buffer, runningVar.Buffer,
                1e-5f, folded.Buffer, dBeta.Buffer);
            LayerNormKernels.Forward<Flat40, Mish>(pool, x.Buffer, gamma.Buffer, beta.Buffer, 1e-5f, mean.Buffer, invStd.Buffer, z.Buffer, a.Buffer, layerRows);
            LayerNormKernels.Backward<Flat40, Mish>(pool, dy.Buffer, a.Buffer, mean.Buffer, invStd.Buffer, gamma.Buffer, dGamma.Buffer, dBeta.Buffer,
                partials.Buffer, z.Buffer, dx.Buffer, layerRows);
            ResidualKernels.Add<Image20At3x3, Elu>(pool, x.Buffer, dy.Buffer, z.Buffer, a.Buffer, rows);
            ResidualKernels.ActivationBackward<Image20At3x3, Elu>(pool, dy.Buffer, z.Buffer, a.Buffer, dx.Buffer, rows);
            ResidualKernels.AddGradient<Image20At3x3, Elu>(pool, dx.Buffer, dy.Buffer, z.Buffer, a.Buffer, rows);
        }

        All();
        long before = GC.GetAllocatedBytesForCurrentThread();
        All();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
