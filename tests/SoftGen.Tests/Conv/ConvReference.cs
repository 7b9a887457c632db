using System;
using System.Collections.Generic;
using System.Linq;
using SoftGen.Tests.EndToEnd;
using SoftGen.Training;

namespace SoftGen.Tests.Conv;

// A float64 re-derivation of convolutional networks, written from PyTorch's definitions and not from the library:
// tensors are NCHW, a Conv2D is the direct 7-deep loop of cross-correlation with zero padding, pools walk their
// windows, Flatten is c, h, w order, and the backward pass is the chain rule through each of them. Dropout takes its
// keep decisions from a function (the tests pass the library's documented draw, DropoutKernels.IsKept).

public enum RefLayerKind { Dense, Conv2D, MaxPool2D, AvgPool2D, GlobalAveragePool, Dropout }

public sealed record RefLayer(RefLayerKind Kind, int Units = 0, Activation Activation = Activation.None, int Kernel = 0, int Stride = 1, int Padding = 0, double Rate = 0)
{
    public bool HasParameters => Kind is RefLayerKind.Dense or RefLayerKind.Conv2D;

    public static RefLayer Dense(int units, Activation activation = Activation.None) => new(RefLayerKind.Dense, units, activation);

    public static RefLayer Conv(int filters, int kernel, Activation activation = Activation.None, int stride = 1, int padding = 0) =>
        new(RefLayerKind.Conv2D, filters, activation, kernel, stride, padding);

    public static RefLayer MaxPool(int size) => new(RefLayerKind.MaxPool2D, Kernel: size);

    public static RefLayer AvgPool(int size) => new(RefLayerKind.AvgPool2D, Kernel: size);

    public static RefLayer Gap() => new(RefLayerKind.GlobalAveragePool);

    public static RefLayer Dropout(double rate) => new(RefLayerKind.Dropout, Rate: rate);
}

/// <summary>A tensor per row: C x H x W (H = W = 1 for a flat row of C values).</summary>
public readonly record struct RefShape(int C, int H, int W)
{
    public int Size => C * H * W;

    public int Pixels => H * W;
}

public sealed class RefNet
{
    public RefNet(RefShape input, RefLayer[] layers, RefLoss loss, double labelSmoothing = 0, double temperature = 1)
    {
        Input = input;
        Layers = layers;
        Loss = loss;
        LabelSmoothing = labelSmoothing;
        Temperature = temperature;
        Shapes = new RefShape[layers.Length + 1];
        Shapes[0] = input;
        for (int i = 0; i < layers.Length; i++)
        {
            var s = Shapes[i];
            var l = layers[i];
            Shapes[i + 1] = l.Kind switch
            {
                RefLayerKind.Dense => new RefShape(l.Units, 1, 1),
                RefLayerKind.Conv2D => new RefShape(l.Units, (s.H + 2 * l.Padding - l.Kernel) / l.Stride + 1, (s.W + 2 * l.Padding - l.Kernel) / l.Stride + 1),
                RefLayerKind.MaxPool2D or RefLayerKind.AvgPool2D => new RefShape(s.C, s.H / l.Kernel, s.W / l.Kernel),
                RefLayerKind.GlobalAveragePool => new RefShape(s.C, 1, 1),
                _ => s,
            };
        }
    }

    public RefShape Input { get; }
    public RefLayer[] Layers { get; }
    public RefLoss Loss { get; }
    public double LabelSmoothing { get; }
    public double Temperature { get; }

    /// <summary>Shapes[i] is the input of layer i; Shapes[^1] the logits.</summary>
    public RefShape[] Shapes { get; }

    public RefShape Output => Shapes[^1];

    public bool PerPixel => Layers[^1].Kind == RefLayerKind.Conv2D;

    public int Classes => Output.C;

    public int Pixels => PerPixel ? Output.Pixels : 1;

    /// <summary>Values per target row.</summary>
    public int OutputsPerRow => Output.Size;

    /// <summary>(layer index, parameter index) of each layer with parameters.</summary>
    public IEnumerable<(int Layer, int Index)> ParameterLayers
    {
        get
        {
            int p = 0;
            for (int i = 0; i < Layers.Length; i++)
                if (Layers[i].HasParameters) yield return (i, p++);
        }
    }

    public IEnumerable<string> ParameterNames => ParameterLayers.SelectMany(l => new[] { $"layers.{l.Index}.weight", $"layers.{l.Index}.bias" });

