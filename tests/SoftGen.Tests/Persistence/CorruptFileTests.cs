using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using System.Text;
using PersistenceModels;
using SoftGen.Persistence;
using Xunit;

namespace SoftGen.Tests.Persistence;

/// <summary>
/// Every way a weights file can be broken gives an InvalidDataException that says what is wrong and where, and the
/// trainer's weights stay as they were. SmallMlp's tensors: layers.0.weight [9, 6] (216 bytes), layers.0.bias [9]
/// (36), layers.1.weight [4, 9] (144), layers.1.bias [4] (16): 412 bytes of data.
/// </summary>
public sealed class CorruptFileTests : IDisposable
{
    private readonly SmallMlp.Trainer _trainer = SmallMlp.CreateTrainer(new TrainerOptions { Seed = 11, BatchSize = 8, ThreadCount = 1 });
    private readonly byte[] _valid;
    private readonly byte[] _data;

    public CorruptFileTests()
    {
        using var source = SmallMlp.CreateTrainer(new TrainerOptions { Seed = 12, BatchSize = 8, ThreadCount = 1 });
        _valid = Bytes.Weights(source);
        _data = _valid[(8 + Bytes.Header(_valid).Length)..];
        Assert.Equal(412, _data.Length);
    }

    public void Dispose() => _trainer.Dispose();

