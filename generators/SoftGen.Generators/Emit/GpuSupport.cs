using System.Linq;
using SoftGen.Generators.Model;

namespace SoftGen.Generators.Emit;

/// <summary>
/// The layers the GPU program cannot run yet. A model with one of them gets a GPU file whose opener refuses
/// Backend.Gpu with the reason and lets Backend.Auto fall back to the CPU program.
/// </summary>
internal static class GpuSupport
{
    /// <summary>Why the GPU program cannot run the model, or null when it can.</summary>
    public static string? Unsupported(ModelPlan layers)
    {
        foreach (var l in layers)
        {
            if (l.Kind is LayerKind.SqueezeExcitation or LayerKind.GemPool)
                return "layer " + l.Index + " is a " + l.Kind + " layer, which the GPU backend does not run yet";
            if (l.Window is { IsSquare: false })
                return "layer " + l.Index + " (" + Describe.LayerKindText(l) + ") has a rectangular, dilated or grouped window, which the GPU backend does not run yet";
            if (l.Projection is { } p && p.StrideHeight != p.StrideWidth)
                return "the projection shortcut of block end " + l.Index + " has a rectangular stride, which the GPU backend does not run yet";
        }
        return null;
    }

    /// <summary>The trainer's GPU hook for an unsupported model: Backend.Gpu throws the reason, Backend.Auto takes the CPU program.</summary>
    public static void WriteRefusal(SourceWriter w, ModelSpec spec, string reason)
    {
        var message = "Backend.Gpu cannot run " + spec.FullName + ": " + reason + ". Use Backend.Cpu, or Backend.Auto (which then trains on the CPU).";
        w.Line("/// <summary>Backend.Gpu is refused (" + reason.Replace("<", "&lt;").Replace(">", "&gt;") + "); Backend.Auto takes the CPU program.</summary>");
        w.Line("static partial void " + TrainerEmitter.GpuProgramHook + "(ref " + TrainerEmitter.GpuOpenType + "? open) =>");
        w.Line("    open = static (model, options, required) => required");
        w.Line("        ? throw new global::System.NotSupportedException(\"" + message.Replace("\"", "\\\"") + "\")");
        w.Line("        : null;");
    }
}