    /// <summary>PyTorch's shape of a parameter.</summary>
    public int[] ShapeOf(string name)
    {
        var (layer, weight) = Find(name);
        var l = Layers[layer];
        var s = Shapes[layer];
        if (!weight) return new[] { l.Units };
        return l.Kind == RefLayerKind.Conv2D ? new[] { l.Units, s.C, l.Kernel, l.Kernel } : new[] { l.Units, s.Size };
    }

    public (int Layer, bool Weight) Find(string name)
    {
        var parts = name.Split('.');
        int index = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        return (ParameterLayers.Single(l => l.Index == index).Layer, parts[2] == "weight");
    }

    public int Length(string name) => ShapeOf(name).Aggregate(1, (a, b) => a * b);
}

public sealed class RefNetPass
{
    public double Loss;
    public double[] Logits = Array.Empty<double>();
    public double[] Probabilities = Array.Empty<double>();
    public Dictionary<string, double[]> Gradients = new();
}

public static class ConvReference
{
    /// <summary>Reads every parameter of the trainer (PyTorch layout) as doubles.</summary>
    public static Dictionary<string, double[]> Read(RefNet net, TrainerBase trainer)
    {
        var result = new Dictionary<string, double[]>();
        foreach (var name in net.ParameterNames)
        {
            var buffer = new float[net.Length(name)];
            trainer.GetParameter(name, buffer);
            result[name] = buffer.Select(v => (double)v).ToArray();
        }
        return result;
    }

    public static Dictionary<string, double[]> ReadGradients(RefNet net, TrainerBase trainer)
    {
        var result = new Dictionary<string, double[]>();
        foreach (var name in net.ParameterNames)
        {
            var buffer = new float[net.Length(name)];
            trainer.GetGradient(name, buffer);
            result[name] = buffer.Select(v => (double)v).ToArray();
        }
        return result;
    }

