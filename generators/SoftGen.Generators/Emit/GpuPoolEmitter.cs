using SoftGen.Generators.Model;

namespace SoftGen.Generators.Emit;

/// <summary>
/// The pooling kernels (max, average, global average): elementwise, one thread per value. Windows (SizeHeight x
/// SizeWidth; 1 x size for a signal's 1-D pool) do not overlap (stride = size, which divides both sides), so each
/// backward thread writes one input gradient: the gradient of the
/// layer before, dA_prev times act'(prev), as the Dense kernels write it.
/// </summary>
internal static class GpuPoolEmitter
{
    /// <summary>Forward(x, a, rows).</summary>
    public static readonly string[] ForwardTypes = { "View", "View", "int" };

    /// <summary>Backward(dy, y, [zPrev,] aPrev, dzPrev, rows): dy is the gradient of this layer's output y; Z_prev for a GELU before.</summary>
    public static string[] BackwardTypes(ActivationKind previous) => LayerPlan.NeedsPreActivation(previous)
        ? new[] { "View", "View", "View", "View", "View", "int" }
        : new[] { "View", "View", "View", "View", "int" };

    public static void WriteForward(SourceWriter w, LayerPlan l)
    {
        w.Line("/// <summary>Layer " + l.Index + " forward: " + CpuPassEmitter.Formula(l) + ", [rows, " + l.Input.Text + "] -> [rows, " + l.Output.Text
            + "]; one thread per output value.</summary>");
        using (w.Block("private static void Forward" + l.Index + "(global::ILGPU.ArrayView<float> x, global::ILGPU.ArrayView<float> a, int rows)"))
        {
            if (l.Kind == LayerKind.GlobalAveragePool)
            {
                w.Line("const int C = " + l.Input.Channels + ", Pixels = " + l.Input.Pixels + ";");
                w.Line("const float Scale = " + Describe.Float(1f / l.Input.Pixels) + "; // 1 / pixels");
                w.Line("int e = global::ILGPU.Grid.IdxX * Threads + global::ILGPU.Group.IdxX;");
                w.Line("if (e >= rows * C) return;");
                w.Line("int c = e % C, r = e / C;");
                w.Line("float sum = 0f;");
                w.Line("for (int q = 0; q < Pixels; q++) sum += x[" + GpuTensors.InputAt(l, "r", "q", "c") + "];");
                w.Line("a[e] = sum * Scale; // [rows, " + l.Output.Channels + "], dense");
                return;
            }
            bool max = l.Kind == LayerKind.MaxPool2D;
            w.Line("const int C = " + l.Input.Channels + ", " + Sizes(l) + ", InWidth = " + l.Input.Width + ", OutPixels = " + l.Output.Pixels
                + ", OutWidth = " + l.Output.Width + ";");
            if (!max) w.Line("const float Scale = " + Describe.Float(1f / l.Taps) + "; // 1 / window size");
            w.Line("int e = global::ILGPU.Grid.IdxX * Threads + global::ILGPU.Group.IdxX;");
            w.Line("if (e >= rows * OutPixels * C) return;");
            w.Line("int c = e % C, q = e / C, r = q / OutPixels, o = q - r * OutPixels, oy = o / OutWidth, ox = o - oy * OutWidth;");
            w.Line("int corner = oy * SizeHeight * InWidth + ox * SizeWidth; // the window's first input pixel");
            w.Line(max ? "float v = x[" + GpuTensors.InputAt(l, "r", "corner", "c") + "];" : "float v = 0f;");
            w.Line("for (int wy = 0; wy < SizeHeight; wy++)");
            w.Line("    for (int wx = 0; wx < SizeWidth; wx++)");
            var at = "x[" + GpuTensors.InputAt(l, "r", "corner + wy * InWidth + wx", "c") + "]";
            w.Line(max ? "        v = global::ILGPU.Algorithms.XMath.Max(v, " + at + ");" : "        v += " + at + ";");
            w.Line("a[" + GpuTensors.OutputAt(l, "r", "o", "c") + "] = v" + (max ? "" : " * Scale") + ";");
        }
    }

