using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using PersistenceModels;
using SoftGen.Persistence;
using SoftGen.Tests.EndToEnd;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Persistence;

/// <summary>
/// The bytes of a weights file against the safetensors layout worked out by hand, a file written by hand (as
/// PyTorch's writer lays it out) read back, and round trips.
/// </summary>
public sealed class SafeTensorsFormatTests
{
    // W = [[1, -2], [0.5, 3.25], [-0.125, 0.001]] ([out, in]), b = [0.25, -1, 2]
    private static readonly float[] Weight = [1f, -2f, 0.5f, 3.25f, -0.125f, 0.001f];
    private static readonly float[] Bias = [0.25f, -1f, 2f];

    private static TinyLinear.Trainer Tiny(int seed = 1)
    {
        var t = TinyLinear.CreateTrainer(new TrainerOptions { Seed = seed, BatchSize = 4, ThreadCount = 1 });
        t.SetParameter("layers.0.weight", Weight);
        t.SetParameter("layers.0.bias", Bias);
        return t;
    }

    [Fact]
    public void Weights_file_has_the_safetensors_layout()
    {
        using var trainer = Tiny();
        var file = Bytes.Weights(trainer);

        var (length, json) = Bytes.Header(file);
        Assert.Equal(0, length % 8); // data 8-byte aligned, as the reference writer pads
        Assert.Equal(8 + length + 9 * 4, file.Length);
        Assert.Equal(json.TrimEnd(' ').Length, json.TrimEnd(' ').TrimEnd().Length);
        Assert.True(json.Length - json.TrimEnd(' ').Length < 8, "at most 7 bytes of padding");

        // Read the header with System.Text.Json's DOM, independently of SoftGen's reader.
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal(["__metadata__", "layers.0.weight", "layers.0.bias"], root.EnumerateObject().Select(p => p.Name));
        var meta = root.GetProperty("__metadata__");
        Assert.Equal("pt", meta.GetProperty("format").GetString());
        Assert.Equal("weights", meta.GetProperty("softgen.kind").GetString());
        Assert.Equal("PersistenceModels.TinyLinear", meta.GetProperty("softgen.model").GetString());
        Assert.Equal(TinyLinear.Trainer.ModelInfo.DeclarationHash, meta.GetProperty("softgen.declaration_hash").GetString());
        Assert.Matches("^[0-9a-f]{16}$", meta.GetProperty("softgen.declaration_hash").GetString());

        var w = root.GetProperty("layers.0.weight");
        Assert.Equal("F32", w.GetProperty("dtype").GetString());
        Assert.Equal([3, 2], w.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([0, 24], w.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()));
        var b = root.GetProperty("layers.0.bias");
        Assert.Equal([3], b.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([24, 36], b.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()));

        // The data: W row by row ([out, in], as PyTorch's Linear.weight), then b, little-endian.
        Assert.Equal(Bytes.Floats([.. Weight, .. Bias]), file[(8 + length)..]);
    }

    [Fact]
    public void A_file_laid_out_as_PyTorch_writes_it_loads()
    {
        // safetensors.torch.save_file sorts the tensors (bias before weight), writes no SoftGen metadata, and may
        // put the data in any order: here the bias first.
        string json = """{"layers.0.bias":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"layers.0.weight":{"dtype":"F32","shape":[3,2],"data_offsets":[12,36]}}""";
        json += new string(' ', (8 - json.Length % 8) % 8);
        var file = Bytes.SafeTensors(json, Bytes.Concat(Bytes.Floats(Bias), Bytes.Floats(Weight)));

        using var trainer = TinyLinear.CreateTrainer(new TrainerOptions { Seed = 3, BatchSize = 4, ThreadCount = 1 });
        trainer.LoadWeights(new MemoryStream(file));
        var w = new float[6];
        var b = new float[3];
        trainer.GetParameter("layers.0.weight", w);
        trainer.GetParameter("layers.0.bias", b);
        Assert.Equal(Weight, w);
        Assert.Equal(Bias, b);

        // The logits of x = [2, 1] by hand: W x + b = [2 - 2 + 0.25, 1 + 3.25 - 1, -0.25 + 0.001 + 2].
        var logits = new float[3];
        trainer.PredictLogits([2f, 1f], logits, 1);
        Assert.Equal(0.25f, logits[0], 6);
        Assert.Equal(3.25f, logits[1], 6);
        Assert.Equal(1.751f, logits[2], 6);
    }

    [Fact]
    public void Saved_weights_load_into_another_trainer_bit_for_bit()
    {
        using var folder = new TempFolder("roundtrip");
        var rng = new Random(5);
        var x = TestData.Inputs(rng, 64, 20);
        var y = Data.SoftTargets(rng, 64, 7);

        using var a = ResumeMlp.CreateTrainer(new TrainerOptions { Seed = 1, BatchSize = 64, Optimizer = Optimizer.Adam(1e-2f) });
        for (int step = 0; step < 3; step++) a.TrainStep(x, y, 64);
        a.SaveWeights(folder.File("resume.safetensors"));

        using var b = ResumeMlp.CreateTrainer(new TrainerOptions { Seed = 2, BatchSize = 16, ThreadCount = 1 });
        b.LoadWeights(folder.File("resume.safetensors"));
        Check.BitEqual(TestData.Snapshot(a), TestData.Snapshot(b), "weights after the round trip");

        var pa = new float[64 * 7];
        var pb = new float[64 * 7];
        a.PredictProbabilities(x, pa, 64);
        b.PredictProbabilities(x, pb, 64);
        Assert.Equal(pa, pb);
        Assert.Equal(0, b.Step); // weights only: the step count and optimizer state are the trainer's own
    }

