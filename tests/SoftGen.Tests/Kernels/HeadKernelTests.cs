using System;
using SoftGen.Cpu;
using Xunit;

namespace SoftGen.Tests.Kernels;

internal readonly struct Classes2 : IDenseShape { public static int In => 1; public static int InStride => 16; public static int Out => 2; public static int OutStride => 16; }
internal readonly struct Classes4 : IDenseShape { public static int In => 1; public static int InStride => 16; public static int Out => 4; public static int OutStride => 16; }

public unsafe class HeadKernelTests
{
    private enum Head { SoftmaxCrossEntropy, KLDivergence, SigmoidCrossEntropy }

    // ---- hand-computed cases ----

    [Fact]
    public void CrossEntropyOfEqualLogitsIsLn2()
    {
        var (loss, gradient) = Run<Classes2>(Head.SoftmaxCrossEntropy, new[] { 0f, 0f }, new[] { 1f, 0f });
        Assert.Equal(Math.Log(2), loss, 6);
        Assert.Equal(-0.5f, gradient[0], 6);
        Assert.Equal(0.5f, gradient[1], 6);
    }

    [Fact]
    public void LabelSmoothingOfUniformLogitsKeepsLnC()
    {
        // Any smoothed target sums to 1, and log softmax of equal logits is -ln 4 everywhere.
        var (loss, gradient) = Run<Classes4>(Head.SoftmaxCrossEntropy, new[] { 3f, 3f, 3f, 3f }, new[] { 0f, 1f, 0f, 0f }, labelSmoothing: 0.1f);
        Assert.Equal(Math.Log(4), loss, 6);
        // y' = 0.9 y + 0.025.
        Assert.Equal(0.25f - 0.025f, gradient[0], 6);
        Assert.Equal(0.25f - 0.925f, gradient[1], 6);
    }

    [Fact]
    public void TemperatureScalesTheLossByTSquaredAndTheGradientByT()
    {
        // z / T = [1, 0]: CE = log(1 + e^-1); loss = 4 CE; dLogits = 2 (softmax([1, 0]) - y).
        var (loss, gradient) = Run<Classes2>(Head.SoftmaxCrossEntropy, new[] { 2f, 0f }, new[] { 1f, 0f }, temperature: 2f);
        double p = 1 / (1 + Math.Exp(-1));
        Assert.Equal(4 * Math.Log(1 + Math.Exp(-1)), loss, 6);
        Assert.Equal(2 * (p - 1), gradient[0], 6);
        Assert.Equal(2 * (1 - p), gradient[1], 6);
    }

    [Fact]
    public void CrossEntropyAveragesOverRows()
    {
        // Row 0 as above (ln 2); row 1 certain and right (about 0).
        var (loss, gradient) = Run<Classes2>(Head.SoftmaxCrossEntropy, new[] { 0f, 0f, 30f, -30f }, new[] { 1f, 0f, 1f, 0f });
        Assert.Equal(Math.Log(2) / 2, loss, 6);
        Assert.Equal(-0.25f, gradient[0], 6);
        Assert.Equal(0f, gradient[16], 6);
    }

    [Fact]
    public void KLDivergenceHandCases()
    {
        Assert.Equal(Math.Log(2), Run<Classes2>(Head.KLDivergence, new[] { 0f, 0f }, new[] { 1f, 0f }).Loss, 6);
        var (zero, gradient) = Run<Classes2>(Head.KLDivergence, new[] { 0f, 0f }, new[] { 0.5f, 0.5f });
        Assert.Equal(0, zero, 7);
        Assert.Equal(0f, gradient[0], 7);

        // p = [0.75, 0.25], y = [0.5, 0.5]: 0.5 ln(0.5 / 0.75) + 0.5 ln(0.5 / 0.25) = 0.5 ln(4 / 3).
        var (loss, g) = Run<Classes2>(Head.KLDivergence, new[] { MathF.Log(3), 0f }, new[] { 0.5f, 0.5f });
        Assert.Equal(0.5 * Math.Log(4.0 / 3), loss, 6);
        Assert.Equal(0.25f, g[0], 6);
        Assert.Equal(-0.25f, g[1], 6);
    }

