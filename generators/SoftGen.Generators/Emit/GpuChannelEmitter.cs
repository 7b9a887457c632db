using System.Collections.Generic;
using SoftGen.Generators.Model;

namespace SoftGen.Generators.Emit;

/// <summary>
/// The GPU program's depthwise convolutions, squeeze-excitation and GeM pooling, over SoftGen.Gpu.Kernels'
/// DepthwiseConv, SqueezeExcitation and GemPool: per layer a layout struct, its buffers, its one-line kernels and their
/// launches each way (the CPU program's dataflow, <see cref="CpuChannelEmitter"/>: the previous layer's act' fused into
/// each input gradient). All of them are element-wise kernels, one thread per value, every sum in a fixed order.
/// </summary>
/// <remarks>
/// Buffers: per depthwise convolution i, <c>_partials{i}</c> (dW and db by chunk of output positions); per
/// squeeze-excitation i, <c>_se{i}</c> (each row's means, squeeze pre-activations and activations, gates) and
/// <c>_seGradients{i}</c> (each row's gradients at the gate, the squeeze and the means); per GeM pool i,
/// <c>_gem{i}</c> (each row's and channel's mean of x^p) and, when p is learned, <c>_gemTerms{i}</c> (dL/dp by row
/// and channel, then by channel).
/// </remarks>
internal static class GpuChannelEmitter
{
    private const string Kernels = "global::SoftGen.Gpu.Kernels.";

    /// <summary>True for the layers this emitter handles.</summary>
    public static bool Handles(LayerPlan l) => l.IsDepthwise || l.Kind is LayerKind.SqueezeExcitation or LayerKind.GemPool;

    // ---- Layout structs ----

    public static void WriteLayerConstants(SourceWriter w, LayerPlan l)
    {
        switch (l.Kind)
        {
            case LayerKind.Conv2D:
                GpuConvEmitter.WriteLayerConstants(w, l);
                break;
            case LayerKind.SqueezeExcitation:
                w.Line("/// <summary>Layer " + l.Index + "'s squeeze-excitation over [rows, " + l.Input.Text + "], squeeze " + l.Squeeze + "; reduce.weight, reduce.bias, expand.weight, expand.bias from "
                    + l.WeightOffset + ".</summary>");
                using (w.Block("private readonly struct Layer" + l.Index + " : " + Kernels + "ISqueezeExcitationLayer"))
                {
                    WriteLayout(w, l.Input);
                    w.Line("public int Squeeze => " + l.Squeeze + ";");
                    w.Line("public int SqueezeStride => " + l.SqueezeStride + ";");
                    w.Line("public int Offset => " + l.WeightOffset + ";");
                    w.Line("public bool ReadsNchw => " + (GpuTensors.ReadsNchw(l) ? "true" : "false") + ";");
                }
                break;
            default:
                w.Line("/// <summary>Layer " + l.Index + "'s GeM pooling of [rows, " + l.Input.Text + "]: p " + (l.Learnable ? "learned, at " + l.WeightOffset : "fixed") + ".</summary>");
                using (w.Block("private readonly struct Layer" + l.Index + " : " + Kernels + "IGemPoolLayer"))
                {
                    WriteLayout(w, l.Input);
                    w.Line("public bool Learnable => " + (l.Learnable ? "true" : "false") + ";");
                    w.Line("public float P => " + Describe.Float(l.P) + ";" + (l.Learnable ? " // the initial value; the kernels read p from the parameters" : ""));
                    w.Line("public int POffset => " + (l.Learnable ? l.WeightOffset : -1) + ";");
                    w.Line("public float Epsilon => " + Describe.Float(l.Epsilon) + ";");
                    w.Line("public bool ReadsNchw => " + (GpuTensors.ReadsNchw(l) ? "true" : "false") + ";");
                }
                break;
        }
    }

    private static void WriteLayout(SourceWriter w, TensorPlan t)
    {
        w.Line("public int Channels => " + t.Channels + ";");
        w.Line("public int Stride => " + GpuTensors.Stride(t) + ";");
        w.Line("public int Pixels => " + t.Pixels + ";");
    }

