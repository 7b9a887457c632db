using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;

namespace PtxReport;

/// <summary>One SASS instruction: its address, opcode (with modifiers, e.g. LDS.128) and branch target if any.</summary>
internal readonly record struct SassInstruction(int Address, string Opcode, int? BranchTarget);

/// <summary>A loop in SASS: a backward branch at <see cref="End"/> to <see cref="Start"/>.</summary>
internal sealed record SassLoop(int Start, int End, IReadOnlyList<SassInstruction> Body)
{
    public int Count(Func<string, bool> opcode) => Body.Count(i => opcode(i.Opcode));
}

/// <summary>Reads cuobjdump -sass output of one kernel and finds its loops.</summary>
internal static partial class Sass
{
    // "        /*1250*/              @!P0 BRA 0x10b0 ;   /* 0x... */"
    [GeneratedRegex(@"^\s*/\*(?<addr>[0-9a-f]{4,})\*/\s+(?:@!?U?P[T0-9]+\s+)?(?<op>[A-Z][A-Z0-9_.]*)(?<rest>[^;]*);")]
    private static partial Regex InstructionLine();

    [GeneratedRegex(@"^\s*(?:0x)?(?<target>[0-9a-f]+)\s*$")]
    private static partial Regex BranchOperand();

    public static IReadOnlyList<SassInstruction> Parse(string sass)
    {
        var list = new List<SassInstruction>();
        foreach (var line in sass.Split('\n'))
        {
            var m = InstructionLine().Match(line);
            if (!m.Success) continue;
            int address = int.Parse(m.Groups["addr"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            string op = m.Groups["op"].Value;
            int? target = null;
            if (op is "BRA" or "BRA.U" || op.StartsWith("BRA.", StringComparison.Ordinal))
            {
                var t = BranchOperand().Match(m.Groups["rest"].Value);
                if (t.Success) target = int.Parse(t.Groups["target"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
            list.Add(new SassInstruction(address, op, target));
        }
        return list;
    }

    /// <summary>Every loop: a backward branch (the self-branch that ends every kernel after EXIT is not one), in address order.</summary>
    public static IReadOnlyList<SassLoop> Loops(IReadOnlyList<SassInstruction> code) => code
        .Where(i => i.BranchTarget is int t && t < i.Address)
        .Select(i => new SassLoop(i.BranchTarget!.Value, i.Address,
            code.Where(c => c.Address >= i.BranchTarget!.Value && c.Address <= i.Address).ToList()))
        .OrderBy(l => l.Start)
        .ToList();

    /// <summary>The loops whose body holds no other loop.</summary>
    public static IReadOnlyList<SassLoop> InnermostLoops(IReadOnlyList<SassLoop> loops) =>
        loops.Where(l => !loops.Any(o => !ReferenceEquals(o, l) && Contains(l, o))).ToList();

    /// <summary>The smallest loop around <paramref name="inner"/> (for a GEMM: the loop over k-tiles that stages the shared tiles), or null.</summary>
    public static SassLoop? EnclosingLoop(IReadOnlyList<SassLoop> loops, SassLoop inner) =>
        loops.Where(o => !ReferenceEquals(o, inner) && Contains(o, inner)).MinBy(o => o.Body.Count);

    private static bool Contains(SassLoop outer, SassLoop inner) =>
        outer.Start <= inner.Start && inner.End <= outer.End && (outer.Start, outer.End) != (inner.Start, inner.End);

    public static bool IsFfma(string op) => op == "FFMA" || op.StartsWith("FFMA.", StringComparison.Ordinal);
    public static bool IsSharedLoad128(string op) => op.StartsWith("LDS", StringComparison.Ordinal) && op.Contains(".128", StringComparison.Ordinal);
    /// <summary>Shared loads narrower than 128 bits (LDS, LDS.U8, LDS.64); LDSM (matrix loads) are not counted.</summary>
    public static bool IsSharedLoadNarrow(string op) => (op == "LDS" || op.StartsWith("LDS.", StringComparison.Ordinal)) && !op.Contains(".128", StringComparison.Ordinal);
    public static bool IsGlobalLoad(string op) => op == "LDG" || op.StartsWith("LDG.", StringComparison.Ordinal);
    public static bool IsGlobalLoad128(string op) => IsGlobalLoad(op) && op.Contains(".128", StringComparison.Ordinal);
}
