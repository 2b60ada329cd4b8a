using Rendition.Core.Commands;

namespace Rendition.Core.Tests;

public class PlaceholdersTests
{
    private static readonly Dictionary<string, string> Names = new(StringComparer.Ordinal)
    {
        ["in_video"] = "in_video.mp4",
        ["in_logo"] = "in_logo.png",
        ["out_1"] = "result.mp4",
    };

    [Fact]
    public void Find_ReturnsAliasesInOrderOfAppearance() =>
        Assert.Equal(["in_b", "in_a", "out_x", "in_b"], Placeholders.Find("-i {{in_b}} -i {{in_a}} {{out_x}} {{in_b}}").ToList());

    [Fact]
    public void Find_TrimsSpacesInsideBraces() =>
        Assert.Equal(["in_a", "out_b"], Placeholders.Find("-i {{ in_a }} {{\tout_b}}").ToList());

    [Fact]
    public void Find_FindsPlaceholdersInsideLargerTokens() =>
        Assert.Equal(["in_logo", "in_subs"], Placeholders.Find("movie={{in_logo}}[wm];subtitles={{in_subs}}").ToList());

    [Fact]
    public void Find_ReturnsNothingWithoutPlaceholders()
    {
        Assert.Empty(Placeholders.Find("-i in.mp4 {in_a} {{in a}} out.mp4"));
    }

    [Fact]
    public void Substitute_ReplacesWholeTokenPlaceholder() =>
        Assert.Equal("in_video.mp4", Placeholders.Substitute("{{in_video}}", Names));

    [Fact]
    public void Substitute_ReplacesPlaceholderWithSpacesInsideBraces() =>
        Assert.Equal("result.mp4", Placeholders.Substitute("{{ out_1 }}", Names));

    [Fact]
    public void Substitute_ReplacesInsideLargerToken() =>
        Assert.Equal("movie=in_logo.png[wm];[0:v][wm]overlay", Placeholders.Substitute("movie={{in_logo}}[wm];[0:v][wm]overlay", Names));

    [Fact]
    public void Substitute_ReplacesSeveralPlaceholdersInOneToken() =>
        Assert.Equal("in_video.mp4|in_logo.png", Placeholders.Substitute("{{in_video}}|{{in_logo}}", Names));

    [Fact]
    public void Substitute_LeavesTokenWithoutPlaceholderUnchanged() =>
        Assert.Equal("scale=1280:720", Placeholders.Substitute("scale=1280:720", Names));

    [Fact]
    public void Substitute_ThrowsKeyNotFoundForUnknownAlias()
    {
        var e = Assert.Throws<KeyNotFoundException>(() => Placeholders.Substitute("movie={{in_missing}}", Names));
        Assert.Contains("in_missing", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("in_1", "in_")]
    [InlineData("in_video", "in_")]
    [InlineData("in_Video_2", "in_")]
    [InlineData("out_1", "out_")]
    [InlineData("out_thumb_small", "out_")]
    public void IsValidAlias_AcceptsPrefixedAlphanumericUnderscoreAliases(string alias, string prefix) =>
        Assert.True(Placeholders.IsValidAlias(alias, prefix));

    [Theory]
    [InlineData("video", "in_")]
    [InlineData("input_1", "in_")]
    [InlineData("In_1", "in_")]
    [InlineData("in-1", "in_")]
    [InlineData("in_a-b", "in_")]
    [InlineData("in_a b", "in_")]
    [InlineData("in_a.mp4", "in_")]
    [InlineData("in_é", "in_")]
    [InlineData("out_1", "in_")]
    [InlineData("in_1", "out_")]
    [InlineData("output", "out_")]
    [InlineData("", "in_")]
    public void IsValidAlias_RejectsWrongPrefixOrCharacters(string alias, string prefix) =>
        Assert.False(Placeholders.IsValidAlias(alias, prefix));

    [Theory]
    [InlineData("in_x\n", "in_")]
    [InlineData("out_x\n", "out_")]
    public void IsValidAlias_RejectsTrailingNewline(string alias, string prefix) =>
        Assert.False(Placeholders.IsValidAlias(alias, prefix));

    [Fact]
    public void Of_WritesThePlaceholder_ThatFindReadsBack()
    {
        Assert.Equal("{{in_1}}", Placeholders.Of("in_1"));
        Assert.Equal(["out_x"], Placeholders.Find(Placeholders.Of("out_x")).ToList());
    }

    [Theory]
    [InlineData("{{in_1}}", "in_", true)]
    [InlineData("scale=2:2,movie={{ in_logo }}", "in_", true)]
    [InlineData("{{out_1}}", "in_", false)]
    [InlineData("{{in-1}}", "in_", false)]
    [InlineData("in_1", "in_", false)]
    [InlineData("{{out_v}}", "out_", true)]
    public void Mentions_FindsAValidAliasOfTheKind(string text, string prefix, bool expected) =>
        Assert.Equal(expected, Placeholders.Mentions(text, prefix));
}
