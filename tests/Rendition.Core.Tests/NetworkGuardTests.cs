using System.Net;
using Rendition.Core.Security;

namespace Rendition.Core.Tests;

public class NetworkGuardTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.255.254")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("100.127.255.255")]
    [InlineData("0.0.0.0")]
    [InlineData("192.0.0.8")]
    [InlineData("198.18.0.1")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fe80::1")]
    [InlineData("fc00::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("64:ff9b::7f00:1")]
    [InlineData("2001:db8::1")]
    [InlineData("::127.0.0.1")]
    [InlineData("::10.0.0.1")]
    [InlineData("::169.254.169.254")]
    [InlineData("::ffff:0:127.0.0.1")]
    [InlineData("::ffff:0:192.168.1.1")]
    [InlineData("2002:7f00:1::")]
    [InlineData("2002:a9fe:a9fe::1")]
    [InlineData("2002:c0a8:0101:1234::5")]
    [InlineData("64:ff9b::127.0.0.1")]
    [InlineData("64:ff9b::a9fe:a9fe")]
    [InlineData("64:ff9b:1::127.0.0.1")]
    [InlineData("64:ff9b:1:7f00:0:100::")]
    [InlineData("64:ff9b:1:a:fe00:a9fe::")]
    [InlineData("2001:0:4136:e378:8000:63bf:80ff:fffe")]
    public void IsPublic_FalseForNonPublicAddresses(string address) =>
        Assert.False(NetworkGuard.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("11.0.0.1")]
    [InlineData("2606:4700::1111")]
    [InlineData("2001:4860:4860::8888")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("::8.8.8.8")]
    [InlineData("::ffff:0:8.8.8.8")]
    [InlineData("2002:808:808::1")]
    [InlineData("64:ff9b::8.8.8.8")]
    [InlineData("64:ff9b:1:808:8:808:800:808")]
    [InlineData("2001:0:4136:e378:8000:63bf:f7f7:f7f7")]
    public void IsPublic_TrueForPublicAddresses(string address) =>
        Assert.True(NetworkGuard.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("http://example.com/a.mp4")]
    [InlineData("https://example.com:8443/a.mp4?x=1")]
    [InlineData("HTTPS://EXAMPLE.COM/A.MP4")]
    public void IsHttpUrl_AcceptsAbsoluteHttpUrls(string url)
    {
        Assert.True(NetworkGuard.IsHttpUrl(url, out var uri));
        Assert.NotNull(uri);
    }

    [Theory]
    [InlineData("ftp://example.com/a.mp4")]
    [InlineData("file:///etc/passwd")]
    [InlineData("/a/b.mp4")]
    [InlineData("a/b.mp4")]
    [InlineData("example.com/a.mp4")]
    [InlineData("https://user:pass@example.com/a.mp4")]
    [InlineData("https://user@example.com/a.mp4")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public void IsHttpUrl_RejectsOtherSchemesRelativeAndUserinfoUrls(string? url)
    {
        Assert.False(NetworkGuard.IsHttpUrl(url, out var uri));
        Assert.Null(uri);
    }

    [Fact]
    public void IsHttpUrl_RejectsUrlLongerThan4096() =>
        Assert.False(NetworkGuard.IsHttpUrl("https://example.com/" + new string('a', 4096), out _));

    [Theory]
    [InlineData("http://localhost/x", true)]
    [InlineData("http://foo.localhost/x", true)]
    [InlineData("http://127.0.0.1:8080/x", true)]
    [InlineData("http://[::1]/x", true)]
    [InlineData("http://[fe80::1]/x", true)]
    [InlineData("http://192.168.0.10/x", true)]
    [InlineData("http://example.com/x", false)]
    [InlineData("http://8.8.8.8/x", false)]
    [InlineData("http://localhost.example.com/x", false)]
    [InlineData("http://[::127.0.0.1]/x", true)]
    [InlineData("http://[::ffff:127.0.0.1]/x", true)]
    [InlineData("http://[::ffff:0:127.0.0.1]/x", true)]
    [InlineData("http://[2002:7f00:1::1]/x", true)]
    [InlineData("http://[64:ff9b::7f00:1]/x", true)]
    [InlineData("http://[64:ff9b:1::a9fe:a9fe]/x", true)]
    [InlineData("http://[64:ff9b::808:808]/x", false)]
    public void IsObviouslyPrivateHost_FlagsLoopbackPrivateLiteralsAndLocalhostNames(string url, bool expected) =>
        Assert.Equal(expected, NetworkGuard.IsObviouslyPrivateHost(new Uri(url)));

    [Theory]
    [InlineData("::ffff:127.0.0.1", "127.0.0.1")]
    [InlineData("::127.0.0.1", "127.0.0.1")]
    [InlineData("::ffff:0:10.1.2.3", "10.1.2.3")]
    [InlineData("2002:0a01:0203::", "10.1.2.3")]
    [InlineData("64:ff9b::10.1.2.3", "10.1.2.3")]
    [InlineData("2001:0:4136:e378:8000:63bf:f5fe:fdfc", "10.1.2.3")]
    public void EmbeddedIPv4_ReadsTheAddressEachFormCarries(string v6, string v4) =>
        Assert.Contains(NetworkGuard.EmbeddedIPv4(IPAddress.Parse(v6).GetAddressBytes()), b => new IPAddress(b).ToString() == v4);

    [Theory]
    [InlineData("2606:4700::1111")]
    [InlineData("2001:4860:4860::8888")]
    [InlineData("fe80::1")]
    public void EmbeddedIPv4_IsEmptyForAddressesThatCarryNone(string v6) =>
        Assert.Empty(NetworkGuard.EmbeddedIPv4(IPAddress.Parse(v6).GetAddressBytes()));
}
