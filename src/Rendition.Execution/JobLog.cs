using System.Text;
using System.Text.RegularExpressions;

namespace Rendition.Execution;

/// <summary>
/// ffmpeg's log of a job, step by step, capped at <see cref="FfmpegTools.LogChars"/> (the end is kept) and stored with the
/// command; and the part of a failed step's log that becomes its <c>error_message</c>.
/// </summary>
public sealed partial class JobLog
{
    private readonly StringBuilder _text = new();

    /// <summary>Adds a step's stderr (level tags removed) under its header.</summary>
    public void Add(string stepHeader, string stderr)
    {
        lock (_text)
        {
            _text.Append(stepHeader).Append(LevelTags().Replace(stderr, "")).Append('\n');
            if (_text.Length > FfmpegTools.LogChars)
            {
                _text.Remove(0, _text.Length - FfmpegTools.LogChars);
            }
        }
    }

    public override string ToString()
    {
        lock (_text)
        {
            return _text.ToString();
        }
    }

    /// <summary>The useful end of a failed step's log: its error and fatal lines (untagged), else its last lines.</summary>
    public static string ErrorTail(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var errors = lines.Where(l => l.Contains("[error] ", StringComparison.Ordinal) || l.Contains("[fatal] ", StringComparison.Ordinal) || l.Contains("[panic] ", StringComparison.Ordinal)).ToList();
        var chosen = errors.Count > 0 ? errors.TakeLast(20) : lines.TakeLast(10);
        var text = LevelTags().Replace(string.Join('\n', chosen), "");
        return text.Length <= 4000 ? text : text[^4000..];
    }

    [GeneratedRegex(@"\[(trace|debug|verbose|info|warning|error|fatal|panic)\] ", RegexOptions.CultureInvariant)]
    private static partial Regex LevelTags();
}
