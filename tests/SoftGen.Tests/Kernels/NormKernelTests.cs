using System;
using System.Linq;
using SoftGen.Cpu;
using Xunit;
using static SoftGen.Tests.Kernels.NormReference;

namespace SoftGen.Tests.Kernels;

/// <summary>BatchNormKernels against float64 references written here: forward, running statistics, gradients, fold.</summary>
public unsafe class NormKernelTests
{
    private const float Epsilon = 1e-5f;
    private const float Momentum = 0.1f;

    [Fact]
    public void TrainingForwardMatchesFloat64()
    {
        TrainingForward<Image3At5x7, Identity>(nameof(Identity), rows: 3, withResidual: false);
        TrainingForward<Image20At3x3, Sigmoid>(nameof(Sigmoid), rows: 4, withResidual: true);
        TrainingForward<Flat10, Silu>(nameof(Silu), rows: 7, withResidual: false);
        TrainingForward<Flat40, Relu>(nameof(Relu), rows: 2, withResidual: true);
        TrainingForward<Image20At8x8, Mish>(nameof(Mish), rows: 40, withResidual: true); // several partitions
    }

    /// <summary>
    /// Channels at -1000, 0 and +1000 with unit spread: a one-pass E[x^2] - E[x]^2 in float would lose the variance.
    /// (y itself carries the rounding of x and of the float mean, about 3e-5 / std, hence its looser tolerance.)
    /// </summary>
    [Fact]
    public void StatisticsOfValuesFarFromZeroAreAccurate()
    {
        TrainingForward<Image20At8x8, Identity>(nameof(Identity), rows: 40, withResidual: false, offset: 1000f, valueTolerance: 2e-4);
        TrainingForward<Flat40, Identity>(nameof(Identity), rows: 9, withResidual: false, offset: 1000f, valueTolerance: 2e-4);
    }

    [Fact]
    public void InferenceForwardMatchesFloat64()
    {
        InferenceForward<Image3At5x7, Relu>(nameof(Relu), rows: 3, withResidual: true);
        InferenceForward<Image20At3x3, Sigmoid>(nameof(Sigmoid), rows: 2, withResidual: false);
        InferenceForward<Flat10, Elu>(nameof(Elu), rows: 5, withResidual: true);
    }

    [Fact]
    public void BackwardMatchesFiniteDifferences()
    {
        Backward<Image3At5x7, Identity>(nameof(Identity), rows: 3);
        Backward<Image20At3x3, Tanh>(nameof(Tanh), rows: 2);
        Backward<Flat10, Silu>(nameof(Silu), rows: 6);
        Backward<Flat40, Gelu>(nameof(Gelu), rows: 3);
    }

    [Fact]
    public void BackwardWithoutInputGradientWritesOnlyTheParameterGradients()
    {
        const int rows = 3, cs = 16, channels = 3;
        int count = rows * 35;
        var random = new Random(5);
        using var pool = new WorkerPool(2);
        using var x = Tensor(count, cs, channels, random);
        using var dy = Tensor(count, cs, channels, random);
        using var gamma = Channels(cs, channels, random, 0.5, 1.5);
        using var beta = Channels(cs, channels, random, -0.5, 0.5);
        using var runningMean = new NativeFloats(cs);
        using var runningVar = NativeFloats.Filled(cs, 1f);
        using var mean = new NativeFloats(cs);
        using var invStd = new NativeFloats(cs);
        using var a = new NativeFloats(count * cs);
        using var partials = new NativeFloats(BatchNormKernels.PartialsLength<Image3At5x7>(rows));
        using var dGamma = NativeFloats.Filled(cs, float.NaN);
        using var dBeta = NativeFloats.Filled(cs, float.NaN);
        BatchNormKernels.ForwardTraining<Image3At5x7, Identity>(pool, x.Buffer, gamma.Buffer, beta.Buffer, runningMean.Buffer, runningVar.Buffer,
            Momentum, Epsilon, mean.Buffer, invStd.Buffer, partials.Buffer, FloatBuffer.Null, FloatBuffer.Null, a.Buffer, rows);
        BatchNormKernels.Backward<Image3At5x7, Identity>(pool, dy.Buffer, x.Buffer, mean.Buffer, invStd.Buffer, gamma.Buffer,
            dGamma.Buffer, dBeta.Buffer, partials.Buffer, FloatBuffer.Null, FloatBuffer.Null, rows);

        var xs = ToDouble(x);
        var (m, v) = ChannelStatistics(xs, count, cs, channels);
        for (int c = 0; c < cs; c++)
        {
            double sumDy = 0, sumDyXhat = 0;
            for (int i = 0; c < channels && i < count; i++)
            {
                sumDy += dy[i * cs + c];
                sumDyXhat += dy[i * cs + c] * (xs[i * cs + c] - m[c]) / Math.Sqrt(v[c] + Epsilon);
            }
            AssertClose(sumDy, dBeta[c], 1e-5 * (1 + Math.Abs(sumDy)), $"dBeta[{c}]");
            AssertClose(sumDyXhat, dGamma[c], 1e-5 * (1 + Math.Abs(sumDyXhat)), $"dGamma[{c}]");
        }
    }

