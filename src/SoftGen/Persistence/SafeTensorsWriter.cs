using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SoftGen.Persistence;

/// <summary>
/// Writes the safetensors layout: the header's length as 8 little-endian bytes, the JSON header padded with spaces
/// to a multiple of 8 bytes (so that the data starts 8-byte aligned, as the reference writer does), then each
/// tensor's little-endian bytes back to back in the header's order.
/// </summary>
internal static class SafeTensorsWriter
{
    public static void Write(Stream stream, IReadOnlyList<SafeTensor> tensors, IEnumerable<KeyValuePair<string, string>>? metadata)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        var header = Header(tensors, metadata);
        int padded = (header.Length + 7) & ~7;

        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)padded);
        stream.Write(prefix);
        stream.Write(header);
        for (int k = header.Length; k < padded; k++) stream.WriteByte((byte)' ');
        foreach (var t in tensors)
            if (t.DType == "I64") WriteValues(stream, t.Int64Values);
            else WriteValues(stream, t.Values);
    }

    private static byte[] Header(IReadOnlyList<SafeTensor> tensors, IEnumerable<KeyValuePair<string, string>>? metadata)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is not null)
            {
                json.WriteStartObject("__metadata__");
                var keys = new HashSet<string>(StringComparer.Ordinal);
                foreach (var (key, value) in metadata)
                {
                    if (!keys.Add(key)) throw new ArgumentException($"The metadata has the key '{key}' twice.", nameof(metadata));
                    json.WriteString(key, value);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in tensors)
            {
                ArgumentNullException.ThrowIfNull(t, nameof(tensors));
                if (!names.Add(t.Name)) throw new ArgumentException($"Two tensors are named '{t.Name}'.", nameof(tensors));
                long bytes = (long)t.Length * SafeTensorInfo.DTypeSize(t.DType);
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", t.DType);
                json.WriteStartArray("shape");
                foreach (var d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        if (buffer.WrittenCount > SafeTensorsHeader.MaxHeaderLength - 8)
            throw new ArgumentException($"The header would be {buffer.WrittenCount} bytes, more than the format's limit of {SafeTensorsHeader.MaxHeaderLength}.", nameof(tensors));
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteValues(Stream stream, float[] values)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values.AsSpan()));
            return;
        }
        var chunk = new byte[4096];
        for (int start = 0; start < values.Length; start += chunk.Length / 4)
        {
            int n = Math.Min(chunk.Length / 4, values.Length - start);
            for (int k = 0; k < n; k++) BinaryPrimitives.WriteSingleLittleEndian(chunk.AsSpan(4 * k), values[start + k]);
            stream.Write(chunk, 0, 4 * n);
        }
    }

    private static void WriteValues(Stream stream, long[] values)
    {
        Span<byte> bytes = stackalloc byte[8];
        foreach (var v in values) // a few scalars: no need for a bulk path
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes, v);
            stream.Write(bytes);
        }
    }
}
