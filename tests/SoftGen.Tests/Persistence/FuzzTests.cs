using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using CsCheck;
using PersistenceModels;
using SoftGen.Persistence;
using SoftGen.Tests.EndToEnd;
using SoftGen.Training;
using Xunit;
using Xunit.Abstractions;
using Check = SoftGen.Tests.EndToEnd.Check;

namespace SoftGen.Tests.Persistence;

/// <summary>
/// Random byte mutations of valid files thrown at the loaders (CsCheck generates, and on a failure shrinks to the
/// smallest failing mutation and prints a seed). The property: a load either succeeds with finite values, or throws
/// InvalidDataException and changes nothing. Any other exception (an index out of range, an overflow, an
/// out-of-memory from a length taken on trust) is a crash and fails the test.
/// Iterations: SOFTGEN_FUZZ_ITERATIONS (default 40,000 for each file kind).
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    /// <summary>One mutation; which fields matter depends on the kind.</summary>
    public readonly record struct Mutation(int Kind, int Position, int Value, int Count);

    private static readonly Gen<Mutation[]> Mutations =
        Gen.Select(Gen.Int[0, 10], Gen.Int[0, int.MaxValue], Gen.Int, Gen.Int[1, 16], (k, p, v, c) => new Mutation(k, p, v, c)).Array[1, 4];

    private const string JsonAlphabet = "{}[]\":,0123456789-+.eE ntrufals\\/";

    private static long Iterations =>
        long.TryParse(Environment.GetEnvironmentVariable("SOFTGEN_FUZZ_ITERATIONS"), out long n) && n > 0 ? n : 40_000;

    /// <summary>Applies the mutations in order. Positions wrap around the current length; header kinds aim at the JSON.</summary>
    public static byte[] Apply(byte[] file, Mutation[] mutations)
    {
        var bytes = new List<byte>(file);
        foreach (var m in mutations)
        {
            int n = bytes.Count;
            int headerEnd = Math.Min(n, 8 + HeaderLength(file));
            int at = n == 0 ? 0 : m.Position % n;
            int inHeader = headerEnd > 8 ? 8 + m.Position % (headerEnd - 8) : at;
            switch (m.Kind)
            {
                case 0 when n > 0: // flip one bit anywhere
                    bytes[at] ^= (byte)(1 << (m.Value & 7));
                    break;
                case 1 when n > 0: // set one byte anywhere
                    bytes[at] = (byte)m.Value;
                    break;
                case 2: // truncate
                    bytes.RemoveRange(m.Position % (n + 1), n - m.Position % (n + 1));
                    break;
                case 3: // insert bytes
                    for (int k = 0; k < m.Count; k++) bytes.Insert(Math.Min(at, bytes.Count), (byte)(m.Value >> (k % 4 * 8)));
                    break;
                case 4 when n > 0: // delete a run
                    bytes.RemoveRange(at, Math.Min(m.Count, n - at));
                    break;
                case 5 when n > 8: // a JSON-significant character in the header
                    bytes[inHeader] = (byte)JsonAlphabet[(int)((uint)m.Value % JsonAlphabet.Length)];
                    break;
                case 6 when n > 8: // change one digit of the header (shapes, offsets, lengths)
                    for (int k = 0; k < headerEnd - 8; k++)
                    {
                        int i = 8 + (inHeader - 8 + k) % (headerEnd - 8);
                        if (bytes[i] is >= (byte)'0' and <= (byte)'9')
                        {
                            bytes[i] = (byte)('0' + (uint)m.Value % 10);
                            break;
                        }
                    }
                    break;
                case 7 when n >= 8: // the header length: off by a little, or anything
                    ulong length = BinaryPrimitives.ReadUInt64LittleEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
                    ulong next = (m.Value & 1) == 0 ? length + (ulong)(long)(m.Value % 17 - 8) : (ulong)m.Value * 0x9E3779B97F4A7C15UL;
                    BinaryPrimitives.WriteUInt64LittleEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes), next);
                    break;
                case 9 when n > 8: // empty a JSON string of the header (a name, a dtype, a metadata value)
                    {
                        int open = bytes.IndexOf((byte)'"', inHeader);
                        int close = open < 0 || open + 1 >= headerEnd ? -1 : bytes.IndexOf((byte)'"', open + 1);
                        if (close > open + 1 && close < headerEnd) bytes.RemoveRange(open + 1, close - open - 1);
                    }
                    break;
                case 10 when headerEnd > 9: // copy a run of the header over another place in it (repeated keys, entries)
                    {
                        int from = 8 + (int)((uint)m.Value % (uint)(headerEnd - 8));
                        int run = Math.Min(m.Count * 4, headerEnd - Math.Max(from, inHeader));
                        if (run > 0) bytes.InsertRange(inHeader, bytes.GetRange(from, Math.Min(run, headerEnd - from)));
                    }
                    break;
                case 8 when n > 8: // a float of the data section set to a special value
                    int data = 8 + HeaderLength(file);
                    if (n - data >= 4)
                    {
                        int f = data + 4 * (m.Position % ((n - data) / 4));
                        uint bits = (m.Value & 3) switch { 0 => 0x7FC00000u, 1 => 0x7F800000u, 2 => 0xFF800000u, _ => (uint)m.Value };
                        for (int k = 0; k < 4; k++) bytes[f + k] = (byte)(bits >> (8 * k));
                    }
                    break;
            }
        }
        return bytes.ToArray();
    }

    private static int HeaderLength(byte[] file) => (int)BinaryPrimitives.ReadUInt64LittleEndian(file);

    [Fact]
    public void Mutated_weights_files_are_loaded_or_rejected_never_crash()
    {
        using var source = SmallMlp.CreateTrainer(new TrainerOptions { Seed = 12, BatchSize = 8, ThreadCount = 1 });
        var valid = Bytes.Weights(source);
        using var trainer = SmallMlp.CreateTrainer(new TrainerOptions { Seed = 13, BatchSize = 8, ThreadCount = 1 });
        Run("weights", valid, trainer, (t, s) => t.LoadWeights(s));
    }

    [Fact]
    public void Mutated_checkpoints_are_loaded_or_rejected_never_crash()
    {
        var rng = new Random(1);
        using var source = SmallMlp.CreateTrainer(new TrainerOptions { Seed = 12, BatchSize = 8, ThreadCount = 1, Optimizer = Optimizer.Adam() });
        source.TrainStep(TestData.Inputs(rng, 8, 6), Data.SoftTargets(rng, 8, 4), 8);
        var valid = Bytes.Checkpoint(source);
        using var trainer = SmallMlp.CreateTrainer(new TrainerOptions { Seed = 12, BatchSize = 8, ThreadCount = 1, Optimizer = Optimizer.Adam() });
        Run("checkpoint", valid, trainer, (t, s) => t.LoadCheckpoint(s));
    }

    private void Run(string kind, byte[] valid, TrainerBase trainer, Action<TrainerBase, Stream> load)
    {
        var baseline = TestData.Snapshot(trainer);
        long accepted = 0, rejected = 0, unchanged = 0;
        var started = DateTime.UtcNow;

        Mutations.Sample(mutations =>
        {
            var file = Apply(valid, mutations);
            if (file.AsSpan().SequenceEqual(valid)) Interlocked.Increment(ref unchanged);
            try
            {
                load(trainer, new MemoryStream(file));
                // Reading the same bytes with the generic reader must succeed too, and every weight must be finite.
                SafeTensorsFile.ReadTensors(new MemoryStream(file));
                foreach (var values in TestData.Snapshot(trainer).Values)
                    Check.AllFinite(values, "a loaded weight");
                accepted++;
                RestoreBaseline(trainer, baseline);
            }
            catch (InvalidDataException)
            {
                rejected++;
                Check.BitEqual(baseline, TestData.Snapshot(trainer), "weights after a rejected file");
            }
            // Also the generic reader alone: it may accept files the trainer refuses (other names, NaN), never crash.
            try
            {
                SafeTensorsFile.ReadTensors(new MemoryStream(file));
            }
            catch (InvalidDataException)
            {
            }
        }, iter: Iterations, threads: 1, print: m => string.Join(", ", m));

        long total = accepted + rejected;
        output.WriteLine($"{kind}: {total:N0} mutated files ({valid.Length} bytes each before mutation) in {(DateTime.UtcNow - started).TotalSeconds:F1} s: " +
            $"{accepted:N0} loaded, {rejected:N0} rejected with InvalidDataException, 0 crashes ({unchanged:N0} mutations left the file as it was)");
        Assert.Equal(Iterations, total);
        Assert.True(rejected > total / 2, $"only {rejected} of {total} mutated files were rejected: the mutations are too gentle");
    }

    private static void RestoreBaseline(TrainerBase trainer, Dictionary<string, float[]> baseline)
    {
        foreach (var (name, values) in baseline) trainer.SetParameter(name, values);
    }
}
