using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using System.Text.Json;
using SoftGen.Persistence;
using Xunit;

namespace SoftGen.Tests.Persistence;

/// <summary>I64 tensors and 0-dimensional shapes (PyTorch's num_batches_tracked) in the safetensors reader and writer.</summary>
public sealed class SafeTensorsInt64Tests
{
    [Fact]
    public void An_I64_scalar_is_written_as_8_little_endian_bytes_with_an_empty_shape()
    {
        var stream = new MemoryStream();
        SafeTensorsFile.Write(stream, [SafeTensor.FromInt64("n", [], [0x0102030405060708L]), new SafeTensor("s", [], [2.5f])]);
        var file = stream.ToArray();
        var (length, json) = Bytes.Header(file);
        using var doc = JsonDocument.Parse(json);
        var n = doc.RootElement.GetProperty("n");
        Assert.Equal("I64", n.GetProperty("dtype").GetString());
        Assert.Equal(0, n.GetProperty("shape").GetArrayLength());
        Assert.Equal([0, 8], n.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()));
        var s = doc.RootElement.GetProperty("s");
        Assert.Equal("F32", s.GetProperty("dtype").GetString());
        Assert.Equal(0, s.GetProperty("shape").GetArrayLength());
        Assert.Equal([8, 12], s.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(new byte[] { 8, 7, 6, 5, 4, 3, 2, 1 }, file[(8 + length)..(8 + length + 8)]);
        Assert.Equal(Bytes.Floats(2.5f), file[(8 + length + 8)..]);
        Assert.Equal(8 + length + 12, file.Length);
    }

    [Fact]
    public void I64_and_F32_tensors_of_any_rank_read_back()
    {
        var stream = new MemoryStream();
        SafeTensorsFile.Write(stream,
        [
            SafeTensor.FromInt64("count", [], [long.MaxValue]),
            SafeTensor.FromInt64("ids", [2, 2], [-1L, 0L, long.MinValue, 42L]),
            new SafeTensor("scalar", [], [-0.5f]),
            new SafeTensor("vector", [3], [1f, 2f, 3f]),
        ]);
        stream.Position = 0;
        var read = SafeTensorsFile.ReadTensors(stream);
        Assert.Equal(["count", "ids", "scalar", "vector"], read.Select(t => t.Name));
        Assert.Equal(["I64", "I64", "F32", "F32"], read.Select(t => t.DType));
        Assert.Empty(read[0].Shape);
        Assert.Equal([long.MaxValue], read[0].Int64Values);
        Assert.Equal([2, 2], read[1].Shape);
        Assert.Equal([-1L, 0L, long.MinValue, 42L], read[1].Int64Values);
        Assert.Empty(read[2].Shape);
        Assert.Equal([-0.5f], read[2].Values);
        Assert.Equal([1f, 2f, 3f], read[3].Values);
    }

    [Fact]
    public void A_hand_written_I64_scalar_reads_back()
    {
        string json = """{"num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}""";
        var data = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(data, 300);
        var read = SafeTensorsFile.ReadTensors(new MemoryStream(Bytes.SafeTensors(json, data)));
        Assert.Equal(300L, Assert.Single(read).Int64Values.Single());
    }

    [Fact]
    public void The_values_of_the_other_dtype_are_not_there_to_read()
    {
        var integers = SafeTensor.FromInt64("n", [], [1L]);
        var floats = new SafeTensor("f", [1], [1f]);
        Assert.Contains("is I64", Assert.Throws<InvalidOperationException>(() => integers.Values).Message);
        Assert.Contains("is F32", Assert.Throws<InvalidOperationException>(() => floats.Int64Values).Message);
        Assert.Equal("n: I64 []", integers.ToString());
        Assert.Throws<ArgumentException>(() => SafeTensor.FromInt64("n", [], [1L, 2L]));
        Assert.Throws<ArgumentException>(() => SafeTensor.FromInt64("n", [2], Array.Empty<long>()));
    }

    [Fact]
    public void Other_dtypes_are_still_refused_by_name()
    {
        string json = """{"x":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}""";
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.ReadTensors(new MemoryStream(Bytes.SafeTensors(json, new byte[4]))));
        Assert.Contains("tensor 'x' has dtype I32; SoftGen reads F32 and I64 tensors only", e.Message);
    }
}
