using System.Text;

namespace Rendition.Core.Commands;

/// <summary>One argument of a filter: <c>key=value</c>, or a positional value (<see cref="Key"/> null).</summary>
/// <param name="Key">The option name as written, or null for a positional value.</param>
/// <param name="Value">The value after ffmpeg's two levels of quote and backslash processing: what the filter sees.</param>
/// <param name="Position">
/// For a positional value, its index among the positional values (which ffmpeg maps onto the filter's options in
/// declaration order); -1 for a keyed value and for a positional value after a keyed one (an error in ffmpeg).
/// </param>
public sealed record FilterArgument(string? Key, string Value, int Position);

/// <summary>One filter of a chain: <c>[in]name@instance=args[out]</c>.</summary>
public sealed record FilterNode(
    string Name,
    string? InstanceName,
    string? RawArguments,
    IReadOnlyList<FilterArgument> Arguments,
    IReadOnlyList<string> InputLabels,
    IReadOnlyList<string> OutputLabels)
{
    /// <summary>The value given for any of <paramref name="keys"/> or, failing that, at positional <paramref name="position"/>.</summary>
    public string? Find(IReadOnlyCollection<string> keys, int position = -1)
    {
        string? found = null;
        foreach (var a in Arguments)
        {
            // ffmpeg applies options in order, so the last one given wins.
            if ((a.Key is not null && keys.Contains(a.Key)) || (a.Key is null && position >= 0 && a.Position == position))
            {
                found = a.Value;
            }
        }
        return found;
    }
}

/// <summary>Filters linked in sequence by ',' (the output of one feeds the next).</summary>
public sealed record FilterChain(IReadOnlyList<FilterNode> Filters);

/// <summary>
/// A parsed ffmpeg filter graph (<c>-vf</c>, <c>-af</c>, <c>-filter_complex</c>, <c>-lavfi</c>, <c>-f lavfi -i</c>),
/// following libavfilter's own grammar so that the policy judges the same filters and values ffmpeg will use:
/// chains separated by ';', filters by ',', <c>[label]</c>s before and after a filter, <c>name@instance=args</c>,
/// and arguments split on ':' into <c>key=value</c> or positional values. Quoting <c>'...'</c> and backslash escapes
/// are honoured at both levels exactly as <c>av_get_token</c> does.
/// </summary>
public sealed class FilterGraph
{
    private const string WhiteSpace = " \n\t\r";

    private FilterGraph(IReadOnlyList<FilterChain> chains, string? swsFlags)
    {
        Chains = chains;
        SwsFlags = swsFlags;
    }

    /// <summary>The chains, in order.</summary>
    public IReadOnlyList<FilterChain> Chains { get; }

    /// <summary>The graph-level <c>sws_flags=...;</c> prefix, if any.</summary>
    public string? SwsFlags { get; }

    /// <summary>Every filter of every chain, in order.</summary>
    public IEnumerable<FilterNode> Filters => Chains.SelectMany(c => c.Filters);

    /// <summary>The same graph with every argument value passed through <paramref name="map"/> (placeholders become file names).</summary>
    public FilterGraph MapValues(Func<string, string> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return new FilterGraph(
            [.. Chains.Select(c => new FilterChain([.. c.Filters.Select(f =>
            {
                var arguments = f.Arguments.Select(a => a with { Value = map(a.Value) }).ToList();
                return f with { Arguments = arguments, RawArguments = f.RawArguments is null ? null : RenderArguments(arguments) };
            })]))],
            SwsFlags);
    }