    [Fact]
    public void ResultsAreBitwiseTheSameForAnyThreadCount()
    {
        // 40 rows of 8x8 pixels of 32 floats: five partitions.
        Assert.Equal(5 * 2 * 32, BatchNormKernels.PartialsLength<Image20At8x8>(40));
        var one = RunAll<Image20At8x8, Silu>(threads: 1, rows: 40);
        foreach (int threads in new[] { 2, 3 })
        {
            var other = RunAll<Image20At8x8, Silu>(threads, rows: 40);
            for (int k = 0; k < one.Length; k++)
                Assert.True(one[k].AsSpan().SequenceEqual(other[k]), $"output {k} differs between 1 and {threads} threads");
        }
    }

    [Fact]
    public void FoldedDenseEqualsDenseThenBatchNorm()
    {
        foreach (bool withBias in new[] { true, false })
            foreach (bool inPlace in new[] { false, true })
                FoldDense(depth: 27, outChannels: 20, outStride: 32, rows: 6, withBias, inPlace);
    }

    [Fact]
    public void FoldedConvolutionEqualsConvolutionThenBatchNorm()
    {
        const int rows = 2;
        var random = new Random(11);
        int depth = 9 * 16, ocs = FoldConv.OutChannelStride, oc = FoldConv.OutChannels;
        int inCount = rows * 36, outCount = rows * 36;
        using var pool = new WorkerPool(2);
        using var x = Tensor(inCount, 16, FoldConv.InChannels, random);
        using var weight = new NativeFloats(depth * ocs);
        for (int d = 0; d < depth; d++)
            for (int o = 0; o < oc; o++)
                if (d % 16 < FoldConv.InChannels)
                    weight[d * ocs + o] = (float)(random.NextDouble() - 0.5);
        using var bias = Channels(ocs, oc, random, -0.3, 0.3);
        using var gamma = Channels(ocs, oc, random, 0.5, 1.5);
        using var beta = Channels(ocs, oc, random, -0.5, 0.5);
        using var runningMean = Channels(ocs, oc, random, -0.5, 0.5);
        using var runningVar = Channels(ocs, oc, random, 0.2, 2);
        using var foldedWeight = new NativeFloats(depth * ocs);
        using var foldedBias = new NativeFloats(ocs);
        using var y = new NativeFloats(outCount * ocs);
        BatchNormKernels.Fold(weight.Buffer, bias.Buffer, depth, oc, ocs, gamma.Buffer, beta.Buffer, runningMean.Buffer, runningVar.Buffer,
            Epsilon, foldedWeight.Buffer, foldedBias.Buffer);
        ConvKernels.Forward<FoldConv, Identity>(pool, x.Buffer, foldedWeight.Buffer, foldedBias.Buffer, FloatBuffer.Null, y.Buffer, rows);

        // Float64: the 3x3 convolution (padding 1) of x with the original weights and bias, then eval-mode batch norm.
        var expected = new double[outCount * ocs];
        for (int r = 0; r < rows; r++)
            for (int oy = 0; oy < 6; oy++)
                for (int ox = 0; ox < 6; ox++)
                    for (int o = 0; o < oc; o++)
                    {
                        double sum = bias[o];
                        for (int ky = 0; ky < 3; ky++)
                            for (int kx = 0; kx < 3; kx++)
                            {
                                int iy = oy + ky - 1, ix = ox + kx - 1;
                                if (iy < 0 || iy >= 6 || ix < 0 || ix >= 6)
                                    continue;
                                for (int c = 0; c < FoldConv.InChannels; c++)
                                    sum += (double)x[((r * 6 + iy) * 6 + ix) * 16 + c] * weight[((ky * 3 + kx) * 16 + c) * ocs + o];
                            }
                        int at = ((r * 6 + oy) * 6 + ox) * ocs + o;
                        expected[at] = gamma[o] * (sum - runningMean[o]) / Math.Sqrt(runningVar[o] + (double)Epsilon) + beta[o];
                    }
        AssertTensorClose(expected, y, outCount, ocs, oc, 2e-5, "conv then batch norm");
    }

