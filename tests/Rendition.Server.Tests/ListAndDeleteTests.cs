using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Rendition.Testing;

namespace Rendition.Server.Tests;

[Collection("server")]
public sealed class ListAndDeleteTests(ServerFixture fx)
{
    private object Copy(string name) => new
    {
        input_files = new { in_v = fx.Inputs.Url("small.mp4") },
        output_files = new { out_v = name },
        ffmpeg_command = "-i {{in_v}} -c copy {{out_v}}",
    };

    [Fact]
    public async Task Listing_IsNewestFirst_Paginated_Filtered_AndOnlyTheCallersAccount()
    {
        using var a = await fx.Server.CreateAccountClientAsync();
        using var b = await fx.Server.CreateAccountClientAsync();
        var first = await fx.Server.SubmitAsync(Copy("l1.mp4"), client: a);
        var failing = await fx.Server.SubmitAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("nope.mp4") },
            output_files = new { out_v = "l2.mp4" },
            ffmpeg_command = "-i {{in_v}} {{out_v}}",
        }, client: a);
        var chained = await fx.Server.SubmitAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("small.mp4") },
            output_files = new { out_v = "l3.mp4" },
            ffmpeg_commands = new[] { "-i {{in_v}} -c copy {{out_v}}" },
        }, "/api/v1/run-chained-ffmpeg-commands", a);
        var others = await fx.Server.SubmitAsync(Copy("other.mp4"), client: b);
        foreach (var id in new[] { first, failing, chained })
        {
            await fx.Server.WaitAsync(id, client: a);
        }

        var all = (await a.GetFromJsonAsync<JsonObject>("/api/v1/commands"))!;
        Assert.Equal(50, all["limit"]!.GetValue<int>());
        Assert.Equal(0, all["offset"]!.GetValue<int>());
        Assert.Equal(new[] { chained, failing, first }, Ids(all));
        Assert.DoesNotContain(others, Ids(all));
        Assert.Equal("SUCCESS", all["commands"]![0]!["status"]!.GetValue<string>());
        Assert.NotNull(all["commands"]![0]!["output_files"]!["out_v"]!["storage_url"]);

        Assert.Equal(new[] { chained, failing }, Ids((await a.GetFromJsonAsync<JsonObject>("/api/v1/commands?limit=2"))!));
        Assert.Equal(new[] { first }, Ids((await a.GetFromJsonAsync<JsonObject>("/api/v1/commands?limit=2&offset=2"))!));
        Assert.Equal(new[] { failing }, Ids((await a.GetFromJsonAsync<JsonObject>("/api/v1/commands?status=FAILED"))!));
        Assert.Equal(new[] { chained }, Ids((await a.GetFromJsonAsync<JsonObject>("/api/v1/commands?command_type=CHAINED_COMMAND"))!));
        Assert.Equal(new[] { chained, first }, Ids((await a.GetFromJsonAsync<JsonObject>("/api/v1/commands?status=SUCCESS"))!));
        Assert.Equal(100, (await a.GetFromJsonAsync<JsonObject>("/api/v1/commands?limit=5000"))!["limit"]!.GetValue<int>());

        foreach (var bad in new[] { "limit=abc", "limit=0", "offset=-1", "status=DONE", "command_type=OTHER" })
        {
            var response = await a.GetAsync($"/api/v1/commands?{bad}");
            Assert.Equal(422, (int)response.StatusCode);
            Assert.Equal("VALIDATION_ERROR", (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.GetValue<string>());
        }

        // Rendi: a bare array of summaries.
        var rendi = (await a.GetFromJsonAsync<JsonArray>("/v1/commands?limit=10"))!;
        Assert.Equal(new[] { chained, failing, first }, rendi.Select(c => c!["command_id"]!.GetValue<string>()));
        Assert.Equal("FFMPEG_CHAINED_COMMANDS", rendi[0]!["command_type"]!.GetValue<string>());
        Assert.Equal(1, rendi[0]!["output_file_count"]!.GetValue<int>());
        Assert.Equal("UNREACHABLE_INPUT_FILE", rendi[1]!["error_status"]!.GetValue<string>());
        Assert.True(DateTimeOffset.TryParse(rendi[2]!["created_at"]!.GetValue<string>(), out _));
        Assert.Single((await a.GetFromJsonAsync<JsonArray>("/v1/commands?limit=1&offset=1"))!);
    }

    private static string[] Ids(JsonObject list) => [.. list["commands"]!.AsArray().Select(c => c!["command_id"]!.GetValue<string>())];

    [Fact]
    public async Task DeletingFiles_MarksThemDeleted_AndKillsTheirUrls()
    {
        var id = await fx.Server.SubmitAsync(Copy("del.mp4"));
        var poll = await fx.Server.WaitAsync(id);
        var url = poll["output_files"]!["out_v"]!["storage_url"]!.GetValue<string>();
        using var anonymous = new HttpClient();
        Assert.Equal(200, (int)(await anonymous.GetAsync(url)).StatusCode);

        var response = await fx.Server.Http.DeleteAsync($"/api/v1/commands/{id}/files");
        Assert.Equal(200, (int)response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(body["deleted"]!.GetValue<bool>());
        Assert.Equal(1, body["files_deleted"]!.GetValue<int>());

        var after = (await fx.Server.Http.GetFromJsonAsync<JsonObject>($"/api/v1/commands/{id}"))!["output_files"]!["out_v"]!;
        Assert.True(after["is_deleted"]!.GetValue<bool>());
        Assert.Null(after["storage_url"]);
        Assert.Equal(404, (int)(await anonymous.GetAsync(url)).StatusCode);

        var again = (await (await fx.Server.Http.DeleteAsync($"/v1/commands/{id}/files")).Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(0, again["files_deleted"]!.GetValue<int>());
    }

    [Fact]
    public async Task DeletingFiles_WhileRunning_IsAConflict_AndOtherAccountsGetNotFound()
    {
        var id = await fx.Server.SubmitAsync(new
        {
            input_files = new Dictionary<string, string>(),
            output_files = new { out_v = "running.mp4" },
            ffmpeg_command = "-re -f lavfi -i testsrc2=s=32x32:r=5:d=3 {{out_v}}",
        });
        var response = await fx.Server.Http.DeleteAsync($"/api/v1/commands/{id}/files");
        Assert.Equal(409, (int)response.StatusCode);
        Assert.Equal("CONFLICT", (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.GetValue<string>());
        using var other = await fx.Server.CreateAccountClientAsync();
        Assert.Equal(404, (int)(await other.DeleteAsync($"/api/v1/commands/{id}/files")).StatusCode);
        await fx.Server.WaitAsync(id);
    }
}
