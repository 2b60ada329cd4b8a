using System.Text.RegularExpressions;

namespace Rendition.Core.Commands;

/// <summary>Finds and substitutes <c>{{alias}}</c> placeholders in command tokens.</summary>
public static partial class Placeholders
{
    [GeneratedRegex(@"\{\{\s*([^{}\s]*)\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex PlaceholderRegex();

    [GeneratedRegex(@"^(in|out)_[A-Za-z0-9_]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex AliasRegex();

    /// <summary>True when <paramref name="alias"/> is a valid <c>in_</c>/<c>out_</c> alias of the given kind.</summary>
    public static bool IsValidAlias(string alias, string prefix) =>
        alias.StartsWith(prefix, StringComparison.Ordinal) && AliasRegex().IsMatch(alias);

    /// <summary>The placeholder text for an alias: <c>{{alias}}</c>.</summary>
    public static string Of(string alias) => "{{" + alias + "}}";

    /// <summary>True when the text holds a placeholder of a valid alias of the given kind (<c>in_</c> or <c>out_</c>).</summary>
    public static bool Mentions(string text, string prefix) => Find(text).Any(alias => IsValidAlias(alias, prefix));

    /// <summary>Every alias name referenced as <c>{{name}}</c> in the text, in order of appearance.</summary>
    public static IEnumerable<string> Find(string text)
    {
        foreach (Match m in PlaceholderRegex().Matches(text))
        {
            yield return m.Groups[1].Value;
        }
    }

    /// <summary>Replaces each placeholder with the value the map gives for its alias; unknown aliases throw.</summary>
    public static string Substitute(string token, IReadOnlyDictionary<string, string> values) =>
        token.Contains("{{", StringComparison.Ordinal)
            ? PlaceholderRegex().Replace(token, m => values.TryGetValue(m.Groups[1].Value, out var v)
                ? v
                : throw new KeyNotFoundException($"undeclared placeholder {{{{{m.Groups[1].Value}}}}}"))
            : token;
}
