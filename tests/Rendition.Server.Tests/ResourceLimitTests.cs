using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Rendition.Execution;
using Rendition.Testing;

namespace Rendition.Server.Tests;

[Collection("server")]
public sealed class ResourceLimitTests(ServerFixture fx)
{
    [Fact]
    public async Task OutputLargerThanTheLimit_FailsWithResourceLimit()
    {
        await using var server = await RenditionTestServer.StartAsync(workers: 1, extraSettings: new Dictionary<string, string?> { ["RENDITION_MAX_OUTPUT_MB"] = "1" });
        var poll = await server.WaitAsync(await server.SubmitAsync(new
        {
            input_files = new Dictionary<string, string>(),
            output_files = new { out_v = "raw.nut" },
            ffmpeg_command = "-f lavfi -i testsrc2=s=640x480:r=25:d=5 -c:v rawvideo {{out_v}}",
        }));
        Assert.Equal("FAILED", poll["status"]!.GetValue<string>());
        Assert.Equal("RESOURCE_LIMIT", poll["error_status"]!.GetValue<string>());
        Assert.Contains("1 MB", poll["error_message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(poll["output_files"]!.AsObject());
    }

    [Fact]
    public async Task TooManyFiles_FailsWithResourceLimit()
    {
        await using var server = await RenditionTestServer.StartAsync(workers: 1, extraSettings: new Dictionary<string, string?> { ["RENDITION_MAX_OUTPUT_FILES"] = "5" });
        var poll = await server.WaitAsync(await server.SubmitAsync(new
        {
            input_files = new Dictionary<string, string>(),
            output_files = new { out_v = "v.mp4" },
            ffmpeg_command = "-re -f lavfi -i testsrc2=s=32x32:r=10:d=4 -map 0 {{out_v}} -map 0 frame_%03d.png",
        }));
        Assert.Equal("FAILED", poll["status"]!.GetValue<string>());
        Assert.Equal("RESOURCE_LIMIT", poll["error_status"]!.GetValue<string>());
        Assert.Contains("5 files", poll["error_message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlaylistInput_IsRefusedAsInvalidInputFile()
    {
        var playlist = Path.Combine(fx.MediaDir, "evil.mp4");
        await File.WriteAllTextAsync(playlist, "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n");
        var poll = await fx.Server.WaitAsync(await fx.Server.SubmitAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("evil.mp4") },
            output_files = new { out_v = "o.mp4" },
            ffmpeg_command = "-i {{in_v}} {{out_v}}",
        }));
        Assert.Equal("FAILED", poll["status"]!.GetValue<string>());
        Assert.Equal("INVALID_INPUT_FILE", poll["error_status"]!.GetValue<string>());
        Assert.Contains("HLS playlist", poll["error_message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Healthz_ReportsTheSandbox()
    {
        var health = await fx.Server.Http.GetFromJsonAsync<JsonObject>("/healthz");
        Assert.Equal("ok", health!["status"]!.GetValue<string>());
        Assert.Equal("bubblewrap", health["sandbox"]!.GetValue<string>());

        await using var off = await RenditionTestServer.StartAsync(workers: 1, extraSettings: new Dictionary<string, string?> { ["RENDITION_SANDBOX"] = "off" });
        var degraded = await off.Http.GetFromJsonAsync<JsonObject>("/healthz");
        Assert.Equal("degraded", degraded!["status"]!.GetValue<string>());
        Assert.Equal("off", degraded["sandbox"]!.GetValue<string>());
    }

    /// <summary>A sandbox that cannot be set up stops the start, naming the cause and the explicit opt-out; it never falls back to none.</summary>
    [Fact]
    public void SandboxThatCannotBeSetUp_StopsTheStart_NamingTheExplicitOptOut()
    {
        var e = Assert.Throws<SettingsException>(() => RenditionServices.CreateSandbox("bwrap", () => (null, "bubblewrap (bwrap) is not installed")));
        Assert.StartsWith("bubblewrap (bwrap) is not installed.", e.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install bubblewrap libseccomp2", e.Message, StringComparison.Ordinal);
        Assert.Contains("RENDITION_SANDBOX=off", e.Message, StringComparison.Ordinal);
        Assert.IsType<NoSandbox>(RenditionServices.CreateSandbox("off", () => throw new InvalidOperationException("not asked when off")));
        Assert.IsType<BubblewrapSandbox>(RenditionServices.CreateSandbox("bwrap"));
    }

    [Fact]
    public void UnknownSandboxSetting_StopsTheServerFromStarting()
    {
        var e = Assert.Throws<SettingsException>(() => RenditionApp.Build([], new Dictionary<string, string?>
        {
            ["RENDITION_DATA_DIR"] = Path.GetTempPath(),
            ["RENDITION_SANDBOX"] = "maybe",
        }));
        Assert.Contains("RENDITION_SANDBOX", e.Message, StringComparison.Ordinal);
    }
}
