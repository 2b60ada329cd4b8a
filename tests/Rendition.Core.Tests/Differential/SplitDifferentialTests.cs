using System.Collections.Concurrent;
using System.Text;
using Rendition.Core.Commands;

namespace Rendition.Core.Tests.Differential;

/// <summary>
/// The property that makes the command policy trustworthy: for every command it accepts (the shared corpus, generated
/// variants, every allowed option), the real ffmpeg reads every rendered argv word exactly as the policy's model did:
/// the same role (option, AVOption, -nofoo, input url, output url), the same option name, the same argument, and ffmpeg's
/// own options land in the same group (global, or the file they precede). ffmpeg runs with <c>-loglevel debug</c>, an input
/// group it refuses to apply placed first, in an empty scratch directory that must stay empty: it opens and writes nothing.
/// </summary>
public class SplitDifferentialTests
{
    private const string Whitelist = "mov,mp4,matroska,webm,lavfi,image2,wav,mp3";

    private static readonly string CorpusPath = Path.Combine(AppContext.BaseDirectory, "corpus", "ffmpeg-commands.txt");

    /// <summary>The corpus: every non-comment line of tests/corpus/ffmpeg-commands.txt.</summary>
    internal static List<string> Corpus() =>
        [.. File.ReadAllLines(CorpusPath).Where(l => l.Length > 0 && !l.StartsWith('#'))];

    [Fact]
    public async Task EveryAcceptedCorpusCommand_IsReadByFfmpegAsThePolicyReadIt()
    {
        var accepted = Corpus().Select(c => (Text: c, Parsed: FfmpegCommand.Parse(c))).Where(c => c.Parsed.IsAllowed).ToList();
        Assert.True(accepted.Count >= 150, $"only {accepted.Count} accepted commands in the corpus");
        await AssertAllAgree(accepted.Select(c => (c.Text, c.Parsed.Invocation!.Bind(Names(c.Parsed.Invocation, dash: false)))));
    }

    [Fact]
    public async Task GeneratedVariants_AreReadByFfmpegAsThePolicyReadThem()
    {
        var variants = Corpus().Where(c => FfmpegCommand.Parse(c).IsAllowed).SelectMany(Variants)
            .Select(v => (Text: v, Parsed: FfmpegCommand.Parse(v))).Where(v => v.Parsed.IsAllowed).ToList();
        Assert.True(variants.Count >= 300, $"only {variants.Count} accepted variants");
        // Every job file named with a leading '-': rendered as ./-name, none may read as an option.
        await AssertAllAgree(variants.Select(v => (v.Text, v.Parsed.Invocation!.Bind(Names(v.Parsed.Invocation, dash: true)))));
    }

    [Fact]
    public async Task TheIssue17Attack_IsReadAsThePolicyReadsIt()
    {
        // To the old runner "-hls_base_url -i" became an input; here "-i" is the option's value, and the runner's guards sit
        // before the one real input only.
        const string Attack = "-f lavfi -i color=d=1 -f matroska -hls_base_url -i -8x8dct -map 0 {{out_1}}";
        var parsed = FfmpegCommand.Parse(Attack);
        Assert.True(parsed.IsAllowed, string.Join("; ", parsed.Violations));
        var invocation = parsed.Invocation!;
        Assert.Single(invocation.Inputs);
        Assert.Equal("-i", invocation.Outputs[0].Options.Single(o => o.Name == "hls_base_url").Value);
        Assert.Equal("-map", invocation.Outputs[0].Options.Single(o => o.Name == "8x8dct").Value);
        Assert.Equal(["0", "{{out_1}}"], invocation.Outputs.Select(o => o.Target));
        Assert.Equal(1, invocation.ToArguments(Whitelist).Count(a => a == "-protocol_whitelist"));
        await AssertAllAgree([(Attack, invocation.Bind(new Dictionary<string, string> { ["out_1"] = "out.mkv" }))]);
    }

