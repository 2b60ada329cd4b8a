using System.Globalization;
using System.IO.Compression;
using System.Text.Json.Nodes;
using Rendition.Core.Media;
using Rendition.Testing;

namespace Rendition.Server.Tests;

/// <summary>
/// Issue 17 end to end, through the real server and the real ffmpeg: the policy bypass stays closed, files a step reads
/// that were not fetched are sniffed first, and everyday commands the first policy refused run and produce their output.
/// </summary>
[Collection("server")]
public sealed class CommandParseEndToEndTests(ServerFixture fx)
{
    private const string Chained = "/api/v1/run-chained-ffmpeg-commands";

    // Step 1 of the reported attack: image2 with a negative pts writes a file named "-8x8dct" into the job directory.
    private const string WriteDashFile = "-f lavfi -i color=r=1:d=3 -vf setpts=PTS-8/TB -fps_mode passthrough -frame_pts 1 -c:v png -f image2 %dx8dct";

    private async Task<JsonObject> RunAsync(object body, string path = "/api/v1/run-ffmpeg-command")
    {
        var poll = await fx.Server.WaitAsync(await fx.Server.SubmitAsync(body, path), timeout: TimeSpan.FromSeconds(120));
        return poll;
    }

    private static JsonNode Success(JsonObject poll)
    {
        Assert.True(poll["status"]!.GetValue<string>() == "SUCCESS", poll.ToJsonString());
        return poll["output_files"]!;
    }