    // ---- Buffers ----

    public static IEnumerable<string> BufferNames(LayerPlan l)
    {
        switch (l.Kind)
        {
            case LayerKind.Conv2D:
                return new[] { "_partials" + l.Index };
            case LayerKind.SqueezeExcitation:
                return new[] { "_se" + l.Index, "_seGradients" + l.Index };
            default:
                return l.Learnable ? new[] { "_gem" + l.Index, "_gemTerms" + l.Index } : new[] { "_gem" + l.Index };
        }
    }

    public static void WriteAllocations(SourceWriter w, LayerPlan l)
    {
        string type = "Layer" + l.Index, i = Describe.Int(l.Index);
        switch (l.Kind)
        {
            case LayerKind.Conv2D:
                w.Line("_partials" + i + " = AllocateBuffer(" + Kernels + "DepthwiseConv.PartialsLength<" + type + ">(BatchCapacity)).View;");
                break;
            case LayerKind.SqueezeExcitation:
                w.Line("_se" + i + " = AllocateBuffer((long)BatchCapacity * " + Kernels + "SqueezeExcitation.StateLength<" + type + ">()).View;");
                w.Line("_seGradients" + i + " = AllocateBuffer((long)BatchCapacity * " + Kernels + "SqueezeExcitation.GradientStateLength<" + type + ">()).View;");
                break;
            default:
                w.Line("_gem" + i + " = AllocateBuffer((long)BatchCapacity * " + l.Out + ").View;");
                if (l.Learnable)
                    w.Line("_gemTerms" + i + " = AllocateBuffer((long)BatchCapacity * " + l.Out + ").View;");
                break;
        }
    }

    // ---- Kernels ----

