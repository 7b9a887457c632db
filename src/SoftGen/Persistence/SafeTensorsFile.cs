using System;
using System.Collections.Generic;
using System.IO;

namespace SoftGen.Persistence;

/// <summary>
/// Reads and writes safetensors files of F32 and I64 tensors (the format of huggingface/safetensors, which PyTorch's
/// safetensors.torch.load_file reads). Trainers save and load their own files with
/// <see cref="Training.TrainerBase.SaveWeights(string)"/> and <see cref="Training.TrainerBase.SaveCheckpoint(string)"/>;
/// this class is for other tensors, such as predictions to compare with another framework.
/// </summary>
public static class SafeTensorsFile
{
    /// <summary>Writes the tensors and metadata to <paramref name="path"/> atomically (a temporary file, flushed, then renamed).</summary>
    public static void Save(string path, IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        AtomicFile.Write(path, stream => SafeTensorsWriter.Write(stream, tensors, metadata));
    }

    /// <summary>Writes the tensors and metadata to a stream.</summary>
    public static void Write(Stream destination, IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensorsWriter.Write(destination, tensors, metadata);

    /// <summary>Reads and checks a file's header without reading its tensors.</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed safetensors file; the message says where.</exception>
    public static SafeTensorsHeader ReadHeader(string path)
    {
        using var stream = OpenRead(path);
        return SafeTensorsReader.Open(stream, path).Header;
    }

    /// <summary>Reads every tensor of a file of F32 and I64 tensors, in the header's order. Values are returned as stored.</summary>
    /// <exception cref="InvalidDataException">The file is malformed, or a tensor is neither F32 nor I64.</exception>
    public static IReadOnlyList<SafeTensor> ReadTensors(string path)
    {
        using var stream = OpenRead(path);
        return ReadTensors(stream, path);
    }

    /// <summary>Reads every tensor of a file of F32 and I64 tensors from a stream (its rest is the file).</summary>
    public static IReadOnlyList<SafeTensor> ReadTensors(Stream source) => ReadTensors(Seekable(source), "the stream");

    private static List<SafeTensor> ReadTensors(Stream stream, string name)
    {
        var reader = SafeTensorsReader.Open(stream, name);
        var result = new List<SafeTensor>(reader.Header.Tensors.Count);
        foreach (var info in reader.Header.Tensors)
        {
            if (info.DType is not ("F32" or "I64"))
                throw SafeTensorsHeader.Bad(name, $"tensor '{info.Name}' has dtype {info.DType}; SoftGen reads F32 and I64 tensors only");
            var shape = new int[info.Shape.Count];
            for (int k = 0; k < shape.Length; k++)
                shape[k] = info.Shape[k] <= int.MaxValue ? (int)info.Shape[k]
                    : throw SafeTensorsHeader.Bad(name, $"tensor '{info.Name}' has shape {info.ShapeText}, a dimension too large for an array");
            if (info.ElementCount > Array.MaxLength)
                throw SafeTensorsHeader.Bad(name, $"tensor '{info.Name}' has {info.ElementCount} values, more than an array holds");
            if (info.DType == "I64")
            {
                var integers = new long[info.ElementCount]; // at most the file's length / 8: the header was checked against it
                reader.ReadInt64(info, integers);
                result.Add(SafeTensor.FromInt64(info.Name, shape, integers));
                continue;
            }
            var values = new float[info.ElementCount]; // at most the file's length / 4: the header was checked against it
            reader.ReadFloat32(info, values);
            result.Add(new SafeTensor(info.Name, shape, values));
        }
        return result;
    }

    internal static FileStream OpenRead(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
    }

    /// <summary>The stream itself when it can seek; otherwise its rest, copied into memory.</summary>
    internal static Stream Seekable(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.CanSeek) return source;
        var copy = new MemoryStream();
        source.CopyTo(copy);
        copy.Position = 0;
        return copy;
    }
}
