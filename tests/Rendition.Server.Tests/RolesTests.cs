using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Rendition.Testing;

namespace Rendition.Server.Tests;

[Collection("server")]
public sealed class RolesTests(ServerFixture fx)
{
    [Fact]
    public async Task ApiOnlyNode_AcceptsCommands_ButRunsNone()
    {
        await using var api = await RenditionTestServer.StartAsync(workers: 0);
        var id = await api.SubmitAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("small.mp4") },
            output_files = new { out_v = "api-only.mp4" },
            ffmpeg_command = "-i {{in_v}} -c copy {{out_v}}",
        });
        await Task.Delay(2500);
        var poll = (await api.Http.GetFromJsonAsync<JsonObject>($"/api/v1/commands/{id}"))!;
        Assert.Equal("QUEUED", poll["status"]!.GetValue<string>());

        // The same data directory with workers picks it up: the queue is the store, not the process.
        await api.RestartAsync();
        Assert.Equal("QUEUED", (await api.Http.GetFromJsonAsync<JsonObject>($"/api/v1/commands/{id}"))!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task WorkerCommand_RefusesToShareTheEmbeddedStore()
    {
        var dataDir = Directory.CreateTempSubdirectory("rendition-worker-").FullName;
        try
        {
            var (exit, _, stderr) = await TestMedia.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "rendition.dll"), "worker"],
                new Dictionary<string, string> { ["RENDITION_DATA_DIR"] = dataDir });
            Assert.Equal(2, exit);
            Assert.Contains("RENDITION_POSTGRES", stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task Shutdown_LetsARunningJobFinishWithinTheGrace()
    {
        await using var server = await RenditionTestServer.StartAsync(workers: 1, extraSettings: new Dictionary<string, string?> { ["RENDITION_SHUTDOWN_GRACE_SECONDS"] = "20" });
        var id = await server.SubmitAsync(new
        {
            input_files = new Dictionary<string, string>(),
            output_files = new { out_v = "graceful.mp4" },
            ffmpeg_command = "-re -f lavfi -i testsrc2=s=32x32:r=10:d=2 -c:v libx264 -preset ultrafast {{out_v}}",
        });
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await server.Http.GetFromJsonAsync<JsonObject>($"/api/v1/commands/{id}"))!["status"]!.GetValue<string>() != "PROCESSING")
        {
            Assert.True(DateTime.UtcNow < deadline);
            await Task.Delay(50);
        }
        string? statusWhileDown = null;
        await server.RestartAsync(async () =>
        {
            // Read the store directly while the server is down: the job finished during the shutdown itself.
            var db = new Rendition.Data.Sqlite.SqliteDatabase(Path.Combine(server.DataDir, "rendition.db"));
            var account = await new Rendition.Data.Sqlite.SqliteAccountStore(db, TimeProvider.System).FindByNameAsync("default", CancellationToken.None);
            statusWhileDown = (await new Rendition.Data.Sqlite.SqliteCommandStore(db, TimeProvider.System).GetAsync(account!.Id, Guid.Parse(id), CancellationToken.None))!.Value.Command.Status;
        });
        Assert.Equal("SUCCESS", statusWhileDown);
    }
}
