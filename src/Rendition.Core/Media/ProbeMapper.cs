using System.Globalization;
using System.Text.Json;
using Rendition.Core.Contracts;

namespace Rendition.Core.Media;

/// <summary>Turns ffprobe's JSON (<c>-show_entries</c> <see cref="Entries"/>) into the wire's <see cref="MediaInfo"/>.</summary>
public static class ProbeMapper
{
    /// <summary>
    /// What ffprobe is asked for: exactly the fields <see cref="Map"/> and <see cref="NeedsPacketScan"/> read. No other tags:
    /// a file's tags are as large as the file makes them (one <c>title=</c> of 100 MB), and nothing shows them.
    /// </summary>
    public const string Entries = "format=format_name,duration"
        + ":stream=index,codec_type,codec_name,pix_fmt,width,height,avg_frame_rate,r_frame_rate,bit_rate,duration,nb_frames,sample_rate,channels"
        + ":stream_disposition=attached_pic:stream_tags=BPS";

    /// <summary>The longest text value taken from a probe; longer ones are cut (no real codec or format name comes close).</summary>
    public const int MaxValueChars = 256;

    private static readonly HashSet<string> ImageCodecs = new(StringComparer.Ordinal)
    {
        "png", "mjpeg", "jpegls", "bmp", "tiff", "webp", "gif", "apng", "jpeg2000", "ljpeg", "ppm", "pgm", "pam", "targa", "qoi", "av1_image", "hevc_image",
    };

