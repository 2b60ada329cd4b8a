using System.Globalization;

namespace Rendition.Core.Commands;

/// <summary>How ffmpeg's <c>split_commandline</c> matched an option token.</summary>
public enum OptionMatch
{
    /// <summary>One of ffmpeg's own options (an <c>OptionDef</c>): "matched as option".</summary>
    Option,

    /// <summary>A codec, format, scaler or resampler option (an <c>AVOption</c>, found by <c>opt_default</c>); always takes a value.</summary>
    AVOption,

    /// <summary><c>-nofoo</c> for a bool option <c>foo</c>: "matched as option 'foo' with argument 0".</summary>
    Negated,
}

/// <summary>One option of a command, as ffmpeg reads it.</summary>
/// <param name="Flag">The token as written, with its '-' and any stream specifier (<c>-c:v</c>).</param>
/// <param name="Name">The option ffmpeg matched: the <c>OptionDef</c> name (for <c>-nofoo</c>, <c>foo</c>) or the AVOption name.</param>
/// <param name="Match">How ffmpeg matched it.</param>
/// <param name="Value">The value it consumed, or null when it takes none.</param>
/// <param name="Graph">The parsed filter graph when the value is one (<c>-vf</c>, <c>-filter_complex</c>…); rendered instead of the text.</param>
public sealed record CommandOption(string Flag, string Name, OptionMatch Match, string? Value, FilterGraph? Graph = null)
{
    /// <summary>The stream specifier after the first ':' of <see cref="Flag"/>, or null.</summary>
    public string? Specifier => Flag.IndexOf(':', StringComparison.Ordinal) is var c and >= 0 ? Flag[(c + 1)..] : null;

    /// <summary>The value ffmpeg gets: the canonical text of <see cref="Graph"/> when there is one.</summary>
    public string? RenderedValue => Graph?.ToString() ?? Value;

    // A graph's placeholders are bound in its parsed values (what runs); its text is only what the tenant wrote.
    internal CommandOption Map(Func<string, string> map) =>
        Value is null ? this : Graph is not null ? this with { Graph = Graph.MapValues(map) } : this with { Value = map(Value) };
}

/// <summary>One input: its options and its source (a job file, or a filter graph after <c>-f lavfi</c>).</summary>
public sealed record CommandInput(IReadOnlyList<CommandOption> Options, string Source, FilterGraph? Graph)
{
    /// <summary>True when the source is a lavfi filter graph, not a file.</summary>
    public bool IsGraph => Graph is not null;
}

/// <summary>One output: its options and its target (a job file, or <c>-</c>/<c>/dev/null</c> for the null muxer).</summary>
public sealed record CommandOutput(IReadOnlyList<CommandOption> Options, string Target)
{
    /// <summary>True for <c>-</c> and <c>/dev/null</c>, which the policy allows only for <c>-f null</c> (nothing is written).</summary>
    public bool IsDiscard => Target is "-" or "/dev/null";
}

/// <summary>What a command does with a file it names.</summary>
public enum FileRole
{
    Read,
    Write,
    ReadWrite,
}

/// <summary>A file a command names: an input, an output, a path-valued option or a filter's file option.</summary>
/// <param name="Name">The name as written (placeholders included); relative to the job directory unless <paramref name="System"/>.</param>
/// <param name="Role">Whether ffmpeg reads it, writes it, or both.</param>
/// <param name="Where">Where it is named, for messages (<c>input</c>, <c>output</c>, <c>option '-passlogfile'</c>, <c>filter 'movie'</c>…).</param>
/// <param name="System">A read-only system file (a font under /usr/share/fonts), not a job file.</param>
public sealed record FileReference(string Name, FileRole Role, string Where, bool System = false)
{
    /// <summary>True when ffmpeg (or a filter) reads the file.</summary>
    public bool IsRead => Role is FileRole.Read or FileRole.ReadWrite;
}

/// <summary>What ffmpeg reads an argv word as.</summary>
internal enum ArgumentRole
{
    Option,
    AVOption,
    Negated,
    InputUrl,
    OutputUrl,
}

/// <summary>One rendered argv word, its value (the next word, or the url itself), what it is and its group (global, input n, output n, trailing).</summary>
internal sealed record RenderedArgument(string Token, string? Value, ArgumentRole Role, string Name, string Group);

/// <summary>A filter graph of a command and where it is given.</summary>
public sealed record GraphUse(string Where, FilterGraph Graph);

/// <summary>
/// A command as ffmpeg will read it: global options; each input with its options and source; each output with its
/// options and target; per-file options after the last file (ffmpeg warns and ignores them); the filter graphs and the
/// files the command names. Made by <see cref="FfmpegCommand.Parse(string)"/>; the runner renders argv from it alone
/// (<see cref="ToArguments"/>), so what the policy judged is what runs.
/// </summary>
public sealed class FfmpegInvocation
{
    /// <summary>The runner's fixed options before the tenant's: quiet, non-interactive, machine-readable progress, overwrite.</summary>
    public static IReadOnlyList<string> Prelude(string logLevel) => Flatten(PreludeArguments(logLevel));