    [Fact]
    public void SigmoidCrossEntropyHandCases()
    {
        var (half, gradient) = Run<Classes2>(Head.SigmoidCrossEntropy, new[] { 0f, 0f }, new[] { 0.5f, 0.5f });
        Assert.Equal(Math.Log(2), half, 6);
        Assert.Equal(0f, gradient[0]);

        // mean(log(1 + e^-2), log(1 + e^-1)); dLogits = (sigmoid(z) - y) / 2.
        var (loss, g) = Run<Classes2>(Head.SigmoidCrossEntropy, new[] { 2f, -1f }, new[] { 1f, 0f });
        Assert.Equal((Math.Log(1 + Math.Exp(-2)) + Math.Log(1 + Math.Exp(-1))) / 2, loss, 6);
        Assert.Equal((1 / (1 + Math.Exp(-2)) - 1) / 2, g[0], 6);
        Assert.Equal(1 / (1 + Math.Exp(1)) / 2, g[1], 6);
    }

    [Fact]
    public void SigmoidCrossEntropyKeepsTinyLosses()
    {
        // log(1 + e^-30) = e^-30 - e^-60 / 2 + ... = 9.3576e-14: MathF.Log(1 + e) gives 0, even Math.Log(1 + e) is 0.1% off.
        var (loss, _) = Run<Classes2>(Head.SigmoidCrossEntropy, new[] { 30f, -30f }, new[] { 1f, 0f });
        Assert.Equal(Math.Exp(-30), loss, 1e-6 * Math.Exp(-30));
    }

    // ---- against float64 references ----