    /// <summary>The layer's kernels, in the order the program declares them; <paramref name="previous"/> is the activation whose act' the input gradient applies.</summary>
    public static IEnumerable<GpuKernel> KernelsOf(LayerPlan l, ActivationKind previous, int first)
    {
        string type = "Layer" + l.Index, i = Describe.Int(l.Index), prevType = GpuDenseEmitter.ActivationType(previous);
        bool inputGradient = l.Index > first, afterZ = LayerPlan.NeedsPreActivation(previous);
        string derivative = Derivative(previous, afterZ ? "Z_prev" : "A_prev");
        switch (l.Kind)
        {
            case LayerKind.Conv2D:
            {
                string dw = Kernels + "DepthwiseConv.";
                bool keepsZ = l.KeepsPreActivation;
                yield return new GpuKernel("Forward" + i, keepsZ ? new[] { "x", "p", "z", "a", "int rows" } : new[] { "x", "p", "a", "int rows" },
                    dw + (keepsZ ? "ForwardKeepingZ" : "Forward") + "<" + type + ", " + GpuDenseEmitter.ActivationType(l.Activation) + ">(x, p, " + (keepsZ ? "z, " : "") + "a, rows)",
                    CpuPassEmitter.Formula(l) + " (depthwise: each channel with its own kernel), one thread per output value");
                yield return new GpuKernel("Backward" + i, new[] { "x", "dz", "partials", "int rows" },
                    dw + "WeightChunks<" + type + ">(x, dz, partials, rows)", "backward, stage 1: dW and db by (chunk of output positions, tap, channel)");
                yield return new GpuKernel("SumWeights" + i, new[] { "partials", "g", "int rows" },
                    dw + "SumWeights<" + type + ">(partials, g, rows)", "backward, stage 2: dW and db, the chunks added in order");
                if (inputGradient)
                    yield return new GpuKernel("InputGradient" + i, new[] { "p", "dz", afterZ ? "zPrev" : "aPrev", "dzPrev", "int rows" },
                        dw + (afterZ ? "InputGradientAfterPreActivation" : "InputGradient") + "<" + type + ", " + prevType + ">(p, dz, " + (afterZ ? "zPrev" : "aPrev") + ", dzPrev, rows)",
                        "backward: dZ_prev = (the transposed depthwise convolution of dZ)" + derivative);
                break;
            }
            case LayerKind.SqueezeExcitation:
            {
                string se = Kernels + "SqueezeExcitation.";
                yield return new GpuKernel("Squeeze" + i, new[] { "x", "state", "int rows" }, se + "Squeeze<" + type + ">(x, state, rows)", "each row's channel means s");
                yield return new GpuKernel("Reduce" + i, new[] { "p", "state", "int rows" }, se + "Reduce<" + type + ">(p, state, rows)", "zh = reduce(s), h = silu(zh)");
                yield return new GpuKernel("Expand" + i, new[] { "p", "state", "int rows" }, se + "Expand<" + type + ">(p, state, rows)", "the gates g = sigmoid(expand(h))");
                yield return new GpuKernel("Scale" + i, new[] { "x", "state", "a", "int rows" }, se + "Scale<" + type + ">(x, state, a, rows)", "A = x * g per channel");
                yield return new GpuKernel("GateGradient" + i, new[] { "dy", "x", "state", "gradients", "int rows" },
                    se + "GateGradient<" + type + ">(dy, x, state, gradients, rows)", "backward: the gradient at expand's output, (sum over pixels of dA x) g (1 - g)");
                yield return new GpuKernel("HiddenGradient" + i, new[] { "p", "state", "gradients", "int rows" },
                    se + "HiddenGradient<" + type + ">(p, state, gradients, rows)", "backward: the gradient at reduce's output, expand^T(that) * silu'(zh)");
                if (inputGradient)
                {
                    yield return new GpuKernel("SqueezeGradient" + i, new[] { "p", "gradients", "int rows" },
                        se + "SqueezeGradient<" + type + ">(p, gradients, rows)", "backward: the gradient at the means, reduce^T(that), over the pixels");
                    yield return new GpuKernel("InputGradient" + i, new[] { "dy", "state", "gradients", afterZ ? "zPrev" : "aPrev", "dzPrev", "int rows" },
                        se + (afterZ ? "InputGradientAfterPreActivation" : "InputGradient") + "<" + type + ", " + prevType + ">(dy, state, gradients, " + (afterZ ? "zPrev" : "aPrev") + ", dzPrev, rows)",
                        "backward: dZ_prev = (dA g + the means' gradient / pixels)" + derivative);
                }
                yield return new GpuKernel("ParameterGradients" + i, new[] { "state", "gradients", "g", "int rows" },
                    se + "ParameterGradients<" + type + ">(state, gradients, g, rows)", "backward: the four tensors' gradients, the rows added in order");
                break;
            }
            default:
            {
                string gem = Kernels + "GemPool.";
                yield return new GpuKernel("Forward" + i, new[] { "x", "p", "a", "m", "int rows" }, gem + "Forward<" + type + ">(x, p, a, m, rows)",
                    CpuPassEmitter.Formula(l) + "; keeps each mean of x^p");
                if (inputGradient)
                    yield return afterZ
                        ? new GpuKernel("InputGradient" + i, new[] { "x", "zPrev", "p", "dy", "a", "m", "dzPrev", "int rows" },
                            gem + "InputGradientAfterPreActivation<" + type + ", " + prevType + ">(x, zPrev, p, dy, a, m, dzPrev, rows)",
                            "backward: dZ_prev = dA out x^(p-1) / (pixels m) where x >= eps" + derivative)
                        : new GpuKernel("InputGradient" + i, new[] { "x", "p", "dy", "a", "m", "dzPrev", "int rows" },
                            gem + "InputGradient<" + type + ", " + prevType + ">(x, p, dy, a, m, dzPrev, rows)",
                            "backward: dZ_prev = dA out x^(p-1) / (pixels m) where x >= eps" + derivative);
                if (l.Learnable)
                {
                    yield return new GpuKernel("ExponentTerms" + i, new[] { "x", "p", "dy", "a", "m", "terms", "int rows" },
                        gem + "ExponentTerms<" + type + ">(x, p, dy, a, m, terms, rows)", "backward: each row's and channel's share of dL/dp");
                    yield return new GpuKernel("ExponentChannelSums" + i, new[] { "terms", "int rows" },
                        gem + "ExponentChannelSums<" + type + ">(terms, rows)", "backward: dL/dp per channel, the rows added in order");
                    yield return new GpuKernel("ExponentGradient" + i, new[] { "terms", "g" },
                        gem + "ExponentGradient<" + type + ">(terms, g)", "backward: dL/dp, the channels added in order");
                }
                break;
            }
        }
    }

