using System.Text.RegularExpressions;

namespace Rendition.Core.Commands;

/// <summary>
/// Static checks on a tokenised command, applied before anything runs: a tenant's command may only name files
/// relative to its own job directory and may not open any URL protocol.
/// </summary>
public static partial class CommandPolicy
{
    // Every protocol libavformat knows (plus a few from optional builds); a "name:" prefix selects one.
    private static readonly HashSet<string> Protocols = new(StringComparer.OrdinalIgnoreCase)
    {
        "amqp", "android_content", "async", "bluray", "cache", "concat", "concatf", "crypto", "data", "fd",
        "ffrtmpcrypt", "ffrtmphttp", "file", "ftp", "gopher", "gophers", "hls", "http", "httpproxy", "https",
        "icecast", "ipfs", "ipns", "librist", "librtmp", "librtmpe", "librtmps", "librtmpt", "librtmpte",
        "libsmbclient", "libsrt", "libssh", "libzmq", "md5", "mmsh", "mmst", "pipe", "prompeg", "rist", "rtmp",
        "rtmpe", "rtmps", "rtmpt", "rtmpte", "rtmpts", "rtp", "rtsp", "sctp", "sftp", "smb", "srt", "srtp",
        "subfile", "tcp", "tee", "tls", "udp", "udplite", "unix", "zmq", "dvd", "s3", "gs",
    };

    // Options that would loosen the protocol restriction the runner puts before every input.
    private static readonly HashSet<string> ForbiddenOptions = new(StringComparer.Ordinal)
    {
        "-protocol_whitelist", "-protocol_blacklist",
    };

    [GeneratedRegex(@"(?<![A-Za-z0-9+.\-])([A-Za-z][A-Za-z0-9+.\-]*):", RegexOptions.CultureInvariant)]
    private static partial Regex SchemeRegex();

    [GeneratedRegex(@"(?<![A-Za-z0-9+.\-])subfile,", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex SubfileRegex();

    [GeneratedRegex(@"(^|[=:,;|'""\[\s(<>])[/\\]", RegexOptions.CultureInvariant)]
    private static partial Regex AbsolutePathRegex();

    [GeneratedRegex(@"(^|[/\\=:,;|'""\[\s(<>])\.\.($|[/\\:,;|'""\]\s)<>])", RegexOptions.CultureInvariant)]
    private static partial Regex ParentDirRegex();

    /// <summary>Returns a human-readable reason when the token is refused, else null.</summary>
    public static string? Check(string token)
    {
        if (ForbiddenOptions.Contains(token))
        {
            return $"option '{token}' is not allowed";
        }

        // ffmpeg un-escapes backslashes in filter graphs and option values, so judge the un-escaped text too.
        foreach (var text in token.Contains('\\', StringComparison.Ordinal) ? [token, token.Replace("\\", "", StringComparison.Ordinal)] : new[] { token })
        {
            if (text.Contains("://", StringComparison.Ordinal))
            {
                return $"'{Shorten(token)}' contains a URL; pass remote files in input_files";
            }
            foreach (Match m in SchemeRegex().Matches(text))
            {
                // Nested schemes ("crypto+http:", "hls+tcp:") select the outer protocol, which opens the inner one.
                if (m.Groups[1].Value.Split('+').Any(Protocols.Contains))
                {
                    return $"'{Shorten(token)}' uses the '{m.Groups[1].Value}:' protocol, which is not allowed";
                }
            }
            if (SubfileRegex().IsMatch(text))
            {
                return $"'{Shorten(token)}' uses the 'subfile' protocol, which is not allowed";
            }
            if (AbsolutePathRegex().IsMatch(text))
            {
                return $"'{Shorten(token)}' contains an absolute path; only files of this command may be used";
            }
            if (ParentDirRegex().IsMatch(text))
            {
                return $"'{Shorten(token)}' refers to a parent directory ('..')";
            }
        }
        return null;
    }

    private static string Shorten(string s) => s.Length <= 80 ? s : string.Concat(s.AsSpan(0, 77), "...");
}