    private static string Entry(string name, string dtype, string shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{begin},{end}]}}";

    /// <summary>SmallMlp's four tensors, back to back, with one entry replaced.</summary>
    private static string Header(string? replace = null, string? with = null)
    {
        var entries = new[]
        {
            Entry("layers.0.weight", "F32", "[9,6]", 0, 216),
            Entry("layers.0.bias", "F32", "[9]", 216, 252),
            Entry("layers.1.weight", "F32", "[4,9]", 252, 396),
            Entry("layers.1.bias", "F32", "[4]", 396, 412),
        };
        if (replace is not null) entries = entries.Select(e => e.StartsWith($"\"{replace}\"", StringComparison.Ordinal) ? with! : e).ToArray();
        return "{" + string.Join(",", entries.Where(e => e.Length > 0)) + "}";
    }

    [Fact]
    public void The_hand_written_header_with_the_valid_data_loads()
    {
        // The baseline for the cases below: the same header, written by hand, is accepted.
        _trainer.LoadWeights(new MemoryStream(Bytes.SafeTensors(Header(), _data)));
        var w = new float[16];
        _trainer.GetParameter("layers.1.bias", w.AsSpan(0, 4));
        Assert.Equal(Bytes.Floats(w[..4]), _data[396..412]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(7)]
    public void Shorter_than_the_length_prefix(int length) =>
        Expect.Rejected(_trainer, _valid[..length], "truncated", $"it has {length} bytes");

    [Fact]
    public void Truncated_inside_the_header() =>
        Expect.Rejected(_trainer, _valid[..(8 + Bytes.Header(_valid).Length / 2)], "the header length is", "past the end of the file");

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(100)]
    [InlineData(412)]
    public void Truncated_inside_the_data(int missing) =>
        Expect.Rejected(_trainer, _valid[..^missing], "past the end of the data section", "truncated");

    [Theory]
    [InlineData(1UL)]
    [InlineData(1000UL)]
    [InlineData(ulong.MaxValue)]
    public void Header_length_past_the_end_of_the_file(ulong beyond)
    {
        var file = (byte[])_valid.Clone();
        ulong claimed = beyond == ulong.MaxValue ? beyond : (ulong)(file.Length - 8) + beyond;
        BinaryPrimitives.WriteUInt64LittleEndian(file, claimed);
        Expect.Rejected(_trainer, file, $"the header length is {claimed} bytes, past the end of the file ({file.Length} bytes");
    }

    [Theory]
    [InlineData("{\"layers.0.weight\":{\"dtype\":\"F32\",", "not valid JSON")]
    [InlineData("{\"layers.0.weight\" {}}", "not valid JSON")]
    [InlineData("{'layers.0.weight':1}", "not valid JSON")]
    [InlineData("[1, 2, 3]", "the header is a JSON array, not an object")]
    [InlineData("\"weights\"", "the header is a JSON string, not an object")]
    [InlineData("", "the header is empty")]
    [InlineData("   ", "the header is empty")]
    [InlineData("{} {}", "not valid JSON (line 1, byte 4)")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},}", "not valid JSON")]
    public void Header_is_not_valid_json(string json, string fragment) =>
        Expect.Rejected(_trainer, Bytes.SafeTensors(json, _data), fragment);

    [Fact]
    public void Header_is_not_valid_utf8()
    {
        var json = Encoding.UTF8.GetBytes(Header());
        int quote = Array.IndexOf(json, (byte)'l'); // inside the first name
        json[quote] = 0xFF;
        var file = Bytes.Concat(new byte[8], json, _data);
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        Expect.Rejected(_trainer, file, "UTF-8");
    }

    [Fact]
    public void Offsets_past_the_end_of_the_data() =>
        Expect.Rejected(_trainer, Bytes.SafeTensors(Header("layers.1.bias", Entry("layers.1.bias", "F32", "[4]", 412, 428)), _data),
            "'layers.1.bias' has data_offsets [412, 428], past the end of the data section (412 bytes)");

    [Fact]
    public void Offsets_that_overlap() =>
        Expect.Rejected(_trainer, Bytes.SafeTensors(Header("layers.0.bias", Entry("layers.0.bias", "F32", "[9]", 212, 248)), _data),
            "tensors 'layers.0.weight' [0, 216) and 'layers.0.bias' [212, 248) overlap");

    [Fact]
    public void Two_tensors_on_the_same_bytes() =>
        Expect.Rejected(_trainer, Bytes.SafeTensors(Header("layers.1.bias", Entry("layers.1.bias", "F32", "[4]", 216, 232)), _data),
            "overlap");

    [Fact]
    public void Bytes_that_belong_to_no_tensor() =>
        Expect.Rejected(_trainer, Bytes.SafeTensors(Header("layers.0.bias", Entry("layers.0.bias", "F32", "[9]", 220, 256)), Bytes.Concat(_data, new byte[4])),
            "bytes [216, 220) of the data section belong to no tensor");

    [Fact]
    public void Trailing_bytes_after_the_last_tensor() =>
        Expect.Rejected(_trainer, Bytes.SafeTensors(Header(), Bytes.Concat(_data, new byte[8])), "the tensors cover 412 bytes, but the data section has 420: 8 bytes at the end belong to no tensor");

    [Fact]
    public void Offsets_that_end_before_they_begin() =>
        Expect.Rejected(_trainer, Bytes.SafeTensors(Header("layers.1.bias", Entry("layers.1.bias", "F32", "[4]", 412, 396)), _data),
            "data_offsets [412, 396], which end before they begin");

    [Fact]
    public void Shape_and_offsets_disagree() =>
        Expect.Rejected(_trainer, Bytes.SafeTensors(Header("layers.0.weight", Entry("layers.0.weight", "F32", "[9,5]", 0, 216)), _data),
            "tensor 'layers.0.weight' is F32 [9, 5], 180 bytes, but its data_offsets [0, 216] hold 216 bytes");

    [Fact]
    public void A_shape_too_large_to_address() =>
        Expect.Rejected(_trainer, Bytes.SafeTensors(Header("layers.0.weight", Entry("layers.0.weight", "F32", "[4611686018427387904,4]", 0, 216)), _data),
            "too large to address");

    [Fact]
    public void A_wrong_dtype()
    {
        // F16 [9, 12] is 216 bytes: a well-formed file, but not of F32 tensors.
        Expect.Rejected(_trainer, Bytes.SafeTensors(Header("layers.0.weight", Entry("layers.0.weight", "F16", "[9,12]", 0, 216)), _data),
            "'layers.0.weight' has dtype F16; SoftGen reads F32");
    }

    [Fact]
    public void An_unknown_dtype() =>
        Expect.Rejected(_trainer, Bytes.SafeTensors(Header("layers.0.weight", Entry("layers.0.weight", "F33", "[9,6]", 0, 216)), _data),
            "tensor 'layers.0.weight' has the unknown dtype 'F33'");

    [Theory]
    [InlineData("\"layers.0.bias\":{\"dtype\":\"F32\",\"shape\":[9],\"data_offsets\":[-216,252]}", "must hold non-negative integers")]
    [InlineData("\"layers.0.bias\":{\"dtype\":\"F32\",\"shape\":[9.0],\"data_offsets\":[216,252]}", "holds 9.0; it must hold non-negative integers")]
    [InlineData("\"layers.0.bias\":{\"dtype\":\"F32\",\"shape\":[9],\"data_offsets\":[216,252,288]}", "has 3 data_offsets")]
    [InlineData("\"layers.0.bias\":{\"dtype\":\"F32\",\"shape\":9,\"data_offsets\":[216,252]}", "the shape of tensor 'layers.0.bias' is a JSON number")]
    [InlineData("\"layers.0.bias\":{\"dtype\":\"F32\",\"shape\":[9]}", "tensor 'layers.0.bias' has no data_offsets")]
    [InlineData("\"layers.0.bias\":{\"shape\":[9],\"data_offsets\":[216,252]}", "tensor 'layers.0.bias' has no dtype")]
    [InlineData("\"layers.0.bias\":{\"dtype\":\"F32\",\"shape\":[9],\"data_offsets\":[216,252],\"extra\":1}", "unknown field 'extra'")]
    [InlineData("\"layers.0.bias\":{\"dtype\":32,\"shape\":[9],\"data_offsets\":[216,252]}", "the dtype of tensor 'layers.0.bias' is a JSON number")]
    [InlineData("\"layers.0.bias\":[216,252]", "tensor 'layers.0.bias' is a JSON array")]
    [InlineData("\"layers.0.bias\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[9],\"data_offsets\":[216,252]}", "two dtype fields")]
    public void Malformed_entries(string entry, string fragment) =>
        Expect.Rejected(_trainer, Bytes.SafeTensors(Header("layers.0.bias", entry), _data), fragment);

    [Fact]
    public void A_tensor_with_an_empty_name()
    {
        // Found by the fuzz test (CsCheck seed enn2tunmUN81): SafeTensorsFile.ReadTensors threw ArgumentException.
        var file = Bytes.SafeTensors(Header("layers.1.bias", Entry("", "F32", "[4]", 396, 412)), _data);
        Expect.Rejected(_trainer, file, "the header has a tensor with an empty name");
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.ReadTensors(new MemoryStream(file)));
        Assert.Contains("empty name", e.Message);
    }

    [Fact]
    public void A_tensor_named_twice() =>
        Expect.Rejected(_trainer, Bytes.SafeTensors(Header("layers.1.bias", Entry("layers.1.bias", "F32", "[4]", 396, 412) + "," + Entry("layers.1.bias", "F32", "[4]", 396, 412)), _data),
            "tensor 'layers.1.bias' appears twice");

    [Theory]
    [InlineData("{\"__metadata__\":{\"softgen.step\":3},", "__metadata__ 'softgen.step' is a JSON number; metadata values must be strings")]
    [InlineData("{\"__metadata__\":[\"a\"],", "__metadata__ is a JSON array")]
    [InlineData("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"},", "__metadata__ has the key 'a' twice")]
    [InlineData("{\"__metadata__\":{},\"__metadata__\":{},", "two __metadata__ entries")]
    public void Malformed_metadata(string start, string fragment) =>
        Expect.Rejected(_trainer, Bytes.SafeTensors(start + Header()[1..], _data), fragment);

    [Theory]
    [InlineData(0, 8, float.NaN, "tensor 'layers.0.weight' element [1, 2] is NaN")]
    [InlineData(0, 53, float.PositiveInfinity, "tensor 'layers.0.weight' element [8, 5] is Infinity")]
    [InlineData(216, 3, float.NegativeInfinity, "tensor 'layers.0.bias' element [3] is -Infinity")]
    [InlineData(396, 0, float.NaN, "tensor 'layers.1.bias' element [0] is NaN")]
    public void A_non_finite_payload(int tensorStart, int element, float value, string fragment)
    {
        var data = (byte[])_data.Clone();
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(tensorStart + 4 * element), value);
        Expect.Rejected(_trainer, Bytes.SafeTensors(Header(), data), fragment, "nothing was loaded");
    }

    [Fact]
    public void A_NaN_with_a_payload_is_still_NaN()
    {
        var data = (byte[])_data.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(396), 0xFFC12345u); // a negative quiet NaN with payload bits
        Expect.Rejected(_trainer, Bytes.SafeTensors(Header(), data), "tensor 'layers.1.bias' element [0] is NaN");
    }

    [Fact]
    public void A_header_over_the_format_limit_is_refused_before_it_is_read()
    {
        // A stream that claims 200 MB (and reads as zeros after its length prefix): the limit stops the read of a
        // 100 MB header before anything is allocated for it.
        var prefix = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)SafeTensorsHeader.MaxHeaderLength + 1);
        var e = Assert.Throws<InvalidDataException>(() => _trainer.LoadWeights(new SparseStream(prefix, 200_000_000)));
        Assert.Contains($"the header length is {SafeTensorsHeader.MaxHeaderLength + 1} bytes, more than the limit of {SafeTensorsHeader.MaxHeaderLength}", e.Message);
    }

    /// <summary>A read-only stream of the given length: the prefix, then zeros.</summary>
    private sealed class SparseStream(byte[] prefix, long length) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get; set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Min(count, Math.Max(0, length - Position));
            for (int k = 0; k < n; k++) buffer[offset + k] = Position + k < prefix.Length ? prefix[Position + k] : (byte)0;
            Position += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => Position + offset,
            _ => length + offset,
        };

        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public void A_missing_file_names_its_path()
    {
        using var folder = new TempFolder("missing");
        var e = Assert.Throws<FileNotFoundException>(() => _trainer.LoadWeights(folder.File("nothing.safetensors")));
        Assert.Contains("nothing.safetensors", e.Message);
    }

    [Fact]
    public void A_file_path_is_named_in_the_message()
    {
        using var folder = new TempFolder("named");
        File.WriteAllBytes(folder.File("bad.safetensors"), _valid[..100]);
        var e = Assert.Throws<InvalidDataException>(() => _trainer.LoadWeights(folder.File("bad.safetensors")));
        Assert.StartsWith(folder.File("bad.safetensors") + ": ", e.Message);
    }
}
