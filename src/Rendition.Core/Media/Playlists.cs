using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Rendition.Core.Contracts;

namespace Rendition.Core.Media;

/// <summary>
/// Streaming outputs: an <c>out_playlist_</c> alias names an HLS or DASH manifest; the files written next to it
/// (variant playlists, segments, init segments) are stored with it, and its metadata comes from the manifest text.
/// </summary>
public static partial class Playlists
{
    public const string AliasPrefix = "out_playlist_";

    private static readonly HashSet<string> ManifestExtensions = new(StringComparer.OrdinalIgnoreCase) { ".m3u8", ".mpd" };

    public static bool IsPlaylistAlias(string alias) => alias.StartsWith(AliasPrefix, StringComparison.Ordinal);

    /// <summary>True for a playlist's companion file's alias (<c>out_playlist_x/seg_001.ts</c>): stored, but not an output of its own.</summary>
    public static bool IsPartAlias(string? alias) => alias is not null && alias.Contains('/', StringComparison.Ordinal);

    public static string PartAlias(string playlistAlias, string fileName) => $"{playlistAlias}/{fileName}";

    [GeneratedRegex(@"#EXT-X-STREAM-INF:(?<attrs>.*)", RegexOptions.CultureInvariant)]
    private static partial Regex StreamInf();

    /// <summary>How much of a manifest (or a variant playlist) is read to describe it; a tenant decides how large the file is.</summary>
    public const int MaxManifestBytes = 1 << 20;

    // The duration is whatever precedes the comma; it is parsed leniently and skipped when it is not a number (#EXTINF:1.2.3).
    [GeneratedRegex(@"#EXTINF:(?<d>[^,\r\n]*)", RegexOptions.CultureInvariant)]
    private static partial Regex ExtInf();

    [GeneratedRegex(@"(?<k>[A-Z-]+)=(?<v>""[^""]*""|[^,]*)", RegexOptions.CultureInvariant)]
    private static partial Regex Attribute();

    /// <summary>Metadata of a manifest from its text and the files stored with it (<paramref name="readFile"/> reads a sibling by name).</summary>
    public static MediaInfo Describe(string manifestName, string text, IReadOnlyCollection<string> companions, Func<string, string?> readFile)
    {
        var isDash = manifestName.EndsWith(".mpd", StringComparison.OrdinalIgnoreCase);
        var info = new MediaInfo
        {
            FileType = "video",
            FileFormat = isDash ? "dash" : "hls",
            MimeType = MediaTypes.ForFileName(manifestName),
            SegmentCount = companions.Count(c => !ManifestExtensions.Contains(Path.GetExtension(c)) && !c.Contains("init", StringComparison.OrdinalIgnoreCase)),
            Variants = [],
        };
        if (isDash)
        {
            DescribeDash(text, info);
            return info;
        }

        foreach (Match m in StreamInf().Matches(text))
        {
            int? width = null, height = null;
            double? kb = null;
            foreach (Match a in Attribute().Matches(m.Groups["attrs"].Value))
            {
                var value = a.Groups["v"].Value.Trim('"');
                if (a.Groups["k"].Value == "RESOLUTION" && value.Split('x') is [var w, var h])
                {
                    width = int.TryParse(w, NumberStyles.Integer, CultureInfo.InvariantCulture, out var wi) ? wi : null;
                    height = int.TryParse(h, NumberStyles.Integer, CultureInfo.InvariantCulture, out var hi) ? hi : null;
                }
                else if (a.Groups["k"].Value == "BANDWIDTH" && Finite(value) is { } bps)
                {
                    kb = bps / 1024.0;
                }
            }
            info.Variants.Add(new PlaylistVariant(width, height, kb));
        }
        // The duration is the sum of one media playlist's segments: this one, or its first variant.
        // (A master playlist can also list nothing — ffmpeg omits variants without a known bitrate — so fall back to a companion playlist.)
        var media = info.Variants.Count == 0 && ExtInf().IsMatch(text) ? text
            : (FirstUri(text) ?? companions.FirstOrDefault(c => c.EndsWith(".m3u8", StringComparison.OrdinalIgnoreCase))) is { } first ? readFile(first) : null;
        if (media is not null)
        {
            var total = ExtInf().Matches(media).Sum(m => Finite(m.Groups["d"].Value) ?? 0);
            info.Duration = total > 0 && double.IsFinite(total) ? Math.Round(total, 3) : null;
        }
        if (info.Variants.Count > 0)
        {
            info.Width = info.Variants.Max(v => v.Width);
            info.Height = info.Variants.Max(v => v.Height);
        }
        return info;
    }

