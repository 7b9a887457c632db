using System.Linq;
using SoftGen.Generators.Model;
using static SoftGen.Generators.Emit.CpuPassEmitter;

namespace SoftGen.Generators.Emit;

/// <summary>
/// The CPU program's squeeze-excitation and GeM pooling layers: their shape structs, scratch buffers and passes.
/// <see cref="CpuPassEmitter"/> calls in here for these layers.
/// </summary>
/// <remarks>
/// Buffers: per squeeze-excitation i, <c>_se{i}</c> keeps each row's channel means, squeeze pre-activations and gates
/// from the forward pass for the backward one. Per GeM pool i, <c>_gem{i}</c> holds the partial sums of its
/// fixed-order reduction for dL/dp, and <c>_p{i}</c> the exponent when it is fixed (not a parameter).
/// </remarks>
internal static class CpuChannelEmitter
{
    private const string Buffer = "global::SoftGen.Cpu.FloatBuffer";
    private const string Null = "global::SoftGen.Cpu.FloatBuffer.Null";
    private const string SqueezeExcitation = "global::SoftGen.Cpu.SqueezeExcitationKernels.";
    private const string GemPool = "global::SoftGen.Cpu.GemPoolKernels.";

    public static string Formula(LayerPlan l, string input, string output) => l.Kind == LayerKind.SqueezeExcitation
        ? output + " = " + input + " * sigmoid(expand(silu(reduce(mean of " + input + " over positions)))) per channel, reduce " + l.Out + " -> " + l.Squeeze + ", expand " + l.Squeeze + " -> " + l.Out
        : output + " = (mean over positions of max(" + input + ", " + Describe.Float(l.Epsilon).TrimEnd('f') + ")^p)^(1/p) per channel, p "
            + (l.Learnable ? "learned (from " + Describe.Float(l.P).TrimEnd('f') + ")" : "= " + Describe.Float(l.P).TrimEnd('f'));

    public static void WriteBuffers(SourceWriter w, ModelPlan layers)
    {
        foreach (var l in layers.Where(l => l.Kind == LayerKind.SqueezeExcitation))
            w.Line("private readonly " + Buffer + " _se" + l.Index + "; // squeeze-excitation " + l.Index + "'s means, squeeze and gates, kept for the backward pass");
        foreach (var l in layers.Where(l => l.Kind == LayerKind.GemPool))
        {
            w.Line("private readonly " + Buffer + " _gem" + l.Index + "; // GeM " + l.Index + "'s partial sums (a fixed reduction order)");
            if (!l.Learnable)
                w.Line("private readonly " + Buffer + " _p" + l.Index + "; // GeM " + l.Index + "'s fixed exponent");
        }
    }

    public static void WriteAllocations(SourceWriter w, ModelPlan layers)
    {
        foreach (var l in layers.Where(l => l.Kind == LayerKind.SqueezeExcitation))
            w.Line("_se" + l.Index + " = AllocateBuffer(" + SqueezeExcitation + "ScratchLength<Layer" + l.Index + ">(BatchCapacity));");
        foreach (var l in layers.Where(l => l.Kind == LayerKind.GemPool))
        {
            w.Line("_gem" + l.Index + " = AllocateBuffer(" + GemPool + "PartialsLength<Layer" + l.Index + ">(BatchCapacity));");
            if (!l.Learnable)
            {
                w.Line("_p" + l.Index + " = AllocateBuffer(" + Shapes.Lanes + ");");
                w.Line("_p" + l.Index + ".Fill(1, " + Describe.Float(l.P) + ");");
            }
        }
    }

    private static string Exponent(LayerPlan l) => l.Learnable ? "Parameters + Layer" + l.Index + ".WeightOffset" : "_p" + l.Index;

    public static void WriteForward(SourceWriter w, ModelPlan layers, LayerPlan l, string source)
    {
        var i = l.Index;
        var output = Output(l, layers.Count);
        w.Line("// Layer " + i + ": " + Formula(l, i == 0 ? "X" : "A" + (i - 1), "A" + i) + ", [rows, " + l.Input.Text + "] -> [rows, " + l.Output.Text + "].");
        if (l.Kind == LayerKind.SqueezeExcitation)
            w.Line(SqueezeExcitation + "Forward<Layer" + i + ">(Pool, " + source + ", Parameters + Layer" + i + ".WeightOffset, _se" + i + ", " + output + ", rows);");
        else
            w.Line(GemPool + "Forward<Layer" + i + ">(Pool, " + source + ", " + Exponent(l) + ", " + output + ", rows);");
    }

    public static void WriteBackward(SourceWriter w, LayerPlan l, string dz, string input, string prevAct, string prevZ, string prevA, string dzPrev,
        string derivativeText, bool hasPrevious)
    {
        var i = l.Index;
        var before = "dZ" + (i - 1);
        if (!hasPrevious)
        {
            prevAct = "global::SoftGen.Cpu.Identity";
            prevZ = prevA = dzPrev = Null;
        }
        if (l.Kind == LayerKind.SqueezeExcitation)
        {
            w.Line("// Layer " + i + " backward: the gradients of reduce and expand from the kept means, squeeze and gates"
                + (hasPrevious ? ";" : " (nothing before it needs a gradient)."));
            if (hasPrevious)
                w.Line("// " + before + " = (dA" + i + " * gate + (the gradient of the means) / positions)" + derivativeText + ".");
            w.Line(SqueezeExcitation + "Backward<Layer" + i + ", " + prevAct + ">(Pool, " + dz + ", " + input + ", Parameters + Layer" + i + ".WeightOffset, Gradients + Layer" + i
                + ".WeightOffset, _se" + i + ", " + prevZ + ", " + prevA + ", " + dzPrev + ", rows);");
            return;
        }
        w.Line("// Layer " + i + " backward: dA" + (i - 1) + " = dA" + i + " y^(1-p) max(x, eps)^(p-1) / positions where x > eps"
            + (l.Learnable ? ", dp = sum of dA" + i + " dy/dp over the batch;" : ";"));
        if (hasPrevious)
            w.Line("// " + before + " = that" + derivativeText + ".");
        w.Line(GemPool + "Backward<Layer" + i + ", " + prevAct + ">(Pool, " + dz + ", " + input + ", _a" + i + ", " + Exponent(l) + ", "
            + (l.Learnable ? "Gradients + Layer" + i + ".WeightOffset" : Null) + ", _gem" + i + ", " + prevZ + ", " + prevA + ", " + dzPrev + ", rows);");
    }

    public static void WriteShape(SourceWriter w, LayerPlan l)
    {
        if (l.Kind == LayerKind.SqueezeExcitation)
        {
            using (w.Block("internal readonly struct Layer" + l.Index + " : global::SoftGen.Cpu.ISqueezeExcitationShape"))
            {
                w.Line("public const int WeightOffset = " + l.WeightOffset + "; // reduce.weight [ChannelStride, SqueezeStride], reduce.bias, expand.weight [SqueezeStride, ChannelStride], expand.bias");
                WriteSpatial(w, l.Input);
                w.Line("public static int Squeeze => " + l.Squeeze + ";");
                w.Line("public static int SqueezeStride => " + l.SqueezeStride + ";");
            }
            return;
        }
        using (w.Block("internal readonly struct Layer" + l.Index + " : global::SoftGen.Cpu.IGemPoolShape"))
        {
            if (l.Learnable)
                w.Line("public const int WeightOffset = " + l.WeightOffset + "; // p");
            WriteSpatial(w, l.Input);
            w.Line("public static float Epsilon => " + Describe.Float(l.Epsilon) + ";");
        }
    }
}