    private static readonly HashSet<string> ImageExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        "png", "jpg", "jpeg", "bmp", "tif", "tiff", "webp", "gif", "avif", "heic", "ico", "ppm", "pgm", "tga", "qoi",
    };

    /// <summary>Maps a probe of <paramref name="fileName"/>; <paramref name="packetBytesByStream"/> gives payload bytes per stream index when the container states no bitrate.</summary>
    public static MediaInfo Map(JsonElement probe, string fileName, long sizeBytes, IReadOnlyDictionary<int, long>? packetBytesByStream = null)
    {
        var info = new MediaInfo();
        var ext = MediaTypes.Extension(fileName);
        var format = probe.TryGetProperty("format", out var f) ? f : default;
        var formatName = Str(format, "format_name") ?? "";
        var formatDuration = Num(format, "duration");

        JsonElement? video = null, audio = null;
        if (probe.TryGetProperty("streams", out var streams) && streams.ValueKind == JsonValueKind.Array)
        {
            foreach (var s in streams.EnumerateArray())
            {
                var type = Str(s, "codec_type");
                var attachedPic = s.TryGetProperty("disposition", out var disp) && disp.TryGetProperty("attached_pic", out var ap) && ap.ValueKind == JsonValueKind.Number && ap.GetInt32() == 1;
                if (type == "video" && video is null && !attachedPic)
                {
                    video = s;
                }
                else if (type == "audio" && audio is null)
                {
                    audio = s;
                }
            }
        }

        var formats = formatName.Split(',', StringSplitOptions.RemoveEmptyEntries);
        var isImageContainer = formatName == "image2" || formatName.EndsWith("_pipe", StringComparison.Ordinal);
        info.FileFormat = isImageContainer || formats.Contains(ext, StringComparer.OrdinalIgnoreCase) || (formats.Length > 1 && ext.Length > 0 && MediaTypes.IsKnown(fileName))
            ? (ext.Length > 0 ? ext : formats.FirstOrDefault())
            : formats.FirstOrDefault() ?? (ext.Length > 0 ? ext : null);
        if (isImageContainer && ext.Length == 0)
        {
            info.FileFormat = formatName.Replace("_pipe", "", StringComparison.Ordinal);
        }

        if (video is { } v)
        {
            var codec = Str(v, "codec_name");
            var frames = Str(v, "nb_frames");
            var single = frames == "1" || (formatDuration is null or 0 && Num(v, "duration") is null or 0);
            var isImage = isImageContainer || (codec is not null && ImageCodecs.Contains(codec) && single && ImageExtensions.Contains(ext));
            info.FileType = isImage ? "image" : "video";
            info.Codec = codec;
            info.PixelFormat = Str(v, "pix_fmt");
            info.Width = Int(v, "width");
            info.Height = Int(v, "height");
            if (!isImage)
            {
                var avg = Rational(Str(v, "avg_frame_rate"));
                var real = Rational(Str(v, "r_frame_rate"));
                var rate = avg ?? real;
                info.FrameRate = rate is null ? null : Math.Round(rate.Value, 3);
                info.IsVaryingFrameRate = avg is not null && real is not null && Math.Abs(avg.Value - real.Value) > 0.01;
                info.BitrateVideoKb = Bitrate(v, formatDuration, packetBytesByStream);
            }
        }
        else if (audio is not null)
        {
            info.FileType = "audio";
            info.Codec = Str(audio.Value, "codec_name");
        }
        else if (ImageExtensions.Contains(ext))
        {
            info.FileType = "image";
        }

        if (audio is { } a)
        {
            info.BitrateAudioKb = Bitrate(a, formatDuration, packetBytesByStream);
            info.SampleRate = Str(a, "sample_rate") is { } sr && int.TryParse(sr, NumberStyles.Integer, CultureInfo.InvariantCulture, out var srv) ? srv : null;
            info.Channels = Int(a, "channels");
        }

        if (info.FileType != "image")
        {
            info.Duration = formatDuration ?? (video is { } vv ? Num(vv, "duration") : null) ?? (audio is { } aa ? Num(aa, "duration") : null);
        }

        info.MimeType = info.FileType == "audio" && ext == "webm" ? "audio/webm" : MediaTypes.ForFileName(fileName);
        if (info.MimeType == "application/octet-stream" && info.FileFormat is { } ff)
        {
            info.MimeType = MediaTypes.ForFileName("x." + ff);
        }
        _ = sizeBytes;
        return info;
    }

    /// <summary>Whether bitrate needs packet sizes: a video or audio stream without a stated bitrate.</summary>
    public static bool NeedsPacketScan(JsonElement probe)
    {
        if (!probe.TryGetProperty("streams", out var streams) || streams.ValueKind != JsonValueKind.Array)
        {
            return false;
        }
        foreach (var s in streams.EnumerateArray())
        {
            if (Str(s, "codec_type") is "video" or "audio" && StatedBitrate(s) is null)
            {
                return true;
            }
        }
        return false;
    }

    private static double? Bitrate(JsonElement stream, double? formatDuration, IReadOnlyDictionary<int, long>? packetBytes)
    {
        var bps = StatedBitrate(stream);
        if (bps is null && packetBytes is not null && Int(stream, "index") is { } index && packetBytes.TryGetValue(index, out var bytes))
        {
            var duration = Num(stream, "duration") ?? formatDuration;
            if (duration is > 0)
            {
                bps = bytes * 8 / duration.Value;
            }
        }
        // Rendi reports kb as 1024 bits (242.349609375 in its example); we match it.
        return bps is null ? null : bps.Value / 1024.0;
    }

    private static double? StatedBitrate(JsonElement stream)
    {
        if (Num(stream, "bit_rate") is { } b && b > 0)
        {
            return b;
        }
        if (stream.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Object)
        {
            foreach (var t in tags.EnumerateObject())
            {
                if (t.Name.Equals("BPS", StringComparison.OrdinalIgnoreCase) && double.TryParse(t.Value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var bps) && bps > 0)
                {
                    return bps;
                }
            }
        }
        return null;
    }

    /// <summary>Parses ffprobe's "30000/1001" or "25" into a number; null for "0/0".</summary>
    public static double? Rational(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && x > 0 ? x : null;
        }
        if (double.TryParse(value.AsSpan(0, slash), NumberStyles.Float, CultureInfo.InvariantCulture, out var n)
            && double.TryParse(value.AsSpan(slash + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && n > 0 && d > 0)
        {
            return n / d;
        }
        return null;
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var p) ? Cut(p.ValueKind switch
        {
            JsonValueKind.String => p.GetString(),
            JsonValueKind.Number => p.GetRawText(),
            _ => null,
        }) : null;

    private static string? Cut(string? value) => value is { Length: > MaxValueChars } ? value[..MaxValueChars] : value;

    private static double? Num(JsonElement e, string name) =>
        Str(e, name) is { } s && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !double.IsNaN(d) ? d : null;

    private static int? Int(JsonElement e, string name) =>
        Num(e, name) is { } d && d is >= int.MinValue and <= int.MaxValue ? (int)d : null;
}