    /// <summary>Reads at most <see cref="MaxManifestBytes"/> of a manifest as UTF-8: enough for any real one, bounded for a hostile one.</summary>
    public static string ReadText(string path)
    {
        using var file = File.OpenRead(path);
        var buffer = new byte[(int)Math.Min(file.Length, MaxManifestBytes)];
        var read = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        return System.Text.Encoding.UTF8.GetString(buffer, 0, read);
    }

    /// <summary>A non-negative finite number, or null: manifests are tenant-written text, and JSON has no Infinity or NaN.</summary>
    private static double? Finite(string value) =>
        double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) && d >= 0 ? d : null;

    /// <summary>The URIs a playlist references (segments, variant playlists, init maps).</summary>
    public static IEnumerable<string> References(string text)
    {
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length > 0 && !line.StartsWith('#'))
            {
                yield return line;
            }
            else if (line.StartsWith('#') && line.Contains("URI=\"", StringComparison.Ordinal))
            {
                var start = line.IndexOf("URI=\"", StringComparison.Ordinal) + 5;
                var end = line.IndexOf('"', start);
                if (end > start)
                {
                    yield return line[start..end];
                }
            }
        }
    }

    // A reference as the companion's relative path: ffmpeg writes "./stream_0.m3u8" when its output was named "./stream_%v.m3u8".
    private static string? FirstUri(string text) =>
        References(text).FirstOrDefault(r => r.EndsWith(".m3u8", StringComparison.OrdinalIgnoreCase)) is { } uri
            ? string.Join('/', uri.Split('/').Where(part => part != "."))
            : null;

    private static void DescribeDash(string text, MediaInfo info)
    {
        try
        {
            var doc = XDocument.Parse(text);
            if (IsoDuration(doc.Root?.Attribute("mediaPresentationDuration")?.Value) is { } seconds)
            {
                info.Duration = seconds;
            }
            foreach (var rep in doc.Descendants().Where(e => e.Name.LocalName == "Representation"))
            {
                static int? Int(XElement e, string name) =>
                    int.TryParse(e.Attribute(name)?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;
                var width = Int(rep, "width");
                if (width is null)
                {
                    continue;
                }
                info.Variants!.Add(new PlaylistVariant(width, Int(rep, "height"), Int(rep, "bandwidth") is { } bw ? bw / 1024.0 : null));
            }
            if (info.Variants!.Count > 0)
            {
                info.Width = info.Variants.Max(v => v.Width);
                info.Height = info.Variants.Max(v => v.Height);
            }
        }
        catch (System.Xml.XmlException)
        {
            // Not XML after all (or a DTD, which is refused): keep what the name told.
        }
    }

    /// <summary>An ISO 8601 duration (<c>PT1M2.5S</c>) in seconds, or null when it is not one or is out of range.</summary>
    private static double? IsoDuration(string? value)
    {
        if (value is null)
        {
            return null;
        }
        try
        {
            var seconds = System.Xml.XmlConvert.ToTimeSpan(value.Trim()).TotalSeconds;
            return seconds > 0 ? Math.Round(seconds, 3) : null;
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            return null;
        }
    }
}
