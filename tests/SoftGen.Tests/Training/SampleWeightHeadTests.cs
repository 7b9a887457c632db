using System;
using SoftGen.Cpu;
using SoftGen.Tests.Kernels;
using Xunit;

namespace SoftGen.Tests.Training;

internal readonly struct WeightedClasses5 : IDenseShape { public static int In => 1; public static int InStride => 16; public static int Out => 5; public static int OutStride => 16; }
internal readonly struct WeightedPixels3x2 : ISpatialShape { public static int Channels => 4; public static int ChannelStride => 16; public static int Height => 3; public static int Width => 2; }

/// <summary>
/// The weighted loss heads, flat and per pixel, against a float64 re-derivation written here from the definitions:
/// loss = mean_r(s_r l_r), l_r the row's unweighted loss (a per-pixel row's mean over its pixels, a sigmoid row's mean
/// over its classes, softmax CE with its T^2), and dLogits of row r = s_r times the unweighted row's. Then: no weights
/// and weights of exactly 1 give the same dLogits bit for bit.
/// </summary>
public sealed unsafe class SampleWeightHeadTests
{
    public enum Head { SoftmaxCrossEntropy, KLDivergence, SigmoidCrossEntropy }

    private const float Smoothing = 0.1f, Temperature = 2f;

    // Row weights as the heads get them (s_r): a zero, fractions, one above 2; they need not average 1 here.
    private static readonly float[] RowWeights = { 0.5f, 0f, 2.25f, 1f, 0.25f, 1.75f };

