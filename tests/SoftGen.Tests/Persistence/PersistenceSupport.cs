using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;
using SoftGen.Tests.EndToEnd;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Persistence;

/// <summary>A folder under the system's temporary folder, deleted with everything in it on Dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder(string purpose)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"softgen-{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is not worth failing a test over.
        }
    }
}

internal static class Data
{
    /// <summary>Rows of positive weights normalised to sum to 1, with an exact 0 in every third row.</summary>
    public static float[] SoftTargets(Random rng, int rows, int classes)
    {
        var y = new float[rows * classes];
        for (int r = 0; r < rows; r++)
        {
            var row = y.AsSpan(r * classes, classes);
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += row[c] = (float)(0.05 + rng.NextDouble());
            if (r % 3 == 0) { sum -= row[r % classes]; row[r % classes] = 0f; }
            for (int c = 0; c < classes; c++) row[c] = (float)(row[c] / sum);
        }
        return y;
    }
}

internal static class Bytes
{
    /// <summary>A safetensors file from a header written out by hand: the 8-byte little-endian length, the JSON, the data.</summary>
    public static byte[] SafeTensors(string json, ReadOnlySpan<byte> data)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var file = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        data.CopyTo(file.AsSpan(8 + header.Length));
        return file;
    }

    /// <summary>Floats as little-endian bytes, written one by one (not through MemoryMarshal, as the writer does).</summary>
    public static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int k = 0; k < values.Length; k++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * k), values[k]);
        return bytes;
    }

    public static byte[] Concat(params byte[][] parts)
    {
        var result = new List<byte>();
        foreach (var p in parts) result.AddRange(p);
        return result.ToArray();
    }

    public static byte[] Weights(TrainerBase trainer)
    {
        using var stream = new MemoryStream();
        trainer.SaveWeights(stream);
        return stream.ToArray();
    }

    public static byte[] Checkpoint(TrainerBase trainer)
    {
        using var stream = new MemoryStream();
        trainer.SaveCheckpoint(stream);
        return stream.ToArray();
    }

    /// <summary>The header's length (from the first 8 bytes) and the JSON text.</summary>
    public static (int Length, string Json) Header(byte[] file)
    {
        int length = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(file));
        return (length, Encoding.UTF8.GetString(file, 8, length));
    }
}

internal static class Expect
{
    /// <summary>
    /// Loading must fail with an InvalidDataException whose message contains every fragment, and leave the trainer's
    /// weights exactly as they were.
    /// </summary>
    public static InvalidDataException Rejected(TrainerBase trainer, byte[] file, params string[] fragments)
    {
        var before = TestData.Snapshot(trainer);
        var e = Assert.Throws<InvalidDataException>(() => trainer.LoadWeights(new MemoryStream(file)));
        foreach (var f in fragments)
            Assert.True(e.Message.Contains(f, StringComparison.Ordinal), $"The message lacks \"{f}\":\n{e.Message}");
        Check.BitEqual(before, TestData.Snapshot(trainer), "weights after a rejected load");
        return e;
    }
}

/// <summary>Passes writes to a stream until a byte budget is spent, then writes the part that fits and throws (a full disk, a yanked drive).</summary>
internal sealed class FailingStream(Stream inner, long failAfter, bool failOnFlush = false) : Stream
{
    private long _written;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _written; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        long room = failAfter - _written;
        if (buffer.Length > room)
        {
            inner.Write(buffer[..(int)Math.Max(0, room)]);
            _written = failAfter;
            throw new IOException($"Injected failure after {failAfter} bytes.");
        }
        inner.Write(buffer);
        _written += buffer.Length;
    }

    public override void WriteByte(byte value) => Write([value]);

    public override void Flush()
    {
        if (failOnFlush) throw new IOException("Injected failure in Flush.");
        inner.Flush();
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
