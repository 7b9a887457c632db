using System;
using System.Collections.Generic;
using SoftGen.Training;

namespace SoftGen.Tests.EndToEnd;

// A float64 re-derivation of what a SoftGen trainer computes, written from the definitions (PyTorch's) and not
// from the library: plain loops in double, Math.Exp / Math.Log, its own erf. Forward, each loss, the backward pass
// by the chain rule, and each optimizer's update. The tests hold the generated float32 trainers to it, and hold it
// to central finite differences of its own loss.

public enum RefLoss
{
    /// <summary>T^2 * mean_r -sum_c y'_c log softmax(z_r / T)_c, y' = (1 - e) y + e / C.</summary>
    SoftmaxCrossEntropy,
    /// <summary>mean_r sum_c y_c (log y_c - log softmax(z_r)_c), 0 log 0 = 0 ('batchmean').</summary>
    KLDivergence,
    /// <summary>mean over rows x classes of max(z, 0) - z y + log(1 + exp(-|z|)).</summary>
    SigmoidCrossEntropy,
}

/// <summary>A dense network as the reference sees it: widths, activations, loss.</summary>
public sealed record RefModel(int Inputs, (int Width, Activation Activation)[] Layers, RefLoss Loss, double LabelSmoothing = 0, double Temperature = 1)
{
    public int Classes => Layers[^1].Width;

    public int LayerCount => Layers.Length;

    public int InputsOf(int layer) => layer == 0 ? Inputs : Layers[layer - 1].Width;

    public int OutputsOf(int layer) => Layers[layer].Width;

    public IEnumerable<string> ParameterNames
    {
        get
        {
            for (int i = 0; i < Layers.Length; i++)
            {
                yield return $"layers.{i}.weight";
                yield return $"layers.{i}.bias";
            }
        }
    }

    public int[] ShapeOf(string name)
    {
        var (layer, weight) = Parse(name);
        return weight ? new[] { OutputsOf(layer), InputsOf(layer) } : new[] { OutputsOf(layer) };
    }

    public long ParameterCount
    {
        get
        {
            long n = 0;
            for (int i = 0; i < Layers.Length; i++) n += (long)OutputsOf(i) * InputsOf(i) + OutputsOf(i);
            return n;
        }
    }

    public static (int Layer, bool Weight) Parse(string name)
    {
        var parts = name.Split('.');
        return (int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), parts[2] == "weight");
    }
}

/// <summary>Parameters in double, PyTorch's layout: weight [out, in] row-major, bias [out].</summary>
public sealed class RefParameters
{
    public RefModel Model { get; }
    public double[][] Weights { get; }
    public double[][] Biases { get; }

    public RefParameters(RefModel model)
    {
        Model = model;
        Weights = new double[model.LayerCount][];
        Biases = new double[model.LayerCount][];
        for (int i = 0; i < model.LayerCount; i++)
        {
            Weights[i] = new double[model.OutputsOf(i) * model.InputsOf(i)];
            Biases[i] = new double[model.OutputsOf(i)];
        }
    }

    public double[] this[string name]
    {
        get
        {
            var (layer, weight) = RefModel.Parse(name);
            return weight ? Weights[layer] : Biases[layer];
        }
    }

    public IEnumerable<string> Names => Model.ParameterNames;

    public static RefParameters Read(RefModel model, TrainerBase trainer)
    {
        var p = new RefParameters(model);
        foreach (var name in model.ParameterNames)
        {
            var target = p[name];
            var buffer = new float[target.Length];
            trainer.GetParameter(name, buffer);
            for (int k = 0; k < buffer.Length; k++) target[k] = buffer[k];
        }
        return p;
    }

    /// <summary>Writes every tensor to the trainer (rounded to float: keep the values float-representable).</summary>
    public void Write(TrainerBase trainer)
    {
        foreach (var name in Names)
        {
            var source = this[name];
            var buffer = new float[source.Length];
            for (int k = 0; k < buffer.Length; k++) buffer[k] = (float)source[k];
            trainer.SetParameter(name, buffer);
        }
    }

    public RefParameters Clone()
    {
        var p = new RefParameters(Model);
        for (int i = 0; i < Model.LayerCount; i++)
        {
            Array.Copy(Weights[i], p.Weights[i], Weights[i].Length);
            Array.Copy(Biases[i], p.Biases[i], Biases[i].Length);
        }
        return p;
    }
}

