using System;
using System.IO;
using System.IO.Compression;
using SoftGen.Data;
using Xunit;

namespace SoftGen.Tests.Toolkit;

public sealed class IdxReaderTests
{
    /// <summary>An IDX file of unsigned bytes: 00 00 08 rank, the dimensions big-endian, then the data.</summary>
    private static byte[] Idx(int[] dimensions, byte[] data, int truncateBy = 0)
    {
        var s = new MemoryStream();
        s.Write(new byte[] { 0, 0, 0x08, (byte)dimensions.Length });
        foreach (int d in dimensions) s.Write(new[] { (byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d });
        s.Write(data);
        var bytes = s.ToArray();
        return bytes.AsSpan(0, bytes.Length - truncateBy).ToArray();
    }

    private static readonly byte[] Pixels = { 0, 255, 51, 102, 10, 20, 30, 40, 255, 0, 0, 0 }; // 3 images of 2x2

    private static Dataset Read(byte[] images, byte[] labels, int classes = 10) =>
        IdxDataset.Read(new MemoryStream(images), "images.idx", new MemoryStream(labels), "labels.idx", classes);

    [Fact]
    public void Images_become_scaled_rows_and_labels_one_hot()
    {
        var d = Read(Idx(new[] { 3, 2, 2 }, Pixels), Idx(new[] { 3 }, new byte[] { 2, 0, 1 }), classes: 3);
        Assert.Equal(3, d.Count);
        Assert.Equal(4, d.Inputs);
        var expected = new[] { 0, 1, 0.2, 0.4 }; // 0, 255, 51, 102 over 255
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], d.FeatureRow(0)[i], 1e-7);
        Assert.Equal(40 / 255.0, d.FeatureRow(1)[3], 1e-7);
        Assert.Equal(new float[] { 0, 0, 1, 1, 0, 0, 0, 1, 0 }, d.Targets.ToArray());
    }

    [Fact]
    public void Gzip_files_are_read_through()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"softgen-idx-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            void Write(string name, byte[] bytes)
            {
                using var gz = new GZipStream(File.Create(Path.Combine(dir, name)), CompressionLevel.Fastest);
                gz.Write(bytes);
            }
            Write("images.gz", Idx(new[] { 3, 2, 2 }, Pixels));
            Write("labels.gz", Idx(new[] { 3 }, new byte[] { 9, 0, 1 }));
            var d = IdxDataset.Read(Path.Combine(dir, "images.gz"), Path.Combine(dir, "labels.gz"));
            Assert.Equal(10, d.Classes);
            Assert.Equal(1f, d.TargetRow(0)[9]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_label_outside_the_classes_names_its_item()
    {
        var e = Assert.Throws<InvalidDataException>(() => Read(Idx(new[] { 3, 2, 2 }, Pixels), Idx(new[] { 3 }, new byte[] { 2, 0, 3 }), classes: 3));
        Assert.Equal("labels.idx: item 2 has label 3, outside 0..2.", e.Message);
    }

    [Fact]
    public void A_truncated_image_file_names_the_item_and_the_bytes()
    {
        var e = Assert.Throws<InvalidDataException>(() => Read(Idx(new[] { 3, 2, 2 }, Pixels, truncateBy: 3), Idx(new[] { 3 }, new byte[] { 2, 0, 1 })));
        Assert.Equal("images.idx: the file ends inside item 2 of 3, after 1 of its 4 bytes.", e.Message);
    }

    [Fact]
    public void A_truncated_label_file_names_the_item()
    {
        var e = Assert.Throws<InvalidDataException>(() => Read(Idx(new[] { 3, 2, 2 }, Pixels), Idx(new[] { 3 }, new byte[] { 2, 0, 1 }, truncateBy: 2)));
        Assert.Equal("labels.idx: the file ends at item 1 of the 3 labels its header declares.", e.Message);
    }

    [Fact]
    public void Header_errors_name_the_file()
    {
        var labels = Idx(new[] { 3 }, new byte[] { 2, 0, 1 });
        var e = Assert.Throws<InvalidDataException>(() => Read(Idx(new[] { 2, 2, 2 }, Pixels[..8]), labels));
        Assert.Equal("images.idx holds 2 items but labels.idx holds 3 labels; they must match.", e.Message);

        var notIdx = Idx(new[] { 3, 2, 2 }, Pixels);
        notIdx[1] = 8;
        e = Assert.Throws<InvalidDataException>(() => Read(notIdx, labels));
        Assert.Equal("images.idx: not an IDX file (the first two bytes are 00 08, expected 00 00).", e.Message);

        var ints = Idx(new[] { 3, 2, 2 }, Pixels);
        ints[2] = 0x0C;
        e = Assert.Throws<InvalidDataException>(() => Read(ints, labels));
        Assert.Contains("element type 0x0c is not supported", e.Message);

        e = Assert.Throws<InvalidDataException>(() => Read(Idx(new[] { 3, 2, 2 }, Pixels), Idx(new[] { 3, 1 }, new byte[] { 2, 0, 1 })));
        Assert.Equal("labels.idx: a label file has one dimension, but this header declares 2 ([3, 1]).", e.Message);

        e = Assert.Throws<InvalidDataException>(() => Read(new byte[] { 0, 0, 8 }, labels));
        Assert.Equal("images.idx: the file ends after 3 of 4 bytes of the 4-byte header.", e.Message);
    }
}
