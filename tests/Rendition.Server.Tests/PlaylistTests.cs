using System.Text.Json.Nodes;
using Rendition.Core.Media;
using Rendition.Testing;

namespace Rendition.Server.Tests;

[Collection("server")]
public sealed class PlaylistTests(ServerFixture fx)
{
    /// <summary>Fetches a manifest and, recursively, everything it references, as a player would; returns how many files.</summary>
    private static async Task<int> FetchAllAsync(HttpClient http, Uri url, HashSet<Uri> seen)
    {
        if (!seen.Add(url))
        {
            return 0;
        }
        var response = await http.GetAsync(url);
        Assert.True(response.IsSuccessStatusCode, $"{url} answered {(int)response.StatusCode}");
        var count = 1;
        if (url.AbsolutePath.EndsWith(".m3u8", StringComparison.Ordinal))
        {
            foreach (var reference in Playlists.References(await response.Content.ReadAsStringAsync()))
            {
                count += await FetchAllAsync(http, new Uri(url, reference), seen);
            }
        }
        return count;
    }

    [Fact]
    public async Task HlsLadderOfTwoRenditions_PlaysEndToEndThroughItsStorageUrl()
    {
        var poll = await fx.Server.WaitAsync(await fx.Server.SubmitAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("sample.mp4") },
            output_files = new { out_playlist_hls = "master.m3u8" },
            ffmpeg_command = "-i {{in_v}} -filter_complex \"[0:v]split=2[a][b];[a]scale=320:-2[v0];[b]scale=160:-2[v1]\" " +
                "-map \"[v0]\" -map \"[v1]\" -c:v libx264 -preset ultrafast -b:v 300k -g 25 -f hls -hls_time 1 -hls_playlist_type vod " +
                "-master_pl_name {{out_playlist_hls}} -var_stream_map \"v:0 v:1\" -hls_segment_filename seg_%v_%03d.ts stream_%v.m3u8",
        }));
        Assert.True(poll["status"]!.GetValue<string>() == "SUCCESS", poll.ToJsonString());
        var outputs = poll["output_files"]!.AsObject();
        var manifest = Assert.Single(outputs).Value!;
        Assert.Equal("hls", manifest["file_format"]!.GetValue<string>());
        Assert.Equal("application/vnd.apple.mpegurl", manifest["mime_type"]!.GetValue<string>());
        var variants = manifest["variants"]!.AsArray();
        Assert.Equal(new[] { 160, 320 }, variants.Select(v => v!["width"]!.GetValue<int>()).Order());
        Assert.True(manifest["segment_count"]!.GetValue<int>() >= 4);
        Assert.InRange(manifest["duration"]!.GetValue<double>(), 1.8, 2.2);

        using var player = new HttpClient();
        var url = new Uri(manifest["storage_url"]!.GetValue<string>());
        var fetched = await FetchAllAsync(player, url, []);
        Assert.Equal(1 + 2 + manifest["segment_count"]!.GetValue<int>(), fetched);

        // ffprobe plays it over HTTP exactly as a player would.
        var probe = await TestMedia.RunAsync("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", url.ToString()]);
        Assert.True(probe.ExitCode == 0, probe.Stderr);
        Assert.InRange(double.Parse(probe.Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture), 1.8, 2.2);

        var tampered = url.ToString().Replace("/master.m3u8", "/../../x", StringComparison.Ordinal);
        Assert.False((await player.GetAsync(tampered)).IsSuccessStatusCode);
        var forged = new Uri(url.ToString().Replace(url.Segments[4], "AAAA/", StringComparison.Ordinal));
        Assert.Equal(403, (int)(await player.GetAsync(forged)).StatusCode);
    }

    [Fact]
    public async Task DashManifest_IsStoredWithItsSegments_AndProbesOverHttp()
    {
        var poll = await fx.Server.WaitAsync(await fx.Server.SubmitAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("sample.mp4") },
            output_files = new { out_playlist_dash = "manifest.mpd" },
            ffmpeg_command = "-i {{in_v}} -map 0:v -c:v libx264 -preset ultrafast -g 25 -f dash -seg_duration 1 {{out_playlist_dash}}",
        }));
        Assert.True(poll["status"]!.GetValue<string>() == "SUCCESS", poll.ToJsonString());
        var manifest = poll["output_files"]!["out_playlist_dash"]!;
        Assert.Equal("dash", manifest["file_format"]!.GetValue<string>());
        Assert.Equal(640, Assert.Single(manifest["variants"]!.AsArray())!["width"]!.GetValue<int>());
        Assert.True(manifest["segment_count"]!.GetValue<int>() >= 2);
        var probe = await TestMedia.RunAsync("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width", "-of", "csv=p=0", manifest["storage_url"]!.GetValue<string>()]);
        Assert.True(probe.ExitCode == 0, probe.Stderr);
        Assert.Equal("640", probe.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0].Trim());

        // Deleting the command's files removes the segments too.
        var id = poll["command_id"]!.GetValue<string>();
        var deleted = (await (await fx.Server.Http.DeleteAsync($"/api/v1/commands/{id}/files")).Content.ReadAsStringAsync());
        Assert.True(JsonNode.Parse(deleted)!["files_deleted"]!.GetValue<int>() >= 3);
    }
}
