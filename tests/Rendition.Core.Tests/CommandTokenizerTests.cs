using Rendition.Core.Commands;

namespace Rendition.Core.Tests;

public class CommandTokenizerTests
{
    internal const string RendiExampleCommand =
        "-i {{in_1}} -ss 00:00 -to 00:30 -filter_complex \"[0:v]split=2[vid1][vid2];[vid1]scale=trunc(oh*a/2)*2:320:force_original_aspect_ratio=decrease,pad=trunc(oh*a/2)*2:320:-1:-1[320p];[vid2]scale=trunc(oh*a/2)*2:180:force_original_aspect_ratio=decrease,pad=trunc(oh*a/2)*2:180:-1:-1[180p]\" -map [320p] -map 0:a -c:a copy -c:v libx264 -preset medium {{out_1}}  -map [180p] -map 0:a -c:a copy -c:v libx264 -preset medium {{out_2}}";

    private const string RendiFilterGraph =
        "[0:v]split=2[vid1][vid2];[vid1]scale=trunc(oh*a/2)*2:320:force_original_aspect_ratio=decrease,pad=trunc(oh*a/2)*2:320:-1:-1[320p];[vid2]scale=trunc(oh*a/2)*2:180:force_original_aspect_ratio=decrease,pad=trunc(oh*a/2)*2:180:-1:-1[180p]";

    private static void AssertTokens(string command, params string[] expected) =>
        Assert.Equal(expected, CommandTokenizer.Tokenize(command));

    [Fact]
    public void Tokenize_SplitsPlainWordsOnSpaces() =>
        AssertTokens("-i in.mp4 -c:v libx264 out.mp4", "-i", "in.mp4", "-c:v", "libx264", "out.mp4");

    [Fact]
    public void Tokenize_TreatsRunsOfSpacesTabsAndNewlinesAsOneSeparator() =>
        AssertTokens("  -i \t\t in.mp4 \n\n -y\r\n out.mp4  ", "-i", "in.mp4", "-y", "out.mp4");

    [Fact]
    public void Tokenize_EmptyOrWhitespaceOnlyCommandYieldsNoTokens()
    {
        Assert.Empty(CommandTokenizer.Tokenize(""));
        Assert.Empty(CommandTokenizer.Tokenize(" \t\n "));
    }

    [Fact]
    public void Tokenize_KeepsSingleQuotedTextLiterally() =>
        AssertTokens("-vf 'drawtext=text=a \"b\" \\n $HOME'", "-vf", "drawtext=text=a \"b\" \\n $HOME");

    [Fact]
    public void Tokenize_UnescapesBackslashQuoteInsideDoubleQuotes() =>
        AssertTokens("-metadata \"title=say \\\"hi\\\"\"", "-metadata", "title=say \"hi\"");

    [Fact]
    public void Tokenize_UnescapesBackslashBackslashDollarAndBacktickInsideDoubleQuotes() =>
        AssertTokens("\"a\\\\b\\$c\\`d\"", "a\\b$c`d");

    [Fact]
    public void Tokenize_KeepsBackslashBeforeOrdinaryCharacterInsideDoubleQuotes() =>
        AssertTokens("\"drawtext=text=a\\:b\\n\"", "drawtext=text=a\\:b\\n");

    [Fact]
    public void Tokenize_DoesNotExpandDollarVariables() =>
        AssertTokens("$HOME \"$PATH\"", "$HOME", "$PATH");

    [Fact]
    public void Tokenize_BackslashOutsideQuotesEscapesNextCharacter() =>
        AssertTokens("a\\ b c\\\"d \\'e\\\\", "a b", "c\"d", "'e\\");

    [Fact]
    public void Tokenize_BackslashNewlineOutsideQuotesIsLineContinuation()
    {
        AssertTokens("-i in.mp4 \\\n  out.mp4", "-i", "in.mp4", "out.mp4");
        AssertTokens("ab\\\ncd", "abcd");
    }

    [Fact]
    public void Tokenize_JoinsAdjacentQuotedAndUnquotedPartsIntoOneToken() =>
        AssertTokens("a\"b\"'c'", "abc");

    [Fact]
    public void Tokenize_JoinsShellStyleEscapedApostrophe() =>
        AssertTokens("'it'\\''s'", "it's");

    [Fact]
    public void Tokenize_EmptyDoubleQuotedStringYieldsEmptyToken() =>
        AssertTokens("-metadata \"\" out.mp4", "-metadata", "", "out.mp4");

    [Fact]
    public void Tokenize_EmptySingleQuotedStringYieldsEmptyToken() =>
        AssertTokens("'' x", "", "x");

    [Fact]
    public void Tokenize_EmptyQuotedStringBeforeLineContinuationIsKept() =>
        // POSIX: `"" \<newline> y` is the two words "" and y; the continuation must not swallow the empty word.
        AssertTokens("\"\"\\\n y", "", "y");

    [Fact]
    public void Tokenize_KeepsDoubleQuotedWhitespaceAndNewlines() =>
        AssertTokens("\"a  b\tc\nd\"", "a  b\tc\nd");

    [Theory]
    [InlineData("-vf \"scale=1:2")]
    [InlineData("-vf 'scale=1:2")]
    [InlineData("\"")]
    [InlineData("'")]
    [InlineData("a\"b\\\"")]
    [InlineData("'it'\\'s'")]
    public void Tokenize_ThrowsFormatExceptionOnUnterminatedQuote(string command) =>
        Assert.Throws<FormatException>(() => CommandTokenizer.Tokenize(command));

    [Fact]
    public void Tokenize_ThrowsFormatExceptionOnTrailingBackslash() =>
        Assert.Throws<FormatException>(() => CommandTokenizer.Tokenize("-i in.mp4 \\"));

    [Fact]
    public void Tokenize_KeepsRendiExampleFilterGraphAsOneUnquotedToken()
    {
        var tokens = CommandTokenizer.Tokenize(RendiExampleCommand);

        Assert.Equal(30, tokens.Count);
        Assert.Equal("-filter_complex", tokens[6]);
        Assert.Equal(RendiFilterGraph, tokens[7]);
        Assert.DoesNotContain(tokens, t => t.Contains('"', StringComparison.Ordinal));
        Assert.DoesNotContain(tokens, t => t.Length == 0);
        Assert.Equal("{{in_1}}", tokens[1]);
        Assert.Equal("{{out_1}}", tokens[18]);
        Assert.Equal("{{out_2}}", tokens[^1]);
    }

    [Fact]
    public void Tokenize_RendiExampleTokensAllPassCommandPolicy()
    {
        foreach (var token in CommandTokenizer.Tokenize(RendiExampleCommand))
        {
            Assert.Null(CommandPolicy.Check(token));
        }
    }
}
