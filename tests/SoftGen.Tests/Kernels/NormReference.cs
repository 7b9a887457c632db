using System;
using SoftGen.Cpu;

namespace SoftGen.Tests.Kernels;

/// <summary>Float64 normalization references over tensors [count, stride] with the first <c>channels</c> of each row real.</summary>
internal static class NormReference
{
    /// <summary>Per channel: the mean and the biased variance over the count rows.</summary>
    public static (double[] Mean, double[] Variance) ChannelStatistics(double[] x, int count, int stride, int channels)
    {
        var mean = new double[channels];
        var variance = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int i = 0; i < count; i++)
                sum += x[i * stride + c];
            mean[c] = sum / count;
            double squares = 0;
            for (int i = 0; i < count; i++)
                squares += (x[i * stride + c] - mean[c]) * (x[i * stride + c] - mean[c]);
            variance[c] = squares / count;
        }
        return (mean, variance);
    }

    /// <summary>Training-mode batch norm: y = gamma (x - mean) / sqrt(var + eps) + beta with the batch's statistics.</summary>
    public static double[] BatchNormTraining(double[] x, int count, int stride, int channels, double[] gamma, double[] beta, double eps)
    {
        var (mean, variance) = ChannelStatistics(x, count, stride, channels);
        return BatchNormWith(x, count, stride, channels, gamma, beta, mean, variance, eps);
    }

    public static double[] BatchNormWith(double[] x, int count, int stride, int channels, double[] gamma, double[] beta,
        double[] mean, double[] variance, double eps)
    {
        var y = new double[x.Length];
        for (int i = 0; i < count; i++)
            for (int c = 0; c < channels; c++)
                y[i * stride + c] = gamma[c] * (x[i * stride + c] - mean[c]) / Math.Sqrt(variance[c] + eps) + beta[c];
        return y;
    }

    /// <summary>Layer norm per row over its real features.</summary>
    public static double[] LayerNorm(double[] x, int rows, int stride, int features, double[] gamma, double[] beta, double eps)
    {
        var y = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            double mean = 0, squares = 0;
            for (int c = 0; c < features; c++)
                mean += x[r * stride + c];
            mean /= features;
            for (int c = 0; c < features; c++)
                squares += (x[r * stride + c] - mean) * (x[r * stride + c] - mean);
            double invStd = 1 / Math.Sqrt(squares / features + eps);
            for (int c = 0; c < features; c++)
                y[r * stride + c] = gamma[c] * (x[r * stride + c] - mean) * invStd + beta[c];
        }
        return y;
    }

    public static double[] Apply(string activation, double[] z, int count, int stride, int channels)
    {
        var a = new double[z.Length];
        for (int i = 0; i < count; i++)
            for (int c = 0; c < channels; c++)
                a[i * stride + c] = Reference.Apply(activation, z[i * stride + c]);
        return a;
    }

    public static double[] ToDouble(NativeFloats buffer)
    {
        var values = new double[buffer.Length];
        for (int i = 0; i < values.Length; i++)
            values[i] = buffer[i];
        return values;
    }

    /// <summary>Random values in the real channels, a per-channel offset, padding 0.</summary>
    public static NativeFloats Tensor(int count, int stride, int channels, Random random, float scale = 1.5f, float offset = 0.7f)
    {
        var buffer = new NativeFloats(count * stride);
        for (int i = 0; i < count; i++)
            for (int c = 0; c < channels; c++)
                buffer[i * stride + c] = (float)((random.NextDouble() * 2 - 1) * scale + offset * (c % 3 - 1));
        return buffer;
    }

    /// <summary>A per-channel vector of random values in [low, high), padding 0.</summary>
    public static NativeFloats Channels(int stride, int channels, Random random, double low, double high)
    {
        var buffer = new NativeFloats(stride);
        for (int c = 0; c < channels; c++)
            buffer[c] = (float)(low + random.NextDouble() * (high - low));
        return buffer;
    }

    /// <summary>Every float of each row from <paramref name="channels"/> on is exactly 0.</summary>
    public static void AssertPaddingZero(NativeFloats buffer, int count, int stride, int channels, string what)
    {
        for (int i = 0; i < count; i++)
            for (int c = channels; c < stride; c++)
                if (buffer[i * stride + c] != 0f)
                    throw new Xunit.Sdk.XunitException($"{what}: padding [{i}, {c}] is {buffer[i * stride + c]:R}");
    }

    public static void AssertClose(double expected, float actual, double tolerance, string what)
    {
        if (!(Math.Abs(actual - expected) <= tolerance))
            throw new Xunit.Sdk.XunitException($"{what}: {actual:R}, float64 {expected:R} (tolerance {tolerance:G3})");
    }

    public static void AssertTensorClose(double[] expected, NativeFloats actual, int count, int stride, int channels, double tolerance, string what)
    {
        for (int i = 0; i < count; i++)
            for (int c = 0; c < channels; c++)
            {
                double e = expected[i * stride + c];
                AssertClose(e, actual[i * stride + c], tolerance * (1 + Math.Abs(e)), $"{what}[{i}, {c}]");
            }
        AssertPaddingZero(actual, count, stride, channels, what);
    }
}
