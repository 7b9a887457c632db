using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using System.Text.Json;
using SoftGen.Persistence;
using SoftGen.Tests.Training;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Persistence;

/// <summary>
/// Batch norm's buffers in weights files and checkpoints, over <see cref="NormLinearTrainer"/>: laid out as PyTorch's
/// state_dict (running statistics F32 [C], num_batches_tracked I64 []), read back from SoftGen's files and from one
/// laid out as PyTorch writes it, refused when missing or invalid, and resumed bit for bit.
/// </summary>
public sealed class NormPersistenceTests
{
    private const string Mean = "layers.0.running_mean", Var = "layers.0.running_var", Count = "layers.0.num_batches_tracked";

    private static TrainerOptions Options(int seed = 5) =>
        new() { BatchSize = 4, ThreadCount = 1, Seed = seed, Optimizer = Optimizer.Adam(0.05f) };

    private static NormLinearTrainer Trained(int steps, int seed = 5)
    {
        var t = new NormLinearTrainer(Options(seed));
        var random = new Random(21);
        for (int s = 0; s < steps; s++)
        {
            var (x, y) = NormStateTests.Batch(random, 4);
            t.TrainStep(x, y, 4);
        }
        return t;
    }

    [Fact]
    public void Weights_files_hold_the_buffers_as_PyTorch_state_dict_does()
    {
        using var t = Trained(3);
        var file = Bytes.Weights(t);
        var (length, json) = Bytes.Header(file);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal(["__metadata__", "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", Mean, Var, Count],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal([3], root.GetProperty("layers.0.weight").GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("F32", root.GetProperty(Var).GetProperty("dtype").GetString());
        Assert.Equal([3], root.GetProperty(Var).GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        var count = root.GetProperty(Count);
        Assert.Equal("I64", count.GetProperty("dtype").GetString());
        Assert.Equal(0, count.GetProperty("shape").GetArrayLength());
        var offsets = count.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(8, offsets[1] - offsets[0]);
        Assert.Equal(3L, BinaryPrimitives.ReadInt64LittleEndian(file.AsSpan(8 + length + offsets[0], 8)));

        var running = new float[3];
        t.GetBuffer(Var, running);
        var varOffsets = root.GetProperty(Var).GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(Bytes.Floats(running), file[(8 + length + varOffsets[0])..(8 + length + varOffsets[1])]);
    }

    [Fact]
    public void Weights_load_back_bit_for_bit_buffers_included()
    {
        using var a = Trained(3);
        using var b = new NormLinearTrainer(Options(seed: 9));
        b.LoadWeights(new MemoryStream(Bytes.Weights(a)));
        Assert.Equal(NormStateTests.Snapshot(a), NormStateTests.Snapshot(b));
        Assert.Equal(3, b.GetBatchesTracked(Count));
        Assert.Equal(0, b.Step);
    }

    [Fact]
    public void A_file_without_the_running_statistics_is_refused_with_their_names()
    {
        using var a = Trained(2);
        var tensors = SafeTensorsFile.ReadTensors(new MemoryStream(Bytes.Weights(a)));
        var withoutBuffers = tensors.Where(t => !t.Name.Contains("running") && !t.Name.Contains("num_batches")).ToList();
        var file = new MemoryStream();
        SafeTensorsFile.Write(file, withoutBuffers);

        using var b = new NormLinearTrainer(Options(seed: 9));
        string before = NormStateTests.Snapshot(b);
        file.Position = 0;
        var e = Assert.Throws<InvalidDataException>(() => b.LoadWeights(file));
        Assert.Contains($"it lacks {Mean}, {Var}, {Count}", e.Message);
        Assert.Equal(before, NormStateTests.Snapshot(b));
    }

    [Fact]
    public void A_file_laid_out_as_PyTorch_writes_a_BatchNorm1d_state_dict_loads()
    {
        // safetensors.torch.save_file of nn.Sequential(nn.BatchNorm1d(3), nn.Linear(3, 2)).state_dict(): no SoftGen
        // metadata, names sorted, num_batches_tracked an int64 scalar (shape []), data in any order (here the scalar first).
        float[] gamma = [2f, 0.5f, -1f], beta = [0.25f, 0f, 1f], mean = [1f, -2f, 0.5f], variance = [4f, 0.25f, 9f];
        float[] w = [1f, 0f, -1f, 0.5f, 2f, 0f], b = [0.1f, -0.1f];
        string json = "{" +
            "\"layers.0.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[8,20]}," +
            "\"layers.0.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}," +
            "\"layers.0.running_mean\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[20,32]}," +
            "\"layers.0.running_var\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[32,44]}," +
            "\"layers.0.weight\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[44,56]}," +
            "\"layers.1.bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[56,64]}," +
            "\"layers.1.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[64,88]}}";
        json += new string(' ', (8 - json.Length % 8) % 8); // as the reference writer pads
        var scalar = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(scalar, 1234);
        var file = Bytes.SafeTensors(json, Bytes.Concat(scalar, Bytes.Floats(beta), Bytes.Floats(mean), Bytes.Floats(variance),
            Bytes.Floats(gamma), Bytes.Floats(b), Bytes.Floats(w)));

        using var t = new NormLinearTrainer(Options());
        t.LoadWeights(new MemoryStream(file));
        Assert.Equal(1234, t.GetBatchesTracked(Count));
        var got = new float[3];
        t.GetBuffer(Var, got);
        Assert.Equal(variance, got);
        t.GetBuffer(Mean, got);
        Assert.Equal(mean, got);
        t.GetParameter("layers.0.weight", got);
        Assert.Equal(gamma, got);

        // eval mode by hand: y = gamma (x - mean) / sqrt(var + 1e-5) + beta, logits = W y + b.
        float[] x = [3f, -2f, 3.5f];
        var logits = new float[2];
        t.PredictLogits(x, logits, 1);
        var y = new double[3];
        for (int c = 0; c < 3; c++) y[c] = gamma[c] * (x[c] - mean[c]) / Math.Sqrt(variance[c] + 1e-5) + beta[c];
        for (int o = 0; o < 2; o++) Assert.Equal(b[o] + w[o * 3] * y[0] + w[o * 3 + 1] * y[1] + w[o * 3 + 2] * y[2], logits[o], 5);
    }

    [Theory]
    [InlineData("count-f32", "'layers.0.num_batches_tracked' has dtype F32; SoftGen reads I64")]
    [InlineData("count-shape", "'layers.0.num_batches_tracked' is [1] in the file, but [] in Tests.NormLinear")]
    [InlineData("count-negative", "tensor 'layers.0.num_batches_tracked' is -2; a count of batches cannot be negative")]
    [InlineData("var-negative", "tensor 'layers.0.running_var' element [1] is -1; a running variance must be finite and not negative")]
    [InlineData("mean-nan", "tensor 'layers.0.running_mean' element [2] is NaN; values must be finite")]
    public void Invalid_buffers_are_refused_and_nothing_is_loaded(string fault, string expected)
    {
        using var a = Trained(2);
        var tensors = SafeTensorsFile.ReadTensors(new MemoryStream(Bytes.Weights(a))).ToList();
        int n = tensors.FindIndex(t => t.Name == (fault.StartsWith("count") ? Count : fault.StartsWith("var") ? Var : Mean));
        tensors[n] = fault switch
        {
            "count-f32" => new SafeTensor(Count, [], [2f]),
            "count-shape" => SafeTensor.FromInt64(Count, [1], [2L]),
            "count-negative" => SafeTensor.FromInt64(Count, [], [-2L]),
            "var-negative" => new SafeTensor(Var, [3], [1f, -1f, 1f]),
            _ => new SafeTensor(Mean, [3], [0f, 0f, float.NaN]),
        };
        var file = new MemoryStream();
        SafeTensorsFile.Write(file, tensors);

        using var b = new NormLinearTrainer(Options(seed: 9));
        string before = NormStateTests.Snapshot(b);
        file.Position = 0;
        var e = Assert.Throws<InvalidDataException>(() => b.LoadWeights(file));
        Assert.Contains(expected, e.Message);
        Assert.Equal(before, NormStateTests.Snapshot(b));
    }

    [Fact]
    public void A_checkpoint_resumes_bit_for_bit_buffers_included()
    {
        var random = new Random(8);
        var batches = Enumerable.Range(0, 6).Select(k => NormStateTests.Batch(random, k % 2 == 0 ? 4 : 3)).ToArray();
        using var straight = new NormLinearTrainer(Options());
        using var first = new NormLinearTrainer(Options());
        for (int k = 0; k < 6; k++) straight.TrainStep(batches[k].X, batches[k].Y, batches[k].X.Length / 3);
        for (int k = 0; k < 3; k++) first.TrainStep(batches[k].X, batches[k].Y, batches[k].X.Length / 3);

        var checkpoint = new MemoryStream();
        first.SaveCheckpoint(checkpoint);
        checkpoint.Position = 0;
        using var resumed = new NormLinearTrainer(Options());
        resumed.LoadCheckpoint(checkpoint);
        Assert.Equal(NormStateTests.Snapshot(first), NormStateTests.Snapshot(resumed));
        for (int k = 3; k < 6; k++) resumed.TrainStep(batches[k].X, batches[k].Y, batches[k].X.Length / 3);

        Assert.Equal(NormStateTests.Snapshot(straight), NormStateTests.Snapshot(resumed));
        Assert.Equal(6, resumed.GetBatchesTracked(Count));
        var header = SafeTensorsFile.ReadTensors(new MemoryStream(checkpoint.ToArray())).Select(t => t.Name).ToArray();
        Assert.Contains(Count, header);
        Assert.DoesNotContain("optimizer.exp_avg." + Mean, header); // buffers have no optimizer state
        Assert.Contains("optimizer.exp_avg_sq.layers.0.weight", header);
    }
}
