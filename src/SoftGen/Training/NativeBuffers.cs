using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace SoftGen.Training;

/// <summary>
/// Zeroed, 64-byte-aligned native float buffers (so never moved by the GC), freed together. Lengths are rounded up
/// to a multiple of 16 floats so that a whole Vector512 can always be read or written at the end.
/// </summary>
internal sealed unsafe class NativeBuffers : IDisposable
{
    private const int Alignment = 64;
    private readonly List<IntPtr> _blocks = new();

    public float* Allocate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        long rounded = Math.Max(16L, (length + 15L) & ~15L);
        nuint bytes = (nuint)(rounded * sizeof(float));
        _blocks.EnsureCapacity(_blocks.Count + 1);
        void* block = NativeMemory.AlignedAlloc(bytes, Alignment);
        NativeMemory.Clear(block, bytes);
        _blocks.Add((IntPtr)block);
        return (float*)block;
    }

    public void Dispose()
    {
        FreeAll();
        GC.SuppressFinalize(this);
    }

    // The trainer keeps itself alive (GC.KeepAlive) through every call that uses these pointers, so this only
    // runs for a trainer that was dropped without Dispose.
    ~NativeBuffers() => FreeAll();

    private void FreeAll()
    {
        foreach (var block in _blocks) NativeMemory.AlignedFree((void*)block);
        _blocks.Clear();
    }
}