    private static void Failed(JsonObject poll, string status, string named)
    {
        Assert.True(poll["status"]!.GetValue<string>() == "FAILED", poll.ToJsonString());
        Assert.Equal(status, poll["error_status"]!.GetValue<string>());
        Assert.Contains(named, poll["error_message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private string Serve(string name, string text)
    {
        File.WriteAllText(Path.Combine(fx.MediaDir, name), text);
        return fx.Inputs.Url(name);
    }

    private const string Srt = "1\n00:00:00,000 --> 00:00:01,500\nHello from Rendition\n";

    private async Task<string> RefusedAsync(object body, string code)
    {
        var response = await fx.Server.Http.PostAsync(Chained, RenditionTestServer.Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 422, text);
        Assert.True(JsonNode.Parse(text)!["error"]!.GetValue<string>() == code, text);
        return text;
    }

    [Fact]
    public async Task ReportedAttack_IsRefusedBeforeAnythingRuns()
    {
        // Read as ffmpeg reads it, "-8x8dct" takes "-filter_complex_script" as its value and {{in_2}} is an output url:
        // the step would overwrite its own input, which validation refuses.
        var text = await RefusedAsync(new
        {
            input_files = new { in_2 = Serve("attack-graph.txt", "movie=/proc/self/mountinfo:f=data[a]") },
            output_files = new { out_1 = "out.u8" },
            ffmpeg_commands = new[]
            {
                WriteDashFile,
                "-f lavfi -i color=d=1 -f matroska -hls_base_url -i -8x8dct -filter_complex_script {{in_2}} -map [a] -c:a pcm_u8 -f u8 {{out_1}}",
            },
        }, "VALIDATION_ERROR");
        Assert.Contains("writes {{in_2}} (output), which is an input", text, StringComparison.Ordinal);

        // Where ffmpeg would read the script option as an option, the policy refuses the option itself.
        text = await RefusedAsync(new
        {
            input_files = new { in_2 = Serve("attack-graph-2.txt", "movie=/proc/self/mountinfo:f=data[a]") },
            output_files = new { out_1 = "out.u8" },
            ffmpeg_commands = new[] { WriteDashFile, "-f lavfi -i color=d=1 -filter_complex_script {{in_2}} -map [a] -c:a pcm_u8 -f u8 {{out_1}}" },
        }, "FORBIDDEN_OPTION");
        Assert.Contains("-filter_complex_script", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReportedAttack_WithoutItsScript_RunsWithMinusIAsAValue_AndReadsNoOtherFile()
    {
        // "-i" is -hls_base_url's value and "-8x8dct" a codec option taking "1": the PNG that step 1 wrote is never an input.
        // Had it been one, ffmpeg's default mapping would have picked its 320x240 picture over the 32x32 colour.
        var outputs = Success(await RunAsync(new
        {
            input_files = new { },
            output_files = new { out_1 = "out.mkv" },
            ffmpeg_commands = new[] { WriteDashFile, "-f lavfi -i color=d=1:s=32x32 -f matroska -hls_base_url -i -8x8dct 1 -c:v ffv1 {{out_1}}" },
        }, Chained));
        var output = Assert.Single(outputs.AsObject()).Value!;
        Assert.Equal(32, output["width"]!.GetValue<int>());
        Assert.Equal("ffv1", output["codec"]!.GetValue<string>());
        // Nothing but the stored output left the job: no file named after the runner's guards ("file") or the attack.
        Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(fx.Server.DataDir, "blobs"), "*", SearchOption.AllDirectories),
            f => Path.GetFileName(f) is "file" or "-8x8dct" or "mountinfo");
    }

    [Theory]
    [InlineData("-i {{in_v}} -c:v libx264 -preset ultrafast -f hls -hls_time 1 -hls_segment_filename seg_%03d.ts list.m3u8", "-i list.m3u8 -c copy {{out_1}}", "list.m3u8", "HLS playlist")]
    [InlineData("-i {{in_v}} -c:v libx264 -preset ultrafast -f hls -hls_time 1 -hls_segment_filename seg_%03d.ts list.m3u8", "-f lavfi -i movie=list.m3u8 -t 1 {{out_1}}", "filter 'movie'", "HLS playlist")]
    [InlineData("-i {{in_v}} -c copy -f segment -segment_time 1 -segment_list list.txt -segment_list_type ffconcat part_%03d.mp4", "-i list.txt -c copy {{out_1}}", "list.txt", "concat list")]
    [InlineData("-i {{in_v}} -c:v libx264 -preset ultrafast -f dash -seg_duration 1 dash.mpd", "-i {{in_v}} -vf subtitles=dash.mpd {{out_1}}", "filter 'subtitles'", "DASH manifest")]
    public async Task AFileAnEarlierStepWrote_IsSniffedBeforeALaterStepReadsIt(string write, string read, string named, string what)
    {
        var poll = await RunAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("small.mp4") },
            output_files = new { out_1 = "out.mp4" },
            ffmpeg_commands = new[] { write, read },
        }, Chained);
        Failed(poll, "INVALID_INPUT_FILE", named);
        Assert.Contains(what, poll["error_message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("Step 2 of 2", poll["error_message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnpackedFileAFilterOpens_IsSniffedToo()
    {
        var zip = Path.Combine(fx.MediaDir, "sneaky-subs.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            await File.WriteAllBytesAsync(Path.Combine(fx.MediaDir, "sneaky-clip.mp4"), await File.ReadAllBytesAsync(Path.Combine(fx.MediaDir, "small.mp4")));
            archive.CreateEntryFromFile(Path.Combine(fx.MediaDir, "sneaky-clip.mp4"), "clip.mp4");
            using var writer = new StreamWriter(archive.CreateEntry("subs.srt").Open());
            await writer.WriteAsync("#EXTM3U\n#EXTINF:1,\nhttp://127.0.0.1:1/x.ts\n");
        }
        var poll = await RunAsync(new
        {
            input_compressed_folder = fx.Inputs.Url("sneaky-subs.zip"),
            output_files = new { out_1 = "out.mp4" },
            ffmpeg_command = "-i clip.mp4 -vf subtitles=subs.srt {{out_1}}",
        }, "/v1/run-ffmpeg-command");
        Failed(poll, "INVALID_INPUT_FILE", "'subs.srt' (filter 'subtitles') is an HLS playlist");
    }

    [Fact]
    public async Task SpacesInQuotedFilterExpressions_RunAndScale()
    {
        var outputs = Success(await RunAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("sample.mp4"), in_s = fx.Inputs.Url("small.mp4") },
            output_files = new { out_half = "half.mp4", out_over = "over.mp4" },
            ffmpeg_command = "-i {{in_v}} -i {{in_s}} -vf \"scale='iw / 2':-2\" -map 0:v -c:v libx264 -preset ultrafast {{out_half}} " +
                "-filter_complex \"[0:v][1:v]overlay=x=(W - w) / 2:y=(H - h) / 2[v]\" -map \"[v]\" -c:v libx264 -preset ultrafast {{out_over}}",
        }));
        Assert.Equal(320, outputs["out_half"]!["width"]!.GetValue<int>());
        Assert.Equal(640, outputs["out_over"]!["width"]!.GetValue<int>());
    }