    private static List<RenderedArgument> PreludeArguments(string logLevel) =>
    [
        new("-hide_banner", null, ArgumentRole.Option, "hide_banner", "global"),
        new("-nostdin", null, ArgumentRole.Negated, "stdin", "global"),
        new("-nostats", null, ArgumentRole.Negated, "stats", "global"),
        new("-loglevel", logLevel, ArgumentRole.Option, "loglevel", "global"),
        new("-progress", "pipe:1", ArgumentRole.Option, "progress", "global"),
        new("-y", null, ArgumentRole.Option, "y", "global"),
    ];

    /// <summary>The log level of real runs: level tags let the error tail be picked out of the full log.</summary>
    public const string RunLogLevel = "level+info";

    internal FfmpegInvocation(IReadOnlyList<CommandOption> global, IReadOnlyList<CommandInput> inputs, IReadOnlyList<CommandOutput> outputs,
        IReadOnlyList<CommandOption> trailing, IReadOnlyList<GraphUse> graphs, IReadOnlyList<FileReference> files)
    {
        Global = global;
        Inputs = inputs;
        Outputs = outputs;
        Trailing = trailing;
        Graphs = graphs;
        Files = files;
    }

    /// <summary>Options ffmpeg applies to the whole run, wherever they were written.</summary>
    public IReadOnlyList<CommandOption> Global { get; }

    public IReadOnlyList<CommandInput> Inputs { get; }

    public IReadOnlyList<CommandOutput> Outputs { get; }

    /// <summary>Per-file options after the last file: ffmpeg warns "Trailing option(s) found" and ignores them.</summary>
    public IReadOnlyList<CommandOption> Trailing { get; }

    /// <summary>Every filter graph: of <c>-vf</c>/<c>-af</c>/<c>-filter</c>/<c>-filter_complex</c>/<c>-lavfi</c> and of <c>-f lavfi</c> inputs.</summary>
    public IReadOnlyList<GraphUse> Graphs { get; }

    /// <summary>Every file the command names, with what it does with it.</summary>
    public IReadOnlyList<FileReference> Files { get; }

    /// <summary>Every option in argv order of the rendered command (global, each input's, each output's, trailing).</summary>
    public IEnumerable<CommandOption> AllOptions =>
        Global.Concat(Inputs.SelectMany(i => i.Options)).Concat(Outputs.SelectMany(o => o.Options)).Concat(Trailing);

    /// <summary>
    /// Every text of the command that can hold a placeholder, as ffmpeg (or the filter) gets it: option values (for a filter
    /// graph, each filter argument's value, un-escaped), input sources and output targets.
    /// </summary>
    public IEnumerable<string> Texts =>
        AllOptions.SelectMany(o => o.Graph is { } g ? GraphTexts(g) : o.Value is { } v ? [v] : [])
            .Concat(Inputs.SelectMany(i => i.Graph is { } g ? GraphTexts(g) : [i.Source]))
            .Concat(Outputs.Select(o => o.Target));

    private static IEnumerable<string> GraphTexts(FilterGraph graph) => graph.Filters.SelectMany(f => f.Arguments).Select(a => a.Value);

    /// <summary>Job files the command reads (inputs that are files, files filters open), by name: what must be sniffed first.</summary>
    public IEnumerable<FileReference> JobFilesRead => Files.Where(f => f.IsRead && !f.System);

    /// <summary>The same invocation with <c>{{alias}}</c> placeholders replaced from <paramref name="names"/> (unknown aliases throw).</summary>
    public FfmpegInvocation Bind(IReadOnlyDictionary<string, string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        string Map(string text) => Placeholders.Substitute(text, names);
        List<CommandOption> MapAll(IEnumerable<CommandOption> options) => [.. options.Select(o => o.Map(Map))];
        var inputs = Inputs.Select(i => new CommandInput(MapAll(i.Options), i.Graph is null ? Map(i.Source) : i.Source, i.Graph?.MapValues(Map))).ToList();
        var outputs = Outputs.Select(o => new CommandOutput(MapAll(o.Options), Map(o.Target))).ToList();
        var graphs = Graphs.Select(g => g with { Graph = g.Graph.MapValues(Map) }).ToList();
        var files = Files.Select(f => f with { Name = Map(f.Name) }).ToList();
        return new FfmpegInvocation(MapAll(Global), inputs, outputs, MapAll(Trailing), graphs, files);
    }

