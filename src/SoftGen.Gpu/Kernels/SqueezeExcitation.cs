using ILGPU;

namespace SoftGen.Gpu.Kernels;

/// <summary>
/// Squeeze-excitation over an image [rows, Pixels, Stride]: s = each channel's mean over the pixels, h = silu(zh) with
/// zh = reduce(s) (Linear(C, Squeeze)), g = sigmoid(expand(h)) (Linear(Squeeze, C)), out = x * g per channel.
/// Per row the forward keeps its vectors in a state buffer, [rows, <see cref="StateLength{TLayer}"/>]: s [Stride],
/// zh [SqueezeStride], h [SqueezeStride], g [Stride]; the backward keeps its own, [rows,
/// <see cref="GradientStateLength{TLayer}"/>]: dzg (at expand's output) [Stride], dzh (at reduce's output)
/// [SqueezeStride], ds / Pixels [Stride]. Every kernel is one thread per value, each sum taken serially in a fixed
/// order (pixels, channels, or the batch's rows for the parameter gradients).
/// Forward: <see cref="Squeeze{TLayer}"/>, <see cref="Reduce{TLayer}"/>, <see cref="Expand{TLayer}"/>,
/// <see cref="Scale{TLayer}"/>; backward: <see cref="GateGradient{TLayer}"/>, <see cref="HiddenGradient{TLayer}"/>,
/// <see cref="SqueezeGradient{TLayer}"/>, <see cref="ParameterGradients{TLayer}"/> and an input gradient.
/// </summary>
public static class SqueezeExcitation
{
    /// <summary>Floats of a row's forward state: s, zh, h and g.</summary>
    public static int StateLength<TLayer>() where TLayer : struct, ISqueezeExcitationLayer =>
        2 * (default(TLayer).Stride + default(TLayer).SqueezeStride);

    /// <summary>Floats of a row's backward state: dzg, dzh and ds / Pixels.</summary>
    public static int GradientStateLength<TLayer>() where TLayer : struct, ISqueezeExcitationLayer =>
        2 * default(TLayer).Stride + default(TLayer).SqueezeStride;

    /// <summary>Floats of the layer's parameters (padding included): the four tensors.</summary>
    public static int ParameterLength<TLayer>() where TLayer : struct, ISqueezeExcitationLayer =>
        2 * default(TLayer).Stride * default(TLayer).SqueezeStride + default(TLayer).SqueezeStride + default(TLayer).Stride;

    private static int ReduceBias<TLayer>() where TLayer : struct, ISqueezeExcitationLayer =>
        default(TLayer).Offset + default(TLayer).Stride * default(TLayer).SqueezeStride;

    private static int ExpandWeight<TLayer>() where TLayer : struct, ISqueezeExcitationLayer => ReduceBias<TLayer>() + default(TLayer).SqueezeStride;

    private static int ExpandBias<TLayer>() where TLayer : struct, ISqueezeExcitationLayer =>
        ExpandWeight<TLayer>() + default(TLayer).SqueezeStride * default(TLayer).Stride;

    // Offsets of the vectors within a row's state.
    private static int Zh<TLayer>() where TLayer : struct, ISqueezeExcitationLayer => default(TLayer).Stride;

    private static int H<TLayer>() where TLayer : struct, ISqueezeExcitationLayer => default(TLayer).Stride + default(TLayer).SqueezeStride;

    private static int G<TLayer>() where TLayer : struct, ISqueezeExcitationLayer => default(TLayer).Stride + 2 * default(TLayer).SqueezeStride;

    private static int Dzh<TLayer>() where TLayer : struct, ISqueezeExcitationLayer => default(TLayer).Stride;

    private static int Ds<TLayer>() where TLayer : struct, ISqueezeExcitationLayer => default(TLayer).Stride + default(TLayer).SqueezeStride;

    /// <summary>Where input value (r, q, c) sits (the output is always [rows, Pixels, Stride]).</summary>
    private static int X<TLayer>(int r, int q, int c) where TLayer : struct, ISqueezeExcitationLayer =>
        InputIndex.At(default(TLayer).ReadsNchw, default(TLayer).Channels, default(TLayer).Stride, default(TLayer).Pixels, r, q, c);

    /// <summary>s[r, c] = mean over the pixels of x[r, .., c]; threads: rows x Channels.</summary>
    public static void Squeeze<TLayer>(ArrayView<float> x, ArrayView<float> state, int rows) where TLayer : struct, ISqueezeExcitationLayer
    {
        var l = default(TLayer);
        int e = Grid.GlobalIndex.X;
        if (e >= rows * l.Channels) return;
        int r = e / l.Channels, c = e - r * l.Channels;
        float sum = 0f;
        for (int q = 0; q < l.Pixels; q++) sum += x[X<TLayer>(r, q, c)];
        state[r * StateLength<TLayer>() + c] = sum / l.Pixels;
    }

