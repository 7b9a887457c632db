using ILGPU;
using ILGPU.Algorithms;

namespace SoftGen.Gpu.Kernels;

/// <summary>
/// Generalised-mean pooling: out[r, c] = m^(1/p), m = the mean over the pixels of max(x, eps)^p, [rows, Pixels, Stride]
/// -> [rows, Channels] (dense). The forward keeps m, [rows, Channels], for the backward. With a learnable p, dL/dp
/// is reduced in a fixed order: <see cref="ExponentTerms{TLayer}"/> (one thread per (row, channel)),
/// <see cref="ExponentChannelSums{TLayer}"/> (one thread per channel, over the rows in order) and
/// <see cref="ExponentGradient{TLayer}"/> (one thread, over the channels in order).
/// </summary>
public static class GemPool
{
    private static float Exponent<TLayer>(ArrayView<float> p) where TLayer : struct, IGemPoolLayer =>
        default(TLayer).Learnable ? p[default(TLayer).POffset] : default(TLayer).P;

    /// <summary>max(v, eps)^p, as exp(p log v) (v is positive).</summary>
    private static float Power(float v, float exponent) => XMath.Exp(exponent * XMath.Log(v));

    /// <summary>out[r, c] = m^(1/p) and m[r, c]; threads: rows x Channels.</summary>
    public static void Forward<TLayer>(ArrayView<float> x, ArrayView<float> p, ArrayView<float> a, ArrayView<float> m, int rows)
        where TLayer : struct, IGemPoolLayer
    {
        var l = default(TLayer);
        int e = Grid.GlobalIndex.X;
        if (e >= rows * l.Channels) return;
        int r = e / l.Channels, c = e - r * l.Channels;
        float exponent = Exponent<TLayer>(p), sum = 0f;
        for (int q = 0; q < l.Pixels; q++) sum += Power(XMath.Max(x[InputIndex.At(l.ReadsNchw, l.Channels, l.Stride, l.Pixels, r, q, c)], l.Epsilon), exponent);
        float mean = sum / l.Pixels;
        m[e] = mean;
        a[e] = Power(mean, 1f / exponent);
    }

    /// <summary>
    /// dZ_prev = dy out x^(p-1) / (Pixels m) where x >= eps (else 0), times act'(A_prev), A_prev being x itself; threads:
    /// one per stored input value (padding channels written 0). Never the first layer: x is [rows, Pixels, Stride].
    /// </summary>
    public static void InputGradient<TLayer, TPrevious>(ArrayView<float> x, ArrayView<float> p, ArrayView<float> dy, ArrayView<float> a, ArrayView<float> m,
        ArrayView<float> dzPrev, int rows)
        where TLayer : struct, IGemPoolLayer where TPrevious : struct, IGpuActivationFromOutput =>
        RunInputGradient<TLayer, FromOutput<TPrevious>>(x, p, dy, a, m, dzPrev, new FromOutput<TPrevious>(x), rows);

    /// <summary>As <see cref="InputGradient{TLayer, TPrevious}"/>, times act'(Z_prev) for an activation whose derivative needs Z.</summary>
    public static void InputGradientAfterPreActivation<TLayer, TPrevious>(ArrayView<float> x, ArrayView<float> zPrev, ArrayView<float> p, ArrayView<float> dy,
        ArrayView<float> a, ArrayView<float> m, ArrayView<float> dzPrev, int rows)
        where TLayer : struct, IGemPoolLayer where TPrevious : struct, IGpuActivationFromInput =>
        RunInputGradient<TLayer, FromInput<TPrevious>>(x, p, dy, a, m, dzPrev, new FromInput<TPrevious>(zPrev), rows);

    private static void RunInputGradient<TLayer, TDerivative>(ArrayView<float> x, ArrayView<float> p, ArrayView<float> dy, ArrayView<float> a, ArrayView<float> m,
        ArrayView<float> dzPrev, TDerivative derivative, int rows)
        where TLayer : struct, IGemPoolLayer where TDerivative : struct, IPreviousDerivative
    {
        var l = default(TLayer);
        int e = Grid.GlobalIndex.X;
        if (e >= rows * l.Pixels * l.Stride) return;
        int c = e % l.Stride, r = e / l.Stride / l.Pixels, o = r * l.Channels + c;
        float v = x[e];
        if (c >= l.Channels || !(v >= l.Epsilon)) { dzPrev[e] = 0f; return; }
        float exponent = Exponent<TLayer>(p);
        dzPrev[e] = dy[o] * a[o] / (l.Pixels * m[o]) * Power(v, exponent - 1f) * derivative.At(e);
    }

    /// <summary>
    /// terms[r, c] = dy out (mean(x^p log x) / (p m) - log(m) / p^2): (row, channel)'s share of dL/dp, x clamped at eps;
    /// threads: rows x Channels.
    /// </summary>
    public static void ExponentTerms<TLayer>(ArrayView<float> x, ArrayView<float> p, ArrayView<float> dy, ArrayView<float> a, ArrayView<float> m,
        ArrayView<float> terms, int rows)
        where TLayer : struct, IGemPoolLayer
    {
        var l = default(TLayer);
        int e = Grid.GlobalIndex.X;
        if (e >= rows * l.Channels) return;
        int r = e / l.Channels, c = e - r * l.Channels;
        float exponent = Exponent<TLayer>(p), sum = 0f;
        for (int q = 0; q < l.Pixels; q++)
        {
            float v = XMath.Max(x[InputIndex.At(l.ReadsNchw, l.Channels, l.Stride, l.Pixels, r, q, c)], l.Epsilon), log = XMath.Log(v);
            sum += XMath.Exp(exponent * log) * log;
        }
        float mean = m[e];
        terms[e] = dy[e] * a[e] * (sum / l.Pixels / (exponent * mean) - XMath.Log(mean) / (exponent * exponent));
    }

    /// <summary>terms[0, c] = the sum over the rows of terms[.., c], in order (in place); threads: Channels.</summary>
    public static void ExponentChannelSums<TLayer>(ArrayView<float> terms, int rows) where TLayer : struct, IGemPoolLayer
    {
        var l = default(TLayer);
        int c = Grid.GlobalIndex.X;
        if (c >= l.Channels) return;
        float sum = 0f;
        for (int r = 0; r < rows; r++) sum += terms[r * l.Channels + c];
        terms[c] = sum;
    }

    /// <summary>dL/dp = the sum over the channels of terms[0, c], in order, into g at POffset; one thread.</summary>
    public static void ExponentGradient<TLayer>(ArrayView<float> terms, ArrayView<float> g) where TLayer : struct, IGemPoolLayer
    {
        var l = default(TLayer);
        if (Grid.GlobalIndex.X != 0) return;
        float sum = 0f;
        for (int c = 0; c < l.Channels; c++) sum += terms[c];
        g[l.POffset] = sum;
    }
}
