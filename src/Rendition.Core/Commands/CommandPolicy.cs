using System.Globalization;
using System.Text.RegularExpressions;

namespace Rendition.Core.Commands;

/// <summary>A reason the command policy refuses a command.</summary>
/// <param name="Code">Always <see cref="CommandPolicy.ForbiddenOption"/> for policy refusals.</param>
/// <param name="Message">Names the offending option, filter or value.</param>
public sealed record PolicyViolation(string Code, string Message);

/// <summary>
/// Static checks on a tokenised command, applied before anything runs: a tenant's command may only use allowed
/// options, formats and filters, may only name files relative to its own job directory and may not open any URL
/// protocol. <see cref="Evaluate"/> judges a whole command; <see cref="Check"/> judges one token on its own.
/// </summary>
public static partial class CommandPolicy
{
    /// <summary>The code of every policy refusal.</summary>
    public const string ForbiddenOption = "FORBIDDEN_OPTION";

    /// <summary>The largest frame area a command may ask for (<c>-s</c>, a filter's <c>s=</c>/<c>size=</c>, scale/pad literals).</summary>
    public const long MaxPixels = 8192L * 8192;

    /// <summary>The largest single frame dimension a command may ask for.</summary>
    public const long MaxDimension = 32768;

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

    [GeneratedRegex(@"\{\{\s*[A-Za-z0-9_]+\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex PlaceholderRegex();

    [GeneratedRegex(@"^\s*([0-9]+)\s*[xX]\s*([0-9]+)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex SizeRegex();

    /// <summary>
    /// Judges a whole tokenised command (a leading "ffmpeg" removed, placeholders not yet substituted): every
    /// option must be on the allowlist, every file a placeholder or a plain name in the job directory, every
    /// <c>-f</c> an ordinary (de)muxer, every filter graph free of plugin, network and outside-file filters, every
    /// generator bounded and every frame size sane. Returns every refusal found; an empty list means allowed.
    /// </summary>
    /// <remarks>
    /// Decisions: <c>-</c> (standard input/output) is refused everywhere except as the output of <c>-f null</c>,
    /// which writes nothing (the usual first pass of a two-pass encode); <c>sendcmd</c>/<c>asendcmd</c> are refused
    /// outright, since their commands could change other filters' file options after this check; an endless source
    /// (a generator without <c>d=</c>, <c>-stream_loop -1</c>, <c>-loop 1</c>) is accepted when the command has
    /// <c>-t</c>/<c>-to</c>/<c>-frames</c>/<c>-fs</c> anywhere, <c>-shortest</c> with at least one finite input,
    /// or a <c>trim</c>/<c>atrim</c> with an end later in the generator's own chain.
    /// </remarks>
    public static IReadOnlyList<PolicyViolation> Evaluate(IReadOnlyList<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var walk = new CommandWalk();
        walk.Run(tokens);
        return walk.Violations;
    }

    /// <summary>
    /// Why <paramref name="value"/> may not be used as a file name, or null: it must be a placeholder or a plain
    /// name in the job directory (no '/', '\\', '..', leading '-', protocol prefix or control character; <c>%d</c>
    /// patterns are fine). Placeholders may appear inside the name.
    /// </summary>
    public static string? FileNameProblem(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var v = PlaceholderRegex().Replace(value, "p");
        if (v.Length == 0)
        {
            return "a file name is empty";
        }
        if (v == "-")
        {
            return "'-' is standard input or output";
        }
        if (v.Any(char.IsControl))
        {
            return "it contains a control character";
        }
        if (v.Contains("..", StringComparison.Ordinal))
        {
            return "it refers to a parent directory ('..')";
        }
        if (v[0] == '-')
        {
            return "a file name may not start with '-'";
        }
        if (v.Contains("://", StringComparison.Ordinal))
        {
            return "it is a URL; pass remote files in input_files";
        }
        if (v.Contains(':', StringComparison.Ordinal) || v.StartsWith("subfile,", StringComparison.OrdinalIgnoreCase))
        {
            return "it selects a protocol ('name:'); only files of this command may be used";
        }
        if (v.Contains('/', StringComparison.Ordinal) || v.Contains('\\', StringComparison.Ordinal))
        {
            return "only {{placeholders}} and plain file names in the job directory may be used (no '/' or '\\')";
        }
        return null;
    }

    /// <summary>Why a <c>WxH</c> size is too large, or null (also null when the value is not a numeric size).</summary>
    public static string? SizeProblem(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var m = SizeRegex().Match(value);
        if (!m.Success)
        {
            return null;
        }
        return DimensionsProblem(m.Groups[1].Value, m.Groups[2].Value);
    }

    private static string? DimensionsProblem(string width, string height)
    {
        if (!long.TryParse(width, NumberStyles.Integer, CultureInfo.InvariantCulture, out var w) || w > MaxDimension
            || !long.TryParse(height, NumberStyles.Integer, CultureInfo.InvariantCulture, out var h) || h > MaxDimension
            || w * h > MaxPixels)
        {
            return $"size {width}x{height} is too large (at most {MaxPixels.ToString(CultureInfo.InvariantCulture)} pixels, e.g. 8192x8192)";
        }
        return null;
    }

    private static string Shorten(string s) => s.Length <= 80 ? s : string.Concat(s.AsSpan(0, 77), "...");

    /// <summary>One pass over a command's argv, collecting violations.</summary>
    private sealed class CommandWalk
    {
        // Options seen since the last input or output: ffmpeg applies them to the next -i or output file.
        private readonly List<(string Name, string Value)> pending = [];
        private readonly List<string> endless = [];
        private bool bounded;
        private bool shortest;
        private bool finiteInput;

        public List<PolicyViolation> Violations { get; } = [];

        public void Run(IReadOnlyList<string> tokens)
        {
            for (var i = 0; i < tokens.Count; i++)
            {
                var token = tokens[i];
                if (token.Length > 1 && token[0] == '-')
                {
                    i = Option(tokens, i);
                }
                else
                {
                    Output(token);
                }
            }
            if (Pending("f") is { } trailingFormat)
            {
                JudgeFormat(trailingFormat, output: true);
            }
            if (!bounded && !(shortest && finiteInput))
            {
                foreach (var what in endless)
                {
                    Add($"infinite source: {what} never ends; give it a duration (d=) or bound the output with -t, -to, -frames or -shortest");
                }
            }
        }

        private void Add(string message) => Violations.Add(new PolicyViolation(ForbiddenOption, message));

        private string? Pending(string name)
        {
            string? value = null;
            foreach (var (n, v) in pending)
            {
                if (n == name)
                {
                    value = v; // the last one wins, as in ffmpeg
                }
            }
            return value;
        }

        // Returns the index of the last token consumed.
        private int Option(IReadOnlyList<string> tokens, int i)
        {
            var token = tokens[i];
            var raw = token[1..];
            var colon = raw.IndexOf(':', StringComparison.Ordinal);
            var name = colon < 0 ? raw : raw[..colon];
            var shown = "-" + Shorten(name);

            if (name.StartsWith('/'))
            {
                Add($"option '{shown}' is not allowed: a '/' prefix loads the option's value from a file");
                return Math.Min(i + 1, tokens.Count - 1);
            }
            if (FfmpegOptions.Refused.TryGetValue(name, out var refused))
            {
                Add($"option '{shown}' is not allowed: {refused.Reason}");
                return Math.Min(i + refused.Arity, tokens.Count - 1);
            }
            if (!FfmpegOptions.Allowed.TryGetValue(name, out var kind))
            {
                Add($"option '{shown}' is not allowed");
                // Its arity is unknown: take the next token as its value unless it is an option, so that the value is
                // not also reported as an output.
                return i + 1 < tokens.Count && !(tokens[i + 1].Length > 1 && tokens[i + 1][0] == '-') ? i + 1 : i;
            }
            if (colon >= 0 && kind is OptionKind.Input or OptionKind.Format)
            {
                // ffmpeg only treats exactly "-i" as an input; a stream specifier would make the two readings differ.
                Add($"option '-{Shorten(raw)}' is not allowed: '-{name}' takes no stream specifier");
                return Math.Min(i + 1, tokens.Count - 1);
            }
            if (kind == OptionKind.Flag)
            {
                shortest |= name == "shortest";
                pending.Add((name, ""));
                return i;
            }
            if (i + 1 >= tokens.Count)
            {
                return i; // ffmpeg refuses a missing value itself
            }

            var value = tokens[i + 1];
            switch (kind)
            {
                case OptionKind.Input:
                    Input(value);
                    return i + 1;
                case OptionKind.Graph:
                    CheckGraph(value, $"'{shown}'");
                    break;
                case OptionKind.Path:
                    if (FileNameProblem(value) is { } pathProblem)
                    {
                        Add($"option '{shown}' value '{Shorten(value)}' is not allowed: {pathProblem}");
                    }
                    break;
                case OptionKind.Size:
                    if (SizeProblem(value) is { } sizeProblem)
                    {
                        Add($"option '{shown}': {sizeProblem}");
                    }
                    break;
                case OptionKind.Value:
                    if (Check(value) is { } reason)
                    {
                        Add($"option '{shown}' value: {reason}");
                    }
                    break;
                case OptionKind.Codec:
                    if (Array.Find(FfmpegOptions.HardwareCodecSuffixes, x => value.EndsWith(x, StringComparison.OrdinalIgnoreCase)) is not null)
                    {
                        Add($"option '{shown}' value '{Shorten(value)}' is not allowed: hardware codecs open devices");
                    }
                    else if (Check(value) is { } codecReason)
                    {
                        Add($"option '{shown}' value: {codecReason}");
                    }
                    break;
                case OptionKind.SegmentFormat:
                    if (!FfmpegOptions.OutputFormats.Contains(value) || FfmpegOptions.ContainerOutputFormats.Contains(value))
                    {
                        Add($"option '{shown}' value '{Shorten(value)}' is not allowed: {FormatReason(value, output: true)}");
                    }
                    break;
                case OptionKind.Format:
                case OptionKind.Text:
                default:
                    break;
            }
            bounded |= FfmpegOptions.BoundOptions.Contains(name);
            pending.Add((name, value));
            return i + 1;
        }

        private void Input(string value)
        {
            var format = Pending("f");
            if (format is not null)
            {
                JudgeFormat(format, output: false);
            }
            if (format == "lavfi")
            {
                finiteInput |= CheckGraph(value, "'-f lavfi -i'");
            }
            else
            {
                if (FileNameProblem(value) is { } problem)
                {
                    Add($"input '-i {Shorten(value)}' is not allowed: {problem}");
                }
                var streamLoop = Pending("stream_loop");
                var loop = Pending("loop");
                if ((streamLoop is not null && streamLoop.TrimStart().StartsWith('-')) || (loop is not null && loop.Trim() != "0"))
                {
                    endless.Add($"input '{Shorten(value)}', looped by -stream_loop/-loop,");
                }
                else
                {
                    finiteInput = true;
                }
            }
            pending.Clear();
        }

        private void Output(string value)
        {
            var format = Pending("f");
            if (format is not null)
            {
                JudgeFormat(format, output: true);
            }
            if (value == "-")
            {
                if (format != "null")
                {
                    Add("output '-' (standard output) is not allowed; only '-f null -' may use it");
                }
            }
            else if (FileNameProblem(value) is { } problem)
            {
                Add($"output '{Shorten(value)}' is not allowed: {problem}");
            }
            pending.Clear();
        }

        private void JudgeFormat(string format, bool output)
        {
            if (output ? FfmpegOptions.OutputFormats.Contains(format) : FfmpegOptions.InputFormats.Contains(format))
            {
                return;
            }
            Add($"{(output ? "output" : "input")} format '-f {Shorten(format)}' is not allowed: {FormatReason(format, output)}");
        }

        private static string FormatReason(string format, bool output) =>
            format is "hls" or "dash" && !output
                ? "playlists name other files and URLs (HLS and DASH may only be written)"
                : FfmpegOptions.RefusedFormatReasons.TryGetValue(format, out var reason)
                    ? reason
                    : $"it is not an allowed {(output ? "output" : "input")} format";

        // Checks every filter of a graph; returns false when it holds an endless source.
        private bool CheckGraph(string description, string where)
        {
            FilterGraph graph;
            try
            {
                graph = FilterGraph.Parse(description);
            }
            catch (FormatException e)
            {
                Add($"the filter graph of {where} cannot be parsed: {e.Message}");
                return true;
            }
            var finite = true;
            foreach (var chain in graph.Chains)
            {
                for (var k = 0; k < chain.Filters.Count; k++)
                {
                    var filter = chain.Filters[k];
                    if (!CheckFilter(filter, where))
                    {
                        continue;
                    }
                    if (IsEndless(filter) && !IsTrimmedLater(chain, k))
                    {
                        endless.Add($"'{Shorten(filter.Name)}' in {where}");
                        finite = false;
                    }
                }
            }
            return finite;
        }

        // Returns false when the filter itself is refused.
        private bool CheckFilter(FilterNode filter, string where)
        {
            var name = filter.Name;
            var shown = $"filter '{Shorten(name)}' in {where}";
            if (FilterRules.Refused.TryGetValue(name, out var refused))
            {
                Add($"{shown} is not allowed: {refused}");
                return false;
            }
            FilterRules.FileOptions.TryGetValue(name, out var files);
            FilterRules.TextOptions.TryGetValue(name, out var text);
            var lower = name.ToLowerInvariant();
            foreach (var arg in filter.Arguments)
            {
                var key = arg.Key;
                var option = key is null ? $"argument {arg.Position + 1}" : $"option '{Shorten(key)}'";
                if (key is not null && key.StartsWith('/'))
                {
                    Add($"{shown}: option '{Shorten(key)}' is not allowed: a '/' prefix loads the value from a file");
                    continue;
                }
                if (key is not null && FilterRules.RefusedOptions.TryGetValue((lower, key), out var why))
                {
                    Add($"{shown}: option '{Shorten(key)}' is not allowed: {why}");
                    continue;
                }
                var isFile = files is not null && (key is null ? arg.Position >= 0 && files.Positions.Contains(arg.Position) : files.Keys.Contains(key));
                if (isFile || (key is not null && LooksLikeFileOption(key)))
                {
                    if (FileNameProblem(arg.Value) is { } problem)
                    {
                        Add($"{shown}: {option} '{Shorten(arg.Value)}' is not allowed: {problem}");
                    }
                }
                else if (text.Keys is not null && (key is null ? arg.Position == text.Position : text.Keys.Contains(key)))
                {
                    // Displayed text (drawtext's text=): never opened as a file.
                }
                else if (Check(arg.Value) is { } reason)
                {
                    Add($"{shown}: {reason}");
                }
                // s=, size=, video_size=, original_size=... and positional WxH values (SizeProblem ignores non-sizes).
                if ((key is null || key == "s" || key.EndsWith("size", StringComparison.Ordinal)) && SizeProblem(arg.Value) is { } sizeProblem)
                {
                    Add($"{shown}: {sizeProblem}");
                }
            }

            if (lower is "movie" or "amovie"
                && filter.Find(MovieFormatKeys, 1) is { } format
                && (format == "lavfi" || !FfmpegOptions.InputFormats.Contains(format)))
            {
                var why = FfmpegOptions.RefusedFormatReasons.TryGetValue(format, out var r) ? r : "it is not an allowed input format";
                Add($"{shown}: format '{Shorten(format)}' is not allowed: {why}");
            }
            if (lower is "scale" or "pad" or "zscale" or "scale2ref")
            {
                var w = filter.Find(WidthKeys, 0);
                var h = filter.Find(HeightKeys, 1);
                if ((IsInteger(w) || IsInteger(h)) && DimensionsProblem(IsInteger(w) ? w! : "1", IsInteger(h) ? h! : "1") is { } dims)
                {
                    Add($"{shown}: {dims}");
                }
            }
            return true;
        }

        private static readonly string[] MovieFormatKeys = ["format_name", "f"];
        private static readonly string[] MovieLoopKeys = ["loop"];
        private static readonly string[] WidthKeys = ["w", "width"];
        private static readonly string[] HeightKeys = ["h", "height"];

        private static bool IsInteger(string? s) => s is not null && s.Length is > 0 and <= 18 && s.All(char.IsAsciiDigit);

        private static bool LooksLikeFileOption(string key)
        {
            // A safety net for filters not in the tables (including ones newer ffmpeg versions add).
            var k = key.ToLowerInvariant();
            return (k.EndsWith("file", StringComparison.Ordinal) && k != "profile")
                || k.EndsWith("filename", StringComparison.Ordinal)
                || k.EndsWith("path", StringComparison.Ordinal)
                || k.EndsWith("fontsdir", StringComparison.Ordinal);
        }

        private static bool IsEndless(FilterNode filter)
        {
            if (FilterRules.BoundedByDuration.TryGetValue(filter.Name, out var bound))
            {
                var d = filter.Find(bound.Keys, bound.Position);
                return d is null || d.Length == 0 || d.TrimStart().StartsWith('-');
            }
            if (FilterRules.EndlessSources.Contains(filter.Name))
            {
                return true;
            }
            // movie/amovie: loop=0 repeats the file forever.
            return filter.Name.ToLowerInvariant() is "movie" or "amovie" && filter.Find(MovieLoopKeys, 5)?.Trim() == "0";
        }

        private static bool IsTrimmedLater(FilterChain chain, int index)
        {
            for (var k = index + 1; k < chain.Filters.Count; k++)
            {
                var f = chain.Filters[k];
                if (FilterRules.Trims.TryGetValue(f.Name, out var ends)
                    && f.Arguments.Any(a => a.Key is null ? a.Position is 1 or 3 or 4 or 6 : ends.Contains(a.Key)))
                {
                    return true;
                }
            }
            return false;
        }
    }
}