    private static string Derivative(ActivationKind act, string of) =>
        act == ActivationKind.None ? "" : " * " + Describe.ActivationFunction(act) + "'(" + of + ")";

    // ---- Launches ----

    /// <summary>Launches of a training step's forward pass for layer <paramref name="l"/>.</summary>
    public static int ForwardLaunches(LayerPlan l) => l.Kind == LayerKind.SqueezeExcitation ? 4 : 1;

    /// <summary>Launches of the backward pass for layer <paramref name="l"/>, at or after the first layer with parameters.</summary>
    public static int BackwardLaunches(LayerPlan l, int first)
    {
        int input = l.Index > first ? 1 : 0;
        return l.Kind switch
        {
            LayerKind.Conv2D => 2 + input,
            LayerKind.SqueezeExcitation => 3 + 2 * input,
            _ => input + (l.Learnable ? 3 : 0),
        };
    }

    private static string Config(string threads) => "new global::ILGPU.KernelConfig(" + GpuTensors.Groups(threads) + ", Threads)";

    private static string Launch(string kernel, string config, string args) => "_" + char.ToLowerInvariant(kernel[0]) + kernel.Substring(1) + "(Stream, " + config + ", " + args + ");";

    private static void AfterLaunch(SourceWriter w, string name) => w.Line("AfterLaunch(\"" + name + "\");");

    public static void WriteForward(SourceWriter w, LayerPlan l)
    {
        string source = GpuTensors.Source(l), type = "Layer" + l.Index, i = Describe.Int(l.Index);
        w.Line("// Layer " + i + ": " + CpuPassEmitter.Formula(l) + ", [rows, " + l.Input.Text + "] -> [rows, " + l.Output.Text + "].");
        switch (l.Kind)
        {
            case LayerKind.Conv2D:
                w.Line(Launch("Forward" + i, Config(Kernels + "DepthwiseConv.OutputThreads<" + type + ">(rows)"),
                    source + ", Parameters, " + (l.KeepsPreActivation ? "_z" + i + ", " : "") + "_a" + i + ", rows"));
                AfterLaunch(w, "Forward" + i);
                break;
            case LayerKind.SqueezeExcitation:
                w.Line(Launch("Squeeze" + i, Config("rows * " + l.Out), source + ", _se" + i + ", rows"));
                AfterLaunch(w, "Squeeze" + i);
                w.Line(Launch("Reduce" + i, Config("rows * " + l.Squeeze), "Parameters, _se" + i + ", rows"));
                AfterLaunch(w, "Reduce" + i);
                w.Line(Launch("Expand" + i, Config("rows * " + l.Out), "Parameters, _se" + i + ", rows"));
                AfterLaunch(w, "Expand" + i);
                w.Line(Launch("Scale" + i, Config("rows * " + GpuTensors.RowLength(l.Output)), source + ", _se" + i + ", _a" + i + ", rows"));
                AfterLaunch(w, "Scale" + i);
                break;
            default:
                w.Line(Launch("Forward" + i, Config("rows * " + l.Out), source + ", Parameters, _a" + i + ", _gem" + i + ", rows"));
                AfterLaunch(w, "Forward" + i);
                break;
        }
    }

