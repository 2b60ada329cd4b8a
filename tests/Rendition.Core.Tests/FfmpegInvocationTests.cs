using Rendition.Core.Commands;

namespace Rendition.Core.Tests;

/// <summary>The typed invocation: how a command is split, bound and rendered into the argv that runs.</summary>
public class FfmpegInvocationTests
{
    private static readonly string[] Prelude = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "level+info", "-progress", "pipe:1", "-y"];

    private static FfmpegInvocation Parse(string command)
    {
        var parsed = FfmpegCommand.Parse(command);
        Assert.True(parsed.IsAllowed, string.Join("; ", parsed.Violations.Select(v => v.Message)));
        return parsed.Invocation!;
    }

    [Fact]
    public void Render_PutsGlobalsFirst_GuardsBeforeEachInput_AndFileNamesAsDotSlash()
    {
        var invocation = Parse("-i {{in_1}} -ss 1 -filter_threads 2 -i {{in_2}} -c:v libx264 {{out_1}} -y").Bind(
            new Dictionary<string, string> { ["in_1"] = "in_1.mp4", ["in_2"] = "in_2.png", ["out_1"] = "out.mp4" });

        Assert.Equal(
            [.. Prelude, "-filter_threads", "2", "-y",
                "-protocol_whitelist", "file", "-format_whitelist", "mov,mp4", "-i", "./in_1.mp4",
                "-ss", "1", "-protocol_whitelist", "file", "-format_whitelist", "mov,mp4", "-i", "./in_2.png",
                "-c:v", "libx264", "./out.mp4"],
            invocation.ToArguments("mov,mp4"));
    }

    [Fact]
    public void Render_KeepsAnOptionsValueThatReadsLikeAnInput_AsAValue()
    {
        // Issue 17: "-hls_base_url -i" is an option and its value; the guards go before the one real input only.
        var args = Parse("-f lavfi -i color=d=1 -f matroska -hls_base_url -i -8x8dct 1 {{out_1}}")
            .Bind(new Dictionary<string, string> { ["out_1"] = "o.mkv" }).ToArguments(null);

        Assert.Equal(1, args.Count(a => a == "-protocol_whitelist"));
        Assert.Equal([.. Prelude, "-f", "lavfi", "-protocol_whitelist", "file", "-i", "color=d=1", "-f", "matroska", "-hls_base_url", "-i", "-8x8dct", "1", "./o.mkv"], args);
    }

    [Fact]
    public void Render_WritesFileNamesStartingWithADash_SoThatNoneReadsAsAnOption()
    {
        var args = Parse("-i -clip.mp4 -c copy {{out_1}}").Bind(new Dictionary<string, string> { ["out_1"] = "-out.mp4" }).ToArguments(null);

        Assert.Equal(["-i", "./-clip.mp4", "-c", "copy", "./-out.mp4"], args.Skip(Prelude.Length + 2));
    }

    [Fact]
    public void Render_KeepsTrailingOptionsLast_AndTheNullMuxersTargetAsADash()
    {
        var invocation = Parse("-i {{in_1}} -pass 1 -f null /dev/null -c:v libx264");

        Assert.Equal("-c:v", Assert.Single(invocation.Trailing).Flag);
        Assert.True(invocation.Outputs[0].IsDiscard);
        Assert.Equal(["-pass", "1", "-f", "null", "-", "-c:v", "libx264"], invocation.ToArguments(null).TakeLast(7));
    }

    [Fact]
    public void Render_WritesFilterGraphsCanonically_AndBindsPlaceholdersInsideThem()
    {
        var invocation = Parse("-i {{in_1}} -vf \"movie='{{in_logo}}'[wm];[in][wm]overlay=x=(W - w) / 2:y='H-h'[out], scale='iw / 2':-2\" {{out_1}}")
            .Bind(new Dictionary<string, string> { ["in_1"] = "in_1.mp4", ["in_logo"] = "in_logo.png", ["out_1"] = "out.mp4" });

        var graph = invocation.Outputs[0].Options.Single(o => o.Name == "vf").RenderedValue!;
        Assert.Equal("movie=in_logo.png[wm];[in][wm]overlay=x=(W - w) / 2:y=H-h[out],scale=iw / 2:-2", graph);
        Assert.Equal(FilterGraph.Parse(graph).ToString(), graph);
        Assert.Contains(invocation.Files, f => f is { Name: "in_logo.png", Role: FileRole.Read, Where: "filter 'movie'" });
    }

    [Theory]
    [InlineData("a:b")]
    [InlineData("it's")]
    [InlineData(" leading and trailing ")]
    [InlineData("[x],y;z")]
    [InlineData("back\\slash")]
    [InlineData("k=v")]
    [InlineData("")]
    [InlineData("line\nbreak")]
    public void FilterGraph_RoundTripsEveryValueThroughItsCanonicalText(string value)
    {
        var graph = FilterGraph.Parse("drawtext=text=x:fontsize=12,scale=1:1").MapValues(v => v == "x" ? value : v);

        var again = FilterGraph.Parse(graph.ToString());

        Assert.Equal(value, again.Chains[0].Filters[0].Arguments[0].Value);
        Assert.Equal("text", again.Chains[0].Filters[0].Arguments[0].Key);
        Assert.Equal(graph.ToString(), again.ToString());
    }

    [Theory]
    [InlineData("-i {{in_1}} -t 5 {{out_1}}", 5.0)]
    [InlineData("-i {{in_1}} -ss 2 -to 7 {{out_1}}", 5.0)]
    [InlineData("-t 3 -i {{in_1}} {{out_1}}", 3.0)]
    [InlineData("-i {{in_1}} -t 1500ms {{out_1}}", 1.5)]
    [InlineData("-i {{in_1}} -t 00:01:00 {{out_1}}", 60.0)]
    [InlineData("-i {{in_1}} {{out_1}}", null)]
    public void ExpectedSeconds_ComesFromTheInvocation(string command, double? seconds) =>
        Assert.Equal(seconds, Parse(command).ExpectedSeconds());

    [Fact]
    public void Parse_TellsSyntaxErrorsAndEmptyCommandsApart()
    {
        Assert.Equal("is empty", FfmpegCommand.Parse("ffmpeg").SyntaxError);
        Assert.StartsWith("cannot be parsed", FfmpegCommand.Parse("-i 'x").SyntaxError, StringComparison.Ordinal);
        Assert.Null(FfmpegCommand.Parse("-i x y").SyntaxError);
    }

    [Theory]
    [InlineData("-i {{in_1}} -- {{out_1}}", "'--'")]
    [InlineData("-i {{in_1}} -crf", "no value")]
    [InlineData("-i", "no input")]
    [InlineData("-i {{in_1}} -movflags:v +faststart {{out_1}}", "takes no stream specifier")]
    [InlineData("-nofoo -i {{in_1}} {{out_1}}", "-nofoo")]
    [InlineData("-nostdin -stdin -i {{in_1}} {{out_1}}", "-stdin")]
    public void Parse_RefusesWhatFfmpegWouldReadDifferentlyOrNotAtAll(string command, string named) =>
        Assert.Contains(FfmpegCommand.Parse(command).Violations, v => v.Message.Contains(named, StringComparison.Ordinal));

    [Fact]
    public void Parse_ReadsOptionsAsFfmpeg51Does()
    {
        var invocation = FfmpegCommand.Parse("-autorotate 0 -noaccurate_seek -i in.mp4 -nostats -crf:v 20 -vb 1M -metadata -i out.mp4").Invocation!;

        Assert.Equal(["-autorotate", "-noaccurate_seek"], invocation.Inputs[0].Options.Select(o => o.Flag));
        Assert.Equal("0", invocation.Inputs[0].Options[0].Value);
        Assert.Equal(OptionMatch.Negated, invocation.Inputs[0].Options[1].Match);
        Assert.Equal(OptionMatch.Negated, Assert.Single(invocation.Global).Match);
        Assert.Equal([OptionMatch.AVOption, OptionMatch.AVOption, OptionMatch.Option], invocation.Outputs[0].Options.Select(o => o.Match));
        Assert.Equal("-i", invocation.Outputs[0].Options[2].Value);
        Assert.Equal("out.mp4", Assert.Single(invocation.Outputs).Target);
    }
}
