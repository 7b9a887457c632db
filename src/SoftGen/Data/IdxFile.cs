using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace SoftGen.Data;

/// <summary>
/// An IDX file (the MNIST family): a big-endian header (two zero bytes, the element type, the number of
/// dimensions, each dimension as an int32), then the data. Gzip-compressed files (".gz") are read directly.
/// Only unsigned bytes (type 0x08), the type every MNIST-family file uses, are supported.
/// </summary>
public sealed class IdxFile
{
    private IdxFile(int[] dimensions, byte[] data)
    {
        Dimensions = dimensions;
        Data = data;
    }

    public int[] Dimensions { get; }

    /// <summary>The elements, row-major.</summary>
    public byte[] Data { get; }

    /// <summary>Number of items (the first dimension).</summary>
    public int Count => Dimensions[0];

    /// <summary>Elements per item (the product of the other dimensions).</summary>
    public int ItemLength => Dimensions.Length == 1 ? 1 : Data.Length / Dimensions[0];

    public static IdxFile Read(string path)
    {
        using var stream = Open(path);
        return Read(stream, path);
    }

    public static IdxFile Read(Stream stream, string name)
    {
        var dimensions = ReadHeader(stream, name);
        long length = 1;
        foreach (var d in dimensions) length *= d;
        var data = new byte[length];
        ReadExactly(stream, data, name, $"the {length} data bytes the header declares");
        return new IdxFile(dimensions, data);
    }

    /// <summary>Opens a file for reading, decompressing it as it is read when its name ends in ".gz".</summary>
    internal static Stream Open(string path)
    {
        var file = File.OpenRead(path);
        return path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    /// <summary>Reads and checks the header (unsigned bytes only), leaving the stream at the first data byte.</summary>
    internal static int[] ReadHeader(Stream stream, string name)
    {
        Span<byte> magic = stackalloc byte[4];
        ReadExactly(stream, magic, name, "the 4-byte header");
        if (magic[0] != 0 || magic[1] != 0)
            throw new InvalidDataException($"{name}: not an IDX file (the first two bytes are {magic[0]:x2} {magic[1]:x2}, expected 00 00).");
        if (magic[2] != 0x08)
            throw new InvalidDataException($"{name}: element type 0x{magic[2]:x2} is not supported; only unsigned bytes (0x08) are.");
        var rank = magic[3];
        if (rank == 0)
            throw new InvalidDataException($"{name}: the header declares 0 dimensions.");

        var dimensions = new int[rank];
        Span<byte> word = stackalloc byte[4];
        long length = 1;
        for (var i = 0; i < rank; i++)
        {
            ReadExactly(stream, word, name, $"dimension {i}");
            dimensions[i] = BinaryPrimitives.ReadInt32BigEndian(word);
            if (dimensions[i] < 0)
                throw new InvalidDataException($"{name}: dimension {i} is negative ({dimensions[i]}).");
            length *= dimensions[i];
            if (length > Array.MaxLength)
                throw new InvalidDataException($"{name}: the declared dimensions hold {length} elements, more than an array can.");
        }
        return dimensions;
    }

    internal static void ReadExactly(Stream stream, Span<byte> buffer, string name, string what)
    {
        var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (read < buffer.Length)
            throw new InvalidDataException($"{name}: the file ends after {read} of {buffer.Length} bytes of {what}.");
    }
}