/// <summary>What one reference pass gives: the loss, the probabilities (temperature 1) and every gradient.</summary>
public sealed class RefPass
{
    public double Loss;
    public double[] Logits = Array.Empty<double>();
    public double[] Probabilities = Array.Empty<double>();
    public RefParameters Gradients = null!;
}

public static class Reference
{
    // ---------------------------------------------------------------------------------------------------------
    // erf in double. System.Math has none. For |x| <= 6 the series
    //   erf(x) = 2/sqrt(pi) exp(-x^2) sum_{n>=0} 2^n x^(2n+1) / (1 3 5 ... (2n+1))
    // (Abramowitz and Stegun 7.1.6) has only positive terms, so nothing cancels and the relative error stays near
    // the number of terms times 2^-53 (well under 1e-13). Beyond 6, 1 - erf(x) < 2.2e-17, below double's
    // resolution at 1.
    // ---------------------------------------------------------------------------------------------------------
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double ax = Math.Abs(x);
        if (ax > 6.0) return Math.Sign(x);
        double x2 = ax * ax;
        double term = ax, sum = ax;
        for (int n = 1; n < 2000; n++)
        {
            term *= 2.0 * x2 / (2 * n + 1);
            sum += term;
            if (term < 1e-18 * sum) break;
        }
        double r = 2.0 / Math.Sqrt(Math.PI) * Math.Exp(-x2) * sum;
        return x < 0 ? -r : r;
    }

    /// <summary>Standard normal CDF.</summary>
    public static double Phi(double z) => 0.5 * (1.0 + Erf(z / Math.Sqrt(2.0)));

    /// <summary>log(1 + exp(z)), stable for large |z|.</summary>
    public static double Softplus(double z) => Math.Max(z, 0.0) + Math.Log(1.0 + Math.Exp(-Math.Abs(z)));

    public static double Sigmoid(double z) => z >= 0 ? 1.0 / (1.0 + Math.Exp(-z)) : Math.Exp(z) / (1.0 + Math.Exp(z));

    public static double Activate(Activation activation, double z) => activation switch
    {
        Activation.None => z,
        Activation.Relu => z > 0 ? z : 0.0,
        Activation.LeakyRelu => z > 0 ? z : 0.01 * z,
        Activation.Tanh => Math.Tanh(z),
        Activation.Sigmoid => Sigmoid(z),
        Activation.Gelu => z * Phi(z),
        Activation.Silu => z * Sigmoid(z),
        Activation.Elu => z > 0 ? z : Math.Exp(z) - 1.0,
        Activation.Mish => z * Math.Tanh(Softplus(z)),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    /// <summary>d act / d z (at a kink, PyTorch's choice: the left slope for ReLU at 0).</summary>
    public static double Derivative(Activation activation, double z) => activation switch
    {
        Activation.None => 1.0,
        Activation.Relu => z > 0 ? 1.0 : 0.0,
        Activation.LeakyRelu => z > 0 ? 1.0 : 0.01,
        Activation.Tanh => 1.0 - Math.Tanh(z) * Math.Tanh(z),
        Activation.Sigmoid => Sigmoid(z) * (1.0 - Sigmoid(z)),
        // d/dz z Phi(z) = Phi(z) + z phi(z)
        Activation.Gelu => Phi(z) + z * Math.Exp(-0.5 * z * z) / Math.Sqrt(2.0 * Math.PI),
        // d/dz z s(z) = s + z s (1 - s); ELU: exp(z) below 0; d/dz z tanh(sp(z)) = t + z s(z) (1 - t^2)
        Activation.Silu => Sigmoid(z) * (1.0 + z * (1.0 - Sigmoid(z))),
        Activation.Elu => z > 0 ? 1.0 : Math.Exp(z),
        Activation.Mish => Math.Tanh(Softplus(z)) + z * Sigmoid(z) * (1.0 - Math.Pow(Math.Tanh(Softplus(z)), 2)),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    /// <summary>Forward, loss and backward over <paramref name="rows"/> rows of x [rows, Inputs] and y [rows, Classes].</summary>
    public static RefPass Run(RefParameters p, ReadOnlySpan<float> x, ReadOnlySpan<float> y, int rows, bool backward = true)
    {
        var xd = new double[rows * p.Model.Inputs];
        for (int k = 0; k < xd.Length; k++) xd[k] = x[k];
        var yd = new double[rows * p.Model.Classes];
        for (int k = 0; k < yd.Length; k++) yd[k] = y[k];
        return Run(p, xd, yd, rows, backward);
    }

    public static RefPass Run(RefParameters p, double[] x, double[] y, int rows, bool backward = true)
    {
        var m = p.Model;
        int layers = m.LayerCount;

        // Forward: Z_i = A_{i-1} W_i^T + b_i, A_i = act_i(Z_i), A_{-1} = X.
        var a = new double[layers + 1][];
        var z = new double[layers][];
        a[0] = x;
        for (int i = 0; i < layers; i++)
        {
            int nIn = m.InputsOf(i), nOut = m.OutputsOf(i);
            var act = m.Layers[i].Activation;
            var w = p.Weights[i];
            var b = p.Biases[i];
            z[i] = new double[rows * nOut];
            a[i + 1] = new double[rows * nOut];
            for (int r = 0; r < rows; r++)
                for (int o = 0; o < nOut; o++)
                {
                    double s = b[o];
                    for (int j = 0; j < nIn; j++) s += w[o * nIn + j] * a[i][r * nIn + j];
                    z[i][r * nOut + o] = s;
                    a[i + 1][r * nOut + o] = Activate(act, s);
                }
        }

        // Head: loss and dLoss/dLogits.
        int classes = m.Classes;
        var logits = a[layers];
        var dLogits = new double[rows * classes];
        var probabilities = new double[rows * classes];
        double loss = 0;
        for (int r = 0; r < rows; r++)
        {
            var zr = new ReadOnlySpan<double>(logits, r * classes, classes);
            var yr = new ReadOnlySpan<double>(y, r * classes, classes);
            var dr = new Span<double>(dLogits, r * classes, classes);
            var pr = new Span<double>(probabilities, r * classes, classes);
            switch (m.Loss)
            {
                case RefLoss.SoftmaxCrossEntropy:
                {
                    double t = m.Temperature, e = m.LabelSmoothing;
                    var logQ = LogSoftmax(zr, t);
                    double rowLoss = 0, targetSum = 0;
                    var smoothed = new double[classes];
                    for (int c = 0; c < classes; c++)
                    {
                        smoothed[c] = (1 - e) * yr[c] + e / classes;
                        targetSum += smoothed[c];
                        if (smoothed[c] != 0) rowLoss -= smoothed[c] * logQ[c];
                    }
                    loss += t * t * rowLoss;
                    // d/dz_c of -T^2 sum_k y'_k log softmax(z / T)_k = T (q_c sum_k y'_k - y'_c): exact even when the
                    // target sums to 1 only to float precision.
                    for (int c = 0; c < classes; c++)
                        dr[c] = t * (Math.Exp(logQ[c]) * targetSum - smoothed[c]) / rows;
                    SoftmaxInto(zr, pr);
                    break;
                }
                case RefLoss.KLDivergence:
                {
                    var logP = LogSoftmax(zr, 1.0);
                    double rowLoss = 0, targetSum = 0;
                    for (int c = 0; c < classes; c++)
                    {
                        targetSum += yr[c];
                        if (yr[c] != 0) rowLoss += yr[c] * (Math.Log(yr[c]) - logP[c]);
                    }
                    loss += rowLoss;
                    for (int c = 0; c < classes; c++)
                        dr[c] = (Math.Exp(logP[c]) * targetSum - yr[c]) / rows;
                    SoftmaxInto(zr, pr);
                    break;
                }
                default:
                {
                    for (int c = 0; c < classes; c++)
                    {
                        double zc = zr[c], yc = yr[c];
                        loss += Math.Max(zc, 0) - zc * yc + Math.Log(1 + Math.Exp(-Math.Abs(zc)));
                        pr[c] = Sigmoid(zc);
                        dr[c] = (pr[c] - yc) / ((double)rows * classes);
                    }
                    break;
                }
            }
        }
        loss /= m.Loss == RefLoss.SigmoidCrossEntropy ? (double)rows * classes : rows;

        var result = new RefPass { Loss = loss, Logits = logits, Probabilities = probabilities };
        if (!backward) return result;

        // Backward: dW_i = dZ_i^T A_{i-1}, db_i = column sums of dZ_i, dZ_{i-1} = (dZ_i W_i) * act'_{i-1}(Z_{i-1}).
        var g = new RefParameters(m);
        var dz = dLogits;
        for (int i = layers - 1; i >= 0; i--)
        {
            int nIn = m.InputsOf(i), nOut = m.OutputsOf(i);
            var w = p.Weights[i];
            var gw = g.Weights[i];
            var gb = g.Biases[i];
            for (int r = 0; r < rows; r++)
                for (int o = 0; o < nOut; o++)
                {
                    double d = dz[r * nOut + o];
                    gb[o] += d;
                    for (int j = 0; j < nIn; j++) gw[o * nIn + j] += d * a[i][r * nIn + j];
                }
            if (i == 0) break;
            var previous = m.Layers[i - 1].Activation;
            var dzPrevious = new double[rows * nIn];
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < nIn; j++)
                {
                    double s = 0;
                    for (int o = 0; o < nOut; o++) s += dz[r * nOut + o] * w[o * nIn + j];
                    dzPrevious[r * nIn + j] = s * Derivative(previous, z[i - 1][r * nIn + j]);
                }
            dz = dzPrevious;
        }
        result.Gradients = g;
        return result;
    }

    public static double Loss(RefParameters p, double[] x, double[] y, int rows) => Run(p, x, y, rows, backward: false).Loss;

    /// <summary>log softmax(z / t) by max subtraction.</summary>
    public static double[] LogSoftmax(ReadOnlySpan<double> z, double t)
    {
        double max = double.NegativeInfinity;
        for (int c = 0; c < z.Length; c++) max = Math.Max(max, z[c] / t);
        double sum = 0;
        for (int c = 0; c < z.Length; c++) sum += Math.Exp(z[c] / t - max);
        double lse = max + Math.Log(sum);
        var result = new double[z.Length];
        for (int c = 0; c < z.Length; c++) result[c] = z[c] / t - lse;
        return result;
    }

    private static void SoftmaxInto(ReadOnlySpan<double> z, Span<double> p)
    {
        var logP = LogSoftmax(z, 1.0);
        for (int c = 0; c < z.Length; c++) p[c] = Math.Exp(logP[c]);
    }
}

