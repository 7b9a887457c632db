using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using PersistenceModels;
using SoftGen.Data;
using SoftGen.Persistence;
using SoftGen.Tests.EndToEnd;
using SoftGen.Training;
using Xunit;

namespace SoftGen.Tests.Persistence;

/// <summary>
/// A checkpoint holds the parameters, the optimizer's moments, the step count and Fit's shuffle state; training
/// resumed from it ends with the same weights, bit for bit, as training that never stopped.
/// </summary>
public sealed class CheckpointTests
{
    public static TheoryData<string> OptimizerNames => ["sgd", "sgd-momentum", "adam", "adamw"];

    private static Optimizer MakeOptimizer(string name) => name switch
    {
        "sgd" => Optimizer.Sgd(0.05f),
        "sgd-momentum" => Optimizer.Sgd(0.02f, momentum: 0.9f),
        "adam" => Optimizer.Adam(2e-3f),
        _ => Optimizer.AdamW(2e-3f, weightDecay: 0.05f),
    };

    private static (float[] X, float[] Y) Data150()
    {
        var rng = new Random(21);
        return (TestData.Inputs(rng, 150, 20), Data.SoftTargets(rng, 150, 7));
    }

    [Theory]
    [MemberData(nameof(OptimizerNames))]
    public void Fit_resumed_from_a_checkpoint_file_ends_bit_identical_to_an_uninterrupted_run(string optimizer)
    {
        var (x, y) = Data150();
        var options = new TrainerOptions { Optimizer = MakeOptimizer(optimizer), BatchSize = 32, Seed = 5, ThreadCount = 2 };
        using var folder = new TempFolder("resume");

        using (var first = ResumeMlp.CreateTrainer(options))
        {
            first.Fit(x, y, epochs: 2);
            first.SaveCheckpoint(folder.File("after-2-epochs.safetensors"));
        }

        // Another thread count, and a trainer that has trained on other data (other weights, moments, step count and
        // shuffle position): the checkpoint replaces all of it.
        using var resumed = ResumeMlp.CreateTrainer(options with { ThreadCount = 1 });
        Perturb(resumed);
        resumed.LoadCheckpoint(folder.File("after-2-epochs.safetensors"));
        Assert.Equal(2 * 5, resumed.Step); // ceil(150 / 32) = 5 batches an epoch
        resumed.Fit(x, y, epochs: 3);

        using var straight = ResumeMlp.CreateTrainer(options);
        straight.Fit(x, y, epochs: 5);

        Assert.Equal(straight.Step, resumed.Step);
        Check.BitEqual(TestData.Snapshot(straight), TestData.Snapshot(resumed), $"{optimizer}: weights after 2 + 3 epochs against 5");

        // The control: the same weights without the optimizer and shuffle state end elsewhere, so the comparison above can fail.
        using var weightsOnly = ResumeMlp.CreateTrainer(options);
        weightsOnly.LoadWeights(folder.File("after-2-epochs.safetensors"));
        weightsOnly.Fit(x, y, epochs: 3);
        var expected = TestData.Snapshot(straight)["layers.1.weight"];
        var other = TestData.Snapshot(weightsOnly)["layers.1.weight"];
        Assert.True(expected.Zip(other).Count(p => p.First != p.Second) > expected.Length / 2, $"{optimizer}: resuming from the weights alone should not match");
    }

    [Fact]
    public void A_checkpoint_saved_during_Fit_resumes_to_the_same_end()
    {
        var (x, y) = Data150();
        var options = new TrainerOptions { Optimizer = Optimizer.AdamW(1e-3f), BatchSize = 40, Seed = 8, ThreadCount = 2 };
        byte[]? checkpoint = null;
        using var straight = ResumeMlp.CreateTrainer(options);
        straight.Fit(x, y, epochs: 4, new ActionProgress<EpochReport>(r =>
        {
            if (r.Epoch == 1) checkpoint = Bytes.Checkpoint(straight);
        }));

        using var resumed = ResumeMlp.CreateTrainer(options);
        resumed.LoadCheckpoint(new MemoryStream(checkpoint!));
        resumed.Fit(x, y, epochs: 3);
        Check.BitEqual(TestData.Snapshot(straight), TestData.Snapshot(resumed), "weights after 1 + 3 epochs against 4");
    }

