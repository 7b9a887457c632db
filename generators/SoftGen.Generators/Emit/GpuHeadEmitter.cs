using SoftGen.Generators.Model;

namespace SoftGen.Generators.Emit;

/// <summary>
/// The GPU loss heads and prediction outputs. A flat head reads the logits [rows, C] (dense); a per-pixel head (the
/// last layer a Conv2D) reads them at each pixel, [rows, pixels, channel stride], and the targets, probabilities and
/// the logits handed to the host in PyTorch's NCHW order [rows, C, h, w], as SoftGen.Cpu.ConvHeadKernels.
/// </summary>
internal static class GpuHeadEmitter
{
    /// <summary>The most groups of a per-pixel head (one per 256 pixels of the batch up to this); their sums go to HeadSum.</summary>
    public const int MaxPixelGroups = 64;

    /// <summary>
    /// The head kernel: thread t takes items (rows, or rows x pixels) t, t + 256, ... (per pixel: over up to 64 groups);
    /// writes dLogits and reduces the per-item losses in shared memory: to the mean in loss[0] (one group), or per
    /// pixel to one sum per group in partials[], which HeadSum adds into the mean.
    /// </summary>
    public static void WriteHead(SourceWriter w, ModelSpec spec, LayerPlan last)
    {
        int classes = spec.Classes;
        var loss = spec.Loss;
        bool perPixel = spec.PerPixel;
        int pixels = last.Output.Pixels, stride = GpuTensors.Stride(last.Output);
        string items = perPixel ? "rows * P" : "rows", count = perPixel ? "((float)rows * P)" : "rows";
        w.Line("/// <summary>");
        if (perPixel)
        {
            w.Line("/// The head: " + Describe.Loss(loss, perPixel) + ". Thread t of group g takes the (row, pixel) items");
            w.Line("/// g x 256 + t, then a grid further on, ...; writes dLogits and the group's summed losses in partials[g] (HeadSum takes the mean).");
            w.Line("/// Logits and dLogits [rows, " + pixels + ", " + stride + "], targets NCHW [rows, " + classes + ", " + pixels + "].");
        }
        else
        {
            w.Line("/// The head: " + Describe.Loss(loss, perPixel) + ". One group; thread t takes rows t, t + 256, ...; writes dLogits");
            w.Line("/// and reduces the losses in shared memory to the mean in loss[0].");
        }
        w.Line("/// </summary>");
        w.Line("/// <remarks>weighted != 0: row r's loss" + (perPixel ? " (each of its pixels')" : "") + " and dLogits are scaled by its sample weight weights[r] (normalised to mean 1); 0: weights is not read.</remarks>");
        using (w.Block("private static void Head(global::ILGPU.ArrayView<float> z, global::ILGPU.ArrayView<float> y, global::ILGPU.ArrayView<float> weights, global::ILGPU.ArrayView<float> dz, global::ILGPU.ArrayView<float> " + (perPixel ? "partials" : "loss") + ", int rows, int weighted)"))
        {
            w.Line(perPixel ? "const int C = " + classes + ", P = " + pixels + ", S = " + stride + ";" : "const int C = " + classes + ";");
            w.Line("int t = global::ILGPU.Group.IdxX;");
            w.Line("float sum = 0f;");
            string loop = perPixel ? "for (int i = global::ILGPU.Grid.IdxX * Threads + t; i < " + items + "; i += global::ILGPU.Grid.DimX * Threads)" : "for (int i = t; i < " + items + "; i += Threads)";
            // Where item i's class c sits: the logits (and dLogits) and the target.
            string zAt = "o + c", yAt = perPixel ? "yo + c * P" : "o + c";
            string row = perPixel ? "i / P" : "i";
            void Item()
            {
                if (perPixel)
                    w.Line("int o = i * S, yo = i / P * (C * P) + i % P; // item i = row x P + pixel: its logits, and its targets (one plane of P per class)");
                else
                    w.Line("int o = i * C;");
            }
            switch (loss.Kind)
            {
                case LossKindSpec.SoftmaxCrossEntropy:
                case LossKindSpec.KLDivergence:
                {
                    bool kl = loss.Kind == LossKindSpec.KLDivergence;
                    float temperature = kl ? 1f : loss.Temperature, smoothing = kl ? 0f : loss.LabelSmoothing;
                    w.Line(kl
                        ? "const float InvT = 1f;"
                        : "const float InvT = " + Describe.Float(1f / temperature) + ", Keep = " + Describe.Float(1f - smoothing) + ", Spread = " + Describe.Float(smoothing / classes) + ";");
                    w.Line("float gradScale = " + Describe.Float(temperature) + " / " + count + ";");
                    using (w.Block(loop))
                    {
                        Item();
                        w.Line("float rowScale = weighted != 0 ? gradScale * weights[" + row + "] : gradScale;");
                        w.Line("float max = float.NegativeInfinity;");
                        w.Line("for (int c = 0; c < C; c++) max = global::ILGPU.Algorithms.XMath.Max(max, z[" + zAt + "] * InvT);");
                        w.Line("float s = 0f;");
                        w.Line("for (int c = 0; c < C; c++) s += global::ILGPU.Algorithms.XMath.Exp(z[" + zAt + "] * InvT - max);");
                        w.Line("float logSum = max + global::ILGPU.Algorithms.XMath.Log(s), itemLoss = 0f;");
                        using (w.Block("for (int c = 0; c < C; c++)"))
                        {
                            w.Line("float logP = z[" + zAt + "] * InvT - logSum;");
                            if (kl)
                            {
                                w.Line("float target = y[" + yAt + "];");
                                w.Line("if (target != 0f) itemLoss += target * (global::ILGPU.Algorithms.XMath.Log(target) - logP); // 0 log 0 = 0");
                            }
                            else
                            {
                                w.Line("float target = Keep * y[" + yAt + "] + Spread;");
                                w.Line("if (target != 0f) itemLoss -= target * logP;");
                            }
                            w.Line("dz[" + zAt + "] = rowScale * (global::ILGPU.Algorithms.XMath.Exp(logP) - target);");
                        }
                        w.Line("sum += weighted != 0 ? weights[" + row + "] * itemLoss : itemLoss;");
                    }
                    WriteReduction(w, perPixel ? "partials[global::ILGPU.Grid.IdxX] = partial[0];" : "loss[0] = partial[0] * (" + Scale(spec) + ");");
                    break;
                }
                default:
                    string elements = perPixel ? "((float)rows * P * C)" : "((float)rows * C)";
                    w.Line("float gradScale = 1f / " + elements + ";");
                    using (w.Block(loop))
                    {
                        Item();
                        w.Line("float weight = weighted != 0 ? weights[" + row + "] : 1f, rowScale = weighted != 0 ? gradScale * weight : gradScale;");
                        using (w.Block("for (int c = 0; c < C; c++)"))
                        {
                            w.Line("float zc = z[" + zAt + "], target = y[" + yAt + "], e = global::ILGPU.Algorithms.XMath.Exp(-global::ILGPU.Algorithms.XMath.Abs(zc));");
                            w.Line("float term = global::ILGPU.Algorithms.XMath.Max(zc, 0f) - zc * target + " + GpuMath.KernelMath + "Log1P(e); // stable BCE with logits: max(z, 0) - z y + log(1 + e^-|z|)");
                            w.Line("sum += weighted != 0 ? weight * term : term;");
                            w.Line("float prob = zc >= 0f ? 1f / (1f + e) : e / (1f + e);");
                            w.Line("dz[" + zAt + "] = rowScale * (prob - target);");
                        }
                    }
                    WriteReduction(w, perPixel ? "partials[global::ILGPU.Grid.IdxX] = partial[0];" : "loss[0] = partial[0] * (" + Scale(spec) + ");");
                    break;
            }
        }
    }

