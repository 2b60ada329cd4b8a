using System.Globalization;
using System.Text.Json.Nodes;
using Rendition.Testing;

namespace Rendition.Server.Tests;

[Collection("server")]
public sealed class QuickStartTests(ServerFixture fx)
{
    [Fact]
    public async Task QuickStartRequest_ProducesVp9Webm_WhosePollFieldsMatchFfprobeOfTheDownload()
    {
        // The seed's request, unchanged but for the input URL (the example's host is not reachable from here).
        var body = $$$"""
            {
              "input_files": { "in_video": "{{{fx.Inputs.Url("small.mp4")}}}" },
              "output_files": { "out_video": "converted.webm" },
              "ffmpeg_command": "ffmpeg -i {{in_video}} -c:v libvpx-vp9 -crf 30 -b:v 0 {{out_video}}",
              "metadata": { "project": "marketing", "task": "web-optimization" },
              "webhook_url": "https://your-server.com/webhooks/renderio"
            }
            """;
        var response = await fx.Server.Http.PostAsync("/api/v1/run-ffmpeg-command", RenditionTestServer.Json(body));
        Assert.Equal(200, (int)response.StatusCode);
        var submitted = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Single(submitted);
        var id = submitted["command_id"]!.GetValue<string>();

        var poll = await fx.Server.WaitAsync(id);

        Assert.Equal(id, poll["command_id"]!.GetValue<string>());
        Assert.Equal("SUCCESS", poll["status"]!.GetValue<string>());
        Assert.Equal("FFMPEG_COMMAND", poll["command_type"]!.GetValue<string>());
        var total = poll["total_processing_seconds"]!.GetValue<double>();
        var ffmpeg = poll["ffmpeg_command_run_seconds"]!.GetValue<double>();
        Assert.True(ffmpeg > 0 && total >= ffmpeg, $"total {total} s should cover ffmpeg {ffmpeg} s");
        Assert.Null(poll["error_status"]);
        Assert.Null(poll["error_message"]);
        Assert.Equal("marketing", poll["metadata"]!["project"]!.GetValue<string>());
        Assert.Equal("web-optimization", poll["metadata"]!["task"]!.GetValue<string>());
        var original = poll["original_request"]!;
        Assert.Equal(fx.Inputs.Url("small.mp4"), original["input_files"]!["in_video"]!.GetValue<string>());
        Assert.Equal("converted.webm", original["output_files"]!["out_video"]!.GetValue<string>());
        Assert.Equal("ffmpeg -i {{in_video}} -c:v libvpx-vp9 -crf 30 -b:v 0 {{out_video}}", original["ffmpeg_command"]!.GetValue<string>());

        var file = poll["output_files"]!["out_video"]!.AsObject();
        Assert.True(Guid.TryParse(file["file_id"]!.GetValue<string>(), out _));
        Assert.Equal("STORED", file["status"]!.GetValue<string>());
        Assert.Equal("OUTPUT", file["rendi_store_type"]!.GetValue<string>());
        Assert.False(file["is_deleted"]!.GetValue<bool>());
        Assert.Equal("converted.webm", file["filename"]!.GetValue<string>());

        // Download it as the seed's clients do, without an API key, and probe it ourselves.
        using var anonymous = new HttpClient();
        var download = await anonymous.GetAsync(file["storage_url"]!.GetValue<string>());
        Assert.Equal(200, (int)download.StatusCode);
        Assert.Equal("video/webm", download.Content.Headers.ContentType!.MediaType);
        var bytes = await download.Content.ReadAsByteArrayAsync();
        var local = Path.Combine(fx.MediaDir, $"dl-{id}.webm");
        await File.WriteAllBytesAsync(local, bytes);
        var probe = await TestMedia.ProbeAsync(local);
        var video = probe.GetProperty("streams").EnumerateArray().First(s => s.GetProperty("codec_type").GetString() == "video");
        var format = probe.GetProperty("format");

        Assert.Equal(bytes.Length / 1048576.0, file["size_mbytes"]!.GetValue<double>(), 9);
        Assert.Equal(double.Parse(format.GetProperty("duration").GetString()!, CultureInfo.InvariantCulture), file["duration"]!.GetValue<double>(), 3);
        Assert.Equal("video", file["file_type"]!.GetValue<string>());
        Assert.Equal("webm", file["file_format"]!.GetValue<string>());
        Assert.Equal("vp9", file["codec"]!.GetValue<string>());
        Assert.Equal(video.GetProperty("codec_name").GetString(), file["codec"]!.GetValue<string>());
        Assert.Equal(video.GetProperty("pix_fmt").GetString(), file["pixel_format"]!.GetValue<string>());
        Assert.Equal("video/webm", file["mime_type"]!.GetValue<string>());
        Assert.Equal(video.GetProperty("width").GetInt32(), file["width"]!.GetValue<int>());
        Assert.Equal(video.GetProperty("height").GetInt32(), file["height"]!.GetValue<int>());
        Assert.Equal(160, file["width"]!.GetValue<int>());
        Assert.Equal(15.0, file["frame_rate"]!.GetValue<double>());
        // WebM states no bitrate: the server computes it from packet sizes, so it must be plausible against the file size.
        var kb = file["bitrate_video_kb"]!.GetValue<double>();
        var upperBound = bytes.Length * 8 / 1024.0 / file["duration"]!.GetValue<double>();
        Assert.InRange(kb, 1, upperBound);
        Assert.Null(file["bitrate_audio_kb"]);
        Assert.False(file["is_varying_frame_rate"]!.GetValue<bool>());
    }

