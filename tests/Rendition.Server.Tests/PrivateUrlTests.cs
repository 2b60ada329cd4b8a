using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Rendition.Core.Security;
using Rendition.Testing;

namespace Rendition.Server.Tests;

/// <summary>The SSRF guard with <c>RENDITION_ALLOW_PRIVATE_URLS</c> off (the default).</summary>
[Collection("server")]
public sealed class PrivateUrlTests(ServerFixture fx)
{
    [Fact]
    public async Task LoopbackInputUrl_IsRefusedAtSubmit_WhenPrivateUrlsAreNotAllowed()
    {
        await using var server = await RenditionTestServer.StartAsync(allowPrivateUrls: false, workers: 1);
        foreach (var url in new[] { fx.Inputs.Url("small.mp4"), "http://localhost:9/x.mp4", "http://[::1]/x.mp4", "http://169.254.169.254/latest/meta-data" })
        {
            var response = await server.Http.PostAsJsonAsync("/api/v1/run-ffmpeg-command", new
            {
                input_files = new { in_v = url },
                output_files = new { out_v = "o.mp4" },
                ffmpeg_command = "-i {{in_v}} {{out_v}}",
            });
            Assert.Equal(422, (int)response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonObject>();
            Assert.Equal("input_files.in_v", body!["details"]![0]!["field"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task HostNameResolvingToAPrivateAddress_FailsTheJobWithoutConnecting()
    {
        var host = Dns.GetHostName();
        var addresses = await Dns.GetHostAddressesAsync(host);
        Assert.True(addresses.Length > 0 && addresses.All(a => !NetworkGuard.IsPublic(a)),
            $"this test needs the machine's own host name ({host}) to resolve to a non-public address");
        await using var server = await RenditionTestServer.StartAsync(allowPrivateUrls: false, workers: 1);
        var url = fx.Inputs.Url("small.mp4").Replace("127.0.0.1", host, StringComparison.Ordinal);
        var poll = await server.WaitAsync(await server.SubmitAsync(new
        {
            input_files = new { in_v = url },
            output_files = new { out_v = "o.mp4" },
            ffmpeg_command = "-i {{in_v}} -c copy {{out_v}}",
        }));
        Assert.Equal("FAILED", poll["status"]!.GetValue<string>());
        Assert.Equal("UNREACHABLE_INPUT_FILE", poll["error_status"]!.GetValue<string>());
        Assert.Contains("private", poll["error_message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OwnStorageUrl_IsAcceptedAsInput_EvenWhenPrivateUrlsAreNotAllowed()
    {
        await using var server = await RenditionTestServer.StartAsync(allowPrivateUrls: false, workers: 1);
        // Make a first output from a generated source (no input URL needed), then feed its storage URL back in.
        var first = await server.WaitAsync(await server.SubmitAsync(new
        {
            input_files = new Dictionary<string, string>(),
            output_files = new { out_v = "gen.mp4" },
            ffmpeg_command = "-f lavfi -i testsrc2=s=96x64:r=10:d=1 -c:v libx264 -preset ultrafast {{out_v}}",
        }));
        Assert.Equal("SUCCESS", first["status"]!.GetValue<string>());
        var second = await server.WaitAsync(await server.SubmitAsync(new
        {
            input_files = new { in_v = first["output_files"]!["out_v"]!["storage_url"]!.GetValue<string>() },
            output_files = new { out_v = "copy.mkv" },
            ffmpeg_command = "-i {{in_v}} -c copy {{out_v}}",
        }));
        Assert.Equal("SUCCESS", second["status"]!.GetValue<string>());
        Assert.Equal(96, second["output_files"]!["out_v"]!["width"]!.GetValue<int>());
        Assert.Equal("mkv", second["output_files"]!["out_v"]!["file_format"]!.GetValue<string>());
    }
}