    [Fact]
    public void TrainStep_resumed_from_a_checkpoint_ends_bit_identical()
    {
        var rng = new Random(4);
        var batches = Enumerable.Range(0, 12).Select(_ => (X: TestData.Inputs(rng, 8, 6), Y: Data.SoftTargets(rng, 8, 4))).ToArray();
        var options = new TrainerOptions { Optimizer = Optimizer.Adam(1e-2f), BatchSize = 8, Seed = 3, ThreadCount = 1 };

        using var straight = SmallMlp.CreateTrainer(options);
        foreach (var (bx, by) in batches) straight.TrainStep(bx, by, 8);

        using var first = SmallMlp.CreateTrainer(options);
        foreach (var (bx, by) in batches[..7]) first.TrainStep(bx, by, 8);
        var checkpoint = Bytes.Checkpoint(first);
        using var second = SmallMlp.CreateTrainer(options);
        second.TrainStep(batches[11].X, batches[0].Y, 8);
        second.LoadCheckpoint(new MemoryStream(checkpoint));
        foreach (var (bx, by) in batches[7..]) second.TrainStep(bx, by, 8);

        Assert.Equal(12, second.Step);
        Check.BitEqual(TestData.Snapshot(straight), TestData.Snapshot(second), "weights after 7 + 5 steps against 12");
    }

    [Fact]
    public void Fit_with_mixup_resumes_bit_identical()
    {
        var (x, y) = Data150();
        var options = new TrainerOptions { Optimizer = Optimizer.Adam(2e-3f), BatchSize = 32, Seed = 6, ThreadCount = 2 };
        var mixup = new MixupOptions(0.4f);
        using var straight = ResumeMlp.CreateTrainer(options);
        straight.Fit(x, y, 4, mixup);

        using var first = ResumeMlp.CreateTrainer(options);
        first.Fit(x, y, 1, mixup);
        var checkpoint = Bytes.Checkpoint(first);
        using var resumed = ResumeMlp.CreateTrainer(options);
        Perturb(resumed, mixup);
        resumed.LoadCheckpoint(new MemoryStream(checkpoint));
        resumed.Fit(x, y, 3, mixup);
        Check.BitEqual(TestData.Snapshot(straight), TestData.Snapshot(resumed), "mixup: weights after 1 + 3 epochs against 4");

        // Without the mixup stream's state the lambdas differ: a checkpoint that says "none" resumes elsewhere.
        Header(checkpoint, out var tensors, out var metadata);
        Assert.NotEqual("none", metadata[FileKeys.MixupState]);
        metadata[FileKeys.MixupState] = "none";
        using var fresh = ResumeMlp.CreateTrainer(options);
        fresh.LoadCheckpoint(new MemoryStream(Rewrite(tensors, metadata)));
        fresh.Fit(x, y, 3, mixup);
        var expected = TestData.Snapshot(straight)["layers.0.weight"];
        Assert.NotEqual(expected, TestData.Snapshot(fresh)["layers.0.weight"]);
    }