    [Fact]
    public async Task RendiSplitExample_OnV1_ProducesTwoOutputsAt568x320And320x180()
    {
        const string Command = "-i {{in_1}} -ss 00:00 -to 00:30 -filter_complex \"[0:v]split=2[vid1][vid2];[vid1]scale=trunc(oh*a/2)*2:320:force_original_aspect_ratio=decrease,pad=trunc(oh*a/2)*2:320:-1:-1[320p];[vid2]scale=trunc(oh*a/2)*2:180:force_original_aspect_ratio=decrease,pad=trunc(oh*a/2)*2:180:-1:-1[180p]\" -map [320p] -map 0:a -c:a copy -c:v libx264 -preset medium {{out_1}}  -map [180p] -map 0:a -c:a copy -c:v libx264 -preset medium {{out_2}}";
        var id = await fx.Server.SubmitAsync(new Dictionary<string, object>
        {
            ["ffmpeg_command"] = Command,
            ["input_files"] = new Dictionary<string, string> { ["in_1"] = fx.Inputs.Url("sample.mp4") },
            ["output_files"] = new Dictionary<string, string> { ["out_1"] = "output_320p.mp4", ["out_2"] = "output_180p.mp4" },
            ["max_command_run_seconds"] = 300,
            ["vcpu_count"] = 8,
        }, "/v1/run-ffmpeg-command");

        var poll = await fx.Server.WaitAsync(id, "/v1");

        Assert.Equal("SUCCESS", poll["status"]!.GetValue<string>());
        Assert.Equal("FFMPEG_COMMAND", poll["command_type"]!.GetValue<string>());
        Assert.Equal(Math.Min(8, Environment.ProcessorCount), poll["vcpu_count"]!.GetValue<int>());
        var original = poll["original_request"]!;
        Assert.Equal(Command, original["ffmpeg_command"]!.GetValue<string>());
        Assert.Equal(300, original["max_command_run_seconds"]!.GetValue<int>());
        Assert.Equal(8, original["vcpu_count"]!.GetValue<int>());

        var out1 = poll["output_files"]!["out_1"]!;
        var out2 = poll["output_files"]!["out_2"]!;
        Assert.Equal((568, 320), (out1["width"]!.GetValue<int>(), out1["height"]!.GetValue<int>()));
        Assert.Equal((320, 180), (out2["width"]!.GetValue<int>(), out2["height"]!.GetValue<int>()));
        foreach (var f in new[] { out1, out2 })
        {
            Assert.Equal("h264", f["codec"]!.GetValue<string>());
            Assert.Equal("mp4", f["file_format"]!.GetValue<string>());
            Assert.Equal("video/mp4", f["mime_type"]!.GetValue<string>());
            Assert.Equal(25.0, f["frame_rate"]!.GetValue<double>());
            Assert.True(f["bitrate_audio_kb"]!.GetValue<double>() > 0);
            Assert.True(f["bitrate_video_kb"]!.GetValue<double>() > 0);
            Assert.InRange(f["duration"]!.GetValue<double>(), 1.9, 2.2);
            Assert.False(f["is_varying_frame_rate"]!.GetValue<bool>());
        }
        Assert.NotEqual(out1["file_id"]!.GetValue<string>(), out2["file_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Poll_BeforeCompletion_ShowsQueuedOrProcessingWithoutTimes()
    {
        var id = await fx.Server.SubmitAsync(new
        {
            input_files = new Dictionary<string, string>(),
            output_files = new { out_v = "slow.mp4" },
            ffmpeg_command = "-re -f lavfi -i testsrc2=s=64x64:r=10:d=2 -c:v libx264 -preset ultrafast {{out_v}}",
        });
        var first = JsonNode.Parse(await fx.Server.Http.GetStringAsync($"/api/v1/commands/{id}"))!;
        Assert.Contains(first["status"]!.GetValue<string>(), new[] { "QUEUED", "PROCESSING" });
        Assert.Null(first["total_processing_seconds"]);
        Assert.Null(first["ffmpeg_command_run_seconds"]);
        Assert.Empty(first["output_files"]!.AsObject());
        var done = await fx.Server.WaitAsync(id);
        Assert.Equal("SUCCESS", done["status"]!.GetValue<string>());
        Assert.InRange(done["ffmpeg_command_run_seconds"]!.GetValue<double>(), 1.5, 60);
    }

    [Fact]
    public async Task OutputStorageUrl_CanBeUsedAsTheInputOfAnotherCommand()
    {
        var first = await fx.Server.WaitAsync(await fx.Server.SubmitAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("small.mp4") },
            output_files = new { out_v = "first.mp4" },
            ffmpeg_command = "-i {{in_v}} -c copy {{out_v}}",
        }));
        var url = first["output_files"]!["out_v"]!["storage_url"]!.GetValue<string>();
        var second = await fx.Server.WaitAsync(await fx.Server.SubmitAsync(new
        {
            input_files = new { in_v = url },
            output_files = new { out_png = "frame.png" },
            ffmpeg_command = "-i {{in_v}} -frames:v 1 {{out_png}}",
        }));
        Assert.Equal("SUCCESS", second["status"]!.GetValue<string>());
        var png = second["output_files"]!["out_png"]!;
        Assert.Equal("image", png["file_type"]!.GetValue<string>());
        Assert.Equal("png", png["file_format"]!.GetValue<string>());
        Assert.Equal("image/png", png["mime_type"]!.GetValue<string>());
        Assert.Equal(160, png["width"]!.GetValue<int>());
        Assert.Null(png["duration"]);
    }

