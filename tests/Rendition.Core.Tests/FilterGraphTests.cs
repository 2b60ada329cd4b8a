using Rendition.Core.Commands;

namespace Rendition.Core.Tests;

public class FilterGraphTests
{
    [Fact]
    public void Parse_SplitsChainsFiltersAndArguments()
    {
        var g = FilterGraph.Parse("scale=iw/2:-2,format=yuv420p");
        var chain = Assert.Single(g.Chains);
        Assert.Equal(["scale", "format"], chain.Filters.Select(f => f.Name));
        Assert.Equal([new FilterArgument(null, "iw/2", 0), new FilterArgument(null, "-2", 1)], chain.Filters[0].Arguments);
        Assert.Equal([new FilterArgument(null, "yuv420p", 0)], chain.Filters[1].Arguments);
    }

    [Fact]
    public void Parse_ReadsLinkLabelsBeforeAndAfterFilters()
    {
        var g = FilterGraph.Parse("[0:v][1:v]overlay=W-w-10:H-h-10[out];[out]split=2[a][b]");
        Assert.Equal(2, g.Chains.Count);
        var overlay = g.Chains[0].Filters[0];
        Assert.Equal(["0:v", "1:v"], overlay.InputLabels);
        Assert.Equal(["out"], overlay.OutputLabels);
        Assert.Equal(["a", "b"], g.Chains[1].Filters[0].OutputLabels);
    }

    [Fact]
    public void Parse_ParsesTheRendiSplitGraph()
    {
        var g = FilterGraph.Parse("[0:v]split=2[vid1][vid2];[vid1]scale=trunc(oh*a/2)*2:320:force_original_aspect_ratio=decrease,pad=trunc(oh*a/2)*2:320:-1:-1[320p];[vid2]scale=trunc(oh*a/2)*2:180:force_original_aspect_ratio=decrease,pad=trunc(oh*a/2)*2:180:-1:-1[180p]");
        Assert.Equal(["split", "scale", "pad", "scale", "pad"], g.Filters.Select(f => f.Name));
        var scale = g.Chains[1].Filters[0];
        Assert.Equal(new FilterArgument("force_original_aspect_ratio", "decrease", -1), scale.Arguments[2]);
        Assert.Equal(["320p"], g.Chains[1].Filters[1].OutputLabels);
    }

    [Fact]
    public void Parse_QuotesProtectCommasColonsAndSemicolons()
    {
        var f = Assert.Single(FilterGraph.Parse(@"drawtext=text='Hello, World\: 1; ok':x=10").Filters);
        Assert.Equal([new FilterArgument("text", "Hello, World: 1; ok", -1), new FilterArgument("x", "10", -1)], f.Arguments);
    }

    [Fact]
    public void Parse_OneLevelOfQuotesDoesNotProtectAColonFromTheOptionParser()
    {
        // As ffmpeg does ("Error initializing filter 'drawtext' with args 'text=Hello, World: 1'"): the graph parser
        // removes the quotes, then the option parser splits at the ':'.
        var f = Assert.Single(FilterGraph.Parse("drawtext=text='Hello, World: 1'").Filters);
        Assert.Equal("text=Hello, World: 1", f.RawArguments);
        Assert.Equal([new FilterArgument("text", "Hello, World", -1), new FilterArgument(null, "1", -1)], f.Arguments);
    }

    [Fact]
    public void Parse_UnescapesTwiceLikeFfmpeg()
    {
        // Checked against ffmpeg: "movie=a\\\:b" opens "a:b"; "movie=a\:b" opens "a" (the ':' survives only one level).
        Assert.Equal("a:b", Assert.Single(FilterGraph.Parse(@"movie=a\\\:b").Filters).Find(["filename"], 0));
        var once = Assert.Single(FilterGraph.Parse(@"movie=a\:b").Filters);
        Assert.Equal(@"a:b", once.RawArguments);
        Assert.Equal("a", once.Find(["filename"], 0));
        Assert.Equal("b", once.Arguments[1].Value);
    }

    [Fact]
    public void Parse_QuotedTextKeepsBackslashesForTheSecondLevel()
    {
        var f = Assert.Single(FilterGraph.Parse(@"drawtext=text='%{pts\:hms}':x=1").Filters);
        Assert.Equal(@"text=%{pts\:hms}:x=1", f.RawArguments);
        Assert.Equal("%{pts:hms}", f.Find(["text"]));
    }

    [Fact]
    public void Parse_EscapedSeparatorsDoNotSplitTheGraph()
    {
        var f = Assert.Single(FilterGraph.Parse(@"select=eq(pict_type\,I)").Filters);
        Assert.Equal("eq(pict_type,I)", f.Arguments[0].Value);
    }

    [Fact]
    public void Parse_SeparatesInstanceNames()
    {
        var f = Assert.Single(FilterGraph.Parse("drawtext@title=text=x").Filters);
        Assert.Equal("drawtext", f.Name);
        Assert.Equal("title", f.InstanceName);
    }

    [Fact]
    public void Parse_TrimsUnprotectedWhiteSpace()
    {
        var g = FilterGraph.Parse(" [0:v] scale = 1 : 2 [s] ; [s] null ");
        var scale = g.Chains[0].Filters[0];
        Assert.Equal("scale", scale.Name);
        Assert.Equal(["1", "2"], scale.Arguments.Select(a => a.Value));
        Assert.Equal(["s"], scale.OutputLabels);
        Assert.Equal("null", g.Chains[1].Filters[0].Name);
        Assert.Equal("a", Assert.Single(FilterGraph.Parse("drawtext=text='a '").Filters).Find(["text"]));
        Assert.Equal("a ", Assert.Single(FilterGraph.Parse(@"drawtext=text=\'a \'").Filters).Find(["text"]));
    }

    [Fact]
    public void Parse_NumbersPositionalArgumentsOnlyBeforeTheFirstKey()
    {
        var args = Assert.Single(FilterGraph.Parse("subtitles=a.srt:fontsdir=f:b").Filters).Arguments;
        Assert.Equal([new FilterArgument(null, "a.srt", 0), new FilterArgument("fontsdir", "f", -1), new FilterArgument(null, "b", -1)], args);
    }

    [Fact]
    public void Parse_KeepsSlashPrefixedKeys()
    {
        // ffmpeg 7 reads the value of "/key=path" from a file; the policy must see the key as written.
        var f = Assert.Single(FilterGraph.Parse("drawtext=/text=/etc/passwd").Filters);
        Assert.Equal("/text", f.Arguments[0].Key);
    }

    [Fact]
    public void Parse_ReadsTheSwsFlagsPrefixAndATrailingSemicolon()
    {
        var g = FilterGraph.Parse("sws_flags=bicubic;scale=2:2;");
        Assert.Equal("bicubic", g.SwsFlags);
        Assert.Equal("scale", Assert.Single(g.Filters).Name);
    }

    [Fact]
    public void Find_ReturnsTheLastValueGiven()
    {
        var f = Assert.Single(FilterGraph.Parse("movie=a.mp4:filename=b.mp4").Filters);
        Assert.Equal("b.mp4", f.Find(["filename"], 0));
    }

    [Theory]
    [InlineData("")]
    [InlineData("[0:v")]
    [InlineData("[]scale")]
    [InlineData("scale,,format")]
    [InlineData("scale,")]
    [InlineData("sws_flags=bicubic")]
    public void Parse_RefusesWhatFfmpegRefuses(string graph) =>
        Assert.Throws<FormatException>(() => FilterGraph.Parse(graph));
}
