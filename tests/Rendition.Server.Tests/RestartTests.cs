using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Rendition.Testing;

namespace Rendition.Server.Tests;

[Collection("server")]
public sealed class RestartTests(ServerFixture fx)
{
    [Fact]
    public async Task CommandsQueuedOrRunningAtShutdown_AllFinishAfterRestart()
    {
        await using var server = await RenditionTestServer.StartAsync(workers: 1);
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await server.SubmitAsync(new
            {
                input_files = new { in_v = fx.Inputs.Url("sample.mp4") },
                output_files = new { out_v = $"r{i}.mp4" },
                ffmpeg_command = "-i {{in_v}} -c:v libx264 -preset veryfast {{out_v}}",
            }));
        }

        var unfinished = 0;
        foreach (var id in ids)
        {
            var status = (await server.Http.GetFromJsonAsync<JsonObject>($"/api/v1/commands/{id}"))!["status"]!.GetValue<string>();
            unfinished += status is "QUEUED" or "PROCESSING" ? 1 : 0;
        }
        Assert.True(unfinished >= 2, $"only {unfinished} command(s) were unfinished at shutdown; the test needs queued work");

        await server.RestartAsync(async () =>
        {
            using var probe = new HttpClient();
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => probe.GetAsync(server.BaseUrl + "/health"));
        });
        foreach (var id in ids)
        {
            var poll = await server.WaitAsync(id);
            Assert.True("SUCCESS" == poll["status"]!.GetValue<string>(), poll.ToJsonString());
            Assert.Equal(2, poll["output_files"]!["out_v"]!["duration"]!.GetValue<double>(), 0);
        }
    }

    /// <summary>
    /// The server as a separate OS process, SIGKILLed the moment its answer arrives: nothing it would write after answering
    /// (or on a graceful stop) gets written. It runs no workers, so only the submission itself can have stored the command;
    /// a new process on the same data directory must know it and run it.
    /// </summary>
    [Fact]
    public async Task SubmittedCommand_IsPersistedBeforeTheAnswer()
    {
        var dataDir = Directory.CreateTempSubdirectory("rendition-killed-").FullName;
        try
        {
            var port = LoopbackPort.Free();
            var env = new Dictionary<string, string>
            {
                ["RENDITION_BOOTSTRAP_API_KEY"] = RenditionTestServer.ApiKey,
                ["RENDITION_ALLOW_PRIVATE_URLS"] = "true",
                ["RENDITION_RATE_LIMIT_PER_MINUTE"] = "0",
                ["RENDITION_SUBMIT_LIMIT_PER_MINUTE"] = "0",
                ["RENDITION_WORKERS"] = "0",
            };
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Add("X-API-KEY", RenditionTestServer.ApiKey);
            string id;
            await using (var first = RenditionProcess.Start("killed", "serve", env, port, dataDir))
            {
                await first.WaitHealthyAsync(TimeSpan.FromSeconds(60));
                using var answer = await http.PostAsync("/api/v1/run-ffmpeg-command", RenditionTestServer.Json(new
                {
                    input_files = new { in_v = fx.Inputs.Url("small.mp4") },
                    output_files = new { out_v = "p.mp4" },
                    ffmpeg_command = "-i {{in_v}} -c copy {{out_v}}",
                }));
                await first.KillAsync();
                var text = await answer.Content.ReadAsStringAsync();
                Assert.True(answer.IsSuccessStatusCode, $"submit answered {(int)answer.StatusCode}: {text}");
                id = JsonNode.Parse(text)!["command_id"]!.GetValue<string>();
            }

            await using var second = RenditionProcess.Start("restarted", "serve", new Dictionary<string, string>(env) { ["RENDITION_WORKERS"] = "1" }, port, dataDir);
            await second.WaitHealthyAsync(TimeSpan.FromSeconds(60));
            using var known = await http.GetAsync($"/api/v1/commands/{id}");
            Assert.True(known.IsSuccessStatusCode, $"the command was lost: {(int)known.StatusCode}{Environment.NewLine}{second.Tail()}");
            var poll = await RenditionTestServer.WaitFinalAsync(http, id);
            Assert.True(poll["status"]!.GetValue<string>() == "SUCCESS", $"{poll.ToJsonString()}{Environment.NewLine}{second.Tail()}");
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }
}
