using SoftGen.Generators.Model;

namespace SoftGen.Generators.Emit;

/// <summary>
/// Inverted dropout on the GPU, with the CPU backend's masks: value k of the batch (real values in row-major order,
/// padding excluded) is kept when its draw from SoftGen.Cpu.DropoutKernels' hash of (seed, step, layer, k) reaches
/// the threshold. No mask is stored: the backward kernel draws it again. Prediction keeps every value.
/// </summary>
internal static class GpuDropoutEmitter
{
    /// <summary>Forward(x, a, rows, key, training).</summary>
    public static readonly string[] ForwardTypes = { "View", "View", "int", "ulong", "int" };

    /// <summary>Backward(dy, [zPrev,] aPrev, dzPrev, rows, key): Z_prev for a GELU before.</summary>
    public static string[] BackwardTypes(ActivationKind previous) => LayerPlan.NeedsPreActivation(previous)
        ? new[] { "View", "View", "View", "View", "int", "ulong" }
        : new[] { "View", "View", "View", "int", "ulong" };

    private static void WriteConstants(SourceWriter w, LayerPlan l)
    {
        // As DropoutKernels.Threshold and its scale: round(rate * 2^24) in double, 1 / (1 - rate) in float.
        int threshold = (int)System.Math.Round(l.Rate * (double)(1 << 24));
        w.Line("const int C = " + l.Input.Channels + ", Pixels = " + l.Input.Pixels + ", Threshold = " + threshold + "; // dropped when the draw is below rate * 2^24");
        w.Line("const float Scale = " + Describe.Float(1f / (1f - l.Rate)) + "; // 1 / (1 - rate)");
        w.Line("int e = global::ILGPU.Grid.IdxX * Threads + global::ILGPU.Group.IdxX; // k: the value's index among the batch's real values");
        w.Line("if (e >= rows * Pixels * C) return;");
        w.Line("int c = e % C, q = e / C, r = q / Pixels, p = q - r * Pixels;");
    }

    public static void WriteForward(SourceWriter w, LayerPlan l)
    {
        w.Line("/// <summary>Layer " + l.Index + " forward: dropout, rate " + Describe.Float(l.Rate).TrimEnd('f') + ", [rows, " + l.Input.Text
            + "]; one thread per value. training = 0: the input passes through.</summary>");
        using (w.Block("private static void Forward" + l.Index + "(global::ILGPU.ArrayView<float> x, global::ILGPU.ArrayView<float> a, int rows, ulong key, int training)"))
        {
            WriteConstants(w, l);
            w.Line("float mask = training == 0 ? 1f : " + GpuMath.KernelMath + "Draw(key, (ulong)e) >= Threshold ? Scale : 0f;");
            w.Line("a[" + GpuTensors.OutputAt(l, "r", "p", "c") + "] = x[" + GpuTensors.InputAt(l, "r", "p", "c") + "] * mask;");
        }
    }

    public static void WriteBackward(SourceWriter w, LayerPlan l, ActivationKind previous)
    {
        w.Line("/// <summary>Layer " + l.Index + " backward: dZ_prev = dY * mask (drawn again) * act'(layer " + (l.Index - 1) + ", "
            + Describe.ActivationName(previous) + ").</summary>");
        using (w.Block("private static void Backward" + l.Index + "(global::ILGPU.ArrayView<float> dy, " + (LayerPlan.NeedsPreActivation(previous) ? "global::ILGPU.ArrayView<float> zPrev, " : "") + "global::ILGPU.ArrayView<float> aPrev, global::ILGPU.ArrayView<float> dzPrev, int rows, ulong key)"))
        {
            WriteConstants(w, l);
            w.Line("int at = " + GpuTensors.OutputAt(l, "r", "p", "c") + ";");
            w.Line("float mask = " + GpuMath.KernelMath + "Draw(key, (ulong)e) >= Threshold ? Scale : 0f;");
            w.Line("dzPrev[at] = dy[at] * mask" + GpuMath.TimesDerivative(previous, "zPrev[at]", "aPrev[at]") + ";");
        }
    }
}