    [Fact]
    public void A_convolutional_model_with_dropout_resumes_bit_identical()
    {
        var rng = new Random(17);
        var x = TestData.Inputs(rng, 60, SmallCnn.InputCount);
        var y = Data.SoftTargets(rng, 60, 3);
        var options = new TrainerOptions { Optimizer = Optimizer.AdamW(3e-3f), BatchSize = 16, Seed = 9, ThreadCount = 2 };
        using var straight = SmallCnn.CreateTrainer(options);
        straight.Fit(x, y, 5);

        using var first = SmallCnn.CreateTrainer(options);
        first.Fit(x, y, 2);
        var checkpoint = Bytes.Checkpoint(first);
        using var resumed = SmallCnn.CreateTrainer(options with { ThreadCount = 1 });
        resumed.LoadCheckpoint(new MemoryStream(checkpoint));
        resumed.Fit(x, y, 3);
        Check.BitEqual(TestData.Snapshot(straight), TestData.Snapshot(resumed), "conv + dropout: weights after 2 + 3 epochs against 5");

        var header = Header(checkpoint, out var tensors);
        Assert.Equal("[4, 2, 3, 3]", header.Find("layers.0.weight")!.ShapeText); // PyTorch's Conv2d weight [out, in, k, k]
        Assert.Equal("[4, 2, 3, 3]", header.Find("optimizer.exp_avg.layers.0.weight")!.ShapeText);
        var w = new float[4 * 2 * 3 * 3];
        first.GetParameter("layers.0.weight", w);
        Assert.Equal(w, tensors["layers.0.weight"].Values);
    }

    [Fact]
    public void A_checkpoint_from_another_seed_is_refused()
    {
        using var a = SmallMlp.CreateTrainer(new TrainerOptions { Seed = 5, BatchSize = 8, ThreadCount = 1 });
        using var b = SmallMlp.CreateTrainer(new TrainerOptions { Seed = 6, BatchSize = 8, ThreadCount = 1 });
        Assert.Contains("saved by a trainer with Seed 5, but this one has Seed 6", RejectedCheckpoint(b, Bytes.Checkpoint(a)).Message);
    }

    [Fact]
    public void The_prediction_temperature_travels_with_weights_and_checkpoints()
    {
        using var a = SmallMlp.CreateTrainer(new TrainerOptions { Seed = 5, BatchSize = 8, ThreadCount = 1 });
        a.PredictionTemperature = 1.75f;
        using var b = SmallMlp.CreateTrainer(new TrainerOptions { Seed = 5, BatchSize = 8, ThreadCount = 1 });
        b.LoadWeights(new MemoryStream(Bytes.Weights(a)));
        Assert.Equal(1.75f, b.PredictionTemperature);
        using var c = SmallMlp.CreateTrainer(new TrainerOptions { Seed = 5, BatchSize = 8, ThreadCount = 1 });
        c.LoadCheckpoint(new MemoryStream(Bytes.Checkpoint(a)));
        Assert.Equal(1.75f, c.PredictionTemperature);

        var rng = new Random(3);
        var x = TestData.Inputs(rng, 5, 6);
        var pa = new float[20];
        var pb = new float[20];
        a.PredictProbabilities(x, pa, 5);
        b.PredictProbabilities(x, pb, 5);
        Assert.Equal(pa, pb);

        // A file without it (as PyTorch writes) leaves the trainer's temperature alone.
        Header(Bytes.Weights(a), out var tensors, out var metadata);
        metadata.Remove(FileKeys.PredictionTemperature);
        using var d = SmallMlp.CreateTrainer(new TrainerOptions { Seed = 5, BatchSize = 8, ThreadCount = 1 });
        d.PredictionTemperature = 0.5f;
        d.LoadWeights(new MemoryStream(Rewrite(tensors, metadata)));
        Assert.Equal(0.5f, d.PredictionTemperature);

        foreach (var bad in new[] { "0", "-1", "NaN", "Infinity", "warm" })
        {
            metadata[FileKeys.PredictionTemperature] = bad;
            var e = Expect.Rejected(d, Rewrite(tensors, metadata), $"its softgen.prediction_temperature is '{bad}', not a positive finite number");
            Assert.Equal(0.5f, d.PredictionTemperature);
        }
    }

