using System.Net;
using System.Net.Sockets;
using Rendition.Execution;

namespace Rendition.Execution.Tests;

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

    /// <summary>
    /// At connect time the guard sees the address as written: every IPv6 form of 127.0.0.1 is refused before a socket is
    /// opened. The mapped form really reaches the IPv4 listener when the guard is lifted, so the refusal is what stops it.
    /// </summary>
    [Theory]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("::127.0.0.1", false)]
    [InlineData("::ffff:0:127.0.0.1", false)]
    [InlineData("2002:7f00:1::1", false)]
    [InlineData("64:ff9b::127.0.0.1", false)]
    [InlineData("64:ff9b:1::127.0.0.1", false)]
    public async Task ConnectTime_RefusesIPv6FormsOfLoopback(string address, bool reachableWhenAllowed)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var url = new Uri($"http://[{address}]:{port}/x.mp4");

        using (var guarded = new HttpClient(InputFetcher.CreateHandler(allowPrivate: false)))
        {
            var refused = await Assert.ThrowsAsync<HttpRequestException>(() => guarded.GetAsync(url));
            Assert.Contains("private, loopback or link-local", refused.Message, StringComparison.Ordinal);
            Assert.False(listener.Pending());
        }
        if (reachableWhenAllowed)
        {
            using var open = new HttpClient(InputFetcher.CreateHandler(allowPrivate: true)) { Timeout = TimeSpan.FromSeconds(5) };
            var request = open.GetAsync(url);
            using var accepted = await listener.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(5));
            Assert.True(accepted.Connected);
            accepted.Close();
            await Assert.ThrowsAnyAsync<Exception>(() => request);
        }
    }
}