    /// <summary>
    /// The layer's backward launches. <paramref name="zPrev"/>: "_z{i-1}, " where the previous layer's act' needs Z
    /// ("" otherwise); <paramref name="dzPrev"/>: its dZ, null when nothing before this layer needs a gradient.
    /// </summary>
    public static void WriteBackward(SourceWriter w, LayerPlan l, string zPrev, string? dzPrev)
    {
        string source = GpuTensors.Source(l), type = "Layer" + l.Index, i = Describe.Int(l.Index), dz = GpuNormEmitter.Gradient(l);
        string derivativeInput = zPrev.Length > 0 ? zPrev.TrimEnd(',', ' ') : source; // Z_prev, or A_prev (the layer's input)
        switch (l.Kind)
        {
            case LayerKind.Conv2D:
                w.Line("// Layer " + i + " backward: dW" + i + " and db" + i + " per channel" + (dzPrev is null ? "." : ", dZ" + (l.Index - 1) + " = the transposed depthwise convolution of dZ" + i + "."));
                w.Line(Launch("Backward" + i, Config(Kernels + "DepthwiseConv.WeightChunkThreads<" + type + ">(rows)"), source + ", " + dz + ", _partials" + i + ", rows"));
                AfterLaunch(w, "Backward" + i);
                w.Line(Launch("SumWeights" + i, Config(Kernels + "DepthwiseConv.WeightThreads<" + type + ">()"), "_partials" + i + ", Gradients, rows"));
                AfterLaunch(w, "SumWeights" + i);
                if (dzPrev is not null)
                {
                    w.Line(Launch("InputGradient" + i, Config(Kernels + "DepthwiseConv.InputThreads<" + type + ">(rows)"), "Parameters, " + dz + ", " + derivativeInput + ", " + dzPrev + ", rows"));
                    AfterLaunch(w, "InputGradient" + i);
                }
                break;
            case LayerKind.SqueezeExcitation:
                w.Line("// Layer " + i + " backward: the gradients of reduce and expand" + (dzPrev is null ? "." : ", dZ" + (l.Index - 1) + "."));
                w.Line(Launch("GateGradient" + i, Config("rows * " + l.Out), dz + ", " + source + ", _se" + i + ", _seGradients" + i + ", rows"));
                AfterLaunch(w, "GateGradient" + i);
                w.Line(Launch("HiddenGradient" + i, Config("rows * " + l.Squeeze), "Parameters, _se" + i + ", _seGradients" + i + ", rows"));
                AfterLaunch(w, "HiddenGradient" + i);
                if (dzPrev is not null)
                {
                    w.Line(Launch("SqueezeGradient" + i, Config("rows * " + l.Out), "Parameters, _seGradients" + i + ", rows"));
                    AfterLaunch(w, "SqueezeGradient" + i);
                    w.Line(Launch("InputGradient" + i, Config("rows * " + GpuTensors.RowLength(l.Input)), dz + ", _se" + i + ", _seGradients" + i + ", " + derivativeInput + ", " + dzPrev + ", rows"));
                    AfterLaunch(w, "InputGradient" + i);
                }
                w.Line(Launch("ParameterGradients" + i, Config(Kernels + "SqueezeExcitation.ParameterLength<" + type + ">()"), "_se" + i + ", _seGradients" + i + ", Gradients, rows"));
                AfterLaunch(w, "ParameterGradients" + i);
                break;
            default:
                w.Line("// Layer " + i + " backward:" + (dzPrev is null ? "" : " dZ" + (l.Index - 1)) + (dzPrev is not null && l.Learnable ? " and" : "") + (l.Learnable ? " dL/dp" : "") + ".");
                if (dzPrev is not null)
                {
                    w.Line(Launch("InputGradient" + i, Config("rows * " + GpuTensors.RowLength(l.Input)),
                        source + ", " + zPrev + "Parameters, " + dz + ", _a" + i + ", _gem" + i + ", " + dzPrev + ", rows"));
                    AfterLaunch(w, "InputGradient" + i);
                }
                if (l.Learnable)
                {
                    w.Line(Launch("ExponentTerms" + i, Config("rows * " + l.Out), source + ", Parameters, " + dz + ", _a" + i + ", _gem" + i + ", _gemTerms" + i + ", rows"));
                    AfterLaunch(w, "ExponentTerms" + i);
                    w.Line(Launch("ExponentChannelSums" + i, Config(Describe.Int(l.Out)), "_gemTerms" + i + ", rows"));
                    AfterLaunch(w, "ExponentChannelSums" + i);
                    w.Line(Launch("ExponentGradient" + i, Config("1"), "_gemTerms" + i + ", Gradients"));
                    AfterLaunch(w, "ExponentGradient" + i);
                }
                break;
        }
    }
}