    // ---- cases ----

    private static void TrainingForward<TShape, TAct>(string activation, int rows, bool withResidual, float offset = 0.7f, double valueTolerance = 1e-5)
        where TShape : struct, ISpatialShape where TAct : struct, IActivation
    {
        int cs = TShape.ChannelStride, channels = TShape.Channels, count = rows * TShape.Height * TShape.Width;
        var random = new Random(rows * 31 + channels);
        using var pool = new WorkerPool(2);
        using var x = Tensor(count, cs, channels, random, offset: offset);
        using var residual = Tensor(count, cs, channels, random);
        using var gamma = Channels(cs, channels, random, 0.5, 1.5);
        using var beta = Channels(cs, channels, random, -0.5, 0.5);
        using var runningMean = Channels(cs, channels, random, -0.5, 0.5);
        using var runningVar = Channels(cs, channels, random, 0.5, 2);
        var oldMean = ToDouble(runningMean);
        var oldVar = ToDouble(runningVar);
        using var mean = NativeFloats.Filled(cs, float.NaN);
        using var invStd = NativeFloats.Filled(cs, float.NaN);
        using var z = NativeFloats.Filled(count * cs, float.NaN);
        using var a = NativeFloats.Filled(count * cs, float.NaN);
        using var partials = new NativeFloats(BatchNormKernels.PartialsLength<TShape>(rows));

        BatchNormKernels.ForwardTraining<TShape, TAct>(pool, x.Buffer, gamma.Buffer, beta.Buffer, runningMean.Buffer, runningVar.Buffer,
            Momentum, Epsilon, mean.Buffer, invStd.Buffer, partials.Buffer, withResidual ? residual.Buffer : FloatBuffer.Null, z.Buffer, a.Buffer, rows);

        var xs = ToDouble(x);
        var (m, v) = ChannelStatistics(xs, count, cs, channels);
        var y = BatchNormWith(xs, count, cs, channels, ToDouble(gamma), ToDouble(beta), m, v, Epsilon);
        if (withResidual)
            for (int i = 0; i < y.Length; i++)
                y[i] += residual[i];
        string what = $"{typeof(TShape).Name} {activation}";
        AssertTensorClose(y, z, count, cs, channels, valueTolerance, $"{what} z");
        AssertTensorClose(Apply(activation, y, count, cs, channels), a, count, cs, channels, valueTolerance, $"{what} a");
        for (int c = 0; c < cs; c++)
        {
            if (c >= channels)
            {
                Assert.Equal((0f, 0f, 0f, 0f), (mean[c], invStd[c], runningMean[c], runningVar[c]));
                continue;
            }
            AssertClose(m[c], mean[c], 1e-6 * (1 + Math.Abs(m[c])), $"{what} mean[{c}]");
            AssertClose(1 / Math.Sqrt(v[c] + Epsilon), invStd[c], 1e-5 / Math.Sqrt(v[c] + Epsilon), $"{what} invStd[{c}]");
            double unbiased = v[c] * count / (count - 1);
            AssertClose(0.9 * oldMean[c] + 0.1 * m[c], runningMean[c], 1e-6 * (1 + Math.Abs(m[c])), $"{what} running mean[{c}]");
            AssertClose(0.9 * oldVar[c] + 0.1 * unbiased, runningVar[c], 1e-6 * (1 + oldVar[c]), $"{what} running var[{c}]");
        }
    }