    /// <summary>The mean's factor on the summed losses: T^2 / rows (softmax), 1 / rows (KL), 1 / (rows C) (sigmoid); per pixel also / P.</summary>
    private static string Scale(ModelSpec spec)
    {
        string count = spec.PerPixel ? "((float)rows * P)" : "rows";
        return spec.Loss.Kind switch
        {
            LossKindSpec.SoftmaxCrossEntropy => Describe.Float(spec.Loss.Temperature * spec.Loss.Temperature) + " / " + count,
            LossKindSpec.KLDivergence => "1f / " + count,
            _ => spec.PerPixel ? "1f / ((float)rows * P * C)" : "1f / ((float)rows * C)",
        };
    }

    /// <summary>Per-pixel heads: the loss mean from the head groups' sums, one group.</summary>
    public static void WriteHeadSum(SourceWriter w, ModelSpec spec, LayerPlan last)
    {
        w.Line("/// <summary>The mean loss in loss[0]: the head groups' sums added (in a fixed order) and scaled.</summary>");
        using (w.Block("private static void HeadSum(global::ILGPU.ArrayView<float> partials, global::ILGPU.ArrayView<float> loss, int rows, int groups)"))
        {
            w.Line(spec.Loss.Kind == LossKindSpec.SigmoidCrossEntropy
                ? "const int C = " + spec.Classes + ", P = " + last.Output.Pixels + ";"
                : "const int P = " + last.Output.Pixels + ";");
            w.Line("int t = global::ILGPU.Group.IdxX;");
            w.Line("float sum = t < groups ? partials[t] : 0f; // at most " + MaxPixelGroups + " groups");
            WriteReduction(w, "loss[0] = partial[0] * (" + Scale(spec) + ");");
        }
    }