    [Fact]
    public void Adam_moments_are_saved_in_PyTorch_layout_with_their_names()
    {
        var rng = new Random(9);
        var x = TestData.Inputs(rng, 8, 6);
        var y = Data.SoftTargets(rng, 8, 4);
        using var trainer = SmallMlp.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.Adam(1e-3f), BatchSize = 8, Seed = 1, ThreadCount = 1 });
        trainer.TrainStep(x, y, 8);
        var header = Header(Bytes.Checkpoint(trainer), out var tensors);

        Assert.Equal("checkpoint", header.GetMetadata(FileKeys.Kind));
        Assert.Equal("1", header.GetMetadata(FileKeys.Step));
        Assert.Equal("1", header.GetMetadata(FileKeys.Seed));
        Assert.Equal("none", header.GetMetadata(FileKeys.MixupState));
        Assert.Equal("1", header.GetMetadata(FileKeys.PredictionTemperature));
        Assert.Equal("Adam", header.GetMetadata(FileKeys.Optimizer));
        Assert.Equal("lr=0.001 betas=(0.9, 0.999) eps=1E-08", header.GetMetadata(FileKeys.OptimizerSettings));
        Assert.Matches("^[0-9a-f]{16}(,[0-9a-f]{16}){3}$", header.GetMetadata(FileKeys.ShuffleState));
        Assert.Equal(
            ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
             "optimizer.exp_avg.layers.0.weight", "optimizer.exp_avg.layers.0.bias", "optimizer.exp_avg.layers.1.weight", "optimizer.exp_avg.layers.1.bias",
             "optimizer.exp_avg_sq.layers.0.weight", "optimizer.exp_avg_sq.layers.0.bias", "optimizer.exp_avg_sq.layers.1.weight", "optimizer.exp_avg_sq.layers.1.bias"],
            header.Tensors.Select(t => t.Name));

        // After one step from zero moments: exp_avg = (1 - beta1) g, exp_avg_sq = (1 - beta2) g^2 (beta as the float given).
        foreach (var p in SmallMlp.Trainer.ModelInfo.Parameters)
        {
            var g = new float[p.Length];
            trainer.GetGradient(p.Name, g);
            Assert.Contains(g, v => v != 0f);
            Assert.Equal(p.Shape, tensors["optimizer.exp_avg." + p.Name].Shape);
            Check.AllClose(tensors["optimizer.exp_avg." + p.Name].Values, g.Select(v => (1 - (double)0.9f) * v).ToArray(), 1e-6, 0, 1e-30, "exp_avg " + p.Name);
            Check.AllClose(tensors["optimizer.exp_avg_sq." + p.Name].Values, g.Select(v => (1 - (double)0.999f) * v * v).ToArray(), 1e-6, 0, 1e-30, "exp_avg_sq " + p.Name);
        }
    }

    [Fact]
    public void Sgd_momentum_buffer_after_one_step_is_the_gradient()
    {
        var rng = new Random(10);
        using var trainer = SmallMlp.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.Sgd(0.1f, 0.9f), BatchSize = 8, Seed = 1, ThreadCount = 1 });
        trainer.TrainStep(TestData.Inputs(rng, 8, 6), Data.SoftTargets(rng, 8, 4), 8);
        var header = Header(Bytes.Checkpoint(trainer), out var tensors);
        Assert.Equal(8, header.Tensors.Count);
        var g = new float[36];
        trainer.GetGradient("layers.1.weight", g);
        Assert.Equal(g, tensors["optimizer.momentum_buffer.layers.1.weight"].Values);
    }

    [Fact]
    public void Plain_sgd_checkpoint_has_no_optimizer_tensors()
    {
        using var trainer = SmallMlp.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.Sgd(0.1f), BatchSize = 8, Seed = 1, ThreadCount = 1 });
        var header = Header(Bytes.Checkpoint(trainer), out _);
        Assert.Equal(4, header.Tensors.Count);
        Assert.Equal("0", header.GetMetadata(FileKeys.Step));
    }

    [Fact]
    public void A_checkpoint_loads_as_weights()
    {
        using var a = SmallMlp.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.Adam(), BatchSize = 8, Seed = 1, ThreadCount = 1 });
        using var b = SmallMlp.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.Sgd(0.1f), BatchSize = 8, Seed = 2, ThreadCount = 1 });
        b.LoadWeights(new MemoryStream(Bytes.Checkpoint(a)));
        Check.BitEqual(TestData.Snapshot(a), TestData.Snapshot(b), "weights from a checkpoint");
    }

    [Fact]
    public void A_weights_file_is_not_a_checkpoint()
    {
        using var a = SmallMlp.CreateTrainer(new TrainerOptions { Seed = 1, BatchSize = 8, ThreadCount = 1 });
        var e = RejectedCheckpoint(a, Bytes.Weights(a));
        Assert.Contains("it is a weights file, not a checkpoint", e.Message);
        Assert.Contains("use LoadWeights", e.Message);

        e = RejectedCheckpoint(a, Bytes.SafeTensors("{}", []));
        Assert.Contains("it is not a SoftGen checkpoint", e.Message);
    }

    [Fact]
    public void Another_optimizer_kind_is_refused()
    {
        using var adam = SmallMlp.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.Adam(), BatchSize = 8, ThreadCount = 1 });
        using var sgd = SmallMlp.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.Sgd(0.1f, 0.5f), BatchSize = 8, ThreadCount = 1 });
        using var plain = SmallMlp.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.Sgd(0.1f), BatchSize = 8, ThreadCount = 1 });
        Assert.Contains("the checkpoint's optimizer is Adam, but this trainer's is Sgd", RejectedCheckpoint(sgd, Bytes.Checkpoint(adam)).Message);
        Assert.Contains("it has tensors PersistenceModels.SmallMlp does not: optimizer.momentum_buffer.layers.0.weight", RejectedCheckpoint(plain, Bytes.Checkpoint(sgd)).Message);
        Assert.Contains("it lacks optimizer.momentum_buffer.layers.0.weight", RejectedCheckpoint(sgd, Bytes.Checkpoint(plain)).Message);
    }

    [Fact]
    public void Another_models_checkpoint_is_refused()
    {
        using var tanh = SmallTanhMlp.CreateTrainer(new TrainerOptions { BatchSize = 8, ThreadCount = 1 });
        using var relu = SmallMlp.CreateTrainer(new TrainerOptions { BatchSize = 8, ThreadCount = 1 });
        Assert.Contains("declaration hash", RejectedCheckpoint(relu, Bytes.Checkpoint(tanh)).Message);
    }

    [Theory]
    [InlineData(FileKeys.Step, "-1", "its softgen.step is '-1', not a non-negative integer")]
    [InlineData(FileKeys.Step, "3.5", "its softgen.step is '3.5'")]
    [InlineData(FileKeys.Step, null, "its __metadata__ has no softgen.step")]
    [InlineData(FileKeys.ShuffleState, "1,2,3", "not four hexadecimal 64-bit words")]
    [InlineData(FileKeys.ShuffleState, "1,2,3,xyz", "not four hexadecimal 64-bit words")]
    [InlineData(FileKeys.ShuffleState, "1,2,3,10000000000000000", "not four hexadecimal 64-bit words")]
    [InlineData(FileKeys.ShuffleState, "0,0,0,0", "all zeros")]
    [InlineData(FileKeys.ShuffleState, null, "no softgen.shuffle_state")]
    [InlineData(FileKeys.Optimizer, "Adagrad", "the checkpoint's optimizer is Adagrad, but this trainer's is Adam")]
    [InlineData(FileKeys.Seed, null, "its __metadata__ has no softgen.seed")]
    [InlineData(FileKeys.Seed, "01", "saved by a trainer with Seed 01")]
    [InlineData(FileKeys.MixupState, "1,2", "its softgen.mixup_state is '1,2', not four hexadecimal 64-bit words")]
    [InlineData(FileKeys.MixupState, "0,0,0,0", "its softgen.mixup_state is all zeros")]
    public void Bad_checkpoint_metadata_is_refused(string key, string? value, string fragment)
    {
        using var trainer = Trained();
        Header(Bytes.Checkpoint(trainer), out var tensors, out var metadata);
        if (value is null) metadata.Remove(key);
        else metadata[key] = value;
        Assert.Contains(fragment, RejectedCheckpoint(trainer, Rewrite(tensors, metadata)).Message);
    }

    [Theory]
    [InlineData("optimizer.exp_avg_sq.layers.0.bias", -1e-9f, "tensor 'optimizer.exp_avg_sq.layers.0.bias' element [2] is -1E-09; a second moment must be finite and not negative")]
    [InlineData("optimizer.exp_avg.layers.1.weight", float.NaN, "tensor 'optimizer.exp_avg.layers.1.weight' element [0, 2] is NaN")]
    [InlineData("layers.1.bias", float.PositiveInfinity, "tensor 'layers.1.bias' element [2] is Infinity")]
    public void Bad_checkpoint_values_are_refused(string name, float value, string fragment)
    {
        using var trainer = Trained();
        Header(Bytes.Checkpoint(trainer), out var tensors, out var metadata);
        tensors[name].Values[2] = value;
        Assert.Contains(fragment, RejectedCheckpoint(trainer, Rewrite(tensors, metadata)).Message);
    }

    /// <summary>Moves a trainer away from its fresh state: other weights, moments, step count and stream positions.</summary>
    private static void Perturb(TrainerBase trainer, MixupOptions? mixup = null)
    {
        var rng = new Random(1234);
        int inputs = trainer.Model.Inputs, classes = trainer.Model.Classes;
        var x = TestData.Inputs(rng, 40, inputs);
        var y = Data.SoftTargets(rng, 40, classes);
        if (mixup is null) trainer.Fit(x, y, 1);
        else trainer.Fit(x, y, 1, mixup);
        trainer.PredictionTemperature = 3f;
    }

    private static SmallMlp.Trainer Trained()
    {
        var rng = new Random(2);
        var trainer = SmallMlp.CreateTrainer(new TrainerOptions { Optimizer = Optimizer.Adam(), BatchSize = 8, ThreadCount = 1 });
        trainer.TrainStep(TestData.Inputs(rng, 8, 6), Data.SoftTargets(rng, 8, 4), 8);
        return trainer;
    }

    /// <summary>LoadCheckpoint must throw InvalidDataException and change nothing: weights, step count, later training.</summary>
    private static InvalidDataException RejectedCheckpoint(TrainerBase trainer, byte[] file)
    {
        var before = TestData.Snapshot(trainer);
        long step = trainer.Step;
        float temperature = trainer.PredictionTemperature;
        var e = Assert.Throws<InvalidDataException>(() => trainer.LoadCheckpoint(new MemoryStream(file)));
        Check.BitEqual(before, TestData.Snapshot(trainer), "weights after a rejected checkpoint");
        Assert.Equal(step, trainer.Step);
        Assert.Equal(temperature, trainer.PredictionTemperature);
        return e;
    }

    private static SafeTensorsHeader Header(byte[] file, out Dictionary<string, SafeTensor> tensors) => Header(file, out tensors, out _);

    private static SafeTensorsHeader Header(byte[] file, out Dictionary<string, SafeTensor> tensors, out Dictionary<string, string> metadata)
    {
        using var folder = new TempFolder("checkpoint");
        File.WriteAllBytes(folder.File("c.safetensors"), file);
        var header = SafeTensorsFile.ReadHeader(folder.File("c.safetensors"));
        tensors = SafeTensorsFile.ReadTensors(new MemoryStream(file)).ToDictionary(t => t.Name);
        metadata = header.Metadata.ToDictionary();
        return header;
    }

    private static byte[] Rewrite(Dictionary<string, SafeTensor> tensors, Dictionary<string, string> metadata)
    {
        using var stream = new MemoryStream();
        SafeTensorsFile.Write(stream, tensors.Values.ToList(), metadata);
        return stream.ToArray();
    }
}

/// <summary>Reports synchronously on the calling thread.</summary>
internal sealed class ActionProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
