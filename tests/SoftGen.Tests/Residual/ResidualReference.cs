using System;
using System.Collections.Generic;
using System.Linq;
using SoftGen.Tests.EndToEnd;

namespace SoftGen.Tests.ResidualNetworks;

// A float64 re-derivation of residual networks from PyTorch's definitions (BatchNorm2d/1d, LayerNorm, Conv2d, Linear,
// torchvision's BasicBlock with its downsample), written without the library: tensors are NCHW for the whole batch,
// batch norm in training uses the batch mean and biased variance and updates the running statistics with the unbiased
// one, in evaluation it uses the running ones. Signals are NCHW with H = 1 (Conv1d is Conv2d with a 1 x k kernel).
// Convolutions take rectangular kernels, strides, paddings, dilation and groups (PyTorch's [out, in / groups, kh, kw]
// weights); squeeze-excitation is two nn.Linear layers (SiLU, sigmoid) on the channel means; GeM is
// clamp(min=eps).pow(p).mean().pow(1/p). Forward only: the tests take gradients by central differences of it.

public enum ROpKind { Conv, Dense, BatchNorm, LayerNorm, Residual, EndResidual, GlobalAveragePool, MaxPool, AvgPool, SqueezeExcitation, GemPool }

/// <summary>One layer. Kernel, Stride and Padding are the height's and the width's unless the *Width ones are set (&gt;= 0).</summary>
public sealed record ROp(ROpKind Kind, int Units = 0, Activation Activation = Activation.None, int Kernel = 0, int Stride = 1,
    int Padding = 0, bool Bias = true, double Epsilon = 1e-5, double Momentum = 0.1, int KernelWidth = -1, int StrideWidth = -1,
    int PaddingWidth = -1, int Dilation = 1, int DilationWidth = -1, int Groups = 1, int Reduction = 0, double P = 0, bool Learnable = false)
{
    public int KH => Kernel;
    public int KW => KernelWidth >= 0 ? KernelWidth : Kernel;
    public int SH => Stride;
    public int SW => StrideWidth >= 0 ? StrideWidth : Stride;
    public int PH => Padding;
    public int PW => PaddingWidth >= 0 ? PaddingWidth : Padding;
    public int DH => Dilation;
    public int DW => DilationWidth >= 0 ? DilationWidth : Dilation;

    public static ROp Conv(int filters, int kernel, Activation act = Activation.None, int stride = 1, int padding = 0, bool bias = true,
        int dilation = 1, int groups = 1) =>
        new(ROpKind.Conv, filters, act, kernel, stride, padding, bias, Dilation: dilation, Groups: groups);
    /// <summary>A Conv2d with a kh x kw kernel and per-axis strides and paddings.</summary>
    public static ROp Conv(int filters, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding, Activation act = Activation.None,
        bool bias = true, int dilation = 1, int groups = 1) =>
        new(ROpKind.Conv, filters, act, kernel.H, stride.H, padding.H, bias, KernelWidth: kernel.W, StrideWidth: stride.W, PaddingWidth: padding.W,
            Dilation: dilation, Groups: groups);
    /// <summary>A Conv1d: a 1 x k kernel on a signal of height 1.</summary>
    public static ROp Conv1D(int filters, int kernel, Activation act = Activation.None, int stride = 1, int padding = 0, bool bias = true,
        int dilation = 1, int groups = 1) =>
        new(ROpKind.Conv, filters, act, 1, 1, 0, bias, KernelWidth: kernel, StrideWidth: stride, PaddingWidth: padding,
            Dilation: 1, DilationWidth: dilation, Groups: groups);
    public static ROp MaxPool1D(int size) => new(ROpKind.MaxPool, Kernel: 1, KernelWidth: size);
    public static ROp AvgPool1D(int size) => new(ROpKind.AvgPool, Kernel: 1, KernelWidth: size);
    public static ROp SqueezeExcitation(int reduction) => new(ROpKind.SqueezeExcitation, Reduction: reduction);
    public static ROp GemPool(double p = 3, bool learnable = true, double epsilon = 1e-6) => new(ROpKind.GemPool, P: p, Learnable: learnable, Epsilon: epsilon);
    public static ROp Dense(int units, Activation act = Activation.None, bool bias = true) => new(ROpKind.Dense, units, act, Bias: bias);
    public static ROp BatchNorm(Activation act = Activation.None, double momentum = 0.1, double epsilon = 1e-5) =>
        new(ROpKind.BatchNorm, 0, act, Momentum: momentum, Epsilon: epsilon);
    public static ROp LayerNorm(Activation act = Activation.None, double epsilon = 1e-5) => new(ROpKind.LayerNorm, 0, act, Epsilon: epsilon);
    public static ROp Residual() => new(ROpKind.Residual);
    public static ROp EndResidual(Activation act = Activation.None) => new(ROpKind.EndResidual, 0, act);
    public static ROp Gap() => new(ROpKind.GlobalAveragePool);
    public static ROp MaxPool(int size) => new(ROpKind.MaxPool, Kernel: size);
}

