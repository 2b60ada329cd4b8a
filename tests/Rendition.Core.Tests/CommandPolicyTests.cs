using Rendition.Core.Commands;

namespace Rendition.Core.Tests;

public class CommandPolicyTests
{
    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("movie=/etc/passwd")]
    [InlineData("subtitles=/etc/passwd:force_style=x")]
    [InlineData("[0:v]scale=2:2,movie='/etc/passwd'")]
    [InlineData("\\etc\\passwd")]
    public void Check_RefusesAbsolutePaths(string token)
    {
        var reason = CommandPolicy.Check(token);
        Assert.NotNull(reason);
        Assert.Contains("absolute path", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../x.mp4")]
    [InlineData("a/../b")]
    [InlineData("..")]
    [InlineData("subtitles=..\\/x")]
    [InlineData("subtitles=../x.srt")]
    [InlineData("movie=..\\x.png")]
    [InlineData("a\\..\\b")]
    public void Check_RefusesParentDirectoryReferences(string token)
    {
        var reason = CommandPolicy.Check(token);
        Assert.NotNull(reason);
        Assert.Contains("parent directory", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://x")]
    [InlineData("https://example.com/a.mp4")]
    [InlineData("movie=http\\://evil")]
    [InlineData("x://y")]
    public void Check_RefusesUrls(string token) =>
        Assert.NotNull(CommandPolicy.Check(token));

    [Theory]
    [InlineData("file:x.mp4", "file")]
    [InlineData("concat:a.mp4|b.mp4", "concat")]
    [InlineData("pipe:1", "pipe")]
    [InlineData("PIPE:1", "PIPE")]
    [InlineData("movie=file\\:x.png", "file")]
    [InlineData("movie=tcp:localhost", "tcp")]
    [InlineData("data:text/plain,x", "data")]
    [InlineData("fd:3", "fd")]
    public void Check_RefusesProtocolPrefixes(string token, string protocol)
    {
        var reason = CommandPolicy.Check(token);
        Assert.NotNull(reason);
        Assert.Contains($"'{protocol}:'", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("crypto+http:evil.example/x.mp4")]
    [InlineData("movie='hls+http\\:evil.example/x.m3u8'")]
    [InlineData("movie=crypto+tcp\\:10.0.0.1\\:80")]
    public void Check_RefusesNestedSchemeProtocols(string token) =>
        // libavformat resolves "crypto+X:" and "hls+X:" to the crypto/hls protocol, which then opens X without any whitelist.
        Assert.NotNull(CommandPolicy.Check(token));

    [Fact]
    public void Check_RefusesSubfileProtocolInItsCommaForm() =>
        // libavformat selects the subfile protocol for "subfile,<options>:<url>" even though no ':' follows the name.
        Assert.NotNull(CommandPolicy.Check("subfile,,start,0,end,0,,:x.mp4"));

    [Theory]
    [InlineData("-protocol_whitelist")]
    [InlineData("-protocol_blacklist")]
    public void Check_RefusesProtocolListOptions(string token)
    {
        var reason = CommandPolicy.Check(token);
        Assert.NotNull(reason);
        Assert.Contains("not allowed", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-c:v")]
    [InlineData("-c:a")]
    [InlineData("0:a")]
    [InlineData("[0:v]scale=iw/2:-2")]
    [InlineData("crop=in_w/2:in_h/2")]
    [InlineData("-r")]
    [InlineData("30000/1001")]
    [InlineData("drawtext=text='Loading...'")]
    [InlineData("out.mp4")]
    [InlineData("scale=1280:720")]
    [InlineData("-map")]
    [InlineData("0:v:0")]
    [InlineData("-ss")]
    [InlineData("00:00:05.5")]
    [InlineData("{{in_1}}")]
    [InlineData("libx264")]
    [InlineData("setpts=PTS/2")]
    [InlineData("[0:v][1:v]overlay=W-w-10:H-h-10")]
    [InlineData("a.b..c")]
    [InlineData("-metadata:s:a:0")]
    public void Check_AcceptsOrdinaryOptionsFiltersAndRelativeNames(string token) =>
        Assert.Null(CommandPolicy.Check(token));

    [Fact]
    public void Check_ShortensVeryLongTokensInTheReason()
    {
        var token = "movie=/" + new string('a', 200);
        var reason = CommandPolicy.Check(token);
        Assert.NotNull(reason);
        Assert.DoesNotContain(token, reason, StringComparison.Ordinal);
        Assert.Contains("...", reason, StringComparison.Ordinal);
    }
}