    private static void InferenceForward<TShape, TAct>(string activation, int rows, bool withResidual)
        where TShape : struct, ISpatialShape where TAct : struct, IActivation
    {
        int cs = TShape.ChannelStride, channels = TShape.Channels, count = rows * TShape.Height * TShape.Width;
        var random = new Random(rows * 17 + channels);
        using var pool = new WorkerPool(2);
        using var x = Tensor(count, cs, channels, random);
        using var residual = Tensor(count, cs, channels, random);
        using var gamma = Channels(cs, channels, random, 0.5, 1.5);
        using var beta = Channels(cs, channels, random, -0.5, 0.5);
        using var runningMean = Channels(cs, channels, random, -0.5, 0.5);
        using var runningVar = Channels(cs, channels, random, 0.2, 2);
        using var a = NativeFloats.Filled(count * cs, float.NaN);

        BatchNormKernels.ForwardInference<TShape, TAct>(pool, x.Buffer, gamma.Buffer, beta.Buffer, runningMean.Buffer, runningVar.Buffer,
            Epsilon, withResidual ? residual.Buffer : FloatBuffer.Null, a.Buffer, rows);

        var y = BatchNormWith(ToDouble(x), count, cs, channels, ToDouble(gamma), ToDouble(beta), ToDouble(runningMean), ToDouble(runningVar), Epsilon);
        if (withResidual)
            for (int i = 0; i < y.Length; i++)
                y[i] += residual[i];
        AssertTensorClose(Apply(activation, y, count, cs, channels), a, count, cs, channels, 1e-5, $"{typeof(TShape).Name} {activation} a");
    }

