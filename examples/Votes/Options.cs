using System;
using System.Globalization;

namespace Votes;

/// <summary>The example's command line (see <see cref="Program"/>).</summary>
internal sealed record Options(int Epochs, int Rows, int Test, int Seed, int Threads, SoftGen.Backend Backend = SoftGen.Backend.Cpu)
{
    /// <summary>The options, or null when an argument is unknown, lacks its value or is out of range.</summary>
    public static Options? Parse(string[] args)
    {
        var o = new Options(Epochs: 10, Rows: 200_000, Test: 5_000, Seed: 1, Threads: Environment.ProcessorCount);
        for (int i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length)
                return null;
            string value = args[i + 1];
            bool isInt = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0;
            o = args[i] switch
            {
                // Two epochs at least: the schedule warms up over the first and decays over the rest.
                "--epochs" when isInt && n >= 2 => o with { Epochs = n },
                // Enough rows for a validation split and a stage 2 of some size.
                "--rows" when isInt && n >= 2_000 && n <= 10_000_000 => o with { Rows = n },
                "--test" when isInt && n <= 10_000_000 => o with { Test = n },
                "--seed" when int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int seed) => o with { Seed = seed },
                "--threads" when isInt => o with { Threads = n },
                "--backend" when value is "cpu" or "gpu" or "auto" =>
                    o with { Backend = value == "gpu" ? SoftGen.Backend.Gpu : value == "auto" ? SoftGen.Backend.Auto : SoftGen.Backend.Cpu },
                _ => null,
            };
            if (o is null)
                return null;
        }
        return o;
    }
}