/// <summary>A batch of tensors [N, C, H, W] (H = W = 1 for rows of features).</summary>
public sealed class RTensor
{
    public RTensor(int n, int c, int h, int w) { N = n; C = c; H = h; W = w; Data = new double[n * c * h * w]; }
    public int N, C, H, W;
    public double[] Data;
    public int Pixels => H * W;
    public ref double At(int n, int c, int y, int x) => ref Data[((n * C + c) * H + y) * W + x];
    public RTensor Like() => new(N, C, H, W);
}

public sealed class ResidualReference
{
    private readonly ROp[] _ops;
    private readonly (int C, int H, int W) _input;
    private readonly double _smoothing;

    public ResidualReference((int C, int H, int W) input, double labelSmoothing, params ROp[] ops)
    {
        _input = input;
        _ops = ops;
        _smoothing = labelSmoothing;
    }

    /// <summary>True: the loss is KL(target || softmax(logits)) (batch mean) instead of the smoothed cross-entropy.</summary>
    public bool KLDivergence { get; init; }

    /// <summary>Parameters (PyTorch layout) and running statistics by state_dict name.</summary>
    public Dictionary<string, double[]> State { get; } = new();

    /// <summary>The names and lengths of every parameter, as the reference numbers them.</summary>
    public List<(string Name, int Length)> Parameters { get; } = new();

    /// <summary>The running-statistics names (running_mean, running_var), as the reference numbers them.</summary>
    public List<(string Name, int Length)> Buffers { get; } = new();

    /// <summary>Runs the network once to learn its parameter names and shapes.</summary>
    public void Describe()
    {
        Parameters.Clear();
        Buffers.Clear();
        var x = new RTensor(2, _input.C, _input.H, _input.W);
        Run(x, training: false, describe: true);
    }

    /// <summary>Reads the trainer's parameters and running statistics into <see cref="State"/>.</summary>
    public void Read(SoftGen.Training.TrainerBase trainer)
    {
        if (Parameters.Count == 0) Describe();
        foreach (var (name, length) in Parameters.Concat(Buffers))
        {
            var values = new float[length];
            if (Buffers.Contains((name, length))) trainer.GetBuffer(name, values);
            else trainer.GetParameter(name, values);
            State[name] = values.Select(v => (double)v).ToArray();
        }
    }

    public RTensor InputOf(ReadOnlySpan<float> x, int rows)
    {
        var t = new RTensor(rows, _input.C, _input.H, _input.W);
        for (int i = 0; i < t.Data.Length; i++) t.Data[i] = x[i];
        return t;
    }