    /// <summary>
    /// Loss = sum w a(BN(prevAct(prevZ))) in float64. The kernel gets dy = w (identity after the norm), x = prevAct(prevZ)
    /// and must return dLoss/dprevZ, dLoss/dgamma and dLoss/dbeta, checked against central differences.
    /// </summary>
    private static void Backward<TShape, TPrevAct>(string prevActivation, int rows)
        where TShape : struct, ISpatialShape where TPrevAct : struct, IActivation
    {
        int cs = TShape.ChannelStride, channels = TShape.Channels, count = rows * TShape.Height * TShape.Width;
        var random = new Random(rows * 7 + channels);
        using var pool = new WorkerPool(2);
        using var prevZ = Tensor(count, cs, channels, random);
        using var x = new NativeFloats(count * cs);
        for (int i = 0; i < count; i++)
            for (int c = 0; c < channels; c++)
                x[i * cs + c] = TPrevAct.Apply(prevZ[i * cs + c]);
        using var w = Tensor(count, cs, channels, random, 1f, 0f);
        using var gamma = Channels(cs, channels, random, 0.5, 1.5);
        using var beta = Channels(cs, channels, random, -0.5, 0.5);
        using var runningMean = new NativeFloats(cs);
        using var runningVar = NativeFloats.Filled(cs, 1f);
        using var mean = new NativeFloats(cs);
        using var invStd = new NativeFloats(cs);
        using var a = new NativeFloats(count * cs);
        using var partials = new NativeFloats(BatchNormKernels.PartialsLength<TShape>(rows));
        using var dGamma = NativeFloats.Filled(cs, float.NaN);
        using var dBeta = NativeFloats.Filled(cs, float.NaN);
        using var dx = NativeFloats.Filled(count * cs, float.NaN);
        BatchNormKernels.ForwardTraining<TShape, Identity>(pool, x.Buffer, gamma.Buffer, beta.Buffer, runningMean.Buffer, runningVar.Buffer,
            Momentum, Epsilon, mean.Buffer, invStd.Buffer, partials.Buffer, FloatBuffer.Null, FloatBuffer.Null, a.Buffer, rows);
        BatchNormKernels.Backward<TShape, TPrevAct>(pool, w.Buffer, x.Buffer, mean.Buffer, invStd.Buffer, gamma.Buffer, dGamma.Buffer, dBeta.Buffer,
            partials.Buffer, TPrevAct.NeedsPreActivation ? prevZ.Buffer : FloatBuffer.Null, dx.Buffer, rows);

        var zs = ToDouble(prevZ);
        var g = ToDouble(gamma);
        var b = ToDouble(beta);
        var ws = ToDouble(w);
        double Loss(double[] z, double[] gm, double[] bt)
        {
            var input = new double[z.Length];
            for (int i = 0; i < count; i++)
                for (int c = 0; c < channels; c++)
                    input[i * cs + c] = Reference.Apply(prevActivation, z[i * cs + c]);
            var y = BatchNormTraining(input, count, cs, channels, gm, bt, Epsilon);
            double loss = 0;
            for (int i = 0; i < y.Length; i++)
                loss += ws[i] * y[i];
            return loss;
        }
        double Difference(double[] values, int at, Func<double> loss)
        {
            const double h = 1e-5;
            double keep = values[at];
            values[at] = keep + h;
            double up = loss();
            values[at] = keep - h;
            double down = loss();
            values[at] = keep;
            return (up - down) / (2 * h);
        }

        string what = $"{typeof(TShape).Name} {prevActivation}";
        for (int c = 0; c < channels; c++)
        {
            AssertClose(Difference(g, c, () => Loss(zs, g, b)), dGamma[c], 1e-4, $"{what} dGamma[{c}]");
            AssertClose(Difference(b, c, () => Loss(zs, g, b)), dBeta[c], 1e-4, $"{what} dBeta[{c}]");
        }
        for (int c = channels; c < cs; c++)
            Assert.Equal((0f, 0f), (dGamma[c], dBeta[c]));
        var expected = new double[count * cs];
        for (int i = 0; i < count; i++)
            for (int c = 0; c < channels; c++)
                expected[i * cs + c] = Difference(zs, i * cs + c, () => Loss(zs, g, b));
        AssertTensorClose(expected, dx, count, cs, channels, 1e-4, $"{what} dx");
    }

    /// <summary>Training forward then backward with <paramref name="threads"/> threads; every output, for a bitwise comparison.</summary>
    private static float[][] RunAll<TShape, TAct>(int threads, int rows) where TShape : struct, ISpatialShape where TAct : struct, IActivation
    {
        int cs = TShape.ChannelStride, channels = TShape.Channels, count = rows * TShape.Height * TShape.Width;
        var random = new Random(3);
        using var pool = new WorkerPool(threads);
        using var x = Tensor(count, cs, channels, random);
        using var dy = Tensor(count, cs, channels, random);
        using var gamma = Channels(cs, channels, random, 0.5, 1.5);
        using var beta = Channels(cs, channels, random, -0.5, 0.5);
        using var runningMean = new NativeFloats(cs);
        using var runningVar = NativeFloats.Filled(cs, 1f);
        using var mean = new NativeFloats(cs);
        using var invStd = new NativeFloats(cs);
        using var z = new NativeFloats(count * cs);
        using var a = new NativeFloats(count * cs);
        using var partials = new NativeFloats(BatchNormKernels.PartialsLength<TShape>(rows));
        using var dGamma = new NativeFloats(cs);
        using var dBeta = new NativeFloats(cs);
        using var dx = new NativeFloats(count * cs);
        using var prediction = new NativeFloats(count * cs);
        BatchNormKernels.ForwardTraining<TShape, TAct>(pool, x.Buffer, gamma.Buffer, beta.Buffer, runningMean.Buffer, runningVar.Buffer,
            Momentum, Epsilon, mean.Buffer, invStd.Buffer, partials.Buffer, FloatBuffer.Null, z.Buffer, a.Buffer, rows);
        BatchNormKernels.Backward<TShape, TAct>(pool, dy.Buffer, a.Buffer, mean.Buffer, invStd.Buffer, gamma.Buffer, dGamma.Buffer, dBeta.Buffer,
            partials.Buffer, z.Buffer, dx.Buffer, rows);
        BatchNormKernels.ForwardInference<TShape, TAct>(pool, x.Buffer, gamma.Buffer, beta.Buffer, runningMean.Buffer, runningVar.Buffer,
            Epsilon, FloatBuffer.Null, prediction.Buffer, rows);
        return new[] { z, a, mean, invStd, runningMean, runningVar, dGamma, dBeta, dx, prediction }.Select(b => b.Span.ToArray()).ToArray();
    }

