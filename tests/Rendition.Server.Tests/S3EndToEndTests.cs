using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Rendition.Testing;

namespace Rendition.Server.Tests;

/// <summary>The real server with its files in the test S3 server (started by <c>make test</c>, see scripts/test-s3.sh).</summary>
public sealed class S3EndToEndTests
{
    private static Task<RenditionTestServer> StartOnS3Async(string bucket) =>
        RenditionTestServer.StartAsync(allowPrivateUrls: false, extraSettings: TestS3.ServerSettings(bucket).ToDictionary(kv => kv.Key, kv => (string?)kv.Value));

    [Fact]
    public async Task Readyz_WritesAProbeToTheBucket_And503sOnceTheBucketIsGone()
    {
        var bucket = $"readyz-{Guid.NewGuid():N}"[..30];
        await using var server = await StartOnS3Async(bucket);
        using var anonymous = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        var ready = await anonymous.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ok", JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["checks"]!["blob_store"]!.GetValue<string>());

        // The probe object was deleted again, so the bucket is empty and can be removed under the server.
        using (var s3 = new Amazon.S3.AmazonS3Client(new Amazon.Runtime.BasicAWSCredentials(TestS3.AccessKey, TestS3.SecretKey),
            new Amazon.S3.AmazonS3Config { ServiceURL = TestS3.Endpoint, ForcePathStyle = true, AuthenticationRegion = TestS3.Region }))
        {
            await s3.DeleteBucketAsync(bucket);
        }
        var notReady = await anonymous.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        var check = JsonNode.Parse(await notReady.Content.ReadAsStringAsync())!["checks"]!["blob_store"]!.GetValue<string>();
        Assert.Contains($"cannot write to S3 bucket '{bucket}'", check, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Command_StoresItsOutputInS3_BehindAPresignedUrl_UsableAsInputAndDeletable()
    {
        var endpoint = TestS3.Endpoint;
        // A bucket that does not exist yet: the server must create it at start.
        var bucket = $"e2e-{Guid.NewGuid():N}";
        await using var server = await StartOnS3Async(bucket);

        var id = await server.SubmitAsync(new
        {
            input_files = new { },
            output_files = new { out_video = "generated.mp4" },
            ffmpeg_command = "-f lavfi -i testsrc2=s=64x48:d=1 -c:v libx264 -preset ultrafast -pix_fmt yuv420p {{out_video}}",
        });
        var poll = await server.WaitAsync(id);
        Assert.True(poll["status"]!.GetValue<string>() == "SUCCESS", poll.ToJsonString());
        var url = poll["output_files"]!["out_video"]!["storage_url"]!.GetValue<string>();
        Assert.StartsWith($"{endpoint}/{bucket}/", url, StringComparison.Ordinal);

        using var anonymous = new HttpClient();
        var local = Path.Combine(server.DataDir, "downloaded.mp4");
        using var download = await anonymous.GetAsync(url);
        Assert.True(download.IsSuccessStatusCode, $"{url} answered {(int)download.StatusCode}: {await download.Content.ReadAsStringAsync()}");
        await File.WriteAllBytesAsync(local, await download.Content.ReadAsByteArrayAsync());
        var stream = (await TestMedia.ProbeAsync(local)).GetProperty("streams")[0];
        Assert.Equal(64, stream.GetProperty("width").GetInt32());
        Assert.Equal(48, stream.GetProperty("height").GetInt32());
        Assert.False(Directory.Exists(Path.Combine(server.DataDir, "blobs")) && Directory.EnumerateFiles(Path.Combine(server.DataDir, "blobs"), "*", SearchOption.AllDirectories).Any(),
            "with S3 configured nothing is kept on local disk");
        // The local download endpoint is not served when files live in S3.
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"{server.BaseUrl}/storage/x/y.mp4?expires=1&sig=x")).StatusCode);

        // The presigned URL as an input: private addresses are refused here, so this works only because the server
        // recognises its own bucket's URL and reads the object from S3 for the owning account.
        var second = await server.SubmitAsync(new
        {
            input_files = new { in_video = url },
            output_files = new { out_small = "small.mp4" },
            ffmpeg_command = "-i {{in_video}} -vf scale=32:24 -c:v libx264 -preset ultrafast -pix_fmt yuv420p {{out_small}}",
        });
        var secondPoll = await server.WaitAsync(second);
        Assert.True(secondPoll["status"]!.GetValue<string>() == "SUCCESS", secondPoll.ToJsonString());
        Assert.Equal(32, secondPoll["output_files"]!["out_small"]!["width"]!.GetValue<int>());

        // Another account's command cannot read it from storage; it is fetched as an ordinary (here: private, so refused) URL.
        using var other = await server.CreateAccountClientAsync();
        var foreign = await server.SubmitAsync(new
        {
            input_files = new { in_video = url },
            output_files = new { out_small = "small.mp4" },
            ffmpeg_command = "-i {{in_video}} -c copy {{out_small}}",
        }, client: other);
        Assert.Equal("FAILED", (await server.WaitAsync(foreign, client: other))["status"]!.GetValue<string>());

        var deleted = await server.Http.DeleteAsync($"/api/v1/commands/{id}/files");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal(1, (await deleted.Content.ReadFromJsonAsync<JsonObject>())!["files_deleted"]!.GetValue<int>());
        // The URL is still validly signed, but the object is gone from the bucket.
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(url)).StatusCode);
    }

    [Fact]
    public async Task HlsOutput_InS3_PlaysThroughItsStorageUrl()
    {
        await using var server = await StartOnS3Async($"e2e-{Guid.NewGuid():N}");
        var poll = await server.WaitAsync(await server.SubmitAsync(new
        {
            input_files = new { },
            output_files = new { out_playlist_hls = "index.m3u8" },
            ffmpeg_command = "-f lavfi -i testsrc2=s=64x48:r=25:d=2 -c:v libx264 -preset ultrafast -g 25 -f hls -hls_time 1 " +
                "-hls_playlist_type vod -hls_segment_filename seg_%03d.ts {{out_playlist_hls}}",
        }));
        Assert.True(poll["status"]!.GetValue<string>() == "SUCCESS", poll.ToJsonString());
        var url = poll["output_files"]!["out_playlist_hls"]!["storage_url"]!.GetValue<string>();

        // ffprobe follows the manifest to every segment over HTTP, as a player does; segments come from the bucket.
        var probe = await TestMedia.RunAsync("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", url]);
        Assert.True(probe.ExitCode == 0, probe.Stderr);
        Assert.InRange(double.Parse(probe.Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture), 1.8, 2.2);
    }
}
