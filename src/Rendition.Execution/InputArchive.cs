using System.Globalization;
using System.IO.Compression;
using Rendition.Core.Commands;

namespace Rendition.Execution;

/// <summary>An <c>input_compressed_folder</c> archive was refused; the job fails with <c>INVALID_INPUT_ARCHIVE</c>.</summary>
public sealed class InputArchiveException : Exception
{
    public InputArchiveException(string message)
        : base(message)
    {
    }

    public InputArchiveException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public InputArchiveException()
    {
    }
}

/// <summary>
/// Unpacks an <c>input_compressed_folder</c> zip into a job directory, refusing anything that could escape it or exhaust
/// the disk: absolute names, <c>..</c>, drive letters, backslashes, links and other special files, too many entries, and
/// more bytes than allowed, counted as they are written (a zip's own size headers are not trusted).
/// </summary>
/// <remarks>
/// Files land at the top of the directory, where the command names them by plain file name (the command policy allows
/// no '/'). An archive of one folder (every file under the same top-level directory, as "compress folder" makes) is
/// unpacked without that folder; macOS's <c>__MACOSX/</c> metadata is skipped. Other nested folders are refused.
/// </remarks>
public static class InputArchive
{
    private const int UnixTypeMask = 0xF000;
    private const int UnixRegular = 0x8000;
    private const int UnixDirectory = 0x4000;
    private const int UnixSymlink = 0xA000;
    private const string MacMetadata = "__MACOSX/";
    private const int MaxNameBytes = 255;