    /// <summary>
    /// The argv ffmpeg runs with: the <see cref="Prelude"/>, the global options, then each input's options followed by the
    /// runner's guards (<c>-protocol_whitelist file</c> and, when given, <c>-format_whitelist</c>) and <c>-i</c>, then each
    /// output's options and target, then the trailing options. File names are written <c>./name</c>, so none reads as an
    /// option; filter graphs are written canonically from their parsed form.
    /// </summary>
    public List<string> ToArguments(string? formatWhitelist, string logLevel = RunLogLevel) => Flatten(Render(formatWhitelist, logLevel));

    /// <summary>The argv words of rendered arguments: each token, then its value unless the token is an output url itself.</summary>
    internal static List<string> Flatten(IEnumerable<RenderedArgument> rendered)
    {
        var args = new List<string>();
        foreach (var a in rendered)
        {
            args.Add(a.Token);
            if (a.Role != ArgumentRole.OutputUrl && a.Value is not null)
            {
                args.Add(a.Value);
            }
        }
        return args;
    }

    /// <summary>
    /// The rendered argv word by word, each with what ffmpeg must read it as and the group it must land in: the layout
    /// of <see cref="ToArguments"/>, and the expectation the differential test holds ffmpeg's own reading against.
    /// </summary>
    internal List<RenderedArgument> Render(string? formatWhitelist, string logLevel = RunLogLevel)
    {
        var args = PreludeArguments(logLevel);
        AddAll(args, Global, "global");
        for (var i = 0; i < Inputs.Count; i++)
        {
            var input = Inputs[i];
            var group = $"input {i}";
            AddAll(args, input.Options, group);
            args.Add(new("-protocol_whitelist", "file", ArgumentRole.AVOption, "protocol_whitelist", group));
            if (formatWhitelist is not null)
            {
                args.Add(new("-format_whitelist", formatWhitelist, ArgumentRole.AVOption, "format_whitelist", group));
            }
            args.Add(new("-i", input.Graph?.ToString() ?? FileArgument(input.Source), ArgumentRole.InputUrl, "i", group));
        }
        for (var i = 0; i < Outputs.Count; i++)
        {
            var output = Outputs[i];
            var group = $"output {i}";
            AddAll(args, output.Options, group);
            var target = output.IsDiscard ? "-" : FileArgument(output.Target);
            args.Add(new(target, target, ArgumentRole.OutputUrl, "", group));
        }
        AddAll(args, Trailing, "trailing");
        return args;
    }

    /// <summary>A job file's name as ffmpeg gets it: <c>./name</c>, never an option, never a protocol.</summary>
    public static string FileArgument(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return "./" + name;
    }

    private static void AddAll(List<RenderedArgument> args, IEnumerable<CommandOption> options, string group)
    {
        foreach (var o in options)
        {
            var role = o.Match switch
            {
                OptionMatch.AVOption => ArgumentRole.AVOption,
                OptionMatch.Negated => ArgumentRole.Negated,
                _ => ArgumentRole.Option,
            };
            args.Add(new(o.Flag, o.RenderedValue, role, o.Name, group));
        }
    }

    /// <summary>
    /// The length of the output the command asks for, in seconds, if it says: the first output's <c>-t</c> (or <c>-to</c>
    /// minus its <c>-ss</c>), else the first input's. Used as the denominator of progress.
    /// </summary>
    public double? ExpectedSeconds()
    {
        foreach (var options in Outputs.Select(o => o.Options).Concat(Inputs.Select(i => i.Options)))
        {
            double? t = null, to = null, ss = null;
            foreach (var o in options)
            {
                switch (o.Name)
                {
                    case "t":
                        t = ParseTime(o.Value);
                        break;
                    case "to":
                        to = ParseTime(o.Value);
                        break;
                    case "ss":
                        ss = ParseTime(o.Value);
                        break;
                }
            }
            var seconds = t ?? (to - (ss ?? 0));
            if (seconds > 0)
            {
                return seconds;
            }
        }
        return null;
    }

    /// <summary>ffmpeg's time syntax: seconds ("12.5", "1500ms") or [HH:]MM:SS[.ms]; null when it is not one.</summary>
    public static double? ParseTime(string? value)
    {
        if (value is null)
        {
            return null;
        }
        var text = value.Trim();
        var negative = text.StartsWith('-');
        if (negative)
        {
            text = text[1..];
        }
        var scale = 1.0;
        foreach (var (suffix, factor) in new[] { ("ms", 1e-3), ("us", 1e-6), ("s", 1.0) })
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal) && !text.Contains(':', StringComparison.Ordinal))
            {
                text = text[..^suffix.Length];
                scale = factor;
                break;
            }
        }
        var parts = text.Split(':');
        if (parts.Length > 3)
        {
            return null;
        }
        double total = 0;
        foreach (var part in parts)
        {
            if (part.Length == 0 || !double.TryParse(part, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
            {
                return null;
            }
            total = (total * 60) + n;
        }
        return (negative ? -total : total) * scale;
    }
}