    /// <summary>zh[r, j] = reduce.bias[j] + sum over c of s[r, c] reduce.weight[j, c], h = silu(zh); threads: rows x Squeeze.</summary>
    public static void Reduce<TLayer>(ArrayView<float> p, ArrayView<float> state, int rows) where TLayer : struct, ISqueezeExcitationLayer
    {
        var l = default(TLayer);
        int e = Grid.GlobalIndex.X;
        if (e >= rows * l.Squeeze) return;
        int r = e / l.Squeeze, j = e - r * l.Squeeze, row = r * StateLength<TLayer>();
        float z = p[ReduceBias<TLayer>() + j];
        for (int c = 0; c < l.Channels; c++) z += state[row + c] * p[l.Offset + c * l.SqueezeStride + j];
        state[row + Zh<TLayer>() + j] = z;
        state[row + H<TLayer>() + j] = KernelMath.Silu(z);
    }

    /// <summary>g[r, c] = sigmoid(expand.bias[c] + sum over j of h[r, j] expand.weight[c, j]); threads: rows x Channels.</summary>
    public static void Expand<TLayer>(ArrayView<float> p, ArrayView<float> state, int rows) where TLayer : struct, ISqueezeExcitationLayer
    {
        var l = default(TLayer);
        int e = Grid.GlobalIndex.X;
        if (e >= rows * l.Channels) return;
        int r = e / l.Channels, c = e - r * l.Channels, row = r * StateLength<TLayer>();
        float z = p[ExpandBias<TLayer>() + c];
        for (int j = 0; j < l.Squeeze; j++) z += state[row + H<TLayer>() + j] * p[ExpandWeight<TLayer>() + j * l.Stride + c];
        state[row + G<TLayer>() + c] = KernelMath.Sigmoid(z);
    }

    /// <summary>out = x * g per channel; threads: one per stored value (padding channels written 0).</summary>
    public static void Scale<TLayer>(ArrayView<float> x, ArrayView<float> state, ArrayView<float> a, int rows) where TLayer : struct, ISqueezeExcitationLayer
    {
        var l = default(TLayer);
        int e = Grid.GlobalIndex.X;
        if (e >= rows * l.Pixels * l.Stride) return;
        int c = e % l.Stride, q = e / l.Stride, r = q / l.Pixels;
        a[e] = c < l.Channels ? x[X<TLayer>(r, q - r * l.Pixels, c)] * state[r * StateLength<TLayer>() + G<TLayer>() + c] : 0f;
    }

    /// <summary>dzg[r, c] = (sum over the pixels of dy x) g (1 - g): the gradient at expand's output; threads: rows x Channels.</summary>
    public static void GateGradient<TLayer>(ArrayView<float> dy, ArrayView<float> x, ArrayView<float> state, ArrayView<float> gradients, int rows)
        where TLayer : struct, ISqueezeExcitationLayer
    {
        var l = default(TLayer);
        int e = Grid.GlobalIndex.X;
        if (e >= rows * l.Channels) return;
        int r = e / l.Channels, c = e - r * l.Channels;
        float sum = 0f;
        for (int q = 0; q < l.Pixels; q++) sum += dy[(r * l.Pixels + q) * l.Stride + c] * x[X<TLayer>(r, q, c)];
        float g = state[r * StateLength<TLayer>() + G<TLayer>() + c];
        gradients[r * GradientStateLength<TLayer>() + c] = sum * g * (1f - g);
    }

    /// <summary>dzh[r, j] = (sum over c of dzg[r, c] expand.weight[c, j]) silu'(zh[r, j]); threads: rows x Squeeze.</summary>
    public static void HiddenGradient<TLayer>(ArrayView<float> p, ArrayView<float> state, ArrayView<float> gradients, int rows)
        where TLayer : struct, ISqueezeExcitationLayer
    {
        var l = default(TLayer);
        int e = Grid.GlobalIndex.X;
        if (e >= rows * l.Squeeze) return;
        int r = e / l.Squeeze, j = e - r * l.Squeeze, row = r * GradientStateLength<TLayer>();
        float sum = 0f;
        for (int c = 0; c < l.Channels; c++) sum += gradients[row + c] * p[ExpandWeight<TLayer>() + j * l.Stride + c];
        gradients[row + Dzh<TLayer>() + j] = sum * KernelMath.SiluDerivative(state[r * StateLength<TLayer>() + Zh<TLayer>() + j]);
    }

    /// <summary>ds[r, c] / Pixels = (sum over j of dzh[r, j] reduce.weight[j, c]) / Pixels: what each pixel's x gets through s; threads: rows x Channels.</summary>
    public static void SqueezeGradient<TLayer>(ArrayView<float> p, ArrayView<float> gradients, int rows) where TLayer : struct, ISqueezeExcitationLayer
    {
        var l = default(TLayer);
        int e = Grid.GlobalIndex.X;
        if (e >= rows * l.Channels) return;
        int r = e / l.Channels, c = e - r * l.Channels, row = r * GradientStateLength<TLayer>();
        float sum = 0f;
        for (int j = 0; j < l.Squeeze; j++) sum += gradients[row + Dzh<TLayer>() + j] * p[l.Offset + c * l.SqueezeStride + j];
        gradients[row + Ds<TLayer>() + c] = sum / l.Pixels;
    }