    [Fact]
    public void Streams_that_cannot_seek_save_and_load()
    {
        using var a = Tiny();
        using var written = new MemoryStream();
        a.SaveWeights(new FailingStream(written, long.MaxValue)); // write-only, no seeking
        using var b = TinyLinear.CreateTrainer(new TrainerOptions { Seed = 9, BatchSize = 4, ThreadCount = 1 });
        b.LoadWeights(new ForwardOnlyStream(written.ToArray()));
        Check.BitEqual(TestData.Snapshot(a), TestData.Snapshot(b), "weights through streams that cannot seek");
    }

    /// <summary>Reads its bytes once, front to back, like a network stream.</summary>
    private sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private int _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(Math.Min(count, 7), bytes.Length - _position); // short reads, as a socket gives
            Array.Copy(bytes, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public void Header_reports_tensors_and_metadata()
    {
        using var folder = new TempFolder("header");
        using var trainer = Tiny();
        trainer.SaveWeights(folder.File("tiny.safetensors"));

        var header = SafeTensorsFile.ReadHeader(folder.File("tiny.safetensors"));
        Assert.Equal(["layers.0.weight", "layers.0.bias"], header.Tensors.Select(t => t.Name));
        Assert.Equal("[3, 2]", header.Tensors[0].ShapeText);
        Assert.Equal(6, header.Tensors[0].ElementCount);
        Assert.Equal((24L, 36L), (header.Tensors[1].Begin, header.Tensors[1].End));
        Assert.Equal(36, header.DataLength);
        Assert.Equal(new FileInfo(folder.File("tiny.safetensors")).Length, header.DataStart + header.DataLength);
        Assert.Equal("weights", header.GetMetadata(FileKeys.Kind));
    }

    [Fact]
    public void Any_tensors_round_trip_through_SafeTensorsFile()
    {
        using var folder = new TempFolder("tensors");
        var tensors = new[]
        {
            new SafeTensor("scalar", [], [float.Pi]),
            new SafeTensor("empty", [0, 5], []),
            new SafeTensor("probabilities", [2, 3], [0.1f, 0.2f, 0.7f, float.NaN, float.PositiveInfinity, -0f]),
        };
        SafeTensorsFile.Save(folder.File("t.safetensors"), tensors, new Dictionary<string, string> { ["note"] = "é \"quoted\" +<>&" });

        var back = SafeTensorsFile.ReadTensors(folder.File("t.safetensors"));
        Assert.Equal(["scalar", "empty", "probabilities"], back.Select(t => t.Name));
        Assert.Empty(back[0].Shape);
        Assert.Equal([float.Pi], back[0].Values);
        Assert.Equal([0, 5], back[1].Shape);
        Assert.Empty(back[1].Values);
        Assert.Equal(tensors[2].Values.Select(BitConverter.SingleToInt32Bits), back[2].Values.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal("é \"quoted\" +<>&", SafeTensorsFile.ReadHeader(folder.File("t.safetensors")).GetMetadata("note"));
        Assert.Single(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void SafeTensor_rejects_a_shape_that_does_not_match_its_values()
    {
        var e = Assert.Throws<ArgumentException>(() => new SafeTensor("w", [2, 3], new float[5]));
        Assert.Contains("shape [2, 3], 6 values, but 5 were given", e.Message);
        Assert.Throws<ArgumentException>(() => new SafeTensor("__metadata__", [1], new float[1]));
        Assert.Throws<ArgumentException>(() => new SafeTensor("w", [-1], []));
        Assert.Throws<ArgumentException>(() => new SafeTensor("w", [65536, 65536], []));
        Assert.Empty(new SafeTensor("w", [65536, 65536, 0], []).Values); // empty, whatever the other dimensions
    }

    [Fact]
    public void An_empty_tensor_with_large_dimensions_reads_back()
    {
        string json = """{"e":{"dtype":"F32","shape":[65536,65536,0],"data_offsets":[0,0]},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""";
        var tensors = SafeTensorsFile.ReadTensors(new MemoryStream(Bytes.SafeTensors(json, Bytes.Floats(2.5f))));
        Assert.Equal([65536, 65536, 0], tensors[0].Shape);
        Assert.Empty(tensors[0].Values);
        Assert.Equal([2.5f], tensors[1].Values);
    }

    [Fact]
    public void Header_length_prefix_is_little_endian()
    {
        using var trainer = Tiny();
        var file = Bytes.Weights(trainer);
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(file);
        Assert.True(length is > 0 and < 1000);
        Assert.Equal((byte)(length & 0xff), file[0]); // least significant byte first
        Assert.Equal((byte)(length >> 8), file[1]);
        Assert.Equal(0, file[2] | file[3] | file[4] | file[5] | file[6] | file[7]);
        Assert.Equal((byte)'{', file[8]);
    }
}
