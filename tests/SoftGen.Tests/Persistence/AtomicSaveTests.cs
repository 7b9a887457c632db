using System;
using System.IO;
using System.Linq;
using PersistenceModels;
using SoftGen.Tests.EndToEnd;
using Xunit;

namespace SoftGen.Tests.Persistence;

/// <summary>
/// A save writes a temporary file in the same folder, flushes it and renames it over the target. A failure injected
/// part-way through the write (or in the flush) leaves the previous file byte for byte as it was, and no temporary
/// file behind.
/// </summary>
public sealed class AtomicSaveTests : IDisposable
{
    private readonly TempFolder _folder = new("atomic");
    private readonly SmallMlp.Trainer _old = SmallMlp.CreateTrainer(new TrainerOptions { Seed = 1, BatchSize = 8, ThreadCount = 1 });
    private readonly SmallMlp.Trainer _new = SmallMlp.CreateTrainer(new TrainerOptions { Seed = 2, BatchSize = 8, ThreadCount = 1 });

    public void Dispose()
    {
        _old.Dispose();
        _new.Dispose();
        _folder.Dispose();
    }

    private string Target => _folder.File("model.safetensors");

    // A weights file of SmallMlp is about 1 KB: header length (8 bytes), header (~500), data (412).
    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(200)]
    [InlineData(700)]
    [InlineData(-1)] // all but the last byte
    public void A_weights_save_that_fails_part_way_leaves_the_previous_file(int failAfter)
    {
        _old.SaveWeights(Target);
        var before = File.ReadAllBytes(Target);
        long budget = failAfter >= 0 ? failAfter : Bytes.Weights(_new).Length - 1;

        var e = Assert.Throws<IOException>(() => _new.SaveWeights(Target, stream => new FailingStream(stream, budget)));
        Assert.Equal($"Injected failure after {budget} bytes.", e.Message);

        Assert.Equal(before, File.ReadAllBytes(Target));
        Assert.Equal([Target], Directory.GetFiles(_folder.Path));
        using var check = SmallMlp.CreateTrainer(new TrainerOptions { Seed = 3, BatchSize = 8, ThreadCount = 1 });
        check.LoadWeights(Target);
        Check.BitEqual(TestData.Snapshot(_old), TestData.Snapshot(check), "the previous weights");
    }

    [Fact]
    public void A_save_that_fails_in_the_flush_leaves_the_previous_file()
    {
        _old.SaveWeights(Target);
        var before = File.ReadAllBytes(Target);
        Assert.Throws<IOException>(() => _new.SaveWeights(Target, stream => new FailingStream(stream, long.MaxValue, failOnFlush: true)));
        Assert.Equal(before, File.ReadAllBytes(Target));
        Assert.Equal([Target], Directory.GetFiles(_folder.Path));
    }

    [Theory]
    [InlineData(100)]
    [InlineData(1500)]
    public void A_checkpoint_save_that_fails_part_way_leaves_the_previous_checkpoint(int failAfter)
    {
        _old.SaveCheckpoint(Target);
        var before = File.ReadAllBytes(Target);
        Assert.Throws<IOException>(() => _new.SaveCheckpoint(Target, stream => new FailingStream(stream, failAfter)));
        Assert.Equal(before, File.ReadAllBytes(Target));
        Assert.Equal([Target], Directory.GetFiles(_folder.Path));
    }

    [Fact]
    public void A_failed_first_save_leaves_no_file()
    {
        Assert.Throws<IOException>(() => _new.SaveWeights(Target, stream => new FailingStream(stream, 300)));
        Assert.Empty(Directory.GetFiles(_folder.Path));
    }

    [Fact]
    public void A_successful_save_replaces_the_file_and_leaves_nothing_else()
    {
        _old.SaveWeights(Target);
        _new.SaveWeights(Target);
        Assert.Equal(Bytes.Weights(_new), File.ReadAllBytes(Target));
        Assert.Equal([Target], Directory.GetFiles(_folder.Path));
    }

    [Fact]
    public void Saving_into_a_missing_folder_says_which()
    {
        var missing = Path.Combine(_folder.Path, "no-such-folder", "model.safetensors");
        var e = Assert.Throws<DirectoryNotFoundException>(() => _new.SaveWeights(missing));
        Assert.Contains(Path.Combine(_folder.Path, "no-such-folder"), e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_folder.Path));
    }

    [Fact]
    public void Saving_over_a_folder_is_refused()
    {
        Directory.CreateDirectory(Target);
        var e = Assert.Throws<IOException>(() => _new.SaveWeights(Target));
        Assert.Contains("it is a folder", e.Message);
        Assert.Equal([Target], Directory.GetFileSystemEntries(_folder.Path));
    }

    [Fact]
    public void The_temporary_file_is_in_the_target_folder()
    {
        string? seen = null;
        _new.SaveWeights(Target, stream =>
        {
            seen = Directory.GetFiles(_folder.Path).Single();
            return stream;
        });
        Assert.Equal(_folder.Path, Path.GetDirectoryName(seen));
        Assert.StartsWith(".model.safetensors.", Path.GetFileName(seen));
        Assert.EndsWith(".tmp", seen);
        Assert.False(File.Exists(seen));
    }
}
