using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace SoftGen.Persistence;

/// <summary>
/// A parsed and checked safetensors header: the tensors' entries, the __metadata__ strings, and where the data
/// section starts. Parsing accepts what the reference implementation (huggingface/safetensors) accepts: every
/// byte of the data section belongs to exactly one tensor, in any order, with no gaps, overlaps or trailing bytes.
/// </summary>
public sealed class SafeTensorsHeader
{
    /// <summary>The largest header the reference implementation reads (its MAX_HEADER_SIZE).</summary>
    public const long MaxHeaderLength = 100_000_000;

    private readonly List<SafeTensorInfo> _tensors;
    private readonly Dictionary<string, SafeTensorInfo> _byName;
    private readonly Dictionary<string, string> _metadata;

    private SafeTensorsHeader(List<SafeTensorInfo> tensors, Dictionary<string, string> metadata, long headerLength, long dataLength)
    {
        _tensors = tensors;
        _metadata = metadata;
        _byName = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
        foreach (var t in tensors) _byName.Add(t.Name, t);
        HeaderLength = headerLength;
        DataLength = dataLength;
    }

    /// <summary>The tensors in the order the header lists them.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors => _tensors;

    /// <summary>The __metadata__ entry's strings (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _metadata;

    /// <summary>Length of the JSON header in bytes (the file's first 8 bytes, little-endian).</summary>
    public long HeaderLength { get; }

    /// <summary>File offset of the data section: 8 + <see cref="HeaderLength"/>.</summary>
    public long DataStart => 8 + HeaderLength;

    /// <summary>Length of the data section in bytes.</summary>
    public long DataLength { get; }

    /// <summary>The tensor with this name (ordinal), or null.</summary>
    public SafeTensorInfo? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The metadata value for this key, or null.</summary>
    public string? GetMetadata(string key) => _metadata.GetValueOrDefault(key);

    /// <summary>
    /// Parses the JSON header of a file whose data section is <paramref name="dataLength"/> bytes long;
    /// <paramref name="source"/> names the file in error messages (a path, or "the stream").
    /// </summary>
    /// <exception cref="InvalidDataException">The header is not valid JSON, or an entry is malformed or out of range.</exception>
    internal static SafeTensorsHeader Parse(ReadOnlySpan<byte> json, long dataLength, string source)
    {
        var tensors = new List<SafeTensorInfo>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        bool sawMetadata = false;
        if (json.Trim(" \t\r\n"u8).IsEmpty)
            throw Bad(source, "the header is empty; it must be a JSON object");
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 8 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw Bad(source, $"the header is a JSON {Describe(reader.TokenType)}, not an object");
            while (true)
            {
                Next(ref reader, source, "a tensor name or the end of the header");
                if (reader.TokenType == JsonTokenType.EndObject) break;
                string name = reader.GetString()!;
                if (name == "__metadata__")
                {
                    if (sawMetadata) throw Bad(source, "the header has two __metadata__ entries");
                    sawMetadata = true;
                    ReadMetadata(ref reader, metadata, source);
                    continue;
                }
                if (name.Length == 0) throw Bad(source, "the header has a tensor with an empty name");
                if (!names.Add(name)) throw Bad(source, $"tensor '{name}' appears twice in the header");
                tensors.Add(ReadTensor(ref reader, name, dataLength, source));
            }
            if (reader.Read())
                throw Bad(source, $"the header has more JSON after its closing brace, at byte {reader.TokenStartIndex}");
        }
        catch (JsonException e)
        {
            throw Bad(source, $"the header is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // Utf8JsonReader.GetString on a string that is not valid UTF-8.
            throw Bad(source, $"the header has a string that is not valid UTF-8, near byte {reader.TokenStartIndex}: {e.Message}", e);
        }

        CheckLayout(tensors, dataLength, source);
        return new SafeTensorsHeader(tensors, metadata, json.Length, dataLength);
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, Dictionary<string, string> metadata, string source)
    {
        Next(ref reader, source, "the __metadata__ object");
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Bad(source, $"__metadata__ is a JSON {Describe(reader.TokenType)}; it must be an object of strings");
        while (true)
        {
            Next(ref reader, source, "a __metadata__ key");
            if (reader.TokenType == JsonTokenType.EndObject) return;
            string key = reader.GetString()!;
            Next(ref reader, source, $"the value of __metadata__ '{key}'");
            if (reader.TokenType != JsonTokenType.String)
                throw Bad(source, $"__metadata__ '{key}' is a JSON {Describe(reader.TokenType)}; metadata values must be strings");
            if (!metadata.TryAdd(key, reader.GetString()!))
                throw Bad(source, $"__metadata__ has the key '{key}' twice");
        }
    }

