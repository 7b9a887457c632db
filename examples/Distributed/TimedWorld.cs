using System;
using System.Diagnostics;
using SoftGen;

namespace Distributed;

/// <summary>A world that times the gradients' all-reduce (the float one) of the world it wraps: the benchmark's share.</summary>
internal sealed class TimedWorld(DistributedWorld inner) : DistributedWorld
{
    public TimeSpan AllReduceTime { get; private set; }

    public override int Rank => inner.Rank;
    public override int Size => inner.Size;
    public override string HostName => inner.HostName;

    public override void AllReduceSum(Span<float> values)
    {
        long start = Stopwatch.GetTimestamp();
        inner.AllReduceSum(values);
        AllReduceTime += Stopwatch.GetElapsedTime(start);
    }

    public override void AllReduceSum(Span<double> values) => inner.AllReduceSum(values);
    public override void Broadcast(Span<float> values, int root) => inner.Broadcast(values, root);
    public override string[] AllGather(string text) => inner.AllGather(text);
}