    /// <summary>The logits [N, classes] of a forward pass; training updates the running statistics in <see cref="State"/>.</summary>
    public RTensor Run(RTensor x, bool training, bool describe = false)
    {
        int p = 0;
        var t = x;
        RTensor? blockInput = null;
        int blockStrideH = 1, blockStrideW = 1;
        foreach (var op in _ops)
        {
            switch (op.Kind)
            {
                case ROpKind.Conv:
                    t = Conv(t, op, p++, describe);
                    blockStrideH *= op.SH;
                    blockStrideW *= op.SW;
                    break;
                case ROpKind.Dense:
                    t = Dense(t, op, p++, describe);
                    break;
                case ROpKind.BatchNorm:
                    t = BatchNorm(t, p++, op.Epsilon, op.Momentum, training, describe, op.Activation);
                    break;
                case ROpKind.LayerNorm:
                    t = LayerNorm(t, p++, op.Epsilon, describe, op.Activation);
                    break;
                case ROpKind.Residual:
                    blockInput = t;
                    blockStrideH = blockStrideW = 1;
                    break;
                case ROpKind.EndResidual:
                {
                    var shortcut = blockInput!;
                    if (shortcut.C != t.C || shortcut.H != t.H || shortcut.W != t.W)
                    {
                        shortcut = Conv(shortcut, ROp.Conv(t.C, (1, 1), (blockStrideH, blockStrideW), (0, 0), bias: false), p++, describe);
                        shortcut = BatchNorm(shortcut, p++, 1e-5, 0.1, training, describe, Activation.None);
                    }
                    var sum = t.Like();
                    for (int i = 0; i < sum.Data.Length; i++) sum.Data[i] = Reference.Activate(op.Activation, t.Data[i] + shortcut.Data[i]);
                    t = sum;
                    break;
                }
                case ROpKind.GlobalAveragePool:
                {
                    var o = new RTensor(t.N, t.C, 1, 1);
                    for (int n = 0; n < t.N; n++)
                        for (int c = 0; c < t.C; c++)
                        {
                            double s = 0;
                            for (int y = 0; y < t.H; y++) for (int xx = 0; xx < t.W; xx++) s += t.At(n, c, y, xx);
                            o.At(n, c, 0, 0) = s / t.Pixels;
                        }
                    t = o;
                    break;
                }
                case ROpKind.MaxPool:
                case ROpKind.AvgPool:
                {
                    int kh = op.KH, kw = op.KW;
                    var o = new RTensor(t.N, t.C, t.H / kh, t.W / kw);
                    for (int n = 0; n < t.N; n++)
                        for (int c = 0; c < t.C; c++)
                            for (int y = 0; y < o.H; y++)
                                for (int xx = 0; xx < o.W; xx++)
                                {
                                    double m = double.NegativeInfinity, s = 0;
                                    for (int a = 0; a < kh; a++)
                                        for (int b = 0; b < kw; b++)
                                        {
                                            m = Math.Max(m, t.At(n, c, y * kh + a, xx * kw + b));
                                            s += t.At(n, c, y * kh + a, xx * kw + b);
                                        }
                                    o.At(n, c, y, xx) = op.Kind == ROpKind.MaxPool ? m : s / (kh * kw);
                                }
                    t = o;
                    blockStrideH *= kh;
                    blockStrideW *= kw;
                    break;
                }
                case ROpKind.SqueezeExcitation:
                    t = SqueezeExcitation(t, op, p++, describe);
                    break;
                case ROpKind.GemPool:
                    t = GemPool(t, op, op.Learnable ? p++ : -1, describe);
                    break;
            }
        }
        return t;
    }

    private RTensor SqueezeExcitation(RTensor x, ROp op, int p, bool describe)
    {
        int c = x.C, s = c / op.Reduction;
        Declare(describe, $"layers.{p}.reduce.weight", s * c);
        Declare(describe, $"layers.{p}.reduce.bias", s);
        Declare(describe, $"layers.{p}.expand.weight", c * s);
        Declare(describe, $"layers.{p}.expand.bias", c);
        var w1 = State[$"layers.{p}.reduce.weight"];
        var b1 = State[$"layers.{p}.reduce.bias"];
        var w2 = State[$"layers.{p}.expand.weight"];
        var b2 = State[$"layers.{p}.expand.bias"];
        var o = x.Like();
        for (int n = 0; n < x.N; n++)
        {
            var mean = new double[c];
            for (int ch = 0; ch < c; ch++)
            {
                for (int q = 0; q < x.Pixels; q++) mean[ch] += x.Data[(n * c + ch) * x.Pixels + q];
                mean[ch] /= x.Pixels;
            }
            var h = new double[s];
            for (int j = 0; j < s; j++)
            {
                double z = b1[j];
                for (int ch = 0; ch < c; ch++) z += w1[j * c + ch] * mean[ch];
                h[j] = Reference.Activate(Activation.Silu, z);
            }
            for (int ch = 0; ch < c; ch++)
            {
                double z = b2[ch];
                for (int j = 0; j < s; j++) z += w2[ch * s + j] * h[j];
                double gate = Reference.Activate(Activation.Sigmoid, z);
                for (int q = 0; q < x.Pixels; q++) o.Data[(n * c + ch) * x.Pixels + q] = x.Data[(n * c + ch) * x.Pixels + q] * gate;
            }
        }
        return o;
    }

