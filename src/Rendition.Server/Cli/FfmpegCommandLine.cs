using System.Text;
using Rendition.Core.Commands;

namespace Rendition.Server.Cli;

/// <summary>
/// Turns <c>rendition run</c>'s ffmpeg options (the words after <c>--</c>) into an <c>ffmpeg_command</c> string: the inputs
/// become <c>-i {{in_1}} -i {{in_2}} …</c> in front and the outputs <c>{{out_1}} {{out_2}} …</c> at the end, unless the
/// options place those placeholders themselves (inputs and outputs are decided separately). Each word is quoted for the
/// server's POSIX-style tokenizer only when it needs it, so a word stays exactly one argument.
/// </summary>
public static class FfmpegCommandLine
{
    /// <summary>The alias of the <paramref name="index"/>-th (0-based) <c>-i</c>.</summary>
    public static string InputAlias(int index) => $"in_{index + 1}";

    /// <summary>The alias of the <paramref name="index"/>-th (0-based) <c>-o</c>.</summary>
    public static string OutputAlias(int index) => $"out_{index + 1}";

    /// <summary>The command string for <paramref name="inputs"/> inputs and <paramref name="outputs"/> outputs.</summary>
    public static string Build(IReadOnlyList<string> options, int inputs, int outputs)
    {
        ArgumentNullException.ThrowIfNull(options);
        // "ffmpeg" as the first word is allowed (people paste whole command lines) and means nothing.
        var words = options.Count > 0 && options[0] == "ffmpeg" ? options.Skip(1).ToList() : [.. options];
        var parts = new List<string>();
        if (!words.Any(w => Placeholders.Mentions(w, "in_")))
        {
            for (var i = 0; i < inputs; i++)
            {
                parts.Add("-i");
                parts.Add(Placeholders.Of(InputAlias(i)));
            }
        }
        parts.AddRange(words.Select(Quote));
        if (!words.Any(w => Placeholders.Mentions(w, "out_")))
        {
            for (var i = 0; i < outputs; i++)
            {
                parts.Add(Placeholders.Of(OutputAlias(i)));
            }
        }
        return string.Join(' ', parts);
    }

    /// <summary>Quotes a word for the server's tokenizer when it is empty or holds whitespace, a quote or a backslash.</summary>
    public static string Quote(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (word.Length > 0 && !word.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '\\'))
        {
            return word;
        }
        // Single quotes keep everything literal; a single quote itself is closed, escaped and reopened: ' → '\''.
        var quoted = new StringBuilder("'");
        foreach (var c in word)
        {
            quoted.Append(c == '\'' ? "'\\''" : c.ToString());
        }
        return quoted.Append('\'').ToString();
    }
}