/// <summary>
/// torch.optim.SGD / Adam / AdamW in double, tensor by tensor, with their state (momentum buffer; exp_avg and
/// exp_avg_sq). Hyper-parameters are taken from an <see cref="Optimizer"/> (its float values, widened).
/// </summary>
public sealed class RefOptimizer
{
    private readonly Optimizer _o;
    private readonly Dictionary<string, double[]> _m = new();
    private readonly Dictionary<string, double[]> _v = new();
    private long _t;

    public RefOptimizer(Optimizer optimizer) => _o = optimizer;

    /// <summary>Updates <paramref name="p"/> in place with the gradients <paramref name="g"/> (same layout).</summary>
    public void Step(RefParameters p, RefParameters g)
    {
        _t++;
        double lr = _o.LearningRate;
        foreach (var name in p.Names)
        {
            var param = p[name];
            var grad = g[name];
            if (!_m.TryGetValue(name, out var m)) _m[name] = m = new double[param.Length];
            if (!_v.TryGetValue(name, out var v)) _v[name] = v = new double[param.Length];
            switch (_o.Kind)
            {
                case OptimizerKind.Sgd:
                {
                    double mu = _o.Momentum;
                    for (int k = 0; k < param.Length; k++)
                    {
                        // torch: buf = clone(g) on the first step, then buf = mu buf + g (dampening 0); p -= lr buf.
                        double d = grad[k];
                        if (mu != 0)
                        {
                            m[k] = _t == 1 ? d : mu * m[k] + d;
                            d = m[k];
                        }
                        param[k] -= lr * d;
                    }
                    break;
                }
                default:
                {
                    double b1 = _o.Beta1, b2 = _o.Beta2, eps = _o.Epsilon;
                    double bias1 = 1 - Math.Pow(b1, _t), bias2 = 1 - Math.Pow(b2, _t);
                    for (int k = 0; k < param.Length; k++)
                    {
                        if (_o.Kind == OptimizerKind.AdamW) param[k] *= 1 - lr * _o.WeightDecay;
                        double d = grad[k];
                        m[k] = b1 * m[k] + (1 - b1) * d;
                        v[k] = b2 * v[k] + (1 - b2) * d * d;
                        double denominator = Math.Sqrt(v[k]) / Math.Sqrt(bias2) + eps;
                        param[k] -= lr / bias1 * m[k] / denominator;
                    }
                    break;
                }
            }
        }
    }
}