    [Theory]
    [InlineData(1, 0f, 1f)]
    [InlineData(7, 0.1f, 1f)]
    [InlineData(64, 0f, 3f)]
    [InlineData(13, 0.2f, 0.5f)]
    public void SoftmaxCrossEntropyMatchesFloat64(int rows, float smoothing, float temperature)
    {
        Compare<Hidden256x10>(Head.SoftmaxCrossEntropy, rows, smoothing, temperature);
        Compare<Hidden48x17>(Head.SoftmaxCrossEntropy, rows, smoothing, temperature);
        Compare<Classes2>(Head.SoftmaxCrossEntropy, rows, smoothing, temperature);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    public void KLDivergenceAndSigmoidCrossEntropyMatchFloat64(int rows)
    {
        Compare<Hidden256x10>(Head.KLDivergence, rows);
        Compare<Hidden48x17>(Head.KLDivergence, rows);
        Compare<Hidden10x1>(Head.SigmoidCrossEntropy, rows);
        Compare<Hidden48x17>(Head.SigmoidCrossEntropy, rows);
    }

    [Fact]
    public void GradientsAreTheLossesFiniteDifferences()
    {
        // Central differences of the float64 loss at the kernel's logits: the documented gradient formulas are the
        // gradients of the documented losses (T scaling and smoothing included).
        CheckFiniteDifferences<Hidden48x17>(Head.SoftmaxCrossEntropy, 0.1f, 2.5f);
        CheckFiniteDifferences<Hidden48x17>(Head.SoftmaxCrossEntropy, 0f, 1f);
        CheckFiniteDifferences<Hidden48x17>(Head.KLDivergence, 0f, 1f);
        CheckFiniteDifferences<Hidden48x17>(Head.SigmoidCrossEntropy, 0f, 1f);
    }

    [Fact]
    public void AdversarialLogitsGiveFiniteLossesAndGradients()
    {
        float[][] logitRows =
        {
            new[] { 1e4f, -1e4f, 0f, 0f },
            new[] { -1e4f, -1e4f, -1e4f, -1e4f },
            new[] { 1e4f, 1e4f, 1e4f, 1e4f },
            new[] { 0f, 0f, 0f, 0f },
            new[] { 88f, -88f, 1e4f, -1e4f },
        };
        float[][] targetRows =
        {
            new[] { 0f, 1f, 0f, 0f },
            new[] { 1f, 0f, 0f, 0f },
            new[] { 0.5f, 0.5f, 0f, 0f },
            new[] { 0f, 0f, 0f, 1f },
            new[] { 0f, 0f, 0f, 1f },
        };
        foreach (var logits in logitRows)
            foreach (var targets in targetRows)
                foreach (var (head, smoothing, temperature) in new[]
                {
                    (Head.SoftmaxCrossEntropy, 0f, 1f), (Head.SoftmaxCrossEntropy, 0.1f, 0.5f), (Head.SoftmaxCrossEntropy, 0f, 4f),
                    (Head.KLDivergence, 0f, 1f), (Head.SigmoidCrossEntropy, 0f, 1f),
                })
                {
                    var (loss, gradient) = Run<Classes4>(head, logits, targets, smoothing, temperature);
                    string what = $"{head} e={smoothing} T={temperature} z=[{string.Join(", ", logits)}] y=[{string.Join(", ", targets)}]";
                    Assert.True(double.IsFinite(loss) && loss >= -1e-6, $"{what}: loss {loss}");
                    Assert.All(gradient, g => Assert.True(float.IsFinite(g), $"{what}: gradient {g}"));
                }

        // The loss of a confident mistake is its margin.
        Assert.Equal(2e4, Run<Classes2>(Head.SoftmaxCrossEntropy, new[] { 1e4f, -1e4f }, new[] { 0f, 1f }).Loss, 1);
        Assert.Equal(1e4, Run<Classes2>(Head.SigmoidCrossEntropy, new[] { 1e4f, -1e4f }, new[] { 0f, 1f }).Loss, 1);
    }

    [Fact]
    public void ProbabilitiesAreDenseAndMatchFloat64()
    {
        const int rows = 9;
        var random = new Random(3);
        using var logits = NativeFloats.Random(rows, Hidden48x17.OutStride, Hidden48x17.Out, random, 20f);
        logits[0] = 1e4f;
        logits[1] = -1e4f;
        using var softmax = NativeFloats.Filled(rows * 17 + 1, float.NaN);
        using var sigmoid = NativeFloats.Filled(rows * 17 + 1, float.NaN);
        HeadKernels.Softmax<Hidden48x17>(logits.Pointer, softmax.Pointer, rows);
        HeadKernels.Sigmoid<Hidden48x17>(logits.Pointer, sigmoid.Pointer, rows);

        for (int r = 0; r < rows; r++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int c = 0; c < 17; c++)
                max = Math.Max(max, logits[r * 32 + c]);
            for (int c = 0; c < 17; c++)
                sum += Math.Exp(logits[r * 32 + c] - max);
            double total = 0;
            for (int c = 0; c < 17; c++)
            {
                double expected = Math.Exp(logits[r * 32 + c] - max) / sum;
                Assert.Equal(expected, softmax[r * 17 + c], 1e-6 + 1e-5 * expected);
                Assert.Equal(Reference.Sigmoid(logits[r * 32 + c]), sigmoid[r * 17 + c], 1e-7);
                total += softmax[r * 17 + c];
            }
            Assert.Equal(1, total, 1e-5);
        }
        Assert.True(float.IsNaN(softmax[rows * 17]) && float.IsNaN(sigmoid[rows * 17]), "wrote past the dense [rows, Out] output");
    }