    [Fact]
    public async Task EveryAllowedOption_IsKnownToFfmpegWithTheArityAndGroupThePolicyAssumes()
    {
        var cases = new List<(string, FfmpegInvocation)>();
        foreach (var (name, kind) in FfmpegOptions.Allowed)
        {
            var def = FfmpegOptionTable.Find(name);
            List<string[]> forms = def is { TakesValue: false } ? [["-" + name]] : [["-" + name, SampleValue(name, kind)]];
            if (def is { IsBool: true })
            {
                forms.Add(["-no" + name]);
            }
            if (FfmpegOptions.CodecAvOptions.Contains(name) || def is { Flags: var f } && (f & DefFlags.PerFile) != 0)
            {
                forms.Add(def is { TakesValue: false } ? [$"-{name}:v"] : [$"-{name}:v", SampleValue(name, kind)]);
            }
            foreach (var form in forms)
            {
                // Refused values do not matter here: the classification of the words does.
                var invocation = FfmpegCommand.Parse([.. form, "out.mkv"]).Invocation!;
                Assert.True(invocation.Outputs.Count == 1, $"{string.Join(' ', form)}: the model did not see one output");
                cases.Add((string.Join(' ', form), invocation));
            }
        }
        await AssertAllAgree(cases);
    }

    [Fact]
    public async Task TheOptionTable_MatchesFfmpegsArityForEveryEntry()
    {
        // One run with every OptionDef, ended by an option no ffmpeg knows: splitting reads them all, then stops before any
        // group (so no OPT_EXIT option runs and no global option is applied).
        var argv = new List<string> { "-loglevel", "debug" };
        var expected = new List<Reading>();
        // -report would write its report file before splitting even starts: its arity (none) is checked by the help listing.
        foreach (var def in FfmpegOptionTable.Options.Values.Where(d => d.Name != "report").OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            expected.Add(new Reading(argv.Count, ArgumentRole.Option, def.Name, def.TakesValue ? "v" : "1"));
            argv.Add("-" + def.Name);
            if (def.TakesValue)
            {
                argv.Add("v");
            }
        }
        argv.Add("./out.mkv");
        argv.Add(FfmpegReader.UnknownOption);
        var log = await FfmpegReader.RunAsync(argv);
        var actual = log.Readings.Where(r => r.Role != ArgumentRole.OutputUrl).Skip(1).ToList();
        var diff = Diff(expected, actual);
        Assert.True(diff.Length == 0, $"the option table disagrees with ffmpeg:\n{diff}");
        Assert.Contains("Unrecognized option 'rendition-unknown-sentinel'", log.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheOptionTable_ListsEveryOptionFfmpegDocumentsAndItsGroup()
    {
        var help = await RunHelpAsync();
        var section = "";
        var listed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in help.Split('\n'))
        {
            if (line.EndsWith(':') && !line.StartsWith('-'))
            {
                section = line;
            }
            else if (line.StartsWith('-') && section.Length > 0)
            {
                var name = line[1..].Split(' ', 2)[0];
                listed.TryAdd(name, section);
            }
        }
        var missing = listed.Keys.Where(n => FfmpegOptionTable.Find(n) is null).ToList();
        Assert.True(missing.Count == 0, $"ffmpeg -h long lists options the table lacks: {string.Join(", ", missing)}");
        var extra = FfmpegOptionTable.Options.Keys.Where(n => !listed.ContainsKey(n)).ToList();
        Assert.True(extra.Count == 0, $"the table has options ffmpeg -h long does not list: {string.Join(", ", extra)}");
        foreach (var (name, where) in listed)
        {
            var def = FfmpegOptionTable.Find(name)!;
            if (where.Contains("global options", StringComparison.OrdinalIgnoreCase))
            {
                Assert.True(def.IsGlobal, $"-{name} is listed under '{where}' but the table makes it per-file");
            }
            else if (where.Contains("per-file", StringComparison.OrdinalIgnoreCase))
            {
                Assert.False(def.IsGlobal, $"-{name} is listed under '{where}' but the table makes it global");
            }
        }
    }

    [Fact]
    public void EveryAllowedOptionDef_HasAPolicyKindThatFitsItsArity()
    {
        foreach (var (name, kind) in FfmpegOptions.Allowed)
        {
            if (FfmpegOptionTable.Find(name) is { } def)
            {
                Assert.True((kind == OptionKind.Flag) == !def.TakesValue, $"-{name}: policy kind {kind} but ffmpeg {(def.TakesValue ? "takes" : "takes no")} value");
            }
        }
    }

    private static string SampleValue(string name, OptionKind kind) => kind switch
    {
        OptionKind.Graph => "null",
        OptionKind.Format => "null",
        OptionKind.Codec => "copy",
        OptionKind.Size => "64x64",
        OptionKind.Path => "x.log",
        OptionKind.Target => "pal-dvd",
        OptionKind.SegmentFormat => "mp4",
        _ => name switch
        {
            "loglevel" or "v" => "debug",
            "abort_on" => "empty_output",
            _ => "1",
        },
    };

    /// <summary>Job file names for a command's placeholders (optionally starting with '-'), and neutral values for preset variables.</summary>
    private static Dictionary<string, string> Names(FfmpegInvocation invocation, bool dash)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var alias in invocation.Texts.SelectMany(Placeholders.Find).Distinct())
        {
            names[alias] = alias.StartsWith("var_", StringComparison.Ordinal) ? "2"
                : (dash ? "-" : "") + alias + (Playlists(alias) ? ".m3u8" : ".mp4");
        }
        return names;

