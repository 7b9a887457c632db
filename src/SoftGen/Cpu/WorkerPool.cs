using System;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Threading;

namespace SoftGen.Cpu;

/// <summary>
/// A fixed set of worker threads made once per trainer. <see cref="For"/> splits a range over them and the
/// calling thread, with no allocation per call.
/// </summary>
/// <remarks>
/// The split is fixed: chunk c of n covers blocks [c B / n, (c + 1) B / n) of the B = ceil(count / grain) blocks,
/// n = min(ThreadCount, B). The caller runs chunk 0; the others go to whichever thread claims them first, the caller
/// included, so that a worker that is late to wake delays nothing. Workers spin for a while after each call (a
/// training step issues calls back to back) and then sleep on a monitor. <see cref="For"/> is not reentrant and
/// takes one caller at a time. Each chunk also gets a scratch buffer (<see cref="Scratch"/>) owned by the pool.
/// </remarks>
public sealed unsafe class WorkerPool : IDisposable
{
    private static readonly long SpinTicks = Stopwatch.Frequency / 1000; // 1 ms

    [ThreadStatic] private static ScratchBuffer? t_scratch;

    private readonly Thread[] _workers;
    private readonly ScratchBuffer[] _scratch;
    private readonly object _gate = new();

    // The call being run; written by the caller before it publishes _claims, constant until the call returns.
    private delegate*<void*, int, int, void> _body;
    private void* _state;
    private int _count;
    private int _grain;

    // The call's generation (high 32 bits), chunk count (next 16) and next unclaimed chunk (low 16), in one word
    // so that a claim can never take a chunk of a call other than the one the claimer saw.
    private long _claims;
    private int _pending;
    private int _busy;
    private volatile bool _disposed;
    private Exception? _error;

    public WorkerPool(int threadCount)
    {
        ThreadCount = Math.Clamp(threadCount, 1, ushort.MaxValue);
        _scratch = new ScratchBuffer[ThreadCount];
        for (int c = 0; c < _scratch.Length; c++)
            _scratch[c] = new ScratchBuffer();
        _workers = new Thread[ThreadCount - 1];
        for (int w = 0; w < _workers.Length; w++)
        {
            _workers[w] = new Thread(WorkerLoop) { IsBackground = true, Name = $"SoftGen worker {w + 1}" };
            _workers[w].Start();
        }
    }

    /// <summary>Threads taking part in a <see cref="For"/>, the caller's included.</summary>
    public int ThreadCount { get; }

    /// <summary>
    /// Calls body(state, start, end) on disjoint chunks covering [0, count), each chunk's bounds a multiple of
    /// <paramref name="grain"/> (except the last end), and returns when all are done. The state pointer usually
    /// points at a struct on the caller's stack.
    /// </summary>
    public void For(int count, int grain, delegate*<void*, int, int, void> body, void* state)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(grain);
        if (count == 0)
            return;

        int blocks = (int)(((long)count + grain - 1) / grain);
        int chunks = Math.Min(ThreadCount, blocks);
        if (chunks == 1)
        {
            t_scratch = _scratch[0];
            body(state, 0, count);
            return;
        }

        if (Interlocked.Exchange(ref _busy, 1) != 0)
            throw new InvalidOperationException("WorkerPool.For is already running: it is not reentrant and takes one caller at a time.");
        try
        {
            _body = body;
            _state = state;
            _count = count;
            _grain = grain;
            _error = null;
            Volatile.Write(ref _pending, chunks - 1);
            long generation = Volatile.Read(ref _claims) >> 32;
            lock (_gate)
            {
                Volatile.Write(ref _claims, (generation + 1) << 32 | (long)chunks << 16 | 1);
                Monitor.PulseAll(_gate);
            }

            RunChunk(0, chunks);
            while (TryClaim(generation + 1, out int chunk))
                RunChunkAndRelease(chunk, chunks);

            var spinner = new SpinWait();
            while (Volatile.Read(ref _pending) != 0)
                spinner.SpinOnce(sleep1Threshold: -1);

            if (_error is { } error)
            {
                _error = null;
                ExceptionDispatchInfo.Capture(error).Throw();
            }
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        lock (_gate)
        {
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
        foreach (var worker in _workers)
            worker.Join();
        foreach (var scratch in _scratch)
            scratch.Free();
    }

    /// <summary>
    /// A 64-byte-aligned buffer of at least <paramref name="floats"/> floats that belongs to the chunk now running on
    /// this thread (call it only from inside a <see cref="For"/> body). It grows on demand, is kept for later calls and
    /// is freed with the pool; its contents are not preserved between calls.
    /// </summary>
    internal static float* Scratch(nint floats)
    {
        var scratch = t_scratch ?? throw new InvalidOperationException("WorkerPool.Scratch is only available inside a WorkerPool.For body.");
        if (scratch.Length < floats)
            scratch.Grow(floats);
        return scratch.Pointer;
    }

    /// <summary>Takes the next unclaimed chunk of the call <paramref name="generation"/>, if there is one.</summary>
    private bool TryClaim(long generation, out int chunk)
    {
        while (true)
        {
            long claims = Volatile.Read(ref _claims);
            chunk = (int)(claims & 0xFFFF);
            if (claims >> 32 != generation || chunk >= (int)((claims >> 16) & 0xFFFF))
                return false;
            if (Interlocked.CompareExchange(ref _claims, claims + 1, claims) == claims)
                return true;
        }
    }

    private void RunChunk(int chunk, int chunks)
    {
        long blocks = ((long)_count + _grain - 1) / _grain;
        int start = (int)(chunk * blocks / chunks) * _grain;
        int end = (int)Math.Min((chunk + 1) * blocks / chunks * _grain, _count);
        t_scratch = _scratch[chunk];
        try
        {
            _body(_state, start, end);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _error, e, null);
        }
    }

    private void RunChunkAndRelease(int chunk, int chunks)
    {
        RunChunk(chunk, chunks);
        Interlocked.Decrement(ref _pending);
    }

    private void WorkerLoop()
    {
        long seen = 0;
        while (true)
        {
            long spinUntil = Stopwatch.GetTimestamp() + SpinTicks;
            while (Volatile.Read(ref _claims) >> 32 == seen && Stopwatch.GetTimestamp() < spinUntil && !_disposed)
                Thread.SpinWait(20);

            lock (_gate)
            {
                while (Volatile.Read(ref _claims) >> 32 == seen && !_disposed)
                    Monitor.Wait(_gate);
                if (_disposed)
                    return;
            }

            long claims = Volatile.Read(ref _claims);
            seen = claims >> 32;
            int chunks = (int)((claims >> 16) & 0xFFFF);
            while (TryClaim(seen, out int chunk))
                RunChunkAndRelease(chunk, chunks);
        }
    }

    private sealed class ScratchBuffer
    {
        public float* Pointer;
        public nint Length;

        public void Grow(nint floats)
        {
            Free();
            Pointer = (float*)NativeMemory.AlignedAlloc((nuint)floats * sizeof(float), 64);
            Length = floats;
        }

        public void Free()
        {
            NativeMemory.AlignedFree(Pointer);
            Pointer = null;
            Length = 0;
        }
    }
}
