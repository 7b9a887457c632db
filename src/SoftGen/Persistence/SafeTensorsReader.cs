using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.InteropServices;

namespace SoftGen.Persistence;

/// <summary>
/// Reads a safetensors file from a seekable stream: the header first (checked against the stream's length before
/// anything else is read or allocated), then tensors on request. Every failure is an <see cref="InvalidDataException"/>
/// that names the file and what is wrong with it.
/// </summary>
internal sealed class SafeTensorsReader
{
    private readonly Stream _stream;
    private readonly long _start; // stream position of the file's first byte

    private SafeTensorsReader(Stream stream, long start, SafeTensorsHeader header, string source)
    {
        _stream = stream;
        _start = start;
        Header = header;
        Source = source;
    }

    public SafeTensorsHeader Header { get; }

    /// <summary>Names the file in messages.</summary>
    public string Source { get; }

    /// <summary>Reads and checks the header of the file that fills <paramref name="stream"/> from its current position.</summary>
    public static SafeTensorsReader Open(Stream stream, string source)
    {
        if (!stream.CanRead || !stream.CanSeek)
            throw new ArgumentException("The stream must be readable and seekable.", nameof(stream));
        long start = stream.Position;
        long length = stream.Length - start;
        if (length < 8)
            throw SafeTensorsHeader.Bad(source, $"the file is truncated: it has {length} bytes, but a safetensors file starts with an 8-byte header length");

        Span<byte> prefix = stackalloc byte[8];
        ReadExactly(stream, prefix, source, "the header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > (ulong)(length - 8))
            throw SafeTensorsHeader.Bad(source, $"the header length is {headerLength} bytes, past the end of the file ({length} bytes, so at most {length - 8})");
        if (headerLength > SafeTensorsHeader.MaxHeaderLength)
            throw SafeTensorsHeader.Bad(source, $"the header length is {headerLength} bytes, more than the limit of {SafeTensorsHeader.MaxHeaderLength}");

        var json = new byte[(int)headerLength];
        ReadExactly(stream, json, source, "the header");
        var header = SafeTensorsHeader.Parse(json, length - 8 - (long)headerLength, source);
        return new SafeTensorsReader(stream, start, header, source);
    }

    /// <summary>
    /// Reads an F32 tensor into <paramref name="destination"/> (its length must be the element count). Values are
    /// returned as stored; the caller decides what to do with non-finite ones.
    /// </summary>
    public void ReadFloat32(SafeTensorInfo tensor, Span<float> destination)
    {
        if (tensor.DType != "F32")
            throw SafeTensorsHeader.Bad(Source, $"tensor '{tensor.Name}' has dtype {tensor.DType}; only F32 is read");
        if (destination.Length != tensor.ElementCount)
            throw new ArgumentException($"'{tensor.Name}' has {tensor.ElementCount} values, the destination {destination.Length}.", nameof(destination));
        _stream.Position = _start + Header.DataStart + tensor.Begin;
        var bytes = MemoryMarshal.AsBytes(destination);
        ReadExactly(_stream, bytes, Source, $"tensor '{tensor.Name}'");
        if (!BitConverter.IsLittleEndian)
        {
            var words = MemoryMarshal.Cast<float, int>(destination);
            BinaryPrimitives.ReverseEndianness(words, words);
        }
    }

    /// <summary>Reads an I64 tensor into <paramref name="destination"/> (its length must be the element count).</summary>
    public void ReadInt64(SafeTensorInfo tensor, Span<long> destination)
    {
        if (tensor.DType != "I64")
            throw SafeTensorsHeader.Bad(Source, $"tensor '{tensor.Name}' has dtype {tensor.DType}; I64 was expected");
        if (destination.Length != tensor.ElementCount)
            throw new ArgumentException($"'{tensor.Name}' has {tensor.ElementCount} values, the destination {destination.Length}.", nameof(destination));
        _stream.Position = _start + Header.DataStart + tensor.Begin;
        ReadExactly(_stream, MemoryMarshal.AsBytes(destination), Source, $"tensor '{tensor.Name}'");
        if (!BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(destination, destination);
    }

    /// <summary>Reads exactly buffer.Length bytes; a file that shrank while being read ends early with a clear message.</summary>
    private static void ReadExactly(Stream stream, Span<byte> buffer, string source, string what)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer[total..]);
            if (n == 0)
                throw SafeTensorsHeader.Bad(source, $"the file ended {buffer.Length - total} bytes short while reading {what}");
            total += n;
        }
    }
}
