namespace Rendition.Core.Commands;

/// <summary>A command parsed and judged: the invocation ffmpeg will run, and every reason the policy refuses it.</summary>
/// <param name="Invocation">The typed command; null only when the text cannot be tokenised or is empty.</param>
/// <param name="Violations">The policy's refusals (<see cref="CommandPolicy.ForbiddenOption"/>); empty means allowed.</param>
/// <param name="SyntaxError">Why the text is not a command at all (an unterminated quote, nothing but "ffmpeg"), or null.</param>
public sealed record ParsedCommand(FfmpegInvocation? Invocation, IReadOnlyList<PolicyViolation> Violations, string? SyntaxError)
{
    /// <summary>True when the command may run.</summary>
    public bool IsAllowed => SyntaxError is null && Violations.Count == 0 && Invocation is not null;
}

/// <summary>The parts <c>split_commandline</c> makes of argv, before the policy has judged them.</summary>
internal sealed record CommandSplit(List<CommandOption> Global, List<CommandInput> Inputs, List<CommandOutput> Outputs, List<CommandOption> Trailing);

/// <summary>
/// The one parse of a command: tokenised with shell quoting (never by a shell), split into options, inputs and outputs
/// exactly as ffmpeg 5.1's <c>split_commandline</c> does, then judged by the <see cref="CommandPolicy"/>. Validation,
/// presets, chains, batches and the job runner all call this function on the command text; the runner renders argv from
/// the resulting <see cref="FfmpegInvocation"/> only. It is pure and deterministic.
/// </summary>
public static class FfmpegCommand
{
    /// <summary>Parses and judges a command string (a leading "ffmpeg" word is ignored).</summary>
    public static ParsedCommand Parse(string command)
    {
        ArgumentNullException.ThrowIfNull(command);
        List<string> tokens;
        try
        {
            tokens = CommandTokenizer.Tokenize(command);
        }
        catch (FormatException e)
        {
            return new ParsedCommand(null, [], $"cannot be parsed: {e.Message}");
        }
        if (tokens.Count > 0 && tokens[0] == "ffmpeg")
        {
            tokens.RemoveAt(0);
        }
        return tokens.Count == 0 ? new ParsedCommand(null, [], "is empty") : Parse(tokens);
    }

    /// <summary>Splits and judges argv (without the program name).</summary>
    public static ParsedCommand Parse(IReadOnlyList<string> argv)
    {
        ArgumentNullException.ThrowIfNull(argv);
        var violations = new List<PolicyViolation>();
        var split = Split(argv, violations);
        var judge = new CommandPolicy.Judge(violations);
        judge.Run(split);
        var graphs = split.Global.Concat(split.Outputs.SelectMany(o => o.Options)).Concat(split.Inputs.SelectMany(i => i.Options)).Concat(split.Trailing)
            .Where(o => o.Graph is not null).Select(o => new GraphUse($"'{o.Flag}'", o.Graph!))
            .Concat(split.Inputs.Where(i => i.Graph is not null).Select(i => new GraphUse("'-f lavfi -i'", i.Graph!)))
            .ToList();
        var invocation = new FfmpegInvocation(split.Global, split.Inputs, split.Outputs, split.Trailing, graphs, judge.Files);
        return new ParsedCommand(invocation, violations, null);
    }

