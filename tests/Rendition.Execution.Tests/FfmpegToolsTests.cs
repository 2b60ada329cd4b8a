using Rendition.Core;
using Rendition.Execution;

namespace Rendition.Execution.Tests;

public class FfmpegToolsTests
{
    [Fact]
    public void FormatWhitelist_IsReadFromTheRealFfmpeg_WithoutReferenceFollowingDemuxersOrDevices()
    {
        var allowed = new FfmpegTools(new RenditionOptions(), new NoSandbox()).FormatWhitelist.Split(',');

        // More than the built-in fallback list: the names came from `ffmpeg -demuxers`.
        Assert.True(allowed.Length > 40, $"only {allowed.Length} demuxers: {string.Join(',', allowed)}");
        Assert.Contains("mov", allowed);
        Assert.Contains("lavfi", allowed);
        Assert.DoesNotContain("concat", allowed);
        Assert.DoesNotContain("hls", allowed);
        Assert.DoesNotContain("v4l2", allowed);
    }
}
