using System.Diagnostics;
using System.Text;
using Rendition.Core.Commands;

namespace Rendition.Core.Tests.Differential;

/// <summary>How ffmpeg itself read one argv word, from its <c>-v debug</c> log of <c>split_commandline</c>.</summary>
/// <param name="Index">The argv index of the word (the program name not counted).</param>
/// <param name="Role">What ffmpeg matched it as.</param>
/// <param name="Name">The option ffmpeg names ("matched as option 'c'", "matched as AVOption 'crf:v'"); empty for urls.</param>
/// <param name="Value">The argument ffmpeg reports ('1' for a bool, '0' for -nofoo; the url itself for an input or output).</param>
internal sealed record Reading(int Index, ArgumentRole Role, string Name, string? Value)
{
    public override string ToString() => $"#{Index} {Role} {Name} {(Value is null ? "" : $"'{Value}'")}".TrimEnd();
}

/// <summary>ffmpeg's reading of a whole argv: each word, the global group it applied, and how the run ended.</summary>
internal sealed class FfmpegLog
{
    public List<Reading> Readings { get; } = [];

    /// <summary>"Applying option KEY (...) with argument VALUE." lines of the global group, in order.</summary>
    public List<(string Key, string Value)> Global { get; } = [];

    public bool FinishedSplitting { get; set; }

    public bool TrailingWarning { get; set; }

    public string? SplitError { get; set; }

    public required string Text { get; init; }

    public required int ExitCode { get; init; }
}

/// <summary>Runs the real ffmpeg on argv so that it classifies every word and then stops before opening anything.</summary>
internal static class FfmpegReader
{
    /// <summary>An input group ffmpeg refuses while applying it (-map is an output option): the first input, so nothing opens.</summary>
    public static readonly string[] SentinelGroup = ["-map", "0", "-i", "./rendition-sentinel"];

    /// <summary>An option no ffmpeg knows: as the last word it ends the run at the end of splitting, before any group is applied.</summary>
    public const string UnknownOption = "-rendition-unknown-sentinel";

    /// <summary>Runs ffmpeg with <paramref name="argv"/> in a fresh empty directory, which must still be empty afterwards.</summary>
    public static async Task<FfmpegLog> RunAsync(IReadOnlyList<string> argv)
    {
        var scratch = Directory.CreateTempSubdirectory("rendition-diff-");
        try
        {
            var psi = new ProcessStartInfo("ffmpeg")
            {
                WorkingDirectory = scratch.FullName,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                StandardErrorEncoding = Encoding.UTF8,
            };
            foreach (var a in argv)
            {
                psi.ArgumentList.Add(a);
            }
            using var process = Process.Start(psi)!;
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"ffmpeg did not stop after splitting: {string.Join(' ', argv)}");
            }
            await stdout;
            var text = await stderr;
            var left = scratch.EnumerateFileSystemInfos("*", SearchOption.AllDirectories).Select(f => f.FullName).ToList();
            if (left.Count > 0)
            {
                throw new InvalidOperationException($"ffmpeg wrote {string.Join(", ", left)} while only splitting its command line");
            }
            return Parse(argv, text, process.ExitCode);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>Reads the log word by word, knowing argv: each "Reading option 'w' ..." must be followed by what it matched as.</summary>
    public static FfmpegLog Parse(IReadOnlyList<string> argv, string text, int exitCode)
    {
        var log = new FfmpegLog { Text = text, ExitCode = exitCode };
        var pos = text.IndexOf("Splitting the commandline.\n", StringComparison.Ordinal);
        if (pos < 0)
        {
            log.SplitError = "no 'Splitting the commandline.' line (is -loglevel debug in effect?)";
            return log;
        }
        var i = 0;
        while (i < argv.Count)
        {
            var reading = $"Reading option '{argv[i]}' ...";
            var at = text.IndexOf(reading, pos, StringComparison.Ordinal);
            if (at < 0)
            {
                log.SplitError = $"ffmpeg did not read word #{i} '{argv[i]}'";
                return log;
            }
            pos = at + reading.Length;
            if (argv[i] == "--")
            {
                log.Readings.Add(new Reading(i, ArgumentRole.OutputUrl, "--", null));
                i++;
                continue;
            }
            var next = i + 1 < argv.Count ? argv[i + 1] : null;
            var match = text.IndexOf(" matched as ", pos, StringComparison.Ordinal);
            var error = IndexOfAny(text, pos, "Unrecognized option '", "Missing argument for option '", "Error parsing option '");
            if (match < 0 || (error >= 0 && error < match))
            {
                log.SplitError = error >= 0 ? Line(text, error) : $"no match for word #{i} '{argv[i]}'";
                return log;
            }
            pos = match + " matched as ".Length;
            if (Take(text, ref pos, $"input url with argument '{next}'.\n"))
            {
                log.Readings.Add(new Reading(i, ArgumentRole.InputUrl, "i", next));
                i += 2;
            }
            else if (Take(text, ref pos, "output url.\n"))
            {
                log.Readings.Add(new Reading(i, ArgumentRole.OutputUrl, "", argv[i]));
                i++;
            }
            else if (Take(text, ref pos, "AVOption '"))
            {
                var end = text.IndexOf("' with argument '", pos, StringComparison.Ordinal);
                var name = text[pos..end];
                pos = end + "' with argument '".Length;
                if (next is null || !Take(text, ref pos, next + "'.\n"))
                {
                    log.SplitError = $"AVOption '{name}' at #{i} did not take '{next}': {Line(text, pos)}";
                    return log;
                }
                log.Readings.Add(new Reading(i, ArgumentRole.AVOption, name, next));
                i += 2;
            }
            else if (Take(text, ref pos, "option '"))
            {
                var end = text.IndexOf("' (", pos, StringComparison.Ordinal);
                var name = text[pos..end];
                var with = text.IndexOf(") with argument ", end, StringComparison.Ordinal);
                pos = with + ") with argument ".Length;
                if (Take(text, ref pos, "0.\n"))
                {
                    log.Readings.Add(new Reading(i, ArgumentRole.Negated, name, "0"));
                    i++;
                }
                else if (next is not null && TakesNext(text, pos, next, argv, i))
                {
                    Take(text, ref pos, $"'{next}'.\n");
                    log.Readings.Add(new Reading(i, ArgumentRole.Option, name, next));
                    i += 2;
                }
                else if (Take(text, ref pos, "'1'.\n"))
                {
                    log.Readings.Add(new Reading(i, ArgumentRole.Option, name, "1"));
                    i++;
                }
                else
                {
                    log.SplitError = $"option '{name}' at #{i}: cannot read its argument: {Line(text, pos)}";
                    return log;
                }
            }
            else
            {
                log.SplitError = $"word #{i} '{argv[i]}': {Line(text, pos)}";
                return log;
            }
        }
        log.TrailingWarning = text.IndexOf("Trailing option(s) found in the command", pos, StringComparison.Ordinal) >= 0;
        var finished = text.IndexOf("Finished splitting the commandline.\n", pos, StringComparison.Ordinal);
        log.FinishedSplitting = finished >= 0;
        if (!log.FinishedSplitting)
        {
            var error = IndexOfAny(text, pos, "Unrecognized option '", "Missing argument for option '", "Error parsing option '");
            log.SplitError = error >= 0 ? Line(text, error) : "splitting did not finish";
            return log;
        }
        ReadGlobalGroup(text, finished, log);
        return log;
    }