    private static SafeTensorInfo ReadTensor(ref Utf8JsonReader reader, string name, long dataLength, string source)
    {
        Next(ref reader, source, $"the entry of tensor '{name}'");
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Bad(source, $"tensor '{name}' is a JSON {Describe(reader.TokenType)}; it must be an object with dtype, shape and data_offsets");

        string? dtype = null;
        List<long>? shape = null, offsets = null;
        while (true)
        {
            Next(ref reader, source, $"a field of tensor '{name}'");
            if (reader.TokenType == JsonTokenType.EndObject) break;
            string field = reader.GetString()!;
            switch (field)
            {
                case "dtype":
                    if (dtype is not null) throw Bad(source, $"tensor '{name}' has two dtype fields");
                    Next(ref reader, source, $"the dtype of tensor '{name}'");
                    if (reader.TokenType != JsonTokenType.String)
                        throw Bad(source, $"the dtype of tensor '{name}' is a JSON {Describe(reader.TokenType)}; it must be a string such as \"F32\"");
                    dtype = reader.GetString()!;
                    break;
                case "shape":
                    if (shape is not null) throw Bad(source, $"tensor '{name}' has two shape fields");
                    shape = ReadIntegers(ref reader, name, "shape", source);
                    break;
                case "data_offsets":
                    if (offsets is not null) throw Bad(source, $"tensor '{name}' has two data_offsets fields");
                    offsets = ReadIntegers(ref reader, name, "data_offsets", source);
                    break;
                default:
                    throw Bad(source, $"tensor '{name}' has the unknown field '{field}'; an entry has only dtype, shape and data_offsets");
            }
        }

        if (dtype is null) throw Bad(source, $"tensor '{name}' has no dtype");
        if (shape is null) throw Bad(source, $"tensor '{name}' has no shape");
        if (offsets is null) throw Bad(source, $"tensor '{name}' has no data_offsets");
        int size = SafeTensorInfo.DTypeSize(dtype);
        if (size == 0) throw Bad(source, $"tensor '{name}' has the unknown dtype '{dtype}'");
        if (offsets.Count != 2)
            throw Bad(source, $"tensor '{name}' has {offsets.Count} data_offsets; it needs two, [begin, end]");
        long begin = offsets[0], end = offsets[1];
        if (end < begin) throw Bad(source, $"tensor '{name}' has data_offsets [{begin}, {end}], which end before they begin");
        if (end > dataLength)
            throw Bad(source, $"tensor '{name}' has data_offsets [{begin}, {end}], past the end of the data section ({dataLength} bytes): the file is truncated or the offsets are wrong");

        long bytes = size;
        foreach (var d in shape)
            if (d != 0 && bytes > long.MaxValue / d)
                throw Bad(source, $"tensor '{name}' has shape {SafeTensorInfo.FormatShape(shape)}, too large to address");
            else bytes *= d;
        if (bytes != end - begin)
            throw Bad(source, $"tensor '{name}' is {dtype} {SafeTensorInfo.FormatShape(shape)}, {bytes} bytes, but its data_offsets [{begin}, {end}] hold {end - begin} bytes");
        return new SafeTensorInfo(name, dtype, shape.ToArray(), begin, end);
    }

    private static List<long> ReadIntegers(ref Utf8JsonReader reader, string name, string field, string source)
    {
        Next(ref reader, source, $"the {field} of tensor '{name}'");
        if (reader.TokenType != JsonTokenType.StartArray)
            throw Bad(source, $"the {field} of tensor '{name}' is a JSON {Describe(reader.TokenType)}; it must be an array of integers");
        var values = new List<long>();
        while (true)
        {
            Next(ref reader, source, $"the {field} of tensor '{name}'");
            if (reader.TokenType == JsonTokenType.EndArray) return values;
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long value) || value < 0)
                throw Bad(source, $"the {field} of tensor '{name}' holds {Text(ref reader)}; it must hold non-negative integers");
            if (values.Count == 64) throw Bad(source, $"the {field} of tensor '{name}' has more than 64 entries");
            values.Add(value);
        }
    }

    /// <summary>Every byte of the data section must belong to exactly one tensor, as the reference implementation requires.</summary>
    private static void CheckLayout(List<SafeTensorInfo> tensors, long dataLength, string source)
    {
        var sorted = tensors.ToArray();
        Array.Sort(sorted, (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long covered = 0;
        SafeTensorInfo? previous = null;
        foreach (var t in sorted)
        {
            if (t.Begin < covered)
                throw Bad(source, $"tensors '{previous!.Name}' [{previous.Begin}, {previous.End}) and '{t.Name}' [{t.Begin}, {t.End}) overlap in the data section");
            if (t.Begin > covered)
                throw Bad(source, $"bytes [{covered}, {t.Begin}) of the data section belong to no tensor (the next is '{t.Name}')");
            covered = t.End;
            if (t.End > t.Begin) previous = t;
        }
        if (covered != dataLength)
            throw Bad(source, $"the tensors cover {covered} bytes, but the data section has {dataLength}: {dataLength - covered} bytes at the end belong to no tensor");
    }

    private static void Next(ref Utf8JsonReader reader, string source, string expected)
    {
        if (!reader.Read()) throw Bad(source, $"the header ends where it should have {expected}");
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "object",
        JsonTokenType.StartArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True or JsonTokenType.False => "boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    private static string Text(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) return "a JSON " + Describe(reader.TokenType);
        if (reader.HasValueSequence || reader.ValueSpan.Length > 40) return "a long JSON " + Describe(reader.TokenType);
        return System.Text.Encoding.UTF8.GetString(reader.ValueSpan);
    }

    internal static InvalidDataException Bad(string source, string message, Exception? inner = null) =>
        new($"{source}: {message.TrimEnd('.')}.", inner);
}