    private RTensor GemPool(RTensor x, ROp op, int p, bool describe)
    {
        double exponent = op.P;
        if (p >= 0)
        {
            Declare(describe, $"layers.{p}.p", 1);
            if (describe) State[$"layers.{p}.p"][0] = op.P;
            exponent = State[$"layers.{p}.p"][0];
        }
        var o = new RTensor(x.N, x.C, 1, 1);
        for (int n = 0; n < x.N; n++)
            for (int c = 0; c < x.C; c++)
            {
                double s = 0;
                for (int q = 0; q < x.Pixels; q++) s += Math.Pow(Math.Max(x.Data[(n * x.C + c) * x.Pixels + q], op.Epsilon), exponent);
                o.At(n, c, 0, 0) = Math.Pow(s / x.Pixels, 1 / exponent);
            }
        return o;
    }

    private void Declare(bool describe, string name, int length, bool buffer = false)
    {
        if (!describe) return;
        (buffer ? Buffers : Parameters).Add((name, length));
        if (!State.ContainsKey(name)) State[name] = new double[length];
    }

    private RTensor Conv(RTensor x, ROp op, int p, bool describe)
    {
        int kh = op.KH, kw = op.KW, g = op.Groups, inPerGroup = x.C / g, outPerGroup = op.Units / g;
        var o = new RTensor(x.N, op.Units, (x.H + 2 * op.PH - op.DH * (kh - 1) - 1) / op.SH + 1, (x.W + 2 * op.PW - op.DW * (kw - 1) - 1) / op.SW + 1);
        Declare(describe, $"layers.{p}.weight", op.Units * inPerGroup * kh * kw);
        if (op.Bias) Declare(describe, $"layers.{p}.bias", op.Units);
        var w = State[$"layers.{p}.weight"];
        var b = op.Bias ? State[$"layers.{p}.bias"] : null;
        for (int n = 0; n < x.N; n++)
            for (int f = 0; f < o.C; f++)
                for (int y = 0; y < o.H; y++)
                    for (int xx = 0; xx < o.W; xx++)
                    {
                        double sum = b?[f] ?? 0;
                        for (int cl = 0; cl < inPerGroup; cl++)
                        {
                            int c = f / outPerGroup * inPerGroup + cl;
                            for (int a = 0; a < kh; a++)
                                for (int bb = 0; bb < kw; bb++)
                                {
                                    int iy = y * op.SH + a * op.DH - op.PH, ix = xx * op.SW + bb * op.DW - op.PW;
                                    if (iy < 0 || iy >= x.H || ix < 0 || ix >= x.W) continue;
                                    sum += w[((f * inPerGroup + cl) * kh + a) * kw + bb] * x.At(n, c, iy, ix);
                                }
                        }
                        o.At(n, f, y, xx) = Reference.Activate(op.Activation, sum);
                    }
        return o;
    }

    private RTensor Dense(RTensor x, ROp op, int p, bool describe)
    {
        int inputs = x.C * x.Pixels;
        var o = new RTensor(x.N, op.Units, 1, 1);
        Declare(describe, $"layers.{p}.weight", op.Units * inputs);
        if (op.Bias) Declare(describe, $"layers.{p}.bias", op.Units);
        var w = State[$"layers.{p}.weight"];
        var b = op.Bias ? State[$"layers.{p}.bias"] : null;
        for (int n = 0; n < x.N; n++)
            for (int u = 0; u < op.Units; u++)
            {
                double sum = b?[u] ?? 0;
                for (int i = 0; i < inputs; i++) sum += w[u * inputs + i] * x.Data[n * inputs + i];
                o.At(n, u, 0, 0) = Reference.Activate(op.Activation, sum);
            }
        return o;
    }

