using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Rendition.Server.Tests.Infrastructure;

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

    [Fact]
    public async Task SubmittedCommand_IsPersistedBeforeTheAnswer()
    {
        await using var server = await RenditionTestServer.StartAsync(workers: 1);
        var id = await server.SubmitAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("small.mp4") },
            output_files = new { out_v = "p.mp4" },
            ffmpeg_command = "-i {{in_v}} -c copy {{out_v}}",
        });
        await server.RestartAsync();
        var poll = await server.Http.GetFromJsonAsync<JsonObject>($"/api/v1/commands/{id}");
        Assert.NotNull(poll);
        Assert.Equal(id, poll["command_id"]!.GetValue<string>());
        Assert.Equal("SUCCESS", (await server.WaitAsync(id))["status"]!.GetValue<string>());
    }
}