    // "Applying option KEY (HELP) with argument VALUE." until the group ends; a repeated line is logged once, then counted.
    private static void ReadGlobalGroup(string text, int from, FfmpegLog log)
    {
        const string Start = "Parsing a group of options: global .\n";
        var pos = text.IndexOf(Start, from, StringComparison.Ordinal);
        if (pos < 0)
        {
            return;
        }
        pos += Start.Length;
        while (true)
        {
            if (Take(text, ref pos, "Applying option "))
            {
                var keyEnd = text.IndexOf(" (", pos, StringComparison.Ordinal);
                var key = text[pos..keyEnd];
                var with = text.IndexOf(") with argument ", keyEnd, StringComparison.Ordinal);
                var valueStart = with + ") with argument ".Length;
                // One line: whatever follows is another message (applying an option may log, e.g. "-vsync is deprecated").
                var valueEnd = text.IndexOf(".\n", valueStart, StringComparison.Ordinal);
                log.Global.Add((key, text[valueStart..valueEnd]));
                pos = valueEnd + 2;
            }
            else if (Take(text, ref pos, "    Last message repeated "))
            {
                var end = text.IndexOf(" times", pos, StringComparison.Ordinal);
                var count = int.Parse(text[pos..end], System.Globalization.CultureInfo.InvariantCulture);
                for (var k = 0; k < count; k++)
                {
                    log.Global.Add(log.Global[^1]);
                }
                pos = text.IndexOf('\n', end) + 1;
            }
            else if (pos >= text.Length || StartsWithAny(text, pos, "Successfully parsed a group", "Parsing a group", "Error"))
            {
                return;
            }
            else
            {
                // A line some component logged while an option was applied ("[pipe @ 0x…] Setting default whitelist…").
                var eol = text.IndexOf('\n', pos);
                pos = eol < 0 ? text.Length : eol + 1;
            }
        }
    }

    private static bool StartsWithAny(string text, int pos, params string[] prefixes) =>
        prefixes.Any(p => string.CompareOrdinal(text, pos, p, 0, p.Length) == 0);

    // Whether a HAS_ARG option consumed the next word: its argument is that word and the next reading is of the word after.
    private static bool TakesNext(string text, int pos, string next, IReadOnlyList<string> argv, int i)
    {
        if (string.CompareOrdinal(text, pos, $"'{next}'.\n", 0, next.Length + 4) != 0)
        {
            return false;
        }
        if (next != "1")
        {
            return true;
        }
        // "'1'" is also what a bool reports: decide by which word ffmpeg reads next.
        var after = pos + "'1'.\n".Length;
        return i + 2 >= argv.Count
            ? text.IndexOf("Reading option '", after, StringComparison.Ordinal) < 0
            : text.IndexOf($"Reading option '{argv[i + 2]}' ...", after, StringComparison.Ordinal) is var p && p >= 0
              && (text.IndexOf($"Reading option '{argv[i + 1]}' ...", after, StringComparison.Ordinal) is var q && (q < 0 || q > p));
    }

    private static bool Take(string text, ref int pos, string expected)
    {
        if (string.CompareOrdinal(text, pos, expected, 0, expected.Length) == 0 && pos + expected.Length <= text.Length)
        {
            pos += expected.Length;
            return true;
        }
        return false;
    }

    private static int IndexOfAny(string text, int from, params string[] needles) =>
        needles.Select(n => text.IndexOf(n, from, StringComparison.Ordinal)).Where(p => p >= 0).DefaultIfEmpty(-1).Min();

    private static string Line(string text, int pos)
    {
        var end = text.IndexOf('\n', pos);
        return end < 0 ? text[pos..] : text[pos..end];
    }
}