    private RTensor BatchNorm(RTensor x, int p, double eps, double momentum, bool training, bool describe, Activation act)
    {
        Declare(describe, $"layers.{p}.weight", x.C);
        Declare(describe, $"layers.{p}.bias", x.C);
        Declare(describe, $"layers.{p}.running_mean", x.C, buffer: true);
        Declare(describe, $"layers.{p}.running_var", x.C, buffer: true);
        var gamma = State[$"layers.{p}.weight"];
        var beta = State[$"layers.{p}.bias"];
        var runningMean = State[$"layers.{p}.running_mean"];
        var runningVar = State[$"layers.{p}.running_var"];
        var o = x.Like();
        int count = x.N * x.Pixels;
        for (int c = 0; c < x.C; c++)
        {
            double mean, variance;
            if (training)
            {
                double s = 0;
                for (int n = 0; n < x.N; n++) for (int q = 0; q < x.Pixels; q++) s += x.Data[(n * x.C + c) * x.Pixels + q];
                mean = s / count;
                double v = 0;
                for (int n = 0; n < x.N; n++) for (int q = 0; q < x.Pixels; q++) v += Math.Pow(x.Data[(n * x.C + c) * x.Pixels + q] - mean, 2);
                variance = v / count;
                if (!describe)
                {
                    runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mean;
                    runningVar[c] = (1 - momentum) * runningVar[c] + momentum * v / (count - 1);
                }
            }
            else
            {
                mean = runningMean[c];
                variance = runningVar[c];
            }
            double invStd = 1 / Math.Sqrt(variance + eps);
            for (int n = 0; n < x.N; n++)
                for (int q = 0; q < x.Pixels; q++)
                {
                    int i = (n * x.C + c) * x.Pixels + q;
                    o.Data[i] = Reference.Activate(act, gamma[c] * (x.Data[i] - mean) * invStd + beta[c]);
                }
        }
        return o;
    }

    private RTensor LayerNorm(RTensor x, int p, double eps, bool describe, Activation act)
    {
        Declare(describe, $"layers.{p}.weight", x.C);
        Declare(describe, $"layers.{p}.bias", x.C);
        var gamma = State[$"layers.{p}.weight"];
        var beta = State[$"layers.{p}.bias"];
        var o = x.Like();
        for (int n = 0; n < x.N; n++)
        {
            double mean = 0, variance = 0;
            for (int c = 0; c < x.C; c++) mean += x.Data[n * x.C + c];
            mean /= x.C;
            for (int c = 0; c < x.C; c++) variance += Math.Pow(x.Data[n * x.C + c] - mean, 2);
            variance /= x.C;
            double invStd = 1 / Math.Sqrt(variance + eps);
            for (int c = 0; c < x.C; c++)
                o.Data[n * x.C + c] = Reference.Activate(act, gamma[c] * (x.Data[n * x.C + c] - mean) * invStd + beta[c]);
        }
        return o;
    }

    /// <summary>
    /// Softmax cross-entropy with label smoothing against probability targets, or KL(target || softmax) when
    /// <see cref="KLDivergence"/>; mean over the batch, and per position (targets [N, classes, H, W]) when the logits
    /// have positions.
    /// </summary>
    public double Loss(RTensor logits, ReadOnlySpan<float> targets)
    {
        int classes = logits.C, pixels = logits.Pixels;
        double total = 0;
        for (int n = 0; n < logits.N; n++)
            for (int q = 0; q < pixels; q++)
            {
                var z = new double[classes];
                for (int c = 0; c < classes; c++) z[c] = logits.Data[(n * classes + c) * pixels + q];
                var logP = Reference.LogSoftmax(z, 1.0);
                for (int c = 0; c < classes; c++)
                {
                    double y = targets[(n * classes + c) * pixels + q];
                    total += KLDivergence
                        ? (y > 0 ? y * (Math.Log(y) - logP[c]) : 0)
                        : -((1 - _smoothing) * y + _smoothing / classes) * logP[c];
                }
            }
        return total / (logits.N * pixels);
    }

    /// <summary>
    /// d loss / d parameter by central differences of the training-mode loss (h = 1e-6, in double), with the running
    /// statistics left as they were.
    /// </summary>
    public Dictionary<string, double[]> Gradients(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int rows)
    {
        var saved = State.ToDictionary(kv => kv.Key, kv => (double[])kv.Value.Clone());
        var input = InputOf(x, rows);
        var targets = y.ToArray();
        var result = new Dictionary<string, double[]>();
        const double h = 1e-6;
        foreach (var (name, length) in Parameters)
        {
            var g = new double[length];
            var values = State[name];
            for (int i = 0; i < length; i++)
            {
                double keep = values[i];
                values[i] = keep + h;
                double plus = Loss(Run(input, training: true), targets);
                values[i] = keep - h;
                double minus = Loss(Run(input, training: true), targets);
                values[i] = keep;
                g[i] = (plus - minus) / (2 * h);
            }
            result[name] = g;
        }
        foreach (var kv in saved) State[kv.Key] = kv.Value;
        return result;
    }
}