    [Fact]
    public async Task Download_SupportsRangeRequests_AndRefusesTamperedSignatures()
    {
        var poll = await fx.Server.WaitAsync(await fx.Server.SubmitAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("small.mp4") },
            output_files = new { out_v = "range.mp4" },
            ffmpeg_command = "-i {{in_v}} -c copy {{out_v}}",
        }));
        var url = poll["output_files"]!["out_v"]!["storage_url"]!.GetValue<string>();
        using var anonymous = new HttpClient();
        using var ranged = new HttpRequestMessage(HttpMethod.Get, url);
        ranged.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 99);
        var partial = await anonymous.SendAsync(ranged);
        Assert.Equal(206, (int)partial.StatusCode);
        Assert.Equal(100, (await partial.Content.ReadAsByteArrayAsync()).Length);
        Assert.Equal("video/mp4", partial.Content.Headers.ContentType!.MediaType);

        var tampered = url.Replace("sig=", "sig=x", StringComparison.Ordinal);
        var refused = await anonymous.GetAsync(tampered);
        Assert.Equal(403, (int)refused.StatusCode);
        Assert.Equal("FORBIDDEN", JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!.GetValue<string>());

        var otherExpiry = System.Text.RegularExpressions.Regex.Replace(url, "expires=(\\d+)", m => $"expires={long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) + 1000}");
        Assert.Equal(403, (int)(await anonymous.GetAsync(otherExpiry)).StatusCode);

        var otherFile = url.Replace("range.mp4", "other.mp4", StringComparison.Ordinal);
        Assert.Equal(403, (int)(await anonymous.GetAsync(otherFile)).StatusCode);
    }
}