    private static void WriteReduction(SourceWriter w, string store)
    {
        w.Line("var partial = global::ILGPU.SharedMemory.Allocate<float>(Threads);");
        w.Line("partial[t] = sum;");
        w.Line("global::ILGPU.Group.Barrier();");
        for (int s = GpuGemm.Threads / 2; s > 0; s /= 2)
        {
            w.Line("if (t < " + s + ") partial[t] += partial[t + " + s + "];");
            w.Line("global::ILGPU.Group.Barrier();");
        }
        w.Line("if (t == 0) " + store);
    }

    /// <summary>Probabilities for prediction, one thread per row (or per pixel), written [rows, C] (or NCHW).</summary>
    public static void WriteProbabilities(SourceWriter w, ModelSpec spec, LayerPlan last)
    {
        bool softmax = spec.Loss.Kind != LossKindSpec.SigmoidCrossEntropy, perPixel = spec.PerPixel;
        int pixels = last.Output.Pixels, stride = GpuTensors.Stride(last.Output);
        w.Line("/// <summary>Probabilities for prediction: " + (softmax ? "softmax" : "sigmoid") + " over the " + spec.Classes + " logits of each "
            + (perPixel ? "pixel (temperature 1), one thread per pixel, written NCHW [rows, " + spec.Classes + ", " + pixels + "]." : "row (temperature 1), one thread per row.")
            + "</summary>");
        using (w.Block("private static void Probabilities(global::ILGPU.ArrayView<float> z, global::ILGPU.ArrayView<float> p, int rows)"))
        {
            w.Line(perPixel ? "const int C = " + spec.Classes + ", P = " + pixels + ", S = " + stride + ";" : "const int C = " + spec.Classes + ";");
            w.Line("int i = global::ILGPU.Grid.IdxX * Threads + global::ILGPU.Group.IdxX;");
            w.Line("if (i >= rows" + (perPixel ? " * P" : "") + ") return;");
            string zAt = "o + c", pAt = perPixel ? "po + c * P" : "o + c";
            w.Line(perPixel ? "int o = i * S, po = i / P * (C * P) + i % P;" : "int o = i * C;");
            if (softmax)
            {
                w.Line("float max = float.NegativeInfinity;");
                w.Line("for (int c = 0; c < C; c++) max = global::ILGPU.Algorithms.XMath.Max(max, z[" + zAt + "]);");
                w.Line("float s = 0f;");
                w.Line("for (int c = 0; c < C; c++) { float e = global::ILGPU.Algorithms.XMath.Exp(z[" + zAt + "] - max); p[" + pAt + "] = e; s += e; }");
                w.Line("float scale = 1f / s;");
                w.Line("for (int c = 0; c < C; c++) p[" + pAt + "] *= scale;");
            }
            else
                w.Line("for (int c = 0; c < C; c++) p[" + pAt + "] = " + GpuMath.KernelMath + "Sigmoid(z[" + zAt + "]);");
        }
    }

    /// <summary>Per-pixel heads only: the logits in NCHW order without the padding channels, as the CPU backend hands them out.</summary>
    public static void WritePixelLogits(SourceWriter w, ModelSpec spec, LayerPlan last)
    {
        int pixels = last.Output.Pixels, stride = GpuTensors.Stride(last.Output);
        w.Line("/// <summary>The logits [rows, " + pixels + ", " + stride + "] to NCHW [rows, " + spec.Classes + ", " + pixels + "], one thread per value.</summary>");
        using (w.Block("private static void LogitsNchw(global::ILGPU.ArrayView<float> z, global::ILGPU.ArrayView<float> output, int rows)"))
        {
            w.Line("const int C = " + spec.Classes + ", P = " + pixels + ", S = " + stride + ";");
            w.Line("int e = global::ILGPU.Grid.IdxX * Threads + global::ILGPU.Group.IdxX;");
            w.Line("if (e >= rows * C * P) return;");
            w.Line("int p = e % P, c = e / P % C, r = e / (C * P);");
            w.Line("output[e] = z[(r * P + p) * S + c];");
        }
    }
}
