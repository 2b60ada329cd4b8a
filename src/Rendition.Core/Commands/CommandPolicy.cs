using System.Globalization;
using System.Text.RegularExpressions;

namespace Rendition.Core.Commands;

/// <summary>A reason the command policy refuses a command.</summary>
/// <param name="Code">Always <see cref="CommandPolicy.ForbiddenOption"/> for policy refusals.</param>
/// <param name="Message">Names the offending option, filter or value.</param>
public sealed record PolicyViolation(string Code, string Message);

/// <summary>
/// The policy on a command as ffmpeg reads it (the split <see cref="FfmpegCommand.Parse(string)"/> makes): a tenant's
/// command may only use allowed options, formats and filters, may only name files inside its own job directory and
/// may not open any URL protocol. <see cref="Evaluate"/> judges a whole command; <see cref="Check"/> judges one value.
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

    // Where one value of a nested list ends (key=value lists, filter arguments, '|' lists): a path can only start there.
    // White space is not one of them: "iw / 2" is a division, not a path.
    private static readonly char[] ValueSeparators = ['=', ':', ',', ';', '|', '[', '(', '<', '>'];

    private static readonly char[] SegmentTrim = [' ', '\t', '\r', '\n', '\'', '"'];

    /// <summary>The read-only tree of system fonts a font option may name (bound read-only in the sandbox with /usr).</summary>
    public const string SystemFonts = "/usr/share/fonts";

    /// <summary>Returns a human-readable reason when the value is refused, else null.</summary>
    /// <remarks>
    /// A value is judged as ffmpeg's nested parsers would read it: split where a nested list separates its values
    /// (<c>= : , ; | [ ( &lt; &gt;</c>), each piece trimmed of white space and quotes; a piece that starts with '/' or '\'
    /// is an absolute path, and a <c>..</c> path component is a parent reference (<c>my..clip.mp4</c> is neither).
    /// </remarks>
    public static string? Check(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
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
        }
        // Backslashes are path separators here as well as escapes: "..\x" and "\etc" are judged on the raw text.
        var pieces = token.Split(ValueSeparators).Select(p => p.Trim(SegmentTrim)).ToList();
        if (pieces.Any(p => p.StartsWith('/') || p.StartsWith('\\')))
        {
            return $"'{Shorten(token)}' contains an absolute path; only files of this command may be used";
        }
        if (pieces.Any(p => p.Split('/', '\\').Any(c => c.Trim(SegmentTrim) == "..")))
        {
            return $"'{Shorten(token)}' refers to a parent directory ('..')";
        }
        return null;
    }

    [GeneratedRegex(@"\{\{\s*[A-Za-z0-9_]+\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex PlaceholderRegex();

    [GeneratedRegex(@"^\s*([0-9]+)\s*[xX]\s*([0-9]+)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex SizeRegex();

    /// <summary>
    /// Judges a whole tokenised command (a leading "ffmpeg" removed, placeholders not yet substituted). Same as
    /// <see cref="FfmpegCommand.Parse(IReadOnlyList{string})"/>'s violations.
    /// </summary>
    public static IReadOnlyList<PolicyViolation> Evaluate(IReadOnlyList<string> tokens) => FfmpegCommand.Parse(tokens).Violations;

    /// <summary>
    /// Why <paramref name="value"/> may not be used as a job file name, or null: it must be a placeholder or a relative
    /// path inside the job directory: '/' separates folders, but no leading '/', no empty component and no <c>..</c>
    /// component; no '\\', protocol prefix, control character, nor <c>-</c> alone (standard input or output). Names may
    /// start with '-' (the runner writes every file name as <c>./name</c>) and hold <c>%d</c> patterns and placeholders.
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
        if (v.Contains("://", StringComparison.Ordinal))
        {
            return "it is a URL; pass remote files in input_files";
        }
        if (v.Contains(':', StringComparison.Ordinal) || v.StartsWith("subfile,", StringComparison.OrdinalIgnoreCase))
        {
            return "it selects a protocol ('name:'); only files of this command may be used";
        }
        if (v.Contains('\\', StringComparison.Ordinal))
        {
            return "only {{placeholders}} and file names in the job directory may be used (no '\\'; folders are separated by '/')";
        }
        if (v.StartsWith('/'))
        {
            return "it is an absolute path; only {{placeholders}} and file names in the job directory may be used";
        }
        var parts = v.Split('/');
        if (parts.Contains(".."))
        {
            return "it refers to a parent directory ('..')";
        }
        if (parts.Any(p => p.Length == 0))
        {
            return "it has an empty folder name ('//' or a trailing '/')";
        }
        return null;
    }

    /// <summary>
    /// Why <paramref name="value"/> may not name a font, or null: a job file (as <see cref="FileNameProblem"/>) or a path
    /// under <see cref="SystemFonts"/> with no <c>.</c> or <c>..</c> component, no empty component and no '\\'.
    /// </summary>
    public static string? FontPathProblem(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return IsSystemFontPath(value) ? null : FileNameProblem(value);
    }

    /// <summary>True for a normalised path inside <see cref="SystemFonts"/> (or that folder itself).</summary>
    public static bool IsSystemFontPath(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!(value == SystemFonts || value.StartsWith(SystemFonts + "/", StringComparison.Ordinal)))
        {
            return false;
        }
        var rest = value[SystemFonts.Length..].TrimEnd('/');
        return !value.Any(char.IsControl) && !value.Contains('\\', StringComparison.Ordinal) && !value.Contains(':', StringComparison.Ordinal)
            && rest.Split('/').Skip(1).All(p => p.Length > 0 && p != "." && p != "..");
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

    internal static string Shorten(string s) => s.Length <= 80 ? s : string.Concat(s.AsSpan(0, 77), "...");

    /// <summary>The largest loop count treated as finite (<c>-stream_loop</c>, <c>movie</c>'s and <c>loop</c>'s <c>loop=</c>).</summary>
    /// <remarks>
    /// Repeating an input a hundred times covers every real use (a jingle, a background to fill a length); counts
    /// beyond that only stand in for "forever" and would keep a worker busy until the time limit, so they need a bound
    /// like an endless source.
    /// </remarks>
    public const int MaxLoopCount = 100;

    /// <summary>Judges a split command: every option, file, format and filter graph; fills in the files it names.</summary>
    /// <remarks>
    /// Decisions: <c>-</c> and <c>/dev/null</c> are refused everywhere except as the output of <c>-f null</c>, which writes
    /// nothing (the usual first pass of a two-pass encode); <c>sendcmd</c>/<c>asendcmd</c> are refused outright, since
    /// their commands could change other filters' file options after this check; an endless source is accepted when the
    /// looped input itself has <c>-t</c>/<c>-to</c>, every output has <c>-t</c>/<c>-to</c>/<c>-frames</c>/<c>-fs</c>,
    /// <c>-shortest</c> has a finite input, or a <c>trim</c>/<c>atrim</c> with an end follows in the generator's chain.
    /// </remarks>
    internal sealed class Judge(List<PolicyViolation> violations)
    {
        private readonly List<string> endless = [];
        private readonly List<FileReference> files = [];
        private bool shortest;
        private bool finiteInput;
        private bool allOutputsBounded = true;

        public IReadOnlyList<FileReference> Files => files;

        private void Add(string message) => violations.Add(new PolicyViolation(ForbiddenOption, message));

        public void Run(CommandSplit split)
        {
            foreach (var option in split.Global)
            {
                JudgeOption(option);
            }
            foreach (var input in split.Inputs)
            {
                JudgeInput(input);
            }
            foreach (var output in split.Outputs)
            {
                JudgeOutput(output);
            }
            foreach (var option in split.Trailing)
            {
                JudgeOption(option);
            }
            if (Last(split.Trailing, "f") is { } trailingFormat)
            {
                JudgeFormat(trailingFormat, output: true);
            }
            var outputsBounded = split.Outputs.Count > 0 && allOutputsBounded;
            if (!outputsBounded && !(shortest && finiteInput))
            {
                foreach (var what in endless)
                {
                    Add($"infinite source: {what} never ends; give it a duration (d=) or bound the output with -t, -to, -frames or -shortest");
                }
            }
        }

        private static string? Last(IEnumerable<CommandOption> options, string name) =>
            options.LastOrDefault(o => o.Name == name && o.Match != OptionMatch.Negated)?.Value;

        private static bool HasBound(IEnumerable<CommandOption> options) =>
            options.Any(o => FfmpegOptions.BoundOptions.Contains(o.Name) && o.Value is not null);

        private void JudgeInput(CommandInput input)
        {
            foreach (var option in input.Options)
            {
                JudgeOption(option);
            }
            var format = Last(input.Options, "f");
            if (format is not null)
            {
                JudgeFormat(format, output: false);
            }
            var boundedHere = HasBound(input.Options);
            if (input.Graph is { } graph)
            {
                var finite = JudgeGraph(graph, "'-f lavfi -i'", boundedHere);
                finiteInput |= finite || boundedHere;
                return;
            }
            if (FileNameProblem(input.Source) is { } problem)
            {
                Add($"input '-i {Shorten(input.Source)}' is not allowed: {problem}");
            }
            files.Add(new FileReference(input.Source, FileRole.Read, "input"));
            var streamLoop = Last(input.Options, "stream_loop");
            var loop = Last(input.Options, "loop");
            if ((streamLoop is not null && IsEndlessCount(streamLoop)) || (loop is not null && loop.Trim() != "0"))
            {
                if (!boundedHere)
                {
                    endless.Add($"input '{Shorten(input.Source)}', looped by -stream_loop/-loop,");
                }
            }
            else
            {
                finiteInput = true;
            }
        }

        // A loop count that never ends: negative (forever), past MaxLoopCount, or too large to read.
        private static bool IsEndlessCount(string value) =>
            !long.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) || n < 0 || n > MaxLoopCount;

        private void JudgeOutput(CommandOutput output)
        {
            foreach (var option in output.Options)
            {
                JudgeOption(option);
            }
            shortest |= output.Options.Any(o => o.Name == "shortest" && o.Match == OptionMatch.Option);
            allOutputsBounded &= HasBound(output.Options);
            var format = OutputFormat(output.Options);
            if (format is not null)
            {
                JudgeFormat(format, output: true);
            }
            if (output.IsDiscard)
            {
                if (format != "null")
                {
                    Add($"output '{output.Target}'{(output.Target == "-" ? " (standard output)" : "")} is not allowed; only '-f null {output.Target}' may use it (it writes nothing, e.g. the first pass of a two-pass encode)");
                }
                return;
            }
            if (FileNameProblem(output.Target) is { } problem)
            {
                Add($"output '{Shorten(output.Target)}' is not allowed: {problem}");
            }
            files.Add(new FileReference(output.Target, FileRole.Write, "output"));
        }

        // The muxer of an output: the last -f, or the one -target selects, whichever comes later (ffmpeg applies them in order).
        private static string? OutputFormat(IEnumerable<CommandOption> options)
        {
            string? format = null;
            foreach (var o in options)
            {
                if (o.Name == "f" && o.Value is not null)
                {
                    format = o.Value;
                }
                else if (o.Name == "target" && o.Value is not null)
                {
                    format = TargetFormat(o.Value) ?? format;
                }
            }
            return format;
        }

        private static string? TargetFormat(string target)
        {
            var name = target;
            foreach (var prefix in new[] { "pal-", "ntsc-", "film-" })
            {
                if (name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    name = name[prefix.Length..];
                    break;
                }
            }
            return FfmpegOptions.Targets.GetValueOrDefault(name);
        }

        private void JudgeOption(CommandOption option)
        {
            var shown = "-" + Shorten(option.Name);
            if (option.Match == OptionMatch.Negated)
            {
                // "-nostdin" turns off what "-stdin" would turn on: allowed even though "-stdin" itself is not.
                if (option.Name != "stdin" && !FfmpegOptions.Allowed.ContainsKey(option.Name))
                {
                    Add($"option '{Shorten(option.Flag)}' is not allowed");
                }
                return;
            }
            if (FfmpegOptions.Refused.TryGetValue(option.Name, out var refused))
            {
                Add($"option '{shown}' is not allowed: {refused}");
                return;
            }
            if (!FfmpegOptions.Allowed.TryGetValue(option.Name, out var kind))
            {
                Add($"option '{shown}' is not allowed");
                return;
            }
            if (option.Value is not { } value)
            {
                shortest |= option.Name == "shortest";
                return;
            }
            switch (kind)
            {
                case OptionKind.Graph:
                    if (option.Graph is { } graph)
                    {
                        JudgeGraph(graph, $"'{shown}'", bounded: false);
                    }
                    break;
                case OptionKind.Path:
                    if (FileNameProblem(value) is { } pathProblem)
                    {
                        Add($"option '{shown}' value '{Shorten(value)}' is not allowed: {pathProblem}");
                    }
                    files.Add(new FileReference(value, option.Name == "passlogfile" ? FileRole.ReadWrite : FileRole.Write, $"option '{shown}'"));
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
                case OptionKind.Target:
                    if (TargetFormat(value) is null)
                    {
                        Add($"option '{shown}' value '{Shorten(value)}' is not allowed: use vcd, svcd, dvd, dv or dv50, optionally with pal-, ntsc- or film-");
                    }
                    break;
                case OptionKind.Format:
                case OptionKind.Text:
                case OptionKind.Flag:
                default:
                    break;
            }
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

        // Checks every filter of a graph; returns false when it holds an endless source (not counting a bound on its input).
        private bool JudgeGraph(FilterGraph graph, string where, bool bounded)
        {
            var finite = true;
            foreach (var chain in graph.Chains)
            {
                for (var k = 0; k < chain.Filters.Count; k++)
                {
                    var filter = chain.Filters[k];
                    if (!JudgeFilter(filter, where))
                    {
                        continue;
                    }
                    if (IsEndless(filter) && !IsTrimmedLater(chain, k))
                    {
                        finite = false;
                        if (!bounded)
                        {
                            endless.Add($"'{Shorten(filter.Name)}' in {where}");
                        }
                    }
                }
            }
            return finite;
        }

        // Returns false when the filter itself is refused.
        private bool JudgeFilter(FilterNode filter, string where)
        {
            var name = filter.Name;
            var shown = $"filter '{Shorten(name)}' in {where}";
            if (FilterRules.Refused.TryGetValue(name, out var refused))
            {
                Add($"{shown} is not allowed: {refused}");
                return false;
            }
            FilterRules.FileOptions.TryGetValue(name, out var fileOptions);
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
                var fileKey = fileOptions is null ? null
                    : key is null ? fileOptions.KeyAt(arg.Position)
                    : fileOptions.Keys.Contains(key) ? key : null;
                if (fileKey is not null || (key is not null && LooksLikeFileOption(key)))
                {
                    var optionName = fileKey ?? key!;
                    var font = FilterRules.IsFontOption(lower, optionName);
                    if ((font ? FontPathProblem(arg.Value) : FileNameProblem(arg.Value)) is { } problem)
                    {
                        Add($"{shown}: {option} '{Shorten(arg.Value)}' is not allowed: {problem}");
                    }
                    else
                    {
                        var role = FilterRules.IsWrittenFile(lower, optionName) ? FileRole.Write : FileRole.Read;
                        files.Add(new FileReference(arg.Value, role, $"filter '{Shorten(name)}'", System: font && IsSystemFontPath(arg.Value)));
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
        private static readonly string[] LoopKeys = ["loop"];
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
            var lower = filter.Name.ToLowerInvariant();
            if (FilterRules.BoundedByDuration.TryGetValue(filter.Name, out var bound))
            {
                var d = filter.Find(bound.Keys, bound.Position);
                if (d is null)
                {
                    return true;
                }
                // A negative duration is "forever" for every source; zero too for those that say so (sine, anoisesrc…).
                var seconds = FfmpegInvocation.ParseTime(d);
                return seconds is null || seconds < 0 || (seconds == 0 && FilterRules.ZeroDurationIsEndless.Contains(filter.Name));
            }
            if (FilterRules.EndlessSources.Contains(filter.Name))
            {
                return true;
            }
            // movie/amovie: loop=0 repeats the file forever; the loop/aloop filters: loop=-1 does.
            return lower switch
            {
                "movie" or "amovie" => filter.Find(MovieLoopKeys, 5) is { } movieLoop && (movieLoop.Trim() == "0" || IsEndlessCount(movieLoop)),
                "loop" or "aloop" => filter.Find(LoopKeys, 0) is { } count && IsEndlessCount(count),
                _ => false,
            };
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