    // fftools/cmdutils.c split_commandline, step for step: '--' makes the next token an output; a token that does not start
    // with '-', or is exactly '-', is an output; exactly "-i" is an input and takes the next token whatever it is; then
    // ffmpeg's own options (by name before any ':'), then AVOptions (which take the next token, if there is one), then
    // "-nofoo" for a bool option "foo". Per-file options wait for the next file; global ones go to the global group.
    private static CommandSplit Split(IReadOnlyList<string> argv, List<PolicyViolation> violations)
    {
        void Add(string message) => violations.Add(new PolicyViolation(CommandPolicy.ForbiddenOption, message));

        var global = new List<CommandOption>();
        var pending = new List<CommandOption>();
        var inputs = new List<CommandInput>();
        var outputs = new List<CommandOutput>();
        var dashdash = -2;
        for (var i = 0; i < argv.Count; i++)
        {
            var token = argv[i];
            if (token == "--")
            {
                Add("'--' is not allowed: it makes the next word an output file whatever it looks like");
                dashdash = i;
                continue;
            }
            if (token.Length < 2 || token[0] != '-' || dashdash == i - 1)
            {
                outputs.Add(new CommandOutput([.. pending], token));
                pending.Clear();
                continue;
            }
            var opt = token[1..];
            if (opt == "i")
            {
                if (i + 1 >= argv.Count)
                {
                    Add("'-i' at the end of the command has no input after it");
                    break;
                }
                var source = argv[++i];
                var format = pending.LastOrDefault(o => o.Name == "f")?.Value;
                inputs.Add(new CommandInput([.. pending], source, format == "lavfi" ? ParseGraph(source, "'-f lavfi -i'", violations) : null));
                pending.Clear();
                continue;
            }
            var colon = opt.IndexOf(':', StringComparison.Ordinal);
            var name = colon < 0 ? opt : opt[..colon];
            if (FfmpegOptionTable.Find(name) is { } def)
            {
                string? value = null;
                if (def.TakesValue)
                {
                    if (i + 1 >= argv.Count)
                    {
                        if ((def.Flags & DefFlags.Exit) == 0)
                        {
                            Add($"option '{CommandPolicy.Shorten(token)}' at the end of the command has no value");
                            break;
                        }
                    }
                    else
                    {
                        value = argv[++i];
                    }
                }
                var option = new CommandOption(token, def.Name, OptionMatch.Option, value,
                    value is not null && FfmpegOptions.Allowed.GetValueOrDefault(def.Name) == OptionKind.Graph ? ParseGraph(value, $"'{CommandPolicy.Shorten(token)}'", violations) : null);
                (def.IsGlobal ? global : pending).Add(option);
                continue;
            }
            if (i + 1 < argv.Count && IsAvOption(opt))
            {
                pending.Add(new CommandOption(token, name, OptionMatch.AVOption, argv[++i]));
                continue;
            }
            if (opt.StartsWith("no", StringComparison.Ordinal))
            {
                var negated = opt[2..];
                var negatedColon = negated.IndexOf(':', StringComparison.Ordinal);
                if (FfmpegOptionTable.Find(negatedColon < 0 ? negated : negated[..negatedColon]) is { IsBool: true } boolDef)
                {
                    (boolDef.IsGlobal ? global : pending).Add(new CommandOption(token, boolDef.Name, OptionMatch.Negated, null));
                    continue;
                }
            }
            if (i + 1 >= argv.Count && IsAvOption(opt))
            {
                // ffmpeg only tries AVOptions when a value follows: as the last word it is an unknown option to it.
                Add($"option '{CommandPolicy.Shorten(token)}' at the end of the command has no value");
                break;
            }
            if (name.StartsWith('/'))
            {
                Add($"option '-{CommandPolicy.Shorten(name)}' is not allowed: a '/' prefix loads the option's value from a file");
            }
            else if (colon >= 0 && (FfmpegOptions.Allowed.ContainsKey(name) || FfmpegOptions.Refused.ContainsKey(name)))
            {
                Add($"option '-{CommandPolicy.Shorten(opt)}' is not allowed: '-{CommandPolicy.Shorten(name)}' takes no stream specifier");
            }
            else
            {
                Add($"option '-{CommandPolicy.Shorten(opt)}' is not allowed");
            }
            // Its arity is unknown (ffmpeg would refuse it, or take it as an AVOption we do not list): take the next token as
            // its value unless it is an option, so that the value is not also reported as an output.
            if (i + 1 < argv.Count && !(argv[i + 1].Length > 1 && argv[i + 1][0] == '-'))
            {
                i++;
            }
        }
        return new CommandSplit(global, inputs, outputs, pending);
    }

    // An AVOption this model knows: ffmpeg's opt_default finds codec options with the stream specifier stripped, and
    // format, scaler and resampler options by their whole text, so "-crf:v" is one and "-movflags:v" is not.
    private static bool IsAvOption(string opt)
    {
        var colon = opt.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            return FfmpegOptions.CodecAvOptions.Contains(opt[..colon]);
        }
        return (FfmpegOptions.Allowed.ContainsKey(opt) || FfmpegOptions.Refused.ContainsKey(opt)) && FfmpegOptionTable.Find(opt) is null;
    }

    private static FilterGraph? ParseGraph(string description, string where, List<PolicyViolation> violations)
    {
        try
        {
            return FilterGraph.Parse(description);
        }
        catch (FormatException e)
        {
            violations.Add(new PolicyViolation(CommandPolicy.ForbiddenOption, $"the filter graph of {where} cannot be parsed: {e.Message}"));
            return null;
        }
    }
}
