using System;
using System.Globalization;

namespace Signals;

/// <summary>The example's command line (see <see cref="Program"/>).</summary>
internal sealed record Options(int Epochs, int Train, int Test, int Seed, int Threads, string? Save, string? WriteData, SoftGen.Backend Backend = SoftGen.Backend.Cpu)
{
    /// <summary>The options, or null when an argument is unknown, lacks its value or is out of range.</summary>
    public static Options? Parse(string[] args)
    {
        var o = new Options(Epochs: 5, Train: 12_000, Test: 2_000, Seed: 1, Threads: Environment.ProcessorCount, Save: null, WriteData: null);
        for (int i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length)
                return null;
            string value = args[i + 1];
            bool isInt = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0;
            o = args[i] switch
            {
                "--epochs" when isInt => o with { Epochs = n },
                "--train" when isInt && n >= 64 => o with { Train = n },
                "--test" when isInt => o with { Test = n },
                "--seed" when int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int seed) => o with { Seed = seed },
                "--threads" when isInt => o with { Threads = n },
                "--save" => o with { Save = value },
                "--write-data" => o with { WriteData = value },
                "--backend" when value is "cpu" or "gpu" or "auto" =>
                    o with { Backend = value == "gpu" ? SoftGen.Backend.Gpu : value == "auto" ? SoftGen.Backend.Auto : SoftGen.Backend.Cpu },
                _ => null,
            };
            if (o is null)
                return null;
        }
        // One float array holds a whole set.
        return (long)Math.Max(o.Train, o.Test) * SignalDataset.Inputs <= Array.MaxLength ? o : null;
    }
}