    /// <param name="keep">For dropout layer i: whether real value k of the batch is kept, k counted channels-last,
    /// ((row * pixels + pixel) * channels + channel). Null: no dropout (prediction).</param>
    public static RefNetPass Run(RefNet net, Dictionary<string, double[]> parameters, ReadOnlySpan<float> x, ReadOnlySpan<float> y, int rows,
        Func<int, long, bool>? keep, bool backward = true)
    {
        int n = net.Layers.Length;
        var a = new double[n + 1][];
        var z = new double[n][];
        var masks = new double[n][];
        a[0] = new double[rows * net.Input.Size];
        for (int k = 0; k < a[0].Length; k++) a[0][k] = x[k];

        for (int i = 0; i < n; i++)
        {
            var l = net.Layers[i];
            RefShape si = net.Shapes[i], so = net.Shapes[i + 1];
            var input = a[i];
            var output = new double[rows * so.Size];
            switch (l.Kind)
            {
                case RefLayerKind.Dense:
                case RefLayerKind.Conv2D:
                {
                    var (w, b) = Weights(net, parameters, i);
                    var pre = new double[output.Length];
                    for (int r = 0; r < rows; r++)
                        for (int o = 0; o < so.C; o++)
                            for (int oy = 0; oy < so.H; oy++)
                                for (int ox = 0; ox < so.W; ox++)
                                {
                                    double s = b[o];
                                    if (l.Kind == RefLayerKind.Dense)
                                        for (int j = 0; j < si.Size; j++) s += w[o * si.Size + j] * input[r * si.Size + j];
                                    else
                                        for (int c = 0; c < si.C; c++)
                                            for (int ky = 0; ky < l.Kernel; ky++)
                                                for (int kx = 0; kx < l.Kernel; kx++)
                                                {
                                                    int iy = oy * l.Stride + ky - l.Padding, ix = ox * l.Stride + kx - l.Padding;
                                                    if (iy < 0 || iy >= si.H || ix < 0 || ix >= si.W) continue;
                                                    s += w[((o * si.C + c) * l.Kernel + ky) * l.Kernel + kx] * input[At(si, r, c, iy, ix)];
                                                }
                                    int at = At(so, r, o, oy, ox);
                                    pre[at] = s;
                                    output[at] = Reference.Activate(l.Activation, s);
                                }
                    z[i] = pre;
                    break;
                }
                case RefLayerKind.MaxPool2D:
                case RefLayerKind.AvgPool2D:
                    for (int r = 0; r < rows; r++)
                        for (int c = 0; c < so.C; c++)
                            for (int oy = 0; oy < so.H; oy++)
                                for (int ox = 0; ox < so.W; ox++)
                                {
                                    double m = double.NegativeInfinity, sum = 0;
                                    for (int dy = 0; dy < l.Kernel; dy++)
                                        for (int dx = 0; dx < l.Kernel; dx++)
                                        {
                                            double v = input[At(si, r, c, oy * l.Kernel + dy, ox * l.Kernel + dx)];
                                            m = Math.Max(m, v);
                                            sum += v;
                                        }
                                    output[At(so, r, c, oy, ox)] = l.Kind == RefLayerKind.MaxPool2D ? m : sum / (l.Kernel * l.Kernel);
                                }
                    break;
                case RefLayerKind.GlobalAveragePool:
                    for (int r = 0; r < rows; r++)
                        for (int c = 0; c < si.C; c++)
                        {
                            double sum = 0;
                            for (int p = 0; p < si.Pixels; p++) sum += input[(r * si.C + c) * si.Pixels + p];
                            output[r * si.C + c] = sum / si.Pixels;
                        }
                    break;
                default:
                {
                    var mask = new double[output.Length];
                    for (int r = 0; r < rows; r++)
                        for (int c = 0; c < si.C; c++)
                            for (int p = 0; p < si.Pixels; p++)
                            {
                                int at = (r * si.C + c) * si.Pixels + p;
                                long index = ((long)r * si.Pixels + p) * si.C + c;
                                mask[at] = keep is null ? 1.0 : keep(i, index) ? 1.0 / (1.0 - l.Rate) : 0.0;
                                output[at] = input[at] * mask[at];
                            }
                    masks[i] = mask;
                    break;
                }
            }
            a[i + 1] = output;
        }

        var (loss, dLogits, probabilities) = Head(net, a[n], y, rows);
        var pass = new RefNetPass { Loss = loss, Logits = a[n], Probabilities = probabilities };
        if (!backward) return pass;

        // Backward: g = dLoss / dA(i+1); for layers with an activation, dZ = g * act'(Z).
        var g = dLogits;
        for (int i = n - 1; i >= 0; i--)
        {
            var l = net.Layers[i];
            RefShape si = net.Shapes[i], so = net.Shapes[i + 1];
            var input = a[i];
            var gIn = new double[rows * si.Size];
            switch (l.Kind)
            {
                case RefLayerKind.Dense:
                case RefLayerKind.Conv2D:
                {
                    var (w, _) = Weights(net, parameters, i);
                    var p = net.ParameterLayers.Single(q => q.Layer == i).Index;
                    var gw = new double[w.Length];
                    var gb = new double[l.Units];
                    for (int r = 0; r < rows; r++)
                        for (int o = 0; o < so.C; o++)
                            for (int oy = 0; oy < so.H; oy++)
                                for (int ox = 0; ox < so.W; ox++)
                                {
                                    int at = At(so, r, o, oy, ox);
                                    double d = g[at] * Reference.Derivative(l.Activation, z[i][at]);
                                    gb[o] += d;
                                    if (l.Kind == RefLayerKind.Dense)
                                        for (int j = 0; j < si.Size; j++)
                                        {
                                            gw[o * si.Size + j] += d * input[r * si.Size + j];
                                            gIn[r * si.Size + j] += d * w[o * si.Size + j];
                                        }
                                    else
                                        for (int c = 0; c < si.C; c++)
                                            for (int ky = 0; ky < l.Kernel; ky++)
                                                for (int kx = 0; kx < l.Kernel; kx++)
                                                {
                                                    int iy = oy * l.Stride + ky - l.Padding, ix = ox * l.Stride + kx - l.Padding;
                                                    if (iy < 0 || iy >= si.H || ix < 0 || ix >= si.W) continue;
                                                    int wi = ((o * si.C + c) * l.Kernel + ky) * l.Kernel + kx;
                                                    gw[wi] += d * input[At(si, r, c, iy, ix)];
                                                    gIn[At(si, r, c, iy, ix)] += d * w[wi];
                                                }
                                }
                    pass.Gradients[$"layers.{p}.weight"] = gw;
                    pass.Gradients[$"layers.{p}.bias"] = gb;
                    break;
                }
                case RefLayerKind.MaxPool2D:
                case RefLayerKind.AvgPool2D:
                    for (int r = 0; r < rows; r++)
                        for (int c = 0; c < so.C; c++)
                            for (int oy = 0; oy < so.H; oy++)
                                for (int ox = 0; ox < so.W; ox++)
                                {
                                    double go = g[At(so, r, c, oy, ox)];
                                    if (l.Kind == RefLayerKind.AvgPool2D)
                                    {
                                        for (int dy = 0; dy < l.Kernel; dy++)
                                            for (int dx = 0; dx < l.Kernel; dx++)
                                                gIn[At(si, r, c, oy * l.Kernel + dy, ox * l.Kernel + dx)] += go / (l.Kernel * l.Kernel);
                                        continue;
                                    }
                                    // PyTorch routes a window's gradient to its first maximum in row-major order.
                                    int best = -1;
                                    for (int dy = 0; dy < l.Kernel; dy++)
                                        for (int dx = 0; dx < l.Kernel; dx++)
                                        {
                                            int at = At(si, r, c, oy * l.Kernel + dy, ox * l.Kernel + dx);
                                            if (best < 0 || input[at] > input[best]) best = at;
                                        }
                                    gIn[best] += go;
                                }
                    break;
                case RefLayerKind.GlobalAveragePool:
                    for (int r = 0; r < rows; r++)
                        for (int c = 0; c < si.C; c++)
                            for (int p = 0; p < si.Pixels; p++)
                                gIn[(r * si.C + c) * si.Pixels + p] = g[r * si.C + c] / si.Pixels;
                    break;
                default:
                    for (int k = 0; k < gIn.Length; k++) gIn[k] = g[k] * masks[i][k];
                    break;
            }
            g = gIn;
        }
        return pass;
    }

