using Rendition.Core.Media;

namespace Rendition.Core.Tests;

public class MediaTypesTests
{
    [Theory]
    [InlineData("out.mp4", "video/mp4")]
    [InlineData("OUT.MP4", "video/mp4")]
    [InlineData("a.webm", "video/webm")]
    [InlineData("a.mp3", "audio/mpeg")]
    [InlineData("a.png", "image/png")]
    [InlineData("a.m3u8", "application/vnd.apple.mpegurl")]
    [InlineData("a.unknownext", "application/octet-stream")]
    [InlineData("noext", "application/octet-stream")]
    public void ForFileName_MapsExtensionToMimeType(string fileName, string expected) =>
        Assert.Equal(expected, MediaTypes.ForFileName(fileName));

    [Theory]
    [InlineData("a.MP4", "mp4")]
    [InlineData("a.tar.gz", "gz")]
    [InlineData("noext", "")]
    [InlineData("trailingdot.", "")]
    public void Extension_IsLowerCaseWithoutDot(string fileName, string expected) =>
        Assert.Equal(expected, MediaTypes.Extension(fileName));
}