    [Fact]
    public void HeadsAllocateNothing()
    {
        using var logits = NativeFloats.Random(64, 32, 17, new Random(1));
        using var targets = NativeFloats.Filled(64 * 17, 1f / 17);
        using var gradient = new NativeFloats(64 * 32);
        using var probabilities = new NativeFloats(64 * 17);
        void All()
        {
            HeadKernels.SoftmaxCrossEntropy<Hidden48x17>(logits.Pointer, targets.Pointer, null, gradient.Pointer, 64, 0.1f, 2f);
            HeadKernels.KLDivergence<Hidden48x17>(logits.Pointer, targets.Pointer, null, gradient.Pointer, 64);
            HeadKernels.SigmoidCrossEntropy<Hidden48x17>(logits.Pointer, targets.Pointer, null, gradient.Pointer, 64);
            HeadKernels.Softmax<Hidden48x17>(logits.Pointer, probabilities.Pointer, 64);
            HeadKernels.Sigmoid<Hidden48x17>(logits.Pointer, probabilities.Pointer, 64);
        }
        All();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
            All();
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void FloatBufferOverloadsMatchThePointerOnes()
    {
        var random = new Random(8);
        using var logits = NativeFloats.Random(5, 32, 17, random, 3f);
        using var targets = NativeFloats.Filled(5 * 17, 1f / 17);
        using var g1 = new NativeFloats(5 * 32);
        using var g2 = new NativeFloats(5 * 32);
        float a = HeadKernels.SoftmaxCrossEntropy<Hidden48x17>(logits.Pointer, targets.Pointer, null, g1.Pointer, 5, 0.1f, 2f);
        float b = HeadKernels.SoftmaxCrossEntropy<Hidden48x17>(new FloatBuffer(logits.Pointer), new FloatBuffer(targets.Pointer), FloatBuffer.Null, new FloatBuffer(g2.Pointer), 5, 0.1f, 2f);
        Assert.Equal(a, b);
        Assert.True(g1.Span.SequenceEqual(g2.Span));

        using var pool = new WorkerPool(2);
        using var x = NativeFloats.Random(5, 48, 48, random);
        using var wt = NativeFloats.Random(48, 32, 17, random);
        using var bias = new NativeFloats(32);
        using var a1 = new NativeFloats(5 * 32);
        using var a2 = new NativeFloats(5 * 32);
        DenseKernels.Forward<Hidden48x17, Tanh>(pool, x.Pointer, wt.Pointer, bias.Pointer, null, a1.Pointer, 5);
        DenseKernels.Forward<Hidden48x17, Tanh>(pool, new FloatBuffer(x.Pointer), new FloatBuffer(wt.Pointer), new FloatBuffer(bias.Pointer), FloatBuffer.Null, new FloatBuffer(a2.Pointer), 5);
        Assert.True(a1.Span.SequenceEqual(a2.Span));
    }

    // ---- helpers ----

    /// <summary>One head on the given rows of logits and targets (each Out wide); returns the loss and dLogits [rows, OutStride].</summary>
    private static (double Loss, float[] Gradient) Run<TShape>(Head head, float[] logitRows, float[] targetRows, float labelSmoothing = 0f, float temperature = 1f)
        where TShape : struct, IDenseShape
    {
        int classes = TShape.Out, stride = TShape.OutStride, rows = logitRows.Length / classes;
        using var logits = new NativeFloats(rows * stride);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < classes; c++)
                logits[r * stride + c] = logitRows[r * classes + c];
        using var targets = new NativeFloats(rows * classes);
        targetRows.CopyTo(targets.Span);
        using var gradient = NativeFloats.Filled(rows * stride, float.NaN);
        float loss = Invoke<TShape>(head, logits, targets, gradient, rows, labelSmoothing, temperature);
        for (int r = 0; r < rows; r++)
            for (int c = classes; c < stride; c++)
                Assert.Equal(0f, gradient[r * stride + c]);
        return (loss, gradient.Span.ToArray());
    }

