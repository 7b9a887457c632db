using System;
using System.IO;
using System.Security.Cryptography;

namespace SoftGen.Persistence;

/// <summary>
/// Replaces a file all at once: the new content goes to a temporary file in the same folder, is flushed to the
/// disk, and is then renamed over the target (rename(2) on Unix, MoveFileEx with replace on Windows). A failure
/// before the rename (an exception, a full disk, the process killed) leaves the previous file as it was.
/// </summary>
internal static class AtomicFile
{
    /// <summary>The temporary file's name starts with this (then the target's name and a random suffix).</summary>
    public const string TemporaryPrefix = ".";

    /// <summary>The temporary file's name ends with this.</summary>
    public const string TemporarySuffix = ".tmp";

    /// <param name="path">The file to create or replace.</param>
    /// <param name="write">Writes the whole content to the stream it is given.</param>
    /// <param name="wrap">For tests: wraps the temporary file's stream, e.g. to make a write fail part-way.</param>
    public static void Write(string path, Action<Stream> write, Func<Stream, Stream>? wrap = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)
            ?? throw new ArgumentException($"'{path}' names a root, not a file.", nameof(path));
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Cannot save '{path}': the folder '{directory}' does not exist.");
        if (Directory.Exists(full))
            throw new IOException($"Cannot save '{path}': it is a folder.");

        string temporary = Path.Combine(directory,
            TemporaryPrefix + Path.GetFileName(full) + "." + Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant() + TemporarySuffix);
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var target = wrap is null ? file : wrap(file);
                write(target);
                target.Flush();
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The original error matters more; a leftover temporary file does not harm the target.
        }
    }
}