    public static double Loss(RefNet net, Dictionary<string, double[]> parameters, ReadOnlySpan<float> x, ReadOnlySpan<float> y, int rows, Func<int, long, bool>? keep)
        => Run(net, parameters, x, y, rows, keep, backward: false).Loss;

    private static int At(RefShape s, int r, int c, int y, int x) => ((r * s.C + c) * s.H + y) * s.W + x;

    private static (double[] W, double[] B) Weights(RefNet net, Dictionary<string, double[]> parameters, int layer)
    {
        var p = net.ParameterLayers.Single(q => q.Layer == layer).Index;
        return (parameters[$"layers.{p}.weight"], parameters[$"layers.{p}.bias"]);
    }

    /// <summary>The loss (mean over rows, and pixels for a per-pixel head), dLoss/dLogits and the probabilities, all NCHW.</summary>
    private static (double Loss, double[] DLogits, double[] Probabilities) Head(RefNet net, double[] logits, ReadOnlySpan<float> y, int rows)
    {
        int classes = net.Classes, pixels = net.Pixels;
        var d = new double[logits.Length];
        var probabilities = new double[logits.Length];
        double total = 0, t = net.Temperature, e = net.LabelSmoothing;
        double units = (double)rows * pixels;
        var z = new double[classes];
        var target = new double[classes];
        for (int r = 0; r < rows; r++)
            for (int p = 0; p < pixels; p++)
            {
                for (int c = 0; c < classes; c++)
                {
                    z[c] = logits[(r * classes + c) * pixels + p];
                    target[c] = y[(r * classes + c) * pixels + p];
                }
                var dz = new double[classes];
                var q = new double[classes];
                switch (net.Loss)
                {
                    case RefLoss.SoftmaxCrossEntropy:
                    {
                        var logQ = Reference.LogSoftmax(z, t);
                        double sum = 0;
                        for (int c = 0; c < classes; c++)
                        {
                            double smoothed = (1 - e) * target[c] + e / classes;
                            sum += smoothed;
                            if (smoothed != 0) total -= t * t * smoothed * logQ[c];
                        }
                        for (int c = 0; c < classes; c++)
                            dz[c] = t * (Math.Exp(logQ[c]) * sum - ((1 - e) * target[c] + e / classes)) / units;
                        var logP = Reference.LogSoftmax(z, 1);
                        for (int c = 0; c < classes; c++) q[c] = Math.Exp(logP[c]);
                        break;
                    }
                    case RefLoss.KLDivergence:
                    {
                        var logP = Reference.LogSoftmax(z, 1);
                        double sum = 0;
                        for (int c = 0; c < classes; c++)
                        {
                            sum += target[c];
                            if (target[c] != 0) total += target[c] * (Math.Log(target[c]) - logP[c]);
                        }
                        for (int c = 0; c < classes; c++)
                        {
                            q[c] = Math.Exp(logP[c]);
                            dz[c] = (q[c] * sum - target[c]) / units;
                        }
                        break;
                    }
                    default:
                        for (int c = 0; c < classes; c++)
                        {
                            total += (Math.Max(z[c], 0) - z[c] * target[c] + Math.Log(1 + Math.Exp(-Math.Abs(z[c])))) / classes;
                            q[c] = Reference.Sigmoid(z[c]);
                            dz[c] = (q[c] - target[c]) / (units * classes);
                        }
                        break;
                }
                for (int c = 0; c < classes; c++)
                {
                    d[(r * classes + c) * pixels + p] = dz[c];
                    probabilities[(r * classes + c) * pixels + p] = q[c];
                }
            }
        return (total / units, d, probabilities);
    }
}