    public static TheoryData<Head, bool> Cases()
    {
        var data = new TheoryData<Head, bool>();
        foreach (var head in new[] { Head.SoftmaxCrossEntropy, Head.KLDivergence, Head.SigmoidCrossEntropy })
        {
            data.Add(head, false);
            data.Add(head, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Weighted_loss_and_dLogits_match_the_float64_definition(Head head, bool perPixel)
    {
        int rows = RowWeights.Length;
        var random = new Random(31 + (int)head * 2 + (perPixel ? 1 : 0));
        using var c = new Case(head, perPixel, rows, random);
        using var weights = new NativeFloats(rows);
        RowWeights.CopyTo(weights.Span);

        float loss = c.Invoke(weights.Pointer);
        var (expectedLoss, expectedGradient) = c.Expected(RowWeights);

        Assert.True(Math.Abs(loss - expectedLoss) <= 1e-5 * Math.Abs(expectedLoss) + 1e-7, $"loss {loss:R}, float64 {expectedLoss:R}");
        double scale = 0;
        foreach (var g in expectedGradient) scale = Math.Max(scale, Math.Abs(g));
        for (int unit = 0; unit < c.Units; unit++)
            for (int k = 0; k < c.Stride; k++)
            {
                float actual = c.DLogits[unit * c.Stride + k];
                if (k >= c.Classes)
                {
                    Assert.Equal(0f, actual); // padding
                    continue;
                }
                double expected = expectedGradient[unit * c.Classes + k];
                if (!(Math.Abs(actual - expected) <= 1e-5 * Math.Abs(expected) + 1e-6 * scale))
                    Assert.Fail($"dLogits of unit {unit}, class {k}: {actual:R}, float64 {expected:R}");
            }
        // A row of weight 0 gets no gradient at all.
        for (int unit = c.Units / rows; unit < 2 * c.Units / rows; unit++)
            for (int k = 0; k < c.Stride; k++)
                Assert.Equal(0f, c.DLogits[unit * c.Stride + k]);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Weights_of_one_give_the_unweighted_dLogits_bit_for_bit(Head head, bool perPixel)
    {
        int rows = 5;
        using var c = new Case(head, perPixel, rows, new Random(7 + (int)head));
        float unweighted = c.Invoke(null);
        var expected = c.DLogits.Span.ToArray();
        using var ones = NativeFloats.Filled(rows, 1f);
        c.DLogits.Span.Fill(float.NaN);
        float weighted = c.Invoke(ones.Pointer);

        Assert.True(expected.AsSpan().SequenceEqual(c.DLogits.Span));
        // The flat softmax heads add each row's loss once either way; the others sum in another order when weighted.
        if (!perPixel && head != Head.SigmoidCrossEntropy) Assert.Equal(unweighted, weighted);
        else Assert.Equal(unweighted, weighted, 1e-6f * Math.Abs(unweighted));
    }

    /// <summary>Random logits and targets for one head: rows x units per row (pixels, or 1) of Classes values.</summary>
    private sealed class Case : IDisposable
    {
        private readonly Head _head;
        private readonly bool _perPixel;
        private readonly int _rows;
        private readonly NativeFloats _logits, _targets;

        public Case(Head head, bool perPixel, int rows, Random random)
        {
            _head = head;
            _perPixel = perPixel;
            _rows = rows;
            Classes = perPixel ? WeightedPixels3x2.Channels : WeightedClasses5.Out;
            Stride = 16;
            Pixels = perPixel ? WeightedPixels3x2.Height * WeightedPixels3x2.Width : 1;
            Units = rows * Pixels;
            _logits = NativeFloats.Random(Units, Stride, Classes, random, 4f);
            // Targets: per unit a distribution with some exact zeros, or per-class values; NCHW per row when per pixel.
            _targets = new NativeFloats(Units * Classes);
            for (int unit = 0; unit < Units; unit++)
            {
                var y = new double[Classes];
                double sum = 0;
                for (int k = 0; k < Classes; k++) sum += y[k] = random.Next(3) == 0 ? 0 : random.NextDouble();
                if (head != Head.SigmoidCrossEntropy)
                {
                    if (sum == 0) sum = y[0] = 1;
                    for (int k = 0; k < Classes; k++) y[k] /= sum;
                }
                for (int k = 0; k < Classes; k++) _targets[TargetIndex(unit, k)] = (float)y[k];
            }
            DLogits = NativeFloats.Filled(Units * Stride, float.NaN);
        }

        public void Dispose()
        {
            _logits.Dispose();
            _targets.Dispose();
            DLogits.Dispose();
        }

        public int Classes { get; }
        public int Stride { get; }
        public int Pixels { get; }
        public int Units { get; }
        public NativeFloats DLogits { get; }

        /// <summary>Where class k of unit (row x pixel) sits in the targets: dense per row, or NCHW.</summary>
        private int TargetIndex(int unit, int k) =>
            _perPixel ? (unit / Pixels * Classes + k) * Pixels + unit % Pixels : unit * Classes + k;

        public float Invoke(float* weights)
        {
            float* z = _logits.Pointer, y = _targets.Pointer, g = DLogits.Pointer;
            return (_head, _perPixel) switch
            {
                (Head.SoftmaxCrossEntropy, false) => HeadKernels.SoftmaxCrossEntropy<WeightedClasses5>(z, y, weights, g, _rows, Smoothing, Temperature),
                (Head.KLDivergence, false) => HeadKernels.KLDivergence<WeightedClasses5>(z, y, weights, g, _rows),
                (Head.SigmoidCrossEntropy, false) => HeadKernels.SigmoidCrossEntropy<WeightedClasses5>(z, y, weights, g, _rows),
                (Head.SoftmaxCrossEntropy, true) => ConvHeadKernels.SoftmaxCrossEntropy<WeightedPixels3x2>(z, y, weights, g, _rows, Smoothing, Temperature),
                (Head.KLDivergence, true) => ConvHeadKernels.KLDivergence<WeightedPixels3x2>(z, y, weights, g, _rows),
                _ => ConvHeadKernels.SigmoidCrossEntropy<WeightedPixels3x2>(z, y, weights, g, _rows),
            };
        }

        /// <summary>The weighted loss and dLogits [units, Classes] in double, from the definitions.</summary>
        public (double Loss, double[] Gradient) Expected(float[] s)
        {
            var gradient = new double[Units * Classes];
            double loss = 0;
            for (int r = 0; r < _rows; r++)
            {
                double rowLoss = 0; // the mean over the row's pixels of the pixel's loss
                for (int p = 0; p < Pixels; p++)
                {
                    int unit = r * Pixels + p;
                    var z = new double[Classes];
                    var y = new double[Classes];
                    for (int k = 0; k < Classes; k++)
                    {
                        z[k] = _logits[unit * Stride + k];
                        y[k] = _targets[TargetIndex(unit, k)];
                    }
                    var (unitLoss, dUnit) = UnitLoss(z, y);
                    rowLoss += unitLoss / Pixels;
                    // d(mean_r s_r mean_p l_rp) / dz_rp = s_r dl_rp / (rows pixels)
                    for (int k = 0; k < Classes; k++) gradient[unit * Classes + k] = s[r] * dUnit[k] / ((double)_rows * Pixels);
                }
                loss += s[r] * rowLoss / _rows;
            }
            return (loss, gradient);
        }

        /// <summary>One unit's loss and its derivative by its logits.</summary>
        private (double Loss, double[] D) UnitLoss(double[] z, double[] y)
        {
            int classes = z.Length;
            var d = new double[classes];
            double loss = 0;
            switch (_head)
            {
                case Head.SoftmaxCrossEntropy:
                {
                    // T^2 * -sum y' log softmax(z / T), y' = (1 - e) y + e / C; d/dz = T (softmax(z / T) - y') (y' sums to 1).
                    var q = Softmax(z, Temperature);
                    for (int k = 0; k < classes; k++)
                    {
                        double target = (1 - Smoothing) * y[k] + Smoothing / classes;
                        if (target != 0) loss -= Temperature * Temperature * target * Math.Log(q[k]);
                        d[k] = Temperature * (q[k] - target);
                    }
                    break;
                }
                case Head.KLDivergence:
                {
                    var q = Softmax(z, 1);
                    for (int k = 0; k < classes; k++)
                    {
                        if (y[k] != 0) loss += y[k] * (Math.Log(y[k]) - Math.Log(q[k]));
                        d[k] = q[k] - y[k];
                    }
                    break;
                }
                default:
                    // The mean over the classes of -y log sigma(z) - (1 - y) log(1 - sigma(z)).
                    for (int k = 0; k < classes; k++)
                    {
                        double sigma = 1 / (1 + Math.Exp(-z[k]));
                        loss += (-y[k] * Math.Log(sigma) - (1 - y[k]) * Math.Log(1 - sigma)) / classes;
                        d[k] = (sigma - y[k]) / classes;
                    }
                    break;
            }
            return (loss, d);
        }

        private static double[] Softmax(double[] z, double t)
        {
            double max = double.NegativeInfinity;
            foreach (var v in z) max = Math.Max(max, v / t);
            var q = new double[z.Length];
            double sum = 0;
            for (int k = 0; k < z.Length; k++) sum += q[k] = Math.Exp(z[k] / t - max);
            for (int k = 0; k < z.Length; k++) q[k] /= sum;
            return q;
        }
    }
}