    /// <summary>dZ_prev = (dy g + ds / Pixels) * act'(A_prev); threads: one per stored value (padding channels written 0).</summary>
    public static void InputGradient<TLayer, TPrevious>(ArrayView<float> dy, ArrayView<float> state, ArrayView<float> gradients, ArrayView<float> aPrev,
        ArrayView<float> dzPrev, int rows)
        where TLayer : struct, ISqueezeExcitationLayer where TPrevious : struct, IGpuActivationFromOutput =>
        RunInputGradient<TLayer, FromOutput<TPrevious>>(dy, state, gradients, dzPrev, new FromOutput<TPrevious>(aPrev), rows);

    /// <summary>dZ_prev = (dy g + ds / Pixels) * act'(Z_prev), for an activation whose derivative needs Z.</summary>
    public static void InputGradientAfterPreActivation<TLayer, TPrevious>(ArrayView<float> dy, ArrayView<float> state, ArrayView<float> gradients,
        ArrayView<float> zPrev, ArrayView<float> dzPrev, int rows)
        where TLayer : struct, ISqueezeExcitationLayer where TPrevious : struct, IGpuActivationFromInput =>
        RunInputGradient<TLayer, FromInput<TPrevious>>(dy, state, gradients, dzPrev, new FromInput<TPrevious>(zPrev), rows);

    private static void RunInputGradient<TLayer, TDerivative>(ArrayView<float> dy, ArrayView<float> state, ArrayView<float> gradients, ArrayView<float> dzPrev,
        TDerivative derivative, int rows)
        where TLayer : struct, ISqueezeExcitationLayer where TDerivative : struct, IPreviousDerivative
    {
        var l = default(TLayer);
        int e = Grid.GlobalIndex.X;
        if (e >= rows * l.Pixels * l.Stride) return;
        int c = e % l.Stride, r = e / l.Stride / l.Pixels;
        if (c >= l.Channels) { dzPrev[e] = 0f; return; }
        float g = state[r * StateLength<TLayer>() + G<TLayer>() + c], ds = gradients[r * GradientStateLength<TLayer>() + Ds<TLayer>() + c];
        dzPrev[e] = (dy[e] * g + ds) * derivative.At(e);
    }

    /// <summary>
    /// The four tensors' gradients, one thread per stored parameter (<see cref="ParameterLength{TLayer}"/>), each a sum
    /// over the batch's rows in order: d reduce.weight[j, c] = s dzh, d reduce.bias = dzh, d expand.weight[c, j] = h dzg,
    /// d expand.bias = dzg; padding entries written 0.
    /// </summary>
    public static void ParameterGradients<TLayer>(ArrayView<float> state, ArrayView<float> gradients, ArrayView<float> g, int rows)
        where TLayer : struct, ISqueezeExcitationLayer
    {
        var l = default(TLayer);
        int e = Grid.GlobalIndex.X;
        if (e >= ParameterLength<TLayer>()) return;
        int stateLength = StateLength<TLayer>(), gradientLength = GradientStateLength<TLayer>();
        // Each entry as (a, aAt, b, bAt): the sum over rows of a[row + aAt] * b[row + bAt], or of b alone when aAt < 0.
        int reduceWeights = l.Stride * l.SqueezeStride, ownIndex = e;
        int aAt = -1, bAt = -1;
        bool real;
        if (e < reduceWeights)
        {
            int c = e / l.SqueezeStride, j = e - c * l.SqueezeStride;
            real = c < l.Channels && j < l.Squeeze;
            aAt = c;
            bAt = Dzh<TLayer>() + j;
        }
        else if ((e -= reduceWeights) < l.SqueezeStride)
        {
            real = e < l.Squeeze;
            bAt = Dzh<TLayer>() + e;
        }
        else if ((e -= l.SqueezeStride) < l.SqueezeStride * l.Stride)
        {
            int j = e / l.Stride, c = e - j * l.Stride;
            real = c < l.Channels && j < l.Squeeze;
            aAt = H<TLayer>() + j;
            bAt = c;
        }
        else
        {
            e -= l.SqueezeStride * l.Stride;
            real = e < l.Channels;
            bAt = e;
        }
        float sum = 0f;
        if (real)
            for (int r = 0; r < rows; r++)
                sum += aAt < 0 ? gradients[r * gradientLength + bAt] : state[r * stateLength + aAt] * gradients[r * gradientLength + bAt];
        g[l.Offset + ownIndex] = sum;
    }
}
