using System;
using System.IO;

namespace SoftGen.Data;

/// <summary>
/// Reads an IDX image file and its IDX label file (the MNIST family: MNIST, Fashion-MNIST, KMNIST) into a
/// <see cref="Dataset"/> with one-hot targets, one item at a time, so only the result is held in memory. Gzip
/// files (".gz") are decompressed as they are read. Errors are <see cref="InvalidDataException"/>s that name the
/// file and the item (0-based), the IDX counterpart of a line number.
/// </summary>
public static class IdxDataset
{
    /// <summary>Reads images [N, d1, ...] (flattened to rows of d1 x ... features, each byte times <paramref name="featureScale"/>) and labels [N].</summary>
    public static Dataset Read(string imagesPath, string labelsPath, int classes = 10, float featureScale = 1f / 255f)
    {
        ArgumentNullException.ThrowIfNull(imagesPath);
        ArgumentNullException.ThrowIfNull(labelsPath);
        using var images = IdxFile.Open(imagesPath);
        using var labels = IdxFile.Open(labelsPath);
        return Read(images, imagesPath, labels, labelsPath, classes, featureScale);
    }

    /// <summary>Reads from two streams; the names are how errors refer to them.</summary>
    public static Dataset Read(Stream images, string imagesName, Stream labels, string labelsName, int classes = 10, float featureScale = 1f / 255f)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "A class label needs at least 2 classes.");
        if (!float.IsFinite(featureScale)) throw new ArgumentOutOfRangeException(nameof(featureScale), featureScale, "The scale must be finite.");

        var imageDims = IdxFile.ReadHeader(images, imagesName);
        var labelDims = IdxFile.ReadHeader(labels, labelsName);
        if (labelDims.Length != 1)
            throw new InvalidDataException($"{labelsName}: a label file has one dimension, but this header declares {labelDims.Length} ([{string.Join(", ", labelDims)}]).");
        int count = imageDims[0];
        if (labelDims[0] != count)
            throw new InvalidDataException($"{imagesName} holds {count} items but {labelsName} holds {labelDims[0]} labels; they must match.");
        long itemLength = 1;
        for (int d = 1; d < imageDims.Length; d++) itemLength *= imageDims[d];
        if (itemLength == 0)
            throw new InvalidDataException($"{imagesName}: each item has 0 elements ([{string.Join(", ", imageDims)}]).");
        if (count == 0)
            throw new InvalidDataException($"{imagesName}: the header declares 0 items.");
        if (count * itemLength > Array.MaxLength || (long)count * classes > Array.MaxLength)
            throw new InvalidDataException($"{imagesName}: {count} items of {itemLength} values do not fit one array.");

        int inputs = (int)itemLength;
        var features = new float[count * itemLength];
        var targets = new float[(long)count * classes];
        var item = new byte[inputs];
        var label = new byte[1];
        for (int i = 0; i < count; i++)
        {
            int read = images.ReadAtLeast(item, inputs, throwOnEndOfStream: false);
            if (read < inputs)
                throw new InvalidDataException($"{imagesName}: the file ends inside item {i} of {count}, after {read} of its {inputs} bytes.");
            var row = features.AsSpan(i * inputs, inputs);
            for (int k = 0; k < inputs; k++) row[k] = item[k] * featureScale;

            if (labels.ReadAtLeast(label, 1, throwOnEndOfStream: false) < 1)
                throw new InvalidDataException($"{labelsName}: the file ends at item {i} of the {count} labels its header declares.");
            if (label[0] >= classes)
                throw new InvalidDataException($"{labelsName}: item {i} has label {label[0]}, outside 0..{classes - 1}.");
            targets[(long)i * classes + label[0]] = 1f;
        }
        return new Dataset(features, targets, inputs, classes);
    }
}