    [Fact]
    public async Task SystemFonts_ServeDrawtextAndSubtitles()
    {
        Assert.True(File.Exists("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"), "scripts/ensure-deps.sh installs fonts-dejavu-core");
        var outputs = Success(await RunAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("sample.mp4"), in_s = Serve("hello.srt", Srt) },
            output_files = new { out_text = "text.mp4", out_subs = "subs.mp4" },
            ffmpeg_command = "-i {{in_v}} -i {{in_s}} -map 0:v -vf \"drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:text='Rendition':fontsize=40:x=10:y=10\" -c:v libx264 -preset ultrafast {{out_text}} " +
                "-map 0:v -vf \"subtitles={{in_s}}:fontsdir=/usr/share/fonts\" -c:v libx264 -preset ultrafast {{out_subs}}",
        }));
        Assert.Equal(640, outputs["out_text"]!["width"]!.GetValue<int>());
        Assert.Equal(640, outputs["out_subs"]!["width"]!.GetValue<int>());
    }

    [Fact]
    public async Task TwoPassEncoding_AsAChain_KeepsItsPassLogInTheJob()
    {
        var outputs = Success(await RunAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("sample.mp4") },
            output_files = new { out_v = "two-pass.mp4" },
            ffmpeg_commands = new[]
            {
                "-i {{in_v}} -c:v libx264 -preset ultrafast -b:v 300k -pass 1 -an -f null /dev/null",
                "-i {{in_v}} -c:v libx264 -preset ultrafast -b:v 300k -pass 2 -c:a aac {{out_v}}",
            },
        }, Chained));
        var output = Assert.Single(outputs.AsObject()).Value!;
        Assert.Equal("h264", output["codec"]!.GetValue<string>());
        Assert.InRange(output["duration"]!.GetValue<double>(), 1.9, 2.1);
    }

    private static string HlsVariants(string master) =>
        "-i {{in_v}} -filter_complex \"[0:v]split=2[a][b];[a]scale=320:-2[v0];[b]scale=160:-2[v1]\" -map \"[v0]\" -map \"[v1]\" " +
        "-c:v libx264 -preset ultrafast -b:v 300k -g 25 -f hls -hls_time 1 -hls_playlist_type vod -var_stream_map \"v:0 v:1\" " +
        $"-master_pl_name {master} -hls_segment_filename stream_%v/seg_%03d.ts stream_%v/playlist.m3u8";

    [Fact]
    public async Task HlsVariantsInSubFolders_ThroughOutputFolder_KeepTheirFolders()
    {
        var poll = await RunAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("sample.mp4") },
            output_files = "OUTPUT_FOLDER",
            ffmpeg_command = HlsVariants("master.m3u8"),
        }, "/v1/run-ffmpeg-command");
        var outputs = Success(poll).AsObject();
        var names = outputs.Where(kv => kv.Key != "OUTPUT_FOLDER").Select(kv => kv.Value!["filename"]!.GetValue<string>()).ToList();
        Assert.Contains("master.m3u8", names);
        Assert.Contains("stream_0/playlist.m3u8", names);
        Assert.Contains("stream_1/seg_000.ts", names);
        using var http = new HttpClient();
        using var zip = new ZipArchive(new MemoryStream(await http.GetByteArrayAsync(outputs["OUTPUT_FOLDER"]!["storage_url"]!.GetValue<string>())));
        Assert.Equal(names.Order(StringComparer.Ordinal), zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        var segment = outputs.Single(kv => kv.Value!["filename"]!.GetValue<string>() == "stream_1/seg_000.ts").Value!;
        Assert.NotEmpty(await http.GetByteArrayAsync(segment["storage_url"]!.GetValue<string>()));
    }

    [Fact]
    public async Task HlsVariantsInSubFolders_ThroughAPlaylistAlias_PlayThroughTheSignedFolderUrl()
    {
        var outputs = Success(await RunAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("sample.mp4") },
            output_files = new { out_playlist_main = "master.m3u8" },
            ffmpeg_command = HlsVariants("{{out_playlist_main}}"),
        }));
        var manifest = Assert.Single(outputs.AsObject()).Value!;
        Assert.Equal(new[] { 160, 320 }, manifest["variants"]!.AsArray().Select(v => v!["width"]!.GetValue<int>()).Order());
        var url = new Uri(manifest["storage_url"]!.GetValue<string>());
        using var player = new HttpClient();
        var seen = new HashSet<Uri>();
        var queue = new Queue<Uri>([url]);
        while (queue.TryDequeue(out var next))
        {
            if (!seen.Add(next))
            {
                continue;
            }
            var response = await player.GetAsync(next);
            Assert.True(response.IsSuccessStatusCode, $"{next} answered {(int)response.StatusCode}");
            if (next.AbsolutePath.EndsWith(".m3u8", StringComparison.Ordinal))
            {
                foreach (var reference in Playlists.References(await response.Content.ReadAsStringAsync()))
                {
                    queue.Enqueue(new Uri(next, reference));
                }
            }
        }
        Assert.Contains(seen, u => u.AbsolutePath.EndsWith("/stream_1/seg_000.ts", StringComparison.Ordinal));
        var probe = await TestMedia.RunAsync("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", url.ToString()]);
        Assert.True(probe.ExitCode == 0, probe.Stderr);
        Assert.InRange(double.Parse(probe.Stdout.Trim(), CultureInfo.InvariantCulture), 1.8, 2.2);
    }

    [Fact]
    public async Task DotsInsideAFileName_AreNotAParentReference()
    {
        var outputs = Success(await RunAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("small.mp4") },
            output_files = new { out_1 = "my..clip.mp4" },
            ffmpeg_command = "-i {{in_v}} -c copy {{out_1}}",
        }));
        Assert.Equal("my..clip.mp4", outputs["out_1"]!["filename"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("-i {{in_v}} -an -c:v mpeg4 -vb 300k {{out_1}}", "out.mp4", "mpeg4")]
    [InlineData("-i {{in_v}} -an -c:v prores_ks -vendor apl0 {{out_1}}", "out.mov", "prores")]
    [InlineData("-i {{in_v}} -vn -c:a libopus -application audio {{out_1}}", "out.opus", "opus")]
    [InlineData("-i {{in_v}} -target pal-dvd -t 1 {{out_1}}", "out.mpg", "mpeg2video")]
    [InlineData("-i {{in_v}} -an -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -dash 1 -f webm {{out_1}}", "out.webm", "vp9")]
    [InlineData("-i {{in_v}} -an -c:v ffv1 -level 3 -slicecrc 1 {{out_1}}", "out.mkv", "ffv1")]
    [InlineData("-i {{in_v}} -an -vf scale=1920:1080,fps=25 -c:v dnxhd -b:v 36M -pix_fmt yuv422p -t 0.2 -f mxf_opatom {{out_1}}", "out.mxf", "dnxhd")]
    public async Task EverydayOptionsAndFormats_RunAndProduceTheirCodec(string command, string name, string codec)
    {
        var outputs = Success(await RunAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("sample.mp4") },
            output_files = new { out_1 = name },
            ffmpeg_command = command,
        }));
        Assert.Equal(codec, outputs["out_1"]!["codec"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("s24be", 3)]
    [InlineData("u16le", 2)]
    [InlineData("s8", 1)]
    public async Task RawPcmFormats_WriteTheirSampleSize(string format, int bytesPerSample)
    {
        var poll = await RunAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("sample.mp4") },
            output_files = new { out_1 = $"out.{format}" },
            ffmpeg_command = $"-i {{{{in_v}}}} -vn -ac 1 -ar 8000 -t 1 -f {format} {{{{out_1}}}}",
        });
        var output = Success(poll)["out_1"]!;
        using var http = new HttpClient();
        var bytes = await http.GetByteArrayAsync(output["storage_url"]!.GetValue<string>());
        Assert.InRange(bytes.Length, 8000 * bytesPerSample * 0.98, 8000 * bytesPerSample * 1.02);
    }

    [Fact]
    public async Task Ttml_IsWrittenFromSubtitles()
    {
        var output = Success(await RunAsync(new
        {
            input_files = new { in_s = Serve("ttml-source.srt", Srt) },
            output_files = new { out_1 = "subs.ttml" },
            ffmpeg_command = "-i {{in_s}} -f ttml {{out_1}}",
        }))["out_1"]!;
        using var http = new HttpClient();
        var text = await http.GetStringAsync(output["storage_url"]!.GetValue<string>());
        Assert.Contains("http://www.w3.org/ns/ttml", text, StringComparison.Ordinal);
        Assert.Contains("Hello from Rendition", text, StringComparison.Ordinal);
    }
}