    /// <summary>Unpacks <paramref name="zipPath"/> into <paramref name="destination"/>; returns the file names written, in archive order.</summary>
    public static async Task<IReadOnlyList<string>> ExtractAsync(string zipPath, string destination, int maxEntries, long maxBytes, CancellationToken ct)
    {
        // The entry count from the end record, before ZipArchive reads (and keeps in memory) the whole central directory.
        if (DeclaredEntryCount(zipPath) is { } count && count > maxEntries)
        {
            throw new InputArchiveException($"input_compressed_folder has {count} entries, more than the {maxEntries} allowed");
        }
        ZipArchive? archive = null;
        List<ArchiveEntryInfo> entries;
        try
        {
            archive = new ZipArchive(File.OpenRead(zipPath), ZipArchiveMode.Read, leaveOpen: false);
            // Reading the central directory is where a lying end record or a cut-off archive shows.
            entries = [.. archive.Entries.Select(e => new ArchiveEntryInfo(e.FullName, e.ExternalAttributes, e.Length))];
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            archive?.Dispose();
            throw new InputArchiveException($"input_compressed_folder is not a valid zip archive ({e.Message})", e);
        }
        using (archive)
        {
            var plan = Plan(entries, maxEntries, maxBytes);
            var root = Path.GetFullPath(destination);
            var written = new List<string>(plan.Count);
            long total = 0;
            var buffer = new byte[81920];
            foreach (var (index, name) in plan)
            {
                var target = Path.GetFullPath(Path.Combine(root, name));
                if (Path.GetDirectoryName(target) != root.TrimEnd(Path.DirectorySeparatorChar))
                {
                    throw new InputArchiveException($"input_compressed_folder entry '{Shorten(name)}' would be written outside the job directory");
                }
                var entry = archive.Entries[index];
                await using var input = await FromEntryAsync(name, () => ValueTask.FromResult(entry.Open()));
                await using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None);
                int read;
                while ((read = await FromEntryAsync(name, () => input.ReadAsync(buffer, ct))) > 0)
                {
                    total += read;
                    if (total > maxBytes)
                    {
                        throw new InputArchiveException(
                            $"input_compressed_folder unpacks to more than {FormatMb(maxBytes)} MB (the limit), so it was refused; a zip bomb, or an archive too large for this server");
                    }
                    await output.WriteAsync(buffer.AsMemory(0, read), ct);
                }
                written.Add(name);
            }
            return written;
        }
    }

    /// <summary>Reads from an entry; what the archive's bytes make fail (bad headers, bad data, a cut-off file) is the archive's fault.</summary>
    private static async ValueTask<T> FromEntryAsync<T>(string name, Func<ValueTask<T>> read)
    {
        try
        {
            return await read();
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new InputArchiveException($"input_compressed_folder entry '{Shorten(name)}' is corrupt ({e.Message})", e);
        }
    }

    /// <summary>
    /// The entry count of a zip's end-of-central-directory record (65535 for a ZIP64 archive, which keeps its real count
    /// elsewhere and may hold more), or null when no end record is found (ZipArchive then refuses the file).
    /// </summary>
    public static int? DeclaredEntryCount(string zipPath)
    {
        using var file = File.OpenRead(zipPath);
        // The end record is 22 bytes plus a comment of up to 65535 bytes, at the very end.
        var tail = (int)Math.Min(file.Length, 22 + 65535);
        var buffer = new byte[tail];
        file.Seek(-tail, SeekOrigin.End);
        file.ReadExactly(buffer);
        for (var i = tail - 22; i >= 0; i--)
        {
            if (buffer[i] == 0x50 && buffer[i + 1] == 0x4B && buffer[i + 2] == 0x05 && buffer[i + 3] == 0x06)
            {
                return buffer[i + 10] | (buffer[i + 11] << 8);
            }
        }
        return null;
    }

    /// <summary>What <see cref="Plan"/> needs of an entry: its raw name, external attributes (the unix mode in the high 16 bits) and declared size.</summary>
    public readonly record struct ArchiveEntryInfo(string FullName, int ExternalAttributes, long DeclaredLength);

    /// <summary>
    /// Decides, from the entries' names and attributes alone, which entries become which files (entry index, file name);
    /// throws <see cref="InputArchiveException"/> saying why an archive is refused.
    /// </summary>
    public static IReadOnlyList<(int Index, string Name)> Plan(IReadOnlyList<ArchiveEntryInfo> entries, int maxEntries, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count > maxEntries)
        {
            throw new InputArchiveException($"input_compressed_folder has {entries.Count} entries, more than the {maxEntries} allowed");
        }
        var files = new List<(int Index, string Name)>();
        long declared = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            var (name, attributes, length) = entries[i];
            if (NameProblem(name) is { } problem)
            {
                throw new InputArchiveException($"input_compressed_folder entry '{Shorten(name)}' is refused: {problem}");
            }
            var type = (attributes >> 16) & UnixTypeMask;
            if (type == UnixSymlink)
            {
                throw new InputArchiveException($"input_compressed_folder entry '{Shorten(name)}' is a symbolic link; archives may hold only files and folders");
            }
            if (type is not (0 or UnixRegular or UnixDirectory))
            {
                throw new InputArchiveException($"input_compressed_folder entry '{Shorten(name)}' is a special file (not a regular file); archives may hold only files and folders");
            }
            if (name.EndsWith('/') || type == UnixDirectory || name.StartsWith(MacMetadata, StringComparison.Ordinal))
            {
                continue;
            }
            declared += Math.Max(0, length);
            files.Add((i, name));
        }
        if (declared > maxBytes)
        {
            throw new InputArchiveException(
                $"input_compressed_folder unpacks to more than {FormatMb(maxBytes)} MB (the limit; its headers declare {FormatMb(declared)} MB), so it was refused");
        }
        if (files.Count == 0)
        {
            throw new InputArchiveException("input_compressed_folder holds no files");
        }

        // One folder zipped whole: unpack its contents.
        var first = files[0].Name.Split('/')[0];
        if (files.All(f => f.Name.Contains('/', StringComparison.Ordinal) && f.Name.Split('/')[0] == first))
        {
            files = [.. files.Select(f => (f.Index, f.Name[(first.Length + 1)..]))];
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, name) in files)
        {
            if (name.Contains('/', StringComparison.Ordinal))
            {
                throw new InputArchiveException(
                    $"input_compressed_folder entry '{Shorten(name)}' is in a nested folder; put the files at the top of the archive (the command names them by plain file name)");
            }
            var problem = name.Contains("{{", StringComparison.Ordinal) ? "it contains '{{'" : CommandPolicy.FileNameProblem(name);
            if (problem is not null)
            {
                throw new InputArchiveException($"input_compressed_folder entry '{Shorten(name)}' is not a usable file name: {problem}");
            }
            if (!seen.Add(name))
            {
                throw new InputArchiveException($"input_compressed_folder holds '{Shorten(name)}' twice");
            }
        }
        return files;
    }

    /// <summary>Why an entry's raw name could escape the directory it is unpacked into, or null.</summary>
    public static string? NameProblem(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
        {
            return "the name is empty";
        }
        if (name.Any(char.IsControl))
        {
            return "the name contains a control character";
        }
        if (name.Contains('\\', StringComparison.Ordinal))
        {
            return "the name contains a backslash (a Windows path separator)";
        }
        if (name[0] == '/')
        {
            return "the name is an absolute path";
        }
        if (name.Length >= 2 && char.IsAsciiLetter(name[0]) && name[1] == ':')
        {
            return "the name starts with a drive letter";
        }
        if (name.Contains(':', StringComparison.Ordinal))
        {
            return "the name contains ':'";
        }
        var segments = name.TrimEnd('/').Split('/');
        if (segments.Any(s => s == ".."))
        {
            return "the name climbs out of the archive with '..' (zip-slip)";
        }
        if (segments.Any(s => s.Length == 0 || s == "."))
        {
            return "the name has an empty or '.' path segment";
        }
        if (segments.Any(s => System.Text.Encoding.UTF8.GetByteCount(s) > MaxNameBytes))
        {
            return $"a name is longer than {MaxNameBytes} bytes, the file system's limit";
        }
        return null;
    }

    private static string FormatMb(long bytes) => (bytes / 1048576.0).ToString("0.##", CultureInfo.InvariantCulture);

    private static string Shorten(string s) => s.Length <= 80 ? s : string.Concat(s.AsSpan(0, 77), "...");
}
