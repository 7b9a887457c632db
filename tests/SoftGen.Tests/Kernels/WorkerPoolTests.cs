using System;
using System.Threading;
using SoftGen.Cpu;
using Xunit;

namespace SoftGen.Tests.Kernels;

public unsafe class WorkerPoolTests
{
    private struct Coverage
    {
        public int* Hits;
        public int Grain;
        public int Count;
        public int BadBounds;
        public int Calls;
    }

    private static void Mark(void* state, int start, int end)
    {
        var s = (Coverage*)state;
        Interlocked.Increment(ref s->Calls);
        if (start % s->Grain != 0 || (end != s->Count && end % s->Grain != 0) || start >= end)
            Interlocked.Increment(ref s->BadBounds);
        for (int i = start; i < end; i++)
            Interlocked.Increment(ref s->Hits[i]);
    }

    [Theory]
    [InlineData(1, 100, 8)]
    [InlineData(2, 100, 8)]
    [InlineData(2, 7, 8)]
    [InlineData(2, 9, 8)]
    [InlineData(3, 1000, 6)]
    [InlineData(4, 3, 1)]
    [InlineData(2, 256, 8)]
    public void ForCoversTheRangeOnceInGrainAlignedChunks(int threads, int count, int grain)
    {
        using var pool = new WorkerPool(threads);
        var hits = new int[count];
        fixed (int* h = hits)
        {
            for (int repeat = 0; repeat < 50; repeat++)
            {
                Array.Clear(hits);
                var state = new Coverage { Hits = h, Grain = grain, Count = count };
                pool.For(count, grain, &Mark, &state);
                Assert.All(hits, x => Assert.Equal(1, x));
                Assert.Equal(0, state.BadBounds);
                Assert.InRange(state.Calls, 1, threads);
            }
        }
    }

    [Fact]
    public void ThreadCountIsAtLeastOne()
    {
        using (var pool = new WorkerPool(0))
            Assert.Equal(1, pool.ThreadCount);
        using (var pool = new WorkerPool(-3))
            Assert.Equal(1, pool.ThreadCount);
        using (var pool = new WorkerPool(3))
            Assert.Equal(3, pool.ThreadCount);
    }

    [Fact]
    public void EmptyRangeCallsNothing()
    {
        using var pool = new WorkerPool(2);
        var state = new Coverage { Grain = 1 };
        pool.For(0, 1, &Mark, &state);
        Assert.Equal(0, state.Calls);
    }

    private struct ThreadRecord
    {
        public int CallerId;
        public int OtherThreads;
    }

    /// <summary>Notes whether it runs off the caller's thread, and takes a millisecond, long enough for a worker to join.</summary>
    private static void RecordThread(void* state, int start, int end)
    {
        var s = (ThreadRecord*)state;
        if (Environment.CurrentManagedThreadId != s->CallerId)
            Interlocked.Increment(ref s->OtherThreads);
        var until = Environment.TickCount64 + 1;
        while (Environment.TickCount64 <= until)
            Thread.SpinWait(10);
    }

    [Fact]
    public void OneThreadRunsInlineAndTwoShareTheWork()
    {
        var state = new ThreadRecord { CallerId = Environment.CurrentManagedThreadId };
        using (var single = new WorkerPool(1))
            single.For(100, 1, &RecordThread, &state);
        Assert.Equal(0, state.OtherThreads);

        // The caller runs a chunk that no worker has claimed yet itself, so a worker shows up only most of the time.
        using var two = new WorkerPool(2);
        for (int i = 0; i < 20 && state.OtherThreads == 0; i++)
            two.For(100, 1, &RecordThread, &state);
        Assert.True(state.OtherThreads > 0);
    }

    private static void ThrowOnWorker(void* state, int start, int end)
    {
        if (start != 0)
            throw new InvalidOperationException("from chunk " + start);
    }

    private static void ThrowOnCaller(void* state, int start, int end)
    {
        if (start == 0)
            throw new ArgumentException("from the caller's chunk");
    }

    [Fact]
    public void ExceptionsReachTheCallerAndThePoolStaysUsable()
    {
        using var pool = new WorkerPool(2);
        var fromWorker = Assert.Throws<InvalidOperationException>(() => pool.For(10, 1, &ThrowOnWorker, null));
        Assert.StartsWith("from chunk", fromWorker.Message);
        Assert.Throws<ArgumentException>(() => pool.For(10, 1, &ThrowOnCaller, null));

        var hits = new int[64];
        fixed (int* h = hits)
        {
            var state = new Coverage { Hits = h, Grain = 4, Count = 64 };
            pool.For(64, 4, &Mark, &state);
        }
        Assert.All(hits, x => Assert.Equal(1, x));
    }

    private static void Nothing(void* state, int start, int end)
    {
    }

    [Fact]
    public void ForAllocatesNothing()
    {
        using var pool = new WorkerPool(2);
        for (int i = 0; i < 100; i++)
            pool.For(64, 8, &Nothing, null);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
            pool.For(64, 8, &Nothing, null);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void WorkersWakeAfterSleeping()
    {
        using var pool = new WorkerPool(2);
        var hits = new int[16];
        fixed (int* h = hits)
        {
            for (int round = 0; round < 3; round++)
            {
                Thread.Sleep(20); // longer than the workers spin
                Array.Clear(hits);
                var state = new Coverage { Hits = h, Grain = 1, Count = 16 };
                pool.For(16, 1, &Mark, &state);
                Assert.All(hits, x => Assert.Equal(1, x));
            }
        }
    }

    [Fact]
    public void DisposeStopsTheWorkersAndLaterCallsThrow()
    {
        var pool = new WorkerPool(3);
        pool.For(10, 1, &Nothing, null);
        pool.Dispose();
        pool.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pool.For(10, 1, &Nothing, null));
    }
}
