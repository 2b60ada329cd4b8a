using Rendition.Core.Contracts;
using Rendition.Execution;

namespace Rendition.Execution.Tests;

public sealed class ProgressParserTests
{
    private static (ProgressParser Parser, List<CommandProgress> Seen) Make(double? bound)
    {
        var seen = new List<CommandProgress>();
        return (new ProgressParser(1, 1, bound, seen.Add), seen);
    }

    private static void Block(ProgressParser p, long outTimeUs, string progress = "continue")
    {
        p.OnLine($"out_time_us={outTimeUs}");
        p.OnLine("speed=2.5x");
        p.OnLine($"progress={progress}");
    }

    [Fact]
    public void TheFirstInputsDurationFromTheLogHeader_GivesThePercentage()
    {
        var (p, seen) = Make(null);
        p.OnLogLine("[info] Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'in_v.mp4':");
        p.OnLogLine("[info]   Duration: 00:00:10.00, start: 0.000000, bitrate: 207 kb/s");
        p.OnLogLine("[info] Input #1, mov,mp4,m4a,3gp,3g2,mj2, from 'in_w.mp4':");
        p.OnLogLine("[info]   Duration: 00:01:00.00, start: 0.000000, bitrate: 207 kb/s");
        Block(p, 2_500_000);
        Assert.Equal(10, p.ExpectedSeconds);
        Assert.Equal(25, seen[^1].Percent);
        Assert.Equal(2.5, seen[^1].Speed);
    }

    [Fact]
    public void AnExplicitBound_WinsOverTheInputsDuration()
    {
        var (p, seen) = Make(4);
        p.OnLogLine("[info]   Duration: 00:00:10.00, start: 0.000000, bitrate: 207 kb/s");
        Block(p, 1_000_000);
        Assert.Equal(25, seen[^1].Percent);
    }

    [Fact]
    public void AnUnknownDuration_LeavesThePercentageOut_UntilTheEnd()
    {
        var (p, seen) = Make(null);
        p.OnLogLine("[info]   Duration: N/A, start: 0.000000, bitrate: N/A");
        p.OnLogLine("[info]   Duration: 00:00:10.00, start: 0.000000, bitrate: 207 kb/s");
        Block(p, 1_000_000);
        Assert.Null(seen[^1].Percent);
        Block(p, 3_000_000, "end");
        Assert.Equal(100, seen[^1].Percent);
    }

    [Theory]
    [InlineData("90", 90.0)]
    [InlineData("01:30", 90.0)]
    [InlineData("00:01:30.5", 90.5)]
    [InlineData("1:2:3:4", null)]
    [InlineData("-5", null)]
    public void ParseTime_ReadsFfmpegsSyntax(string value, double? expected) => Assert.Equal(expected, ProgressParser.ParseTime(value));
}
