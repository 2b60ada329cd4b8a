using Rendition.Execution;

namespace Rendition.Core.Tests;

public class FfmpegToolsTests
{
    private static readonly string[] Prefix = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "level+info", "-progress", "pipe:1", "-y"];

    [Fact]
    public void BuildArguments_StartsWithQuietNonInteractiveOverwriteFlags()
    {
        var args = FfmpegTools.BuildArguments(["-f", "lavfi", "-t", "1", "out.mp4"]);

        Assert.Equal(Prefix, args.Take(Prefix.Length));
        Assert.Equal(["-f", "lavfi", "-t", "1", "out.mp4"], args.Skip(Prefix.Length));
    }

    [Fact]
    public void BuildArguments_InsertsProtocolWhitelistBeforeEveryInput()
    {
        var args = FfmpegTools.BuildArguments(["-i", "in_1.mp4", "-ss", "1", "-i", "in_2.png", "-filter_complex", "overlay", "out.mp4"]);

        Assert.Equal(
            [.. Prefix, "-protocol_whitelist", "file", "-i", "in_1.mp4", "-ss", "1", "-protocol_whitelist", "file", "-i", "in_2.png", "-filter_complex", "overlay", "out.mp4"],
            args);
    }

    [Fact]
    public void BuildArguments_EveryInputFlagIsPrecededByFileOnlyWhitelist()
    {
        var args = FfmpegTools.BuildArguments(["-i", "a.mp4", "-i", "b.mp4", "-i", "c.mp4", "out.mkv"]);

        var inputPositions = Enumerable.Range(0, args.Count).Where(i => args[i] == "-i").ToList();
        Assert.Equal(3, inputPositions.Count);
        foreach (var i in inputPositions)
        {
            Assert.Equal("-protocol_whitelist", args[i - 2]);
            Assert.Equal("file", args[i - 1]);
        }
    }

    [Fact]
    public void BuildArguments_DoesNotChangeUserTokens()
    {
        var tokens = new List<string> { "-i", "in_1.mp4", "out.mp4" };

        _ = FfmpegTools.BuildArguments(tokens);

        Assert.Equal(["-i", "in_1.mp4", "out.mp4"], tokens);
    }
}
