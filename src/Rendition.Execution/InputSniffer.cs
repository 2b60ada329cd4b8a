using System.Text;
using Rendition.Core.Commands;

namespace Rendition.Execution;

/// <summary>What a downloaded input is, judged from its first bytes: the extension it is stored under, or why it is refused.</summary>
public sealed record SniffResult(string Extension, string? Refusal);

/// <summary>
/// Chooses an input's extension from its content (never from the URL alone) and refuses reference-following files:
/// playlists, concat lists and SDP descriptions would make ffmpeg open other files or the network.
/// </summary>
public static class InputSniffer
{
    public const int HeaderBytes = 4096;

    // Extensions that carry no demuxer of their own risk and that ffmpeg or its filters need by name (subtitles, LUTs, fonts, text).
    private static readonly HashSet<string> TextLikeExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".srt", ".vtt", ".ass", ".ssa", ".txt", ".cube", ".3dl", ".ttf", ".otf", ".json", ".sub", ".lrc",
    };

    /// <summary>Sniffs <paramref name="header"/> (the file's first bytes); <paramref name="urlExtension"/> is used only for text-like files.</summary>
    public static SniffResult Sniff(ReadOnlySpan<byte> header, string urlExtension)
    {
        var text = Encoding.UTF8.GetString(header[..Math.Min(header.Length, 512)]).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (text.StartsWith("#EXTM3U", StringComparison.Ordinal))
        {
            return new("", "is an HLS playlist; playlists cannot be command inputs");
        }
        if (text.StartsWith("ffconcat", StringComparison.Ordinal) || text.StartsWith("file '", StringComparison.Ordinal) || text.StartsWith("file /", StringComparison.Ordinal))
        {
            return new("", "is a concat list; concat lists cannot be command inputs");
        }
        if (text.StartsWith("v=0", StringComparison.Ordinal))
        {
            return new("", "is an SDP description; SDP files cannot be command inputs");
        }
        if (text.StartsWith("<?xml", StringComparison.Ordinal) && text.Contains("<MPD", StringComparison.Ordinal))
        {
            return new("", "is a DASH manifest; manifests cannot be command inputs");
        }
        return new(MediaExtension(header) ?? (TextLikeExtensions.Contains(urlExtension) ? urlExtension.ToLowerInvariant() : ""), null);
    }

    /// <summary>
    /// Sniffs every job file a step will read that was not sniffed when it was fetched (<paramref name="sniffed"/>): outputs
    /// of earlier steps read with <c>-i</c>, files that filters open (<c>movie=</c>, <c>subtitles=</c>…), unpacked archive
    /// files. Returns why the step may not run, naming the file, or null. A link (anywhere on the path) or a FIFO is refused
    /// unopened; a name that is not there (an image pattern, a file ffmpeg will report missing) is left to ffmpeg.
    /// </summary>
    public static string? CheckReads(string jobDirectory, FfmpegInvocation invocation, IReadOnlySet<string> sniffed)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        ArgumentNullException.ThrowIfNull(sniffed);
        foreach (var file in invocation.JobFilesRead.DistinctBy(f => f.Name))
        {
            if (sniffed.Contains(file.Name) || CheckJobFile(jobDirectory, file.Name) is not { } refusal)
            {
                continue;
            }
            return $"'{file.Name}' ({file.Where}) {refusal}.";
        }
        return null;
    }

    /// <summary>Why a file of the job directory may not be read by a command, from its kind and first bytes, or null.</summary>
    public static string? CheckJobFile(string jobDirectory, string relativeName)
    {
        ArgumentNullException.ThrowIfNull(relativeName);
        var root = Path.GetFullPath(jobDirectory);
        var path = root;
        foreach (var part in relativeName.Split('/'))
        {
            path = Path.Combine(path, part);
            // Never follow a link the command may have planted: this check runs outside the sandbox.
            if (new FileInfo(path).LinkTarget is not null)
            {
                return "is a symbolic link";
            }
        }
        if (!Path.GetFullPath(path).StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || Directory.Exists(path) || !File.Exists(path))
        {
            return null;
        }
        if (!FileKinds.IsRegularFile(path))
        {
            return "is not a regular file";
        }
        var header = new byte[HeaderBytes];
        int read;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }
        return Sniff(header.AsSpan(0, read), Path.GetExtension(path)).Refusal;
    }

    private static string? MediaExtension(ReadOnlySpan<byte> h)
    {
        static bool At(ReadOnlySpan<byte> h, int offset, ReadOnlySpan<byte> magic) =>
            h.Length >= offset + magic.Length && h.Slice(offset, magic.Length).SequenceEqual(magic);

        if (At(h, 4, "ftyp"u8))
        {
            return At(h, 8, "qt  "u8) ? ".mov" : At(h, 8, "M4A "u8) ? ".m4a" : ".mp4";
        }
        if (At(h, 0, [0x1A, 0x45, 0xDF, 0xA3]))
        {
            return h[..Math.Min(h.Length, 64)].IndexOf("webm"u8) >= 0 ? ".webm" : ".mkv";
        }
        if (At(h, 0, "RIFF"u8))
        {
            return At(h, 8, "WAVE"u8) ? ".wav" : At(h, 8, "AVI "u8) ? ".avi" : At(h, 8, "WEBP"u8) ? ".webp" : null;
        }
        if (At(h, 0, [0x89, 0x50, 0x4E, 0x47]))
        {
            return ".png";
        }
        if (At(h, 0, [0xFF, 0xD8, 0xFF]))
        {
            return ".jpg";
        }
        if (At(h, 0, "GIF8"u8))
        {
            return ".gif";
        }
        if (At(h, 0, "OggS"u8))
        {
            return ".ogg";
        }
        if (At(h, 0, "fLaC"u8))
        {
            return ".flac";
        }
        if (At(h, 0, "FLV"u8))
        {
            return ".flv";
        }
        if (At(h, 0, "ID3"u8))
        {
            return ".mp3";
        }
        if (At(h, 0, [0x06, 0x0E, 0x2B, 0x34]))
        {
            return ".mxf";
        }
        if (At(h, 0, [0x00, 0x00, 0x01, 0xBA]))
        {
            return ".mpg";
        }
        if (h.Length > 376 && h[0] == 0x47 && h[188] == 0x47 && h[376] == 0x47)
        {
            return ".ts";
        }
        if (h.Length >= 2 && h[0] == 0xFF && (h[1] & 0xF6) == 0xF0)
        {
            return ".aac";
        }
        if (h.Length >= 2 && h[0] == 0xFF && (h[1] & 0xE0) == 0xE0)
        {
            return ".mp3";
        }
        if (At(h, 0, "WEBVTT"u8))
        {
            return ".vtt";
        }
        if (At(h, 0, "BM"u8) && h.Length > 14)
        {
            return ".bmp";
        }
        return null;
    }
}
