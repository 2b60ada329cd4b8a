using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Rendition.Testing;

namespace Rendition.Server.Tests;

[Collection("server")]
public sealed class FilesTests(ServerFixture fx)
{
    private static async Task<string> UploadAsync(HttpClient client, byte[] bytes, string fileName, string path = "/api/v1/files/upload")
    {
        using var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(content, "file", fileName);
        var response = await client.PostAsync(path, form);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"upload answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["file_id"]!.GetValue<string>();
    }

    private static async Task<JsonObject> WaitFileAsync(HttpClient client, string id, string prefix = "/api/v1")
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var file = (await client.GetFromJsonAsync<JsonObject>($"{prefix}/files/{id}"))!;
            if (file["status"]!.GetValue<string>() != "PROCESSING")
            {
                return file;
            }
            Assert.True(DateTime.UtcNow < deadline, $"file {id} still PROCESSING");
            await Task.Delay(50);
        }
    }

    private async Task<byte[]> MediaAsync(string name, params string[] args)
    {
        var path = Path.Combine(fx.MediaDir, name);
        if (!File.Exists(path))
        {
            await TestMedia.GenerateAsync(path, args);
        }
        return await File.ReadAllBytesAsync(path);
    }

    [Fact]
    public async Task Upload_ThenDownload_IsByteIdentical_WithVideoMetadata_AndTheUsersNameKept()
    {
        var bytes = await File.ReadAllBytesAsync(Path.Combine(fx.MediaDir, "sample.mp4"));
        var id = await UploadAsync(fx.Server.Http, bytes, "../My Holiday (1).mp4");
        var file = await WaitFileAsync(fx.Server.Http, id);

        Assert.Equal("STORED", file["status"]!.GetValue<string>());
        Assert.Equal("UPLOAD", file["rendi_store_type"]!.GetValue<string>());
        Assert.Equal("My Holiday (1).mp4", file["filename"]!.GetValue<string>());
        Assert.Equal("video", file["file_type"]!.GetValue<string>());
        Assert.Equal("mp4", file["file_format"]!.GetValue<string>());
        Assert.Equal("h264", file["codec"]!.GetValue<string>());
        Assert.Equal(640, file["width"]!.GetValue<int>());
        Assert.Equal(48000, file["sample_rate"]!.GetValue<int>());
        Assert.Equal(1, file["channels"]!.GetValue<int>());
        Assert.Equal(bytes.Length / 1048576.0, file["size_mbytes"]!.GetValue<double>(), 9);
        Assert.Null(file["original_file_url"]);
        Assert.True(DateTimeOffset.TryParse(file["created_at"]!.GetValue<string>(), out _));

        using var anonymous = new HttpClient();
        var download = await anonymous.GetAsync(file["storage_url"]!.GetValue<string>());
        Assert.Equal(200, (int)download.StatusCode);
        Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(await download.Content.ReadAsByteArrayAsync()));
        Assert.Equal("My Holiday (1).mp4", download.Content.Headers.ContentDisposition!.FileNameStar);
        Assert.DoesNotContain("..", download.Content.Headers.ContentDisposition.FileName!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UploadedAudioAndImage_GetTheirOwnMetadata()
    {
        var wav = await MediaAsync("tone.wav", "-f", "lavfi", "-i", "sine=f=440:r=44100:d=1", "-ac", "2");
        var png = await MediaAsync("still.png", "-f", "lavfi", "-i", "testsrc2=s=120x80", "-frames:v", "1");
        var audio = await WaitFileAsync(fx.Server.Http, await UploadAsync(fx.Server.Http, wav, "tone.wav", "/v1/files/upload-file"), "/v1");
        Assert.Equal("audio", audio["file_type"]!.GetValue<string>());
        Assert.Equal("pcm_s16le", audio["codec"]!.GetValue<string>());
        Assert.Equal(44100, audio["sample_rate"]!.GetValue<int>());
        Assert.Equal(2, audio["channels"]!.GetValue<int>());
        Assert.Equal(1.0, audio["duration"]!.GetValue<double>(), 2);
        Assert.Equal("audio/wav", audio["mime_type"]!.GetValue<string>());

        var image = await WaitFileAsync(fx.Server.Http, await UploadAsync(fx.Server.Http, png, "still.png"));
        Assert.Equal("image", image["file_type"]!.GetValue<string>());
        Assert.Equal("png", image["file_format"]!.GetValue<string>());
        Assert.Equal((120, 80), (image["width"]!.GetValue<int>(), image["height"]!.GetValue<int>()));
    }

    [Fact]
    public async Task StoreFile_FromAUrl_StoresIt_OrFailsWithTheReason()
    {
        var response = await fx.Server.Http.PostAsJsonAsync("/api/v1/files/store-file", new { file_url = fx.Inputs.Url("small.mp4") });
        var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["file_id"]!.GetValue<string>();
        var stored = await WaitFileAsync(fx.Server.Http, id);
        Assert.Equal("STORED", stored["status"]!.GetValue<string>());
        Assert.Equal("STORED_FILE", stored["rendi_store_type"]!.GetValue<string>());
        Assert.Equal(fx.Inputs.Url("small.mp4"), stored["original_file_url"]!.GetValue<string>());
        Assert.Equal("small.mp4", stored["filename"]!.GetValue<string>());
        Assert.Equal(160, stored["width"]!.GetValue<int>());

        var failing = await fx.Server.Http.PostAsJsonAsync("/v1/files/store-file", new { file_url = fx.Inputs.Url("absent.mp4") });
        var failed = await WaitFileAsync(fx.Server.Http, (await failing.Content.ReadFromJsonAsync<JsonObject>())!["file_id"]!.GetValue<string>());
        Assert.Equal("FAILED", failed["status"]!.GetValue<string>());
        Assert.Equal("UNREACHABLE_INPUT_FILE", failed["error_status"]!.GetValue<string>());
        Assert.Contains("404", failed["error_message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(failed["storage_url"]);

        foreach (var bad in new[] { "file:///etc/passwd", "ftp://example.com/a.mp4", "not a url" })
        {
            var refused = await fx.Server.Http.PostAsJsonAsync("/api/v1/files/store-file", new { file_url = bad });
            Assert.Equal(422, (int)refused.StatusCode);
        }
    }

    [Fact]
    public async Task Listing_IsNewestFirst_Paginated_IncludesOutputs_AndOnlyTheCallersFiles()
    {
        using var client = await fx.Server.CreateAccountClientAsync();
        using var other = await fx.Server.CreateAccountClientAsync();
        var first = await UploadAsync(client, [1, 2, 3], "a.bin");
        var second = await UploadAsync(client, [4, 5, 6], "b.bin");
        var command = await fx.Server.WaitAsync(await fx.Server.SubmitAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("small.mp4") },
            output_files = new { out_v = "listed.mp4" },
            ffmpeg_command = "-i {{in_v}} -c copy {{out_v}}",
        }, client: client), client: client);
        var output = command["output_files"]!["out_v"]!["file_id"]!.GetValue<string>();
        var theirs = await UploadAsync(other, [7], "c.bin");

        var list = (await client.GetFromJsonAsync<JsonObject>("/api/v1/files"))!;
        var ids = list["files"]!.AsArray().Select(f => f!["file_id"]!.GetValue<string>()).ToList();
        Assert.Equal(new[] { output, second, first }, ids);
        Assert.Equal("OUTPUT", list["files"]![0]!["rendi_store_type"]!.GetValue<string>());
        Assert.DoesNotContain(theirs, ids);
        var page = (await client.GetFromJsonAsync<JsonObject>("/api/v1/files?limit=1&offset=1"))!["files"]!.AsArray();
        Assert.Equal(second, Assert.Single(page)!["file_id"]!.GetValue<string>());
        var rendi = (await client.GetFromJsonAsync<JsonArray>("/v1/files?limit=2"))!;
        Assert.Equal(2, rendi.Count);
        Assert.Equal(422, (int)(await client.GetAsync("/api/v1/files?limit=zero")).StatusCode);

        Assert.Equal(404, (int)(await other.GetAsync($"/api/v1/files/{first}")).StatusCode);
        Assert.Equal(404, (int)(await other.DeleteAsync($"/api/v1/files/{first}")).StatusCode);
    }

    [Fact]
    public async Task Delete_KeepsTheRecord_KillsTheUrl_AndBulkDeleteReportsWhatWasDeleted()
    {
        var id = await UploadAsync(fx.Server.Http, [9, 9, 9], "gone.bin");
        var file = await WaitFileAsync(fx.Server.Http, id);
        var url = file["storage_url"]!.GetValue<string>();
        using var anonymous = new HttpClient();
        Assert.Equal(200, (int)(await anonymous.GetAsync(url)).StatusCode);

        var deleted = (await (await fx.Server.Http.DeleteAsync($"/api/v1/files/{id}")).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(deleted["deleted"]!.GetValue<bool>());
        Assert.Equal(id, deleted["file_id"]!.GetValue<string>());
        var after = await fx.Server.Http.GetFromJsonAsync<JsonObject>($"/api/v1/files/{id}");
        Assert.True(after!["is_deleted"]!.GetValue<bool>());
        Assert.Null(after["storage_url"]);
        Assert.Equal(404, (int)(await anonymous.GetAsync(url)).StatusCode);

        var a = await UploadAsync(fx.Server.Http, [1], "x.bin");
        var b = await UploadAsync(fx.Server.Http, [2], "y.bin");
        using var other = await fx.Server.CreateAccountClientAsync();
        var theirs = await UploadAsync(other, [3], "z.bin");
        var bulk = await fx.Server.Http.PostAsJsonAsync("/v1/files/bulk-delete", new { file_ids = new[] { a, b, theirs, Guid.NewGuid().ToString() } });
        var reported = (await bulk.Content.ReadFromJsonAsync<JsonObject>())!["deleted_file_ids"]!.AsArray().Select(x => x!.GetValue<string>()).Order().ToList();
        Assert.Equal(new[] { a, b }.Order(), reported);
        Assert.False((await other.GetFromJsonAsync<JsonObject>($"/api/v1/files/{theirs}"))!["is_deleted"]!.GetValue<bool>());
        Assert.Equal(422, (int)(await fx.Server.Http.PostAsJsonAsync("/v1/files/bulk-delete", new { file_ids = Array.Empty<string>() })).StatusCode);
    }

    [Fact]
    public async Task Upload_WithoutTheFileField_IsInvalidRequest_AndOverTheCap_Is413()
    {
        using var form = new MultipartFormDataContent { { new StringContent("hello"), "other" } };
        var missing = await fx.Server.Http.PostAsync("/api/v1/files/upload", form);
        Assert.Equal(400, (int)missing.StatusCode);
        Assert.Equal("file", (await missing.Content.ReadFromJsonAsync<JsonObject>())!["details"]![0]!["field"]!.GetValue<string>());
        Assert.Equal(400, (int)(await fx.Server.Http.PostAsync("/api/v1/files/upload", new StringContent("raw"))).StatusCode);

        await using var small = await RenditionTestServer.StartAsync(workers: 1, extraSettings: new Dictionary<string, string?> { ["RENDITION_MAX_UPLOAD_MB"] = "1" });
        using var big = new MultipartFormDataContent { { new ByteArrayContent(new byte[3 * 1024 * 1024]), "file", "big.bin" } };
        var tooLarge = await small.Http.PostAsync("/api/v1/files/upload", big);
        Assert.Equal(413, (int)tooLarge.StatusCode);
        Assert.Equal("PAYLOAD_TOO_LARGE", (await tooLarge.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.GetValue<string>());
        var work = Path.Combine(small.DataDir, "work");
        Assert.True(!Directory.Exists(work) || !Directory.EnumerateFiles(work, "*", SearchOption.AllDirectories).Any());

        // Without a Content-Length (chunked), the limit is enforced while streaming.
        var chunked = new StreamContent(new MemoryStream(new byte[3 * 1024 * 1024]));
        using var streamed = new MultipartFormDataContent { { chunked, "file", "big.bin" } };
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/files/upload") { Content = streamed };
        request.Headers.TransferEncodingChunked = true;
        var refused = await small.Http.SendAsync(request);
        Assert.Equal(413, (int)refused.StatusCode);
        Assert.True(!Directory.Exists(work) || !Directory.EnumerateFiles(work, "*", SearchOption.AllDirectories).Any());
    }

    /// <summary>
    /// A file of one 20 MB <c>title=</c> (ffprobe reads it as media): stored and described without its tags, and as a
    /// command input, whose title ffmpeg prints to its log in one line, the log keeps that line cut short.
    /// </summary>
    [Fact]
    public async Task HugeMetadataValue_IsNotKept_AndItsLogLineIsCut()
    {
        var bytes = Encoding.ASCII.GetBytes(";FFMETADATA1\ntitle=" + new string('A', 20 << 20) + "\n");
        var id = await UploadAsync(fx.Server.Http, bytes, "meta.txt");
        var file = await WaitFileAsync(fx.Server.Http, id);
        Assert.Equal("STORED", file["status"]!.GetValue<string>());
        Assert.True(file.ToJsonString().Length < 4096, file.ToJsonString()[..200]);
        Assert.DoesNotContain("AAAA", file.ToJsonString(), StringComparison.Ordinal);

        var poll = await fx.Server.WaitAsync(await fx.Server.SubmitAsync(new
        {
            input_files = new { in_m = file["storage_url"]!.GetValue<string>() },
            output_files = new { out_m = "meta-copy.txt" },
            ffmpeg_command = "-f ffmetadata -i {{in_m}} -f ffmetadata {{out_m}}",
        }));
        Assert.True(poll["status"]!.GetValue<string>() == "SUCCESS", poll.ToJsonString());
        var log = await fx.Server.Http.GetStringAsync($"/api/v1/commands/{poll["command_id"]!.GetValue<string>()}/log");
        Assert.Contains("title", log, StringComparison.Ordinal);
        Assert.InRange(log.Length, 1, Rendition.Execution.FfmpegTools.LogChars + 1024);
        Assert.All(log.Split('\n'), line => Assert.True(line.Length <= Rendition.Execution.ProcessRunner.MaxLineBytes, $"a log line of {line.Length} characters"));
    }

    private const string Part = "--b0und\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n";

    public static TheoryData<string, string, string, string> MalformedUploads => new()
    {
        { "a boundary of 100 characters", "multipart/form-data; boundary=" + new string('b', 100), Part + "hello\r\n--b0und--\r\n", "boundary" },
        { "no boundary", "multipart/form-data", Part + "hello\r\n--b0und--\r\n", "boundary" },
        { "a boundary the body never uses", "multipart/form-data; boundary=other", Part + "hello\r\n--b0und--\r\n", "not a complete multipart" },
        { "cut off inside the file", "multipart/form-data; boundary=b0und", Part + "hello, and then noth", "not a complete multipart" },
        { "cut off inside the headers", "multipart/form-data; boundary=b0und", "--b0und\r\nContent-Disposition: form-da", "not a complete multipart" },
        { "headers of 20 KB", "multipart/form-data; boundary=b0und", "--b0und\r\nX-Padding: " + new string('p', 20_000) + "\r\n\r\nhello\r\n--b0und--\r\n", "not a complete multipart" },
        { "an empty body", "multipart/form-data; boundary=b0und", "", "not a complete multipart" },
        { "no file field", "multipart/form-data; boundary=b0und", "--b0und\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n--b0und--\r\n", "no file" },
        { "JSON", "application/json", "{\"file\": \"aGVsbG8=\"}", "must be multipart/form-data" },
        { "no content type", "", "hello", "must be multipart/form-data" },
    };

    [Theory]
    [MemberData(nameof(MalformedUploads))]
    public async Task Upload_MalformedMultipart_Is400InvalidRequest_AndLeavesNothingBehind(string why, string contentType, string body, string message)
    {
        foreach (var path in new[] { "/api/v1/files/upload", "/v1/files/upload-file" })
        {
            using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (contentType.Length > 0)
            {
                content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
            var response = await fx.Server.Http.PostAsync(path, content);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode == 400, $"{why} at {path}: {(int)response.StatusCode} {text}");
            var error = JsonNode.Parse(text)!;
            Assert.Equal("INVALID_REQUEST", error["error"]!.GetValue<string>());
            Assert.Contains(message, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        var staging = Path.Combine(fx.Server.DataDir, "work", "files");
        Assert.True(!Directory.Exists(staging) || !Directory.EnumerateFiles(staging, "a.bin", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public async Task StoredFile_AsACommandInput_IsReadFromTheBlobStore_EvenWithPrivateUrlsForbidden_ButOnlyForItsOwner()
    {
        await using var server = await RenditionTestServer.StartAsync(allowPrivateUrls: false, workers: 1);
        var bytes = await File.ReadAllBytesAsync(Path.Combine(fx.MediaDir, "small.mp4"));
        var id = await UploadAsync(server.Http, bytes, "source.mp4");
        var url = (await WaitFileAsync(server.Http, id))["storage_url"]!.GetValue<string>();
        var body = new
        {
            input_files = new { in_v = url },
            output_files = new { out_v = "from_upload.mkv" },
            ffmpeg_command = "-i {{in_v}} -c copy {{out_v}}",
        };
        var mine = await server.WaitAsync(await server.SubmitAsync(body));
        Assert.Equal("SUCCESS", mine["status"]!.GetValue<string>());
        Assert.Equal(160, mine["output_files"]!["out_v"]!["width"]!.GetValue<int>());

        // Another account holding the link is an ordinary external URL: here that means loopback, which is refused.
        using var other = await server.CreateAccountClientAsync();
        var theirs = await server.WaitAsync(await server.SubmitAsync(body, client: other), client: other);
        Assert.Equal("FAILED", theirs["status"]!.GetValue<string>());
        Assert.Equal("UNREACHABLE_INPUT_FILE", theirs["error_status"]!.GetValue<string>());
    }
}
