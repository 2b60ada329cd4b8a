using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Rendition.Testing;

namespace Rendition.Server.Tests;

/// <summary>
/// The API while a dependency is down, with real parts stopped under it: a private PostgreSQL cluster stopped and started
/// again, the SQLite file locked by another process past the busy timeout, a private S3-compatible server killed and
/// started again. Requests get 503 with <c>Retry-After</c> and a code naming the dependency (never a 500), answers are
/// normal once it is back, and nothing accepted is lost.
/// </summary>
public sealed class DependencyOutageTests
{
    private static object Generate(string name) => new
    {
        input_files = new { },
        output_files = new { out_v = name },
        ffmpeg_command = "-f lavfi -i testsrc2=s=64x48:d=1 -c:v libx264 -preset ultrafast -pix_fmt yuv420p {{out_v}}",
    };

    /// <summary>Asserts a 503 with <c>Retry-After</c> and the outage's code, whose message names the dependency.</summary>
    private static async Task AssertUnavailableAsync(HttpResponseMessage response, string code, string dependency)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {text}");
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        var body = JsonNode.Parse(text)!;
        Assert.Equal(code, body["error"]!.GetValue<string>());
        Assert.Contains($"The {dependency} is temporarily unavailable", body["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    /// <summary>Repeats <paramref name="request"/> until it succeeds; until then every answer must be a 503 (never a 500).</summary>
    private static async Task<HttpResponseMessage> WhenBackAsync(Func<Task<HttpResponseMessage>> request, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var response = await request();
            if (response.IsSuccessStatusCode)
            {
                return response;
            }
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable,
                $"while recovering: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.True(DateTime.UtcNow < deadline, $"still 503 after {within.TotalSeconds:0} s: {await response.Content.ReadAsStringAsync()}");
            await Task.Delay(250);
        }
    }

    [Fact]
    public async Task PostgresStopped_Answers503WithRetryAfter_AndOnceItIsBackEverythingAcceptedIsThere()
    {
        await using var postgres = await PrivatePostgres.StartAsync();
        var database = await postgres.CreateDatabaseAsync();
        await using var server = await RenditionTestServer.StartAsync(workers: 1, extraSettings: new Dictionary<string, string?>
        {
            ["RENDITION_POSTGRES"] = database,
            ["RENDITION_LEASE_SECONDS"] = "5",
        });
        var before = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var id = await server.SubmitAsync(Generate($"before{i}.mp4"));
            Assert.Equal("SUCCESS", (await server.WaitAsync(id))["status"]!.GetValue<string>());
            before.Add(id);
        }

        await postgres.StopServerAsync("fast");
        // The one-second key cache may still let a request in: it then fails at its own query, with the same answer.
        await AssertUnavailableAsync(await server.Http.GetAsync($"/api/v1/commands/{before[0]}"), "SERVICE_UNAVAILABLE", "database");
        await AssertUnavailableAsync(await server.Http.PostAsync("/api/v1/run-ffmpeg-command", RenditionTestServer.Json(Generate("during.mp4"))),
            "SERVICE_UNAVAILABLE", "database");
        await AssertUnavailableAsync(await server.Http.GetAsync("/v1/commands"), "SERVICE_UNAVAILABLE", "database");
        using var unknownKey = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        unknownKey.DefaultRequestHeaders.Add("X-API-KEY", "ffsk_" + new string('9', 64));
        await AssertUnavailableAsync(await unknownKey.GetAsync("/api/v1/commands"), "SERVICE_UNAVAILABLE", "database");
        using var anonymous = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await anonymous.GetAsync("/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health")).StatusCode);

        await postgres.StartServerAsync();
        var back = await WhenBackAsync(() => server.Http.GetAsync($"/api/v1/commands/{before[0]}"), TimeSpan.FromSeconds(30));
        Assert.Equal("SUCCESS", (await back.Content.ReadFromJsonAsync<JsonObject>())!["status"]!.GetValue<string>());
        foreach (var id in before)
        {
            var poll = await server.WaitAsync(id);
            Assert.Equal("SUCCESS", poll["status"]!.GetValue<string>());
            using var download = await anonymous.GetAsync(poll["output_files"]!["out_v"]!["storage_url"]!.GetValue<string>());
            Assert.True(download.IsSuccessStatusCode, $"the output of {id} did not download: {(int)download.StatusCode}");
        }
        var after = await server.SubmitAsync(Generate("after.mp4"));
        Assert.Equal("SUCCESS", (await server.WaitAsync(after))["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await WhenBackAsync(() => anonymous.GetAsync("/readyz"), TimeSpan.FromSeconds(10))).StatusCode);
    }

    [Fact]
    public async Task SqliteLockedPastTheBusyTimeout_WritesAnswer503_ReadsStillWork_AndTheNextWriteAfterItIsAccepted()
    {
        await using var server = await RenditionTestServer.StartAsync(workers: 1, extraSettings: new Dictionary<string, string?>
        {
            ["RENDITION_SQLITE_BUSY_TIMEOUT_SECONDS"] = "1",
        });
        var done = await server.SubmitAsync(Generate("first.mp4"));
        Assert.Equal("SUCCESS", (await server.WaitAsync(done))["status"]!.GetValue<string>());

        // Another process's write transaction (a backup tool, a stuck script) holds the database's write lock.
        await using (var other = new SqliteConnection($"Data Source={Path.Combine(server.DataDir, "rendition.db")};Pooling=False"))
        {
            await other.OpenAsync();
            await using var hold = other.CreateCommand();
            hold.CommandText = "BEGIN IMMEDIATE";
            await hold.ExecuteNonQueryAsync();

            var started = DateTime.UtcNow;
            await AssertUnavailableAsync(await server.Http.PostAsync("/api/v1/run-ffmpeg-command", RenditionTestServer.Json(Generate("locked.mp4"))),
                "SERVICE_UNAVAILABLE", "database");
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), "the write should give up after the 1 s busy timeout");
            // WAL: readers are never blocked by a writer.
            Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync($"/api/v1/commands/{done}")).StatusCode);

            hold.CommandText = "ROLLBACK";
            await hold.ExecuteNonQueryAsync();
        }
        var after = await server.SubmitAsync(Generate("after.mp4"));
        Assert.Equal("SUCCESS", (await server.WaitAsync(after))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task S3Stopped_UploadsStoreFileAndDownloadsAnswer503_AndAnUploadAcceptedAsItWentDownIsStoredWhenItIsBack()
    {
        await using var s3 = await PrivateS3.StartAsync();
        var media = Directory.CreateTempSubdirectory("rendition-outage-media-").FullName;
        try
        {
            var clip = Path.Combine(media, "clip.mp4");
            await TestMedia.GenerateAsync(clip, "-f", "lavfi", "-i", "testsrc2=s=64x48:r=10:d=1", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p");
            var bytes = await File.ReadAllBytesAsync(clip);
            await using var inputs = await InputServer.StartAsync(media);
            await using var server = await RenditionTestServer.StartAsync(workers: 1, extraSettings: s3.ServerSettings($"outage-{Guid.NewGuid():N}"[..30]));
            using var anonymous = new HttpClient();

            async Task<HttpResponseMessage> UploadAsync()
            {
                using var form = new MultipartFormDataContent();
                var content = new ByteArrayContent(bytes);
                content.Headers.ContentType = new MediaTypeHeaderValue("video/mp4");
                form.Add(content, "file", "clip.mp4");
                return await server.Http.PostAsync("/api/v1/files/upload", form);
            }
            async Task<JsonObject> FileAsync(string id) => (await server.Http.GetFromJsonAsync<JsonObject>($"/api/v1/files/{id}"))!;

            // A streaming output, whose manifest the API relays from the store and whose segments it redirects to it.
            var hls = await server.WaitAsync(await server.SubmitAsync(new
            {
                input_files = new { },
                output_files = new { out_playlist_hls = "index.m3u8" },
                ffmpeg_command = "-f lavfi -i testsrc2=s=64x48:r=10:d=2 -c:v libx264 -preset ultrafast -g 10 -f hls -hls_time 1 -hls_playlist_type vod " +
                    "-hls_segment_filename seg_%03d.ts {{out_playlist_hls}}",
            }));
            Assert.True(hls["status"]!.GetValue<string>() == "SUCCESS", hls.ToJsonString());
            var manifestUrl = hls["output_files"]!["out_playlist_hls"]!["storage_url"]!.GetValue<string>();
            var segmentUrl = manifestUrl.Replace("index.m3u8", "seg_000.ts", StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(manifestUrl)).StatusCode);

            await s3.StopServerAsync();
            // Nothing has touched the store since it went: this upload is accepted, and its storing meets the outage.
            var first = await UploadAsync();
            Assert.True(first.IsSuccessStatusCode, await first.Content.ReadAsStringAsync());
            var accepted = new List<string> { (await first.Content.ReadFromJsonAsync<JsonObject>())!["file_id"]!.GetValue<string>() };
            // Once the outage is known, uploads are refused rather than accepted into a store that cannot take them.
            HttpResponseMessage refused;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while ((refused = await UploadAsync()).IsSuccessStatusCode)
            {
                accepted.Add((await refused.Content.ReadFromJsonAsync<JsonObject>())!["file_id"]!.GetValue<string>());
                Assert.True(DateTime.UtcNow < deadline, "uploads were still accepted 30 s into the outage");
                await Task.Delay(200);
            }
            await AssertUnavailableAsync(refused, "STORAGE_UNAVAILABLE", "blob store");
            await AssertUnavailableAsync(await server.Http.PostAsJsonAsync("/api/v1/files/store-file", new { file_url = inputs.Url("clip.mp4") }),
                "STORAGE_UNAVAILABLE", "blob store");
            await AssertUnavailableAsync(await anonymous.GetAsync(manifestUrl), "STORAGE_UNAVAILABLE", "blob store");
            using var noRedirect = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
            await AssertUnavailableAsync(await noRedirect.GetAsync(segmentUrl), "STORAGE_UNAVAILABLE", "blob store");
            // What does not need the store still answers: the accepted upload waits, PROCESSING.
            Assert.Equal("PROCESSING", (await FileAsync(accepted[0]))["status"]!.GetValue<string>());
            Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync($"/api/v1/commands/{hls["command_id"]!.GetValue<string>()}")).StatusCode);

            await s3.StartServerAsync();
            var again = await WhenBackAsync(UploadAsync, TimeSpan.FromSeconds(30));
            accepted.Add((await again.Content.ReadFromJsonAsync<JsonObject>())!["file_id"]!.GetValue<string>());
            Assert.Equal(HttpStatusCode.OK, (await WhenBackAsync(() => anonymous.GetAsync(manifestUrl), TimeSpan.FromSeconds(10))).StatusCode);
            var stored = await WhenBackAsync(() => server.Http.PostAsJsonAsync("/api/v1/files/store-file", new { file_url = inputs.Url("clip.mp4") }),
                TimeSpan.FromSeconds(10));
            accepted.Add((await stored.Content.ReadFromJsonAsync<JsonObject>())!["file_id"]!.GetValue<string>());

            // Every file accepted, before the outage was known or after it ended, is stored whole.
            foreach (var id in accepted)
            {
                JsonObject file;
                var until = DateTime.UtcNow.AddSeconds(60);
                while ((file = await FileAsync(id))["status"]!.GetValue<string>() == "PROCESSING")
                {
                    Assert.True(DateTime.UtcNow < until, $"file {id} is still PROCESSING a minute after the store came back");
                    await Task.Delay(250);
                }
                Assert.True(file["status"]!.GetValue<string>() == "STORED", file.ToJsonString());
                Assert.Equal(bytes, await anonymous.GetByteArrayAsync(file["storage_url"]!.GetValue<string>()));
            }
        }
        finally
        {
            Directory.Delete(media, recursive: true);
        }
    }
}
