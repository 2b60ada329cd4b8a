using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Rendition.Testing;

namespace Rendition.Server.Tests;

[Collection("server")]
public sealed class JobControlTests(ServerFixture fx)
{
    private static object Slow(string name, int seconds = 6) => new
    {
        input_files = new Dictionary<string, string>(),
        output_files = new { out_v = name },
        ffmpeg_command = $"-re -f lavfi -i testsrc2=s=64x48:r=10:d=60 -t {seconds} -c:v libx264 -preset ultrafast {{{{out_v}}}}",
    };

    [Fact]
    public async Task Progress_RisesWhileProcessing_AndTheEventStreamEndsWithSuccess()
    {
        var id = await fx.Server.SubmitAsync(Slow("progress.mp4", 4));
        var events = Task.Run(async () =>
        {
            using var client = new HttpClient { BaseAddress = new Uri(fx.Server.BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
            client.DefaultRequestHeaders.Add("X-API-KEY", RenditionTestServer.ApiKey);
            using var response = await client.GetAsync($"/api/v1/commands/{id}/events", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
            return await response.Content.ReadAsStringAsync();
        });

        var percents = new List<double>();
        while (true)
        {
            var poll = (await fx.Server.Http.GetFromJsonAsync<JsonObject>($"/api/v1/commands/{id}"))!;
            var status = poll["status"]!.GetValue<string>();
            if (status == "SUCCESS")
            {
                Assert.Null(poll["progress"]);
                break;
            }
            if (status == "PROCESSING" && poll["progress"] is JsonObject progress)
            {
                Assert.Equal(1, progress["step"]!.GetValue<int>());
                Assert.Equal(1, progress["steps"]!.GetValue<int>());
                if (progress["percent"] is JsonValue p)
                {
                    percents.Add(p.GetValue<double>());
                }
            }
            await Task.Delay(200);
        }
        Assert.True(percents.Count >= 3, $"saw {percents.Count} progress values");
        Assert.Equal(percents.Order(), percents);
        Assert.True(percents[^1] > percents[0]);
        Assert.InRange(percents[^1], 50, 100);

        var stream = await events;
        var statusEvents = stream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Where(e => e.StartsWith("event: status", StringComparison.Ordinal)).ToList();
        Assert.Contains(statusEvents, e => e.Contains("\"PROCESSING\"", StringComparison.Ordinal) && e.Contains("\"percent\"", StringComparison.Ordinal));
        Assert.Contains("\"SUCCESS\"", statusEvents[^1], StringComparison.Ordinal);
        var end = stream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Last();
        Assert.StartsWith("event: end", end, StringComparison.Ordinal);
        var final = JsonNode.Parse(end[(end.IndexOf("data: ", StringComparison.Ordinal) + 6)..])!;
        Assert.Equal("SUCCESS", final["status"]!.GetValue<string>());
        Assert.Equal(id, final["command_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Progress_WithoutAnExplicitLength_TakesItsPercentageFromTheInputsDuration()
    {
        // No -t: the expected length is the input's, read from ffmpeg's own log header (no extra ffprobe run).
        var id = await fx.Server.SubmitAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("sample.mp4") },
            output_files = new { out_v = "paced.mp4" },
            ffmpeg_command = "-re -i {{in_v}} -c:v libx264 -preset ultrafast -an {{out_v}}",
        });
        var percents = new List<double>();
        while (true)
        {
            var poll = (await fx.Server.Http.GetFromJsonAsync<JsonObject>($"/api/v1/commands/{id}"))!;
            var status = poll["status"]!.GetValue<string>();
            if (status is "SUCCESS" or "FAILED")
            {
                Assert.Equal("SUCCESS", status);
                break;
            }
            if (poll["progress"]?["percent"] is JsonValue p)
            {
                percents.Add(p.GetValue<double>());
            }
            await Task.Delay(100);
        }
        Assert.NotEmpty(percents);
        Assert.All(percents, p => Assert.InRange(p, 0, 100));
        Assert.Contains(percents, p => p is > 0 and < 100);
    }

    [Fact]
    public async Task Cancel_OfARunningJob_EndsItCancelledWithinTwoSeconds_AndKillsFfmpeg()
    {
        var id = await fx.Server.SubmitAsync(Slow("cancel.mp4", 30));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await fx.Server.Http.GetFromJsonAsync<JsonObject>($"/api/v1/commands/{id}"))!["status"]!.GetValue<string>() != "PROCESSING")
        {
            Assert.True(DateTime.UtcNow < deadline);
            await Task.Delay(50);
        }
        await Task.Delay(500);
        var watch = Stopwatch.StartNew();
        var response = await fx.Server.Http.PostAsync($"/api/v1/commands/{id}/cancel", null);
        Assert.Equal(200, (int)response.StatusCode);
        var poll = (await fx.Server.WaitAsync(id))!;
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"cancel took {watch.Elapsed}");
        Assert.Equal("FAILED", poll["status"]!.GetValue<string>());
        Assert.Equal("CANCELLED", poll["error_status"]!.GetValue<string>());
        var (_, ps, _) = await TestMedia.RunAsync("ps", ["-eo", "args"]);
        Assert.DoesNotContain("cancel.mp4", ps, StringComparison.Ordinal);

        var again = await fx.Server.Http.PostAsync($"/api/v1/commands/{id}/cancel", null);
        Assert.Equal(409, (int)again.StatusCode);
        Assert.Equal("CONFLICT", (await again.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.GetValue<string>());
        using var other = await fx.Server.CreateAccountClientAsync();
        Assert.Equal(404, (int)(await other.PostAsync($"/api/v1/commands/{id}/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task Cancel_OfAQueuedJob_EndsItAtOnce()
    {
        await using var server = await RenditionTestServer.StartAsync(workers: 1);
        var blocker = await server.SubmitAsync(Slow("blocker.mp4", 30));
        var queued = await server.SubmitAsync(Slow("queued.mp4", 1));
        var poll = (await (await server.Http.PostAsync($"/api/v1/commands/{queued}/cancel", null)).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("FAILED", poll["status"]!.GetValue<string>());
        Assert.Equal("CANCELLED", poll["error_status"]!.GetValue<string>());
        await server.Http.PostAsync($"/api/v1/commands/{blocker}/cancel", null);
        Assert.Equal("CANCELLED", (await server.WaitAsync(blocker))["error_status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Wait_ReturnsTheFinishedJobWithoutPolling_AndTimesOutWhenItIsNotDone()
    {
        var watch = Stopwatch.StartNew();
        var direct = await fx.Server.Http.PostAsJsonAsync("/api/v1/run-ffmpeg-command?wait=30", new
        {
            input_files = new { in_v = fx.Inputs.Url("small.mp4") },
            output_files = new { out_v = "waited.mp4" },
            ffmpeg_command = "-i {{in_v}} -c copy {{out_v}}",
        });
        Assert.Equal(200, (int)direct.StatusCode);
        var finished = (await direct.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("SUCCESS", finished["status"]!.GetValue<string>());
        Assert.NotNull(finished["output_files"]!["out_v"]!["storage_url"]);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20));

        var slow = await fx.Server.Http.PostAsJsonAsync("/api/v1/run-ffmpeg-command?wait=1", Slow("late.mp4", 4));
        Assert.Equal(202, (int)slow.StatusCode);
        var id = (await slow.Content.ReadFromJsonAsync<JsonObject>())!["command_id"]!.GetValue<string>();
        watch.Restart();
        var notYet = (await fx.Server.Http.GetFromJsonAsync<JsonObject>($"/api/v1/commands/{id}?wait=1"))!;
        Assert.InRange(watch.Elapsed.TotalSeconds, 0.9, 5);
        Assert.NotEqual("SUCCESS", notYet["status"]!.GetValue<string>());
        var done = (await fx.Server.Http.GetFromJsonAsync<JsonObject>($"/api/v1/commands/{id}?wait=30"))!;
        Assert.Equal("SUCCESS", done["status"]!.GetValue<string>());

        Assert.Equal(422, (int)(await fx.Server.Http.GetAsync($"/api/v1/commands/{id}?wait=61")).StatusCode);
        Assert.Equal(422, (int)(await fx.Server.Http.GetAsync($"/api/v1/commands/{id}?wait=soon")).StatusCode);
    }

    [Fact]
    public async Task Log_HoldsFfmpegsStderr_WithoutTheBanner()
    {
        var ok = await fx.Server.WaitAsync(await fx.Server.SubmitAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("small.mp4") },
            output_files = new { out_v = "logged.mkv" },
            ffmpeg_command = "-i {{in_v}} -c copy {{out_v}}",
        }));
        var log = await fx.Server.Http.GetStringAsync($"/api/v1/commands/{ok["command_id"]}/log");
        Assert.Contains("Input #0", log, StringComparison.Ordinal);
        Assert.Contains("Output #0, matroska", log, StringComparison.Ordinal);
        Assert.DoesNotContain("ffmpeg version", log, StringComparison.Ordinal);
        Assert.DoesNotContain("configuration:", log, StringComparison.Ordinal);
        Assert.DoesNotContain("[info]", log, StringComparison.Ordinal);

        var failed = await fx.Server.WaitAsync(await fx.Server.SubmitAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("small.mp4") },
            output_files = new { out_v = "bad.mp4" },
            ffmpeg_command = "-i {{in_v}} -c:v nonexistent_encoder {{out_v}}",
        }));
        var message = failed["error_message"]!.GetValue<string>();
        Assert.Contains("nonexistent_encoder", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Input #0", message, StringComparison.Ordinal);
        var failedLog = await fx.Server.Http.GetStringAsync($"/api/v1/commands/{failed["command_id"]}/log");
        Assert.Contains("Input #0", failedLog, StringComparison.Ordinal);
        Assert.Contains("nonexistent_encoder", failedLog, StringComparison.Ordinal);
        Assert.Equal(404, (int)(await fx.Server.Http.GetAsync($"/api/v1/commands/{Guid.NewGuid()}/log")).StatusCode);
    }

    [Fact]
    public async Task IdempotencyKey_ReturnsTheOriginalCommand_AndRefusesAnotherBody()
    {
        using var client = await fx.Server.CreateAccountClientAsync();
        var body = new
        {
            input_files = new { in_v = fx.Inputs.Url("small.mp4") },
            output_files = new { out_v = "once.mp4" },
            ffmpeg_command = "-i {{in_v}} -c copy {{out_v}}",
        };
        async Task<HttpResponseMessage> Send(object payload, string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/run-ffmpeg-command") { Content = RenditionTestServer.Json(payload) };
            request.Headers.Add("Idempotency-Key", key);
            return await client.SendAsync(request);
        }
        var first = await (await Send(body, "order-42")).Content.ReadFromJsonAsync<JsonObject>();
        var retry = await Send(body, "order-42");
        Assert.Equal(200, (int)retry.StatusCode);
        Assert.Equal(first!["command_id"]!.GetValue<string>(), (await retry.Content.ReadFromJsonAsync<JsonObject>())!["command_id"]!.GetValue<string>());

        var reused = await Send(new { body.input_files, body.output_files, ffmpeg_command = "-i {{in_v}} -c:v libx264 {{out_v}}" }, "order-42");
        Assert.Equal(422, (int)reused.StatusCode);
        Assert.Equal("IDEMPOTENCY_KEY_REUSED", (await reused.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.GetValue<string>());

        var concurrent = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Send(body, "order-43")));
        var ids = new HashSet<string>();
        foreach (var response in concurrent)
        {
            Assert.Equal(200, (int)response.StatusCode);
            ids.Add((await response.Content.ReadFromJsonAsync<JsonObject>())!["command_id"]!.GetValue<string>());
        }
        Assert.Single(ids);
        var list = (await client.GetFromJsonAsync<JsonObject>("/api/v1/commands"))!["commands"]!.AsArray();
        Assert.Equal(2, list.Count);

        // Keys are per account: another account may use the same one.
        using var other = await fx.Server.CreateAccountClientAsync();
        using var otherRequest = new HttpRequestMessage(HttpMethod.Post, "/api/v1/run-ffmpeg-command") { Content = RenditionTestServer.Json(body) };
        otherRequest.Headers.Add("Idempotency-Key", "order-42");
        var theirs = await other.SendAsync(otherRequest);
        Assert.NotEqual(first["command_id"]!.GetValue<string>(), (await theirs.Content.ReadFromJsonAsync<JsonObject>())!["command_id"]!.GetValue<string>());
    }
}