    /// <summary>"SizeHeight = 2, SizeWidth = 2": the window's sides.</summary>
    private static string Sizes(LayerPlan l) => "SizeHeight = " + l.Window!.KernelHeight + ", SizeWidth = " + l.Window.KernelWidth;

    public static void WriteBackward(SourceWriter w, LayerPlan l, ActivationKind previous)
    {
        var input = l.Input;
        int stride = GpuTensors.Stride(input);
        w.Line("/// <summary>");
        w.Line("/// Layer " + l.Index + " backward, one thread per input value: " + l.Kind switch
        {
            LayerKind.MaxPool2D => "each window's gradient goes to its first largest input (row-major, as PyTorch)",
            LayerKind.AvgPool2D => "each window's gradient spread evenly over its " + l.Taps + " inputs",
            _ => "each channel's gradient spread evenly over its " + input.Pixels + " pixels",
        } + ";");
        w.Line("/// dZ_prev = that * act'(layer " + (l.Index - 1) + ", " + Describe.ActivationName(previous) + ").");
        w.Line("/// </summary>");
        using (w.Block("private static void Backward" + l.Index + "(global::ILGPU.ArrayView<float> dy, global::ILGPU.ArrayView<float> y, " + (LayerPlan.NeedsPreActivation(previous) ? "global::ILGPU.ArrayView<float> zPrev, " : "") + "global::ILGPU.ArrayView<float> aPrev, global::ILGPU.ArrayView<float> dzPrev, int rows)"))
        {
            w.Line("const int C = " + input.Channels + ", InPixels = " + input.Pixels + ", ChannelStride = " + stride + ";");
            w.Line("int e = global::ILGPU.Grid.IdxX * Threads + global::ILGPU.Group.IdxX;");
            w.Line("if (e >= rows * InPixels * C) return;");
            w.Line("int c = e % C, q = e / C, at = q * ChannelStride + c; // q = row x InPixels + pixel");
            string gradient;
            if (l.Kind == LayerKind.GlobalAveragePool)
            {
                w.Line("const float Scale = " + Describe.Float(1f / input.Pixels) + ";");
                gradient = "dy[q / InPixels * C + c] * Scale";
            }
            else
            {
                w.Line("const int " + Sizes(l) + ", InWidth = " + input.Width + ", OutPixels = " + l.Output.Pixels + ", OutWidth = " + l.Output.Width + ";");
                w.Line("int r = q / InPixels, p = q - r * InPixels, iy = p / InWidth, ix = p - iy * InWidth;");
                w.Line("int o = (r * OutPixels + iy / SizeHeight * OutWidth + ix / SizeWidth) * ChannelStride + c; // the window's output");
                if (l.Kind == LayerKind.MaxPool2D)
                {
                    w.Line("int corner = (iy - iy % SizeHeight) * InWidth + (ix - ix % SizeWidth), first = -1;");
                    w.Line("float top = y[o];");
                    w.Line("for (int wy = 0; wy < SizeHeight; wy++)");
                    w.Line("    for (int wx = 0; wx < SizeWidth; wx++)");
                    w.Line("        if (first < 0 && aPrev[(r * InPixels + corner + wy * InWidth + wx) * ChannelStride + c] == top) first = corner + wy * InWidth + wx;");
                    gradient = "(first == p ? dy[o] : 0f)";
                }
                else
                {
                    w.Line("const float Scale = " + Describe.Float(1f / l.Taps) + ";");
                    gradient = "dy[o] * Scale";
                }
            }
            w.Line("dzPrev[at] = " + gradient + GpuMath.TimesDerivative(previous, "zPrev[at]", "aPrev[at]") + ";");
        }
    }
}
