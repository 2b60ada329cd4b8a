using Rendition.Execution;

namespace Rendition.Core.Tests;

public class InputFetcherTests
{
    [Theory]
    [InlineData("https://x/a/b.MP4?x=1", ".mp4")]
    [InlineData("https://x/a/b.mp4#t=10", ".mp4")]
    [InlineData("https://x/a/b.tar.gz", ".gz")]
    [InlineData("https://x/subs/movie%20en.srt", ".srt")]
    [InlineData("https://x/a/b.m3u8", ".m3u8")]
    public void ExtensionFor_ReturnsLowerCaseExtensionOfLastPathSegment(string url, string expected) =>
        Assert.Equal(expected, InputFetcher.ExtensionFor(new Uri(url)));

    [Theory]
    [InlineData("https://x/a/noext")]
    [InlineData("https://x/a/b.toolongextension")]
    [InlineData("https://x/")]
    [InlineData("https://x")]
    [InlineData("https://x/dir.v2/file")]
    [InlineData("https://x/a/b.mp4/")]
    [InlineData("https://x/a/b.")]
    [InlineData("https://x/a/b.m-4")]
    [InlineData("https://x/a/b.%C3%A9t%C3%A9")]
    [InlineData("https://x/a/b.mp4%3Fx")]
    public void ExtensionFor_ReturnsEmptyWhenNoUsableExtension(string url) =>
        Assert.Equal("", InputFetcher.ExtensionFor(new Uri(url)));
}
