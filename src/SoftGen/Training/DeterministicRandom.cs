using System;

namespace SoftGen.Training;

/// <summary>
/// xoshiro256** seeded through SplitMix64. Unlike System.Random, its sequence is fixed by this file alone, so the
/// same seed gives the same weights and the same shuffles on every run, machine and .NET version.
/// </summary>
/// <remarks>A mutable struct: keep it in a field and call it through that field, never through a copy.</remarks>
internal struct DeterministicRandom
{
    /// <summary>The stream that initialises the parameters.</summary>
    public const uint InitStream = 1;

    /// <summary>The stream that shuffles Fit's rows.</summary>
    public const uint ShuffleStream = 2;

    private ulong _s0, _s1, _s2, _s3;

    /// <summary>One independent stream per (seed, stream) pair.</summary>
    public DeterministicRandom(int seed, uint stream)
    {
        ulong sm = ((ulong)(uint)seed << 32) | stream;
        _s0 = SplitMix64(ref sm);
        _s1 = SplitMix64(ref sm);
        _s2 = SplitMix64(ref sm);
        _s3 = SplitMix64(ref sm);
    }

    /// <summary>A generator with the given raw state, to check against the reference implementation.</summary>
    internal static DeterministicRandom FromState(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        var random = default(DeterministicRandom);
        random._s0 = s0;
        random._s1 = s1;
        random._s2 = s2;
        random._s3 = s3;
        return random;
    }

    /// <summary>The raw state, to save in a checkpoint and restore with <see cref="FromState"/>.</summary>
    internal readonly (ulong S0, ulong S1, ulong S2, ulong S3) State => (_s0, _s1, _s2, _s3);

    internal static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>An integer in [0, bound), unbiased (Lemire's multiply-and-reject).</summary>
    public int NextInt(int bound)
    {
        if (bound <= 0) throw new ArgumentOutOfRangeException(nameof(bound), bound, "The bound must be positive.");
        ulong b = (ulong)bound;
        ulong high = Math.BigMul(NextUInt64(), b, out ulong low);
        if (low < b)
        {
            ulong threshold = (0UL - b) % b;
            while (low < threshold)
                high = Math.BigMul(NextUInt64(), b, out low);
        }
        return (int)high;
    }
}