    private static float Invoke<TShape>(Head head, NativeFloats logits, NativeFloats targets, NativeFloats gradient, int rows, float labelSmoothing, float temperature)
        where TShape : struct, IDenseShape => head switch
        {
            Head.SoftmaxCrossEntropy => HeadKernels.SoftmaxCrossEntropy<TShape>(logits.Pointer, targets.Pointer, null, gradient.Pointer, rows, labelSmoothing, temperature),
            Head.KLDivergence => HeadKernels.KLDivergence<TShape>(logits.Pointer, targets.Pointer, null, gradient.Pointer, rows),
            _ => HeadKernels.SigmoidCrossEntropy<TShape>(logits.Pointer, targets.Pointer, null, gradient.Pointer, rows),
        };

    /// <summary>Random logits; targets are distributions with some exact zeros (softmax family) or per-class values in [0, 1].</summary>
    private static (NativeFloats Logits, NativeFloats Targets) RandomCase<TShape>(Head head, int rows, Random random) where TShape : struct, IDenseShape
    {
        int classes = TShape.Out;
        var logits = NativeFloats.Random(rows, TShape.OutStride, classes, random, 6f);
        var targets = new NativeFloats(rows * classes);
        for (int r = 0; r < rows; r++)
        {
            double sum = 0;
            for (int c = 0; c < classes; c++)
            {
                float t = random.Next(3) == 0 ? 0f : (float)random.NextDouble();
                targets[r * classes + c] = t;
                sum += t;
            }
            if (head == Head.SigmoidCrossEntropy)
                continue;
            if (sum == 0)
            {
                targets[r * classes] = 1f;
                sum = 1;
            }
            for (int c = 0; c < classes; c++)
                targets[r * classes + c] = (float)(targets[r * classes + c] / sum);
        }
        return (logits, targets);
    }

