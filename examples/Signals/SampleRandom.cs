using System;
using System.Numerics;

namespace Signals;

/// <summary>
/// xoshiro256** seeded through SplitMix64 from (seed, stream, index): each generated sample has its own stream, so a
/// data set is the same whatever the number of threads that generate it, and the same on every .NET version.
/// </summary>
internal struct SampleRandom
{
    private ulong _s0, _s1, _s2, _s3;

    public SampleRandom(int seed, int stream, int index)
    {
        ulong x = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)stream << 32 ^ (ulong)(uint)index;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [low, high).</summary>
    public double Uniform(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>Uniform integer in [low, high] (both included).</summary>
    public int Int(int low, int high) => low + (int)((NextUInt64() >> 33) * (ulong)(high - low + 1) >> 31);

    public bool Chance(double p) => NextDouble() < p;

    /// <summary>
    /// Approximately standard normal noise, cheaply: the sum of four 16-bit uniforms of one draw (Irwin-Hall), centred
    /// and scaled to variance 1. Its tails stop at 3.5 sigma, which is fine for background noise.
    /// </summary>
    public float Noise()
    {
        ulong u = NextUInt64();
        uint sum = (uint)(u & 0xFFFF) + (uint)(u >> 16 & 0xFFFF) + (uint)(u >> 32 & 0xFFFF) + (uint)(u >> 48);
        // Each uniform has mean 32767.5 and variance 65536^2 / 12; the sum's variance is 4 times that.
        return (sum - 131070f) * (1.7320508f / 65536f);
    }
}