    /// <summary>
    /// The graph written out canonically: every label, name and value escaped with backslashes at exactly the level
    /// libavfilter un-escapes it, so that <see cref="Parse"/> (and libavfilter) read back the same filters and values.
    /// This text, not the tenant's, is what ffmpeg gets.
    /// </summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        if (SwsFlags is not null)
        {
            sb.Append("sws_flags=").Append(SwsFlags).Append(';');
        }
        for (var c = 0; c < Chains.Count; c++)
        {
            if (c > 0)
            {
                sb.Append(';');
            }
            var filters = Chains[c].Filters;
            for (var i = 0; i < filters.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append(',');
                }
                var f = filters[i];
                foreach (var label in f.InputLabels)
                {
                    sb.Append('[').Append(Escape(label, "]")).Append(']');
                }
                sb.Append(Escape(f.InstanceName is null ? f.Name : $"{f.Name}@{f.InstanceName}", "=,;["));
                if (f.Arguments.Count > 0)
                {
                    sb.Append('=').Append(Escape(RenderArguments(f.Arguments), "[],;"));
                }
                foreach (var label in f.OutputLabels)
                {
                    sb.Append('[').Append(Escape(label, "]")).Append(']');
                }
            }
        }
        return sb.ToString();
    }

    // The second level: what a filter's option parser reads. '=' is escaped too, so a positional value never reads as a key.
    private static string RenderArguments(IEnumerable<FilterArgument> arguments) =>
        string.Join(':', arguments.Select(a => a.Key is null ? Escape(a.Value, ":=") : a.Key + "=" + Escape(a.Value, ":=")));

    /// <summary>
    /// Escapes <paramref name="text"/> for one <c>av_get_token</c> level with the given terminators: a backslash before
    /// every terminator, backslash and quote, and before white space at either end (which the reader would trim).
    /// </summary>
    internal static string Escape(string text, string terms)
    {
        var sb = new StringBuilder(text.Length + 8);
        var lead = 0;
        while (lead < text.Length && WhiteSpace.Contains(text[lead], StringComparison.Ordinal))
        {
            lead++;
        }
        var trail = text.Length;
        while (trail > lead && WhiteSpace.Contains(text[trail - 1], StringComparison.Ordinal))
        {
            trail--;
        }
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (ch is '\\' or '\'' || terms.Contains(ch, StringComparison.Ordinal) || i < lead || i >= trail)
            {
                sb.Append('\\');
            }
            sb.Append(ch);
        }
        return sb.ToString();
    }

    /// <summary>Parses a filter graph description; throws <see cref="FormatException"/> where libavfilter would refuse it too.</summary>
    public static FilterGraph Parse(string description)
    {
        ArgumentNullException.ThrowIfNull(description);
        var s = description;
        var pos = 0;
        SkipWhiteSpace(s, ref pos);

        string? swsFlags = null;
        if (string.CompareOrdinal(s, pos, "sws_flags=", 0, 10) == 0)
        {
            var end = s.IndexOf(';', pos);
            if (end < 0)
            {
                throw new FormatException("'sws_flags=' is not terminated with ';'");
            }
            swsFlags = s[(pos + 10)..end];
            pos = end + 1;
        }

        var chains = new List<FilterChain>();
        var chain = new List<FilterNode>();
        while (true)
        {
            SkipWhiteSpace(s, ref pos);
            if (pos >= s.Length && chain.Count == 0 && chains.Count > 0)
            {
                break; // a trailing ';'
            }
            var inputs = ParseLabels(s, ref pos);
            var fullName = GetToken(s, ref pos, "=,;[");
            if (fullName.Length == 0)
            {
                throw new FormatException(pos < s.Length ? $"no filter name near '{Near(s, pos)}'" : "a filter name is missing at the end");
            }
            string? rawArgs = null;
            if (pos < s.Length && s[pos] == '=')
            {
                pos++;
                rawArgs = GetToken(s, ref pos, "[],;");
            }
            var outputs = ParseLabels(s, ref pos);
            var at = fullName.IndexOf('@', StringComparison.Ordinal);
            var name = at < 0 ? fullName : fullName[..at];
            var instance = at < 0 ? null : fullName[(at + 1)..];
            chain.Add(new FilterNode(name, instance, rawArgs, rawArgs is null ? [] : ParseArguments(rawArgs), inputs, outputs));

            SkipWhiteSpace(s, ref pos);
            if (pos >= s.Length)
            {
                chains.Add(new FilterChain(chain));
                break;
            }
            var c = s[pos++];
            if (c == ',')
            {
                continue;
            }
            if (c == ';')
            {
                chains.Add(new FilterChain(chain));
                chain = [];
                continue;
            }
            throw new FormatException($"unexpected '{c}' near '{Near(s, pos - 1)}'");
        }
        return new FilterGraph(chains, swsFlags);
    }

    /// <summary>
    /// Splits a filter's argument string (already un-quoted once by the graph parser) the way libavfilter's
    /// <c>process_options</c> does: <c>key=value</c> pairs and positional values separated by ':', each value
    /// un-quoted and un-escaped once more.
    /// </summary>
    public static IReadOnlyList<FilterArgument> ParseArguments(string arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var result = new List<FilterArgument>();
        var pos = 0;
        var positional = 0;
        var keyed = false;
        while (pos < arguments.Length)
        {
            if (TryGetKey(arguments, ref pos, out var key))
            {
                keyed = true;
                result.Add(new FilterArgument(key, GetToken(arguments, ref pos, ":"), -1));
            }
            else
            {
                var value = GetToken(arguments, ref pos, ":");
                result.Add(new FilterArgument(null, value, keyed ? -1 : positional++));
            }
            if (pos < arguments.Length)
            {
                pos++; // the ':' separator
            }
        }
        return result;
    }

    /// <summary>
    /// libavutil's <c>av_get_token</c>: skips leading white space, reads up to an unquoted, unescaped character of
    /// <paramref name="terms"/>, removes <c>'quotes'</c> and backslashes (keeping what they protect) and drops
    /// trailing white space that was not protected.
    /// </summary>
    internal static string GetToken(string s, ref int pos, string terms)
    {
        var sb = new StringBuilder();
        var end = 0;
        SkipWhiteSpace(s, ref pos);
        while (pos < s.Length && !terms.Contains(s[pos], StringComparison.Ordinal))
        {
            var c = s[pos++];
            if (c == '\\' && pos < s.Length)
            {
                sb.Append(s[pos++]);
                end = sb.Length;
            }
            else if (c == '\'')
            {
                while (pos < s.Length && s[pos] != '\'')
                {
                    sb.Append(s[pos++]);
                }
                if (pos < s.Length)
                {
                    pos++;
                    end = sb.Length;
                }
            }
            else
            {
                sb.Append(c);
            }
        }
        var length = sb.Length;
        while (length > end && WhiteSpace.Contains(sb[length - 1], StringComparison.Ordinal))
        {
            length--;
        }
        return sb.ToString(0, length);
    }

    // libavutil's get_key: [A-Za-z0-9-_/.]* then optional white space then '='.
    private static bool TryGetKey(string s, ref int pos, out string key)
    {
        var p = pos;
        SkipWhiteSpace(s, ref p);
        var start = p;
        while (p < s.Length && IsKeyChar(s[p]))
        {
            p++;
        }
        var keyEnd = p;
        SkipWhiteSpace(s, ref p);
        if (p >= s.Length || s[p] != '=')
        {
            key = "";
            return false;
        }
        key = s[start..keyEnd];
        pos = p + 1;
        return true;
    }

    private static bool IsKeyChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '/' or '.';

    private static List<string> ParseLabels(string s, ref int pos)
    {
        var labels = new List<string>();
        while (pos < s.Length && s[pos] == '[')
        {
            var start = pos;
            pos++;
            var label = GetToken(s, ref pos, "]");
            if (label.Length == 0)
            {
                throw new FormatException($"empty label near '{Near(s, start)}'");
            }
            if (pos >= s.Length || s[pos] != ']')
            {
                throw new FormatException($"unmatched '[' near '{Near(s, start)}'");
            }
            pos++;
            labels.Add(label);
            SkipWhiteSpace(s, ref pos);
        }
        return labels;
    }

    private static void SkipWhiteSpace(string s, ref int pos)
    {
        while (pos < s.Length && WhiteSpace.Contains(s[pos], StringComparison.Ordinal))
        {
            pos++;
        }
    }

    private static string Near(string s, int pos) => s.Length - pos <= 40 ? s[pos..] : string.Concat(s.AsSpan(pos, 37), "...");
}