    /// <summary>The float64 loss and dLogits [rows, Out] of a head, straight from the formulas.</summary>
    private static (double Loss, double[] Gradient) Expected<TShape>(Head head, NativeFloats logits, NativeFloats targets, int rows, float labelSmoothing, float temperature)
        where TShape : struct, IDenseShape
    {
        int classes = TShape.Out, stride = TShape.OutStride;
        var gradient = new double[rows * classes];
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            if (head == Head.SigmoidCrossEntropy)
            {
                for (int c = 0; c < classes; c++)
                {
                    double z = logits[r * stride + c], y = targets[r * classes + c];
                    total += Math.Max(z, 0) - z * y + Math.Log(1 + Math.Exp(-Math.Abs(z)));
                    gradient[r * classes + c] = (Reference.Sigmoid(z) - y) / (rows * classes);
                }
                continue;
            }
            double t = head == Head.SoftmaxCrossEntropy ? temperature : 1;
            double max = double.NegativeInfinity, sum = 0;
            for (int c = 0; c < classes; c++)
                max = Math.Max(max, logits[r * stride + c] / t);
            for (int c = 0; c < classes; c++)
                sum += Math.Exp(logits[r * stride + c] / t - max);
            double logSum = max + Math.Log(sum);
            for (int c = 0; c < classes; c++)
            {
                double logP = logits[r * stride + c] / t - logSum, y = targets[r * classes + c];
                if (head == Head.SoftmaxCrossEntropy)
                {
                    y = (1 - labelSmoothing) * y + (double)labelSmoothing / classes;
                    if (y != 0)
                        total -= t * t * y * logP;
                    gradient[r * classes + c] = t * (Math.Exp(logP) - y) / rows;
                }
                else
                {
                    if (y != 0)
                        total += y * (Math.Log(y) - logP);
                    gradient[r * classes + c] = (Math.Exp(logP) - y) / rows;
                }
            }
        }
        return (total / (head == Head.SigmoidCrossEntropy ? rows * classes : rows), gradient);
    }

    private static void Compare<TShape>(Head head, int rows, float labelSmoothing = 0f, float temperature = 1f) where TShape : struct, IDenseShape
    {
        var (logits, targets) = RandomCase<TShape>(head, rows, new Random(rows * 31 + TShape.Out));
        using (logits)
        using (targets)
        {
            using var gradient = NativeFloats.Filled(rows * TShape.OutStride, float.NaN);
            float loss = Invoke<TShape>(head, logits, targets, gradient, rows, labelSmoothing, temperature);
            var expected = Expected<TShape>(head, logits, targets, rows, labelSmoothing, temperature);
            string what = $"{head} {typeof(TShape).Name} rows {rows} e={labelSmoothing} T={temperature}";
            Assert.True(Math.Abs(loss - expected.Loss) <= 1e-6 + 1e-6 * Math.Abs(expected.Loss), $"{what}: loss {loss:R}, float64 {expected.Loss:R}");
            double scale = Math.Max(1, temperature) / rows;
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < TShape.Out; c++)
                {
                    double want = expected.Gradient[r * TShape.Out + c];
                    float got = gradient[r * TShape.OutStride + c];
                    Assert.True(Math.Abs(got - want) <= 1e-6 * scale, $"{what}: dLogits[{r}, {c}] = {got:R}, float64 {want:R}");
                }
                for (int c = TShape.Out; c < TShape.OutStride; c++)
                    Assert.Equal(0f, gradient[r * TShape.OutStride + c]);
            }
        }
    }

    private static void CheckFiniteDifferences<TShape>(Head head, float labelSmoothing, float temperature) where TShape : struct, IDenseShape
    {
        const int rows = 3;
        const double h = 1e-3;
        var (logits, targets) = RandomCase<TShape>(head, rows, new Random(77));
        using (logits)
        using (targets)
        {
            using var gradient = new NativeFloats(rows * TShape.OutStride);
            Invoke<TShape>(head, logits, targets, gradient, rows, labelSmoothing, temperature);
            for (int i = 0; i < rows * TShape.OutStride; i++)
            {
                if (i % TShape.OutStride >= TShape.Out)
                    continue;
                double Loss(double shift) => RowLoss<TShape>(head, logits, targets, rows, labelSmoothing, temperature, i, logits[i] + shift);
                double difference = (Loss(h) - Loss(-h)) / (2 * h);
                Assert.True(Math.Abs(gradient[i] - difference) <= 1e-6 + 1e-4 * Math.Abs(difference),
                    $"{head}: dLogits[{i}] = {gradient[i]:R}, central difference {difference:R}");
            }
        }
    }

    /// <summary>
    /// The float64 loss terms of the row that holds logit <paramref name="index"/>, that logit replaced by
    /// <paramref name="value"/> (the other rows do not depend on it).
    /// </summary>
    private static double RowLoss<TShape>(Head head, NativeFloats logits, NativeFloats targets, int rows, float labelSmoothing, float temperature, int index, double value)
        where TShape : struct, IDenseShape
    {
        int classes = TShape.Out, stride = TShape.OutStride, r = index / stride;
        double Z(int c) => r * stride + c == index ? value : logits[r * stride + c];
        double total = 0;
        if (head == Head.SigmoidCrossEntropy)
        {
            for (int c = 0; c < classes; c++)
            {
                double z = Z(c), y = targets[r * classes + c];
                total += Math.Max(z, 0) - z * y + Math.Log(1 + Math.Exp(-Math.Abs(z)));
            }
            return total / (rows * classes);
        }
        double t = head == Head.SoftmaxCrossEntropy ? temperature : 1;
        double max = double.NegativeInfinity, sum = 0;
        for (int c = 0; c < classes; c++)
            max = Math.Max(max, Z(c) / t);
        for (int c = 0; c < classes; c++)
            sum += Math.Exp(Z(c) / t - max);
        for (int c = 0; c < classes; c++)
        {
            double logP = Z(c) / t - max - Math.Log(sum), y = targets[r * classes + c];
            if (head == Head.SoftmaxCrossEntropy)
                y = (1 - labelSmoothing) * y + (double)labelSmoothing / classes;
            if (y != 0)
                total += head == Head.SoftmaxCrossEntropy ? -t * t * y * logP : y * (Math.Log(y) - logP);
        }
        return total / rows;
    }
}