    private static void FoldDense(int depth, int outChannels, int outStride, int rows, bool withBias, bool inPlace)
    {
        var random = new Random(depth + outChannels);
        using var x = NativeFloats.Random(rows, depth, depth, random);
        using var weight = NativeFloats.Random(depth, outStride, outChannels, random, 0.5f);
        using var bias = Channels(outStride, outChannels, random, -0.3, 0.3);
        using var gamma = Channels(outStride, outChannels, random, 0.5, 1.5);
        using var beta = Channels(outStride, outChannels, random, -0.5, 0.5);
        using var runningMean = Channels(outStride, outChannels, random, -0.5, 0.5);
        using var runningVar = Channels(outStride, outChannels, random, 0.2, 2);
        var originalWeight = ToDouble(weight);
        var originalBias = withBias ? ToDouble(bias) : new double[outStride];
        using var foldedWeightBuffer = new NativeFloats(depth * outStride);
        using var foldedBiasBuffer = NativeFloats.Filled(outStride, float.NaN);
        var foldedWeight = inPlace ? weight : foldedWeightBuffer;
        var foldedBias = inPlace && withBias ? bias : foldedBiasBuffer;
        BatchNormKernels.Fold(weight.Buffer, withBias ? bias.Buffer : FloatBuffer.Null, depth, outChannels, outStride, gamma.Buffer, beta.Buffer,
            runningMean.Buffer, runningVar.Buffer, Epsilon, foldedWeight.Buffer, foldedBias.Buffer);

        string what = $"fold (bias {withBias}, in place {inPlace})";
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outChannels; o++)
            {
                double dense = originalBias[o], folded = foldedBias[o];
                for (int d = 0; d < depth; d++)
                {
                    dense += x[r * depth + d] * originalWeight[d * outStride + o];
                    folded += (double)x[r * depth + d] * foldedWeight[d * outStride + o];
                }
                double expected = gamma[o] * (dense - runningMean[o]) / Math.Sqrt(runningVar[o] + (double)Epsilon) + beta[o];
                AssertClose(expected, (float)folded, 1e-5 * (1 + Math.Abs(expected)), $"{what} [{r}, {o}]");
            }
        AssertPaddingZero(foldedWeight, depth, outStride, outChannels, $"{what} weight");
        AssertPaddingZero(foldedBias, 1, outStride, outChannels, $"{what} bias");
    }

    private readonly struct FoldConv : IConvShape
    {
        public static int InChannels => 5;
        public static int InChannelStride => 16;
        public static int InHeight => 6;
        public static int InWidth => 6;
        public static int OutChannels => 20;
        public static int OutChannelStride => 32;
        public static int OutHeight => 6;
        public static int OutWidth => 6;
        public static int KernelHeight => 3;
        public static int KernelWidth => 3;
        public static int StrideHeight => 1;
        public static int StrideWidth => 1;
        public static int PaddingHeight => 1;
        public static int PaddingWidth => 1;
        public static int DilationHeight => 1;
        public static int DilationWidth => 1;
        public static int Groups => 1;
    }
}
