using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Rendition.Core.Storage;
using Rendition.Execution;
using Rendition.Testing;

namespace Rendition.Server.Tests;

[Collection("server")]
public sealed class FileLifecycleTests(ServerFixture fx)
{
    [Fact]
    public async Task RetentionSweep_DeletesExpiredFiles_KeepingTheirRecords()
    {
        await using var server = await RenditionTestServer.StartAsync(workers: 1, extraSettings: new Dictionary<string, string?> { ["RENDITION_FILE_RETENTION_DAYS"] = "30" });
        var stored = await server.Http.PostAsJsonAsync("/api/v1/files/store-file", new { file_url = fx.Inputs.Url("small.mp4") });
        var id = (await stored.Content.ReadFromJsonAsync<JsonObject>())!["file_id"]!.GetValue<string>();
        JsonObject file;
        do
        {
            await Task.Delay(50);
            file = (await server.Http.GetFromJsonAsync<JsonObject>($"/api/v1/files/{id}"))!;
        }
        while (file["status"]!.GetValue<string>() == "PROCESSING");
        var url = file["storage_url"]!.GetValue<string>();

        var sweep = server.Services.GetRequiredService<FileRetentionService>();
        Assert.Equal(0, await sweep.SweepAsync(30, CancellationToken.None));
        Assert.Equal(1, await sweep.SweepAsync(0, CancellationToken.None));

        var after = (await server.Http.GetFromJsonAsync<JsonObject>($"/api/v1/files/{id}"))!;
        Assert.True(after["is_deleted"]!.GetValue<bool>());
        Assert.Null(after["storage_url"]);
        using var anonymous = new HttpClient();
        Assert.Equal(404, (int)(await anonymous.GetAsync(url)).StatusCode);
    }

    [Fact]
    public async Task FileStillProcessingAtShutdown_IsFinishedAfterRestart()
    {
        await using var server = await RenditionTestServer.StartAsync(workers: 1);
        var id = Guid.NewGuid();
        await server.RestartAsync(async () =>
        {
            // While the server is down, a store-file request is on record but was never fetched.
            var db = new Rendition.Data.Sqlite.SqliteDatabase(Path.Combine(server.DataDir, "rendition.db"));
            var account = await new Rendition.Data.Sqlite.SqliteAccountStore(db, TimeProvider.System).FindByNameAsync("default", CancellationToken.None);
            await new Rendition.Data.Sqlite.SqliteFileStore(db).InsertFileAsync(new FileRecord
            {
                Id = id,
                AccountId = account!.Id,
                Filename = "small.mp4",
                Status = "PROCESSING",
                StoreType = "STORED_FILE",
                StorageKey = BlobKeys.ForFile(id, "small.mp4"),
                OriginalFileUrl = fx.Inputs.Url("small.mp4"),
                CreatedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            }, CancellationToken.None);
        });
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonObject file;
        do
        {
            await Task.Delay(50);
            file = (await server.Http.GetFromJsonAsync<JsonObject>($"/api/v1/files/{id}"))!;
            Assert.True(DateTime.UtcNow < deadline);
        }
        while (file["status"]!.GetValue<string>() == "PROCESSING");
        Assert.Equal("STORED", file["status"]!.GetValue<string>());
        Assert.Equal(160, file["width"]!.GetValue<int>());
    }
}
