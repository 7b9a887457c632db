using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using GpuBenchmark;
using PtxReport;

// Compiles the generated GPU kernels of FashionMlp (784-512-256-10 ReLU, softmax cross-entropy) and the optimizer's
// kernels to PTX for sm_90 with ILGPU's PTXBackend, no GPU needed, and writes them to the output folder. Given the
// folder of NVIDIA's ptxas and cuobjdump (../shared/gpu/cuda-tools prints one), also assembles each kernel and prints
// a Markdown table: registers, spills, shared memory, and per innermost loop that does FFMA, its instruction mix.
// Usage: SoftGen.PtxReport [--model mlp|cnn|resnet|masks|signals (default mlp; cnn and resnet: examples/Classify's FashionCnn
// and FashionResNet; masks: examples/SoftMasks' MaskNet; signals: SignalNet.cs)] [--out DIR (default artifacts/ptx)] [--cuda-tools DIR]
string outDir = Path.Combine("artifacts", "ptx");
string? toolsDir = null;
Type model = typeof(FashionMlp);
for (int i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
    switch (args[i])
    {
        case "--out": outDir = Value(); break;
        case "--cuda-tools": toolsDir = Value(); break;
        case "--model":
            model = Value() switch
            {
                "mlp" => typeof(FashionMlp),
                "cnn" => typeof(Classify.FashionCnn),
                "resnet" => typeof(Classify.FashionResNet),
                "masks" => typeof(SoftMasks.MaskNet),
                "signals" => typeof(SignalNet),
                var other => throw new ArgumentException($"Unknown model '{other}'. Use mlp, cnn, resnet, masks or signals."),
            };
            break;
        default: throw new ArgumentException($"Unknown argument '{args[i]}'. Use --model mlp|cnn|resnet|masks|signals, --out DIR, --cuda-tools DIR.");
    }
}

var kernels = KernelCatalog.GeneratedKernels(model).Concat(KernelCatalog.OptimizerKernels()).Concat(KernelCatalog.ClippingKernels()).ToList();
Directory.CreateDirectory(outDir);
var tools = toolsDir is null ? null : new CudaTools(toolsDir);
var rows = new List<string[]>();
using (var compiler = new PtxCompiler())
{
    foreach (var kernel in kernels)
    {
        string ptx = compiler.Compile(kernel);
        string ptxPath = Path.Combine(outDir, kernel.Name + ".ptx");
        File.WriteAllText(ptxPath, ptx);
        if (tools is null)
        {
            rows.Add([kernel.Name, ptx.Length.ToString(CultureInfo.InvariantCulture), ptx.Split('\n').Length.ToString(CultureInfo.InvariantCulture)]);
            continue;
        }
        string cubinPath = Path.Combine(outDir, kernel.Name + ".cubin");
        var info = tools.Assemble(ptxPath, cubinPath);
        string sass = tools.Disassemble(cubinPath);
        File.WriteAllText(Path.Combine(outDir, kernel.Name + ".sass"), sass);
        rows.AddRange(Describe(kernel.Name, info, Sass.Parse(sass)));
    }
}

Console.WriteLine($"PTX of {kernels.Count} kernels of {model.Name} and the optimizer (sm_90, PTX ISA 7.8, ILGPU O2) in {Path.GetFullPath(outDir)}");
Console.WriteLine();
if (tools is null)
{
    Print(["Kernel", "PTX bytes", "PTX lines"], rows);
    Console.WriteLine();
    Console.WriteLine("Pass --cuda-tools DIR (ptxas, cuobjdump) for registers, spills, shared memory and the inner loops' instruction mix.");
}
else
{
    Print(["Kernel", "Registers", "Spill st/ld B", "Shared B", "Inner loop", "Instr", "FFMA", "LDS", "LDS.128", "FFMA per shared load", "Tile-load instr", "Tile-load LDG", "LDG (kernel)", "LDG.128 (kernel)"], rows);
    Console.WriteLine();
    Console.WriteLine("Inner loop: each innermost SASS loop that does FFMA (addresses of its first instruction and backward branch), with its");
    Console.WriteLine("instruction count and mix; LDS counts shared loads narrower than 128 bits. Tile-load: the loop around it (a GEMM's");
    Console.WriteLine("loop over k-tiles) less the inner loop's body, run once per k-tile. LDG (kernel) columns count the whole kernel.");
}

static IEnumerable<string[]> Describe(string name, PtxasInfo info, IReadOnlyList<SassInstruction> code)
{
    string S(int v) => v.ToString(CultureInfo.InvariantCulture);
    string[] head = [name, S(info.Registers), $"{S(info.SpillStoreBytes)}/{S(info.SpillLoadBytes)}", S(info.SharedBytes)];
    string[] globals = [S(code.Count(i => Sass.IsGlobalLoad(i.Opcode))), S(code.Count(i => Sass.IsGlobalLoad128(i.Opcode)))];
    var all = Sass.Loops(code);
    var loops = Sass.InnermostLoops(all).Where(l => l.Count(Sass.IsFfma) > 0).ToList();
    if (loops.Count == 0)
    {
        yield return [.. head, "-", "-", S(code.Count(i => Sass.IsFfma(i.Opcode))) + " (kernel)", "-", "-", "-", "-", "-", .. globals];
        yield break;
    }
    foreach (var loop in loops)
    {
        int ffma = loop.Count(Sass.IsFfma), narrow = loop.Count(Sass.IsSharedLoadNarrow), wide = loop.Count(Sass.IsSharedLoad128);
        string ratio = narrow + wide == 0 ? "-" : (ffma / (double)(narrow + wide)).ToString("0.##", CultureInfo.InvariantCulture);
        var outer = Sass.EnclosingLoop(all, loop);
        string staging = outer is null ? "-" : S(outer.Body.Count - loop.Body.Count);
        string stagingLoads = outer is null ? "-" : S(outer.Count(Sass.IsGlobalLoad) - loop.Count(Sass.IsGlobalLoad));
        yield return [.. head, $"0x{loop.Start:x4}-0x{loop.End:x4}", S(loop.Body.Count), S(ffma), S(narrow), S(wide), ratio, staging, stagingLoads, .. globals];
    }
}

static void Print(string[] header, List<string[]> rows)
{
    var widths = header.Select((h, c) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[c].Length))).ToArray();
    string Line(string[] cells) => "| " + string.Join(" | ", cells.Select((v, c) => v.PadRight(widths[c]))) + " |";
    Console.WriteLine(Line(header));
    Console.WriteLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
    foreach (var r in rows) Console.WriteLine(Line(r));
}