        static bool Playlists(string alias) => alias.StartsWith("out_playlist", StringComparison.Ordinal);
    }

    /// <summary>
    /// One command changed so that every position and every kind of tricky word is exercised at once: global options in
    /// front, in the middle and at the end; a -nofoo and a per-file AVOption before the first input; values that look like
    /// options (-i among them) and quoting edge cases before the last output; stream specifiers; trailing options.
    /// </summary>
    internal static IEnumerable<string> Variants(string command)
    {
        var tokens = CommandTokenizer.Tokenize(command);
        if (tokens.Count > 0 && tokens[0] == "ffmpeg")
        {
            tokens.RemoveAt(0);
        }
        var firstInput = tokens.IndexOf("-i");
        var last = tokens.Count - 1;
        var lastIsOutput = last >= 0 && (tokens[last].Length < 2 || tokens[last][0] != '-') && !(last > 0 && tokens[last - 1] == "-i");
        var middle = new List<string>(tokens);
        if (firstInput >= 0 && firstInput + 2 <= middle.Count)
        {
            middle.Insert(firstInput + 2, "-stats_period");
            middle.Insert(firstInput + 3, "1");
        }
        yield return Join(["-filter_threads", "2", "-noautorotate", "-b:a:0", "96k", .. middle, "-nostats"]);
        if (lastIsOutput)
        {
            var before = tokens.Take(last).ToList();
            yield return Join([.. before, "-metadata", "-i", "-hls_base_url", "-i", "-metadata:s:v:0", "title=-8x8dct",
                "-metadata", "comment=it's \"quoted\" \\ $x `y` ; | & *", "-metadata", "description=line one\nline two",
                "-crf:v", "23", "-y", tokens[last], "-c:v", "libx264", "-vb", "1M"]);
        }
    }

    // Single quotes keep everything literal for the tokenizer; a quote itself is closed, escaped and reopened.
    private static string Join(IEnumerable<string> tokens) =>
        string.Join(' ', tokens.Select(t => t.Length > 0 && t.All(c => char.IsAsciiLetterOrDigit(c) || "-_:./{}%=,[]+".Contains(c, StringComparison.Ordinal))
            ? t
            : "'" + t.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));

    /// <summary>
    /// Runs the cases in batches: complete commands concatenated into one argv are read word for word as they would be
    /// alone, because after an output url split_commandline's state is its initial state again (no pending options, no
    /// pending AVOptions). A command with trailing options ends its batch, so they cannot reach the next command.
    /// </summary>
    private static async Task AssertAllAgree(IEnumerable<(string Text, FfmpegInvocation Invocation)> cases)
    {
        var batches = new List<List<(string Text, FfmpegInvocation Invocation)>>();
        var current = new List<(string Text, FfmpegInvocation Invocation)>();
        foreach (var c in cases)
        {
            current.Add(c);
            if (current.Count == 25 || c.Invocation.Trailing.Count > 0)
            {
                batches.Add(current);
                current = [];
            }
        }
        if (current.Count > 0)
        {
            batches.Add(current);
        }
        var failures = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(4, Environment.ProcessorCount * 2) }, async (batch, _) =>
        {
            if (await Disagreement([.. batch.Select(b => b.Invocation)]) is not { } why)
            {
                return;
            }
            // A disagreement in a batch is narrowed down to the commands that disagree alone.
            var alone = 0;
            foreach (var c in batch)
            {
                var own = batch.Count == 1 ? why : await Disagreement([c.Invocation]);
                if (own is not null)
                {
                    failures.Add($"{c.Text}\n{own}");
                    alone++;
                }
            }
            if (alone == 0)
            {
                failures.Add($"a batch of {batch.Count} disagrees though each command agrees alone:\n{why}");
            }
        });
        var count = batches.Sum(b => b.Count);
        Assert.True(count > 0, "no case ran");
        Assert.True(failures.IsEmpty, $"{failures.Count} of {count} commands are read differently by ffmpeg:\n\n{string.Join("\n\n", failures.Take(15))}");
    }

    /// <summary>Runs ffmpeg on the rendered invocations (one argv) and says how its reading differs from the model's, or null.</summary>
    internal static async Task<string?> Disagreement(IReadOnlyList<FfmpegInvocation> invocations)
    {
        var rendered = new List<RenderedArgument>();
        for (var n = 0; n < invocations.Count; n++)
        {
            // The fixed prelude once; each command's groups named apart.
            var own = invocations[n].Render(Whitelist, "debug").Skip(n == 0 ? 0 : 6)
                .Select(a => a.Group is "global" or "trailing" ? a : a with { Group = $"command {n} {a.Group}" });
            rendered.AddRange(own);
        }
        // A tenant's -loglevel would silence the debug lines of the global group; its value changes nothing else.
        rendered = [.. rendered.Select(a => a.Role == ArgumentRole.Option && a.Name is "loglevel" or "v" ? a with { Value = "debug" } : a)];
        // The sentinel group right after the fixed prelude: the first input, refused while applying, before anything opens.
        rendered.InsertRange(6, [
            new RenderedArgument(FfmpegReader.SentinelGroup[0], FfmpegReader.SentinelGroup[1], ArgumentRole.Option, "map", "sentinel"),
            new RenderedArgument(FfmpegReader.SentinelGroup[2], FfmpegReader.SentinelGroup[3], ArgumentRole.InputUrl, "i", "sentinel"),
        ]);
        // argv is what the runner's own renderer makes of the arguments; the expectation is built word by word beside it.
        var argv = FfmpegInvocation.Flatten(rendered);
        var expected = new List<Reading>();
        var index = 0;
        foreach (var a in rendered)
        {
            switch (a.Role)
            {
                case ArgumentRole.InputUrl:
                    expected.Add(new Reading(index, a.Role, "i", a.Value));
                    index += 2;
                    break;
                case ArgumentRole.OutputUrl:
                    expected.Add(new Reading(index, a.Role, "", a.Token));
                    index++;
                    break;
                case ArgumentRole.AVOption:
                    expected.Add(new Reading(index, a.Role, a.Token[1..], a.Value));
                    index += 2;
                    break;
                case ArgumentRole.Negated:
                    expected.Add(new Reading(index, a.Role, a.Name, "0"));
                    index++;
                    break;
                default:
                    expected.Add(new Reading(index, a.Role, a.Name, a.Value ?? "1"));
                    index += a.Value is null ? 1 : 2;
                    break;
            }
        }
        if (index != argv.Count)
        {
            return $"the renderer made {argv.Count} words of {index}: {string.Join(' ', argv.Select(w => $"[{w}]"))}";
        }

        var log = await FfmpegReader.RunAsync(argv);
        var problems = new StringBuilder();
        if (log.SplitError is { } error)
        {
            problems.Append("ffmpeg: ").AppendLine(error);
        }
        problems.Append(Diff(expected, log.Readings));
        if (problems.Length == 0)
        {
            problems.Append(GroupDiff(rendered, log));
            if (log.TrailingWarning != (invocations[^1].Trailing.Count > 0))
            {
                problems.AppendLine($"trailing options: model {invocations[^1].Trailing.Count}, ffmpeg warned: {log.TrailingWarning}");
            }
            if (!log.Text.Contains("Parsing a group of options: input url ./rendition-sentinel.", StringComparison.Ordinal)
                || log.Text.Contains("Opening an input file", StringComparison.Ordinal)
                || log.Text.Contains("Opening an output file", StringComparison.Ordinal)
                || log.ExitCode == 0)
            {
                problems.AppendLine("ffmpeg did not stop at the sentinel input before opening anything");
            }
        }
        return problems.Length == 0 ? null : $"argv: {string.Join(' ', argv.Select(a => $"[{a}]"))}\n{problems}\n--- ffmpeg log ---\n{Tail(log.Text)}";
    }

    // ffmpeg's group of each option: global when the global group applied it (in order), else the file it precedes.
    private static string GroupDiff(List<RenderedArgument> rendered, FfmpegLog log)
    {
        var sb = new StringBuilder();
        var applied = 0;
        for (var k = 0; k < rendered.Count; k++)
        {
            var a = rendered[k];
            if (a.Role is ArgumentRole.InputUrl or ArgumentRole.OutputUrl)
            {
                continue;
            }
            var reading = log.Readings[k];
            string ffmpegGroup;
            if (a.Role != ArgumentRole.AVOption && applied < log.Global.Count && log.Global[applied] == (a.Token[1..], reading.Value!))
            {
                ffmpegGroup = "global";
                applied++;
            }
            else
            {
                var next = rendered.Skip(k + 1).FirstOrDefault(r => r.Role is ArgumentRole.InputUrl or ArgumentRole.OutputUrl);
                ffmpegGroup = next?.Group ?? "trailing";
            }
            if (ffmpegGroup != a.Group)
            {
                sb.AppendLine($"  {a.Token}: model group '{a.Group}', ffmpeg group '{ffmpegGroup}'");
            }
        }
        if (applied != log.Global.Count)
        {
            sb.AppendLine($"  ffmpeg applied global options the model does not have: {string.Join(", ", log.Global.Skip(applied).Select(g => g.Key))}");
        }
        return sb.ToString();
    }

    private static string Diff(List<Reading> expected, List<Reading> actual)
    {
        var sb = new StringBuilder();
        for (var k = 0; k < Math.Max(expected.Count, actual.Count); k++)
        {
            var e = k < expected.Count ? expected[k] : null;
            var a = k < actual.Count ? actual[k] : null;
            if (e != a)
            {
                sb.AppendLine($"  model:  {e?.ToString() ?? "(nothing)"}\n  ffmpeg: {a?.ToString() ?? "(nothing)"}");
            }
        }
        return sb.ToString();
    }

    private static string Tail(string text) => text.Length <= 3000 ? text : "..." + text[^3000..];

    private static async Task<string> RunHelpAsync()
    {
        var psi = new System.Diagnostics.ProcessStartInfo("ffmpeg", ["-hide_banner", "-h", "long"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return await stdout;
    }
}
