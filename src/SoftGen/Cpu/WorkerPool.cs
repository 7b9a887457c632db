using System;

namespace SoftGen.Cpu;

/// <summary>
/// A fixed set of worker threads made once per trainer. <see cref="For"/> splits a range over them and the
/// calling thread, with no allocation per call.
/// </summary>
public sealed unsafe class WorkerPool : IDisposable
{
    public WorkerPool(int threadCount) => throw new NotImplementedException();

    /// <summary>Threads taking part in a <see cref="For"/>, the caller's included.</summary>
    public int ThreadCount => throw new NotImplementedException();

    /// <summary>
    /// Calls body(state, start, end) on disjoint chunks covering [0, count), each chunk's bounds a multiple of
    /// <paramref name="grain"/> (except the last end), and returns when all are done. The state pointer usually
    /// points at a struct on the caller's stack.
    /// </summary>
    public void For(int count, int grain, delegate*<void*, int, int, void> body, void* state) => throw new NotImplementedException();

    public void Dispose() => throw new NotImplementedException();
}
