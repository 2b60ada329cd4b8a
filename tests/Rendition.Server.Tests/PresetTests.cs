using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Rendition.Testing;

namespace Rendition.Server.Tests;

[Collection("server")]
public sealed class PresetTests(ServerFixture fx)
{
    private static async Task<JsonObject> CreateAsync(HttpClient client, object body)
    {
        var response = await client.PostAsJsonAsync("/api/v1/presets", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(201 == (int)response.StatusCode, $"create answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private static async Task<JsonObject> ExecuteAsync(HttpClient client, string presetId, object body, int expected = 200)
    {
        var response = await client.PostAsJsonAsync($"/api/v1/presets/{presetId}/execute", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == (int)response.StatusCode, $"execute answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    [Fact]
    public async Task Crud_CreateListGetUpdateDelete_WithUniqueNamesPerAccount()
    {
        using var client = await fx.Server.CreateAccountClientAsync();
        var created = await CreateAsync(client, new
        {
            name = "web-720",
            description = "720p H.264 for the web",
            ffmpeg_command = "-i {{in_video}} -vf scale=-2:720 -c:v libx264 -crf 23 {{out_video}}",
            input_file_keys = new[] { "in_video" },
            output_file_definitions = new { out_video = "web.mp4" },
            metadata = new { team = "video" },
        });
        var id = created["preset_id"]!.GetValue<string>();
        Assert.StartsWith("prs_", id, StringComparison.Ordinal);
        Assert.False(created["is_system"]!.GetValue<bool>());
        Assert.NotNull(created["created_at"]);
        Assert.Equal("web.mp4", created["output_file_definitions"]!["out_video"]!.GetValue<string>());

        Assert.Equal(409, (int)(await client.PostAsJsonAsync("/api/v1/presets", new
        {
            name = "web-720",
            ffmpeg_command = "-i {{in_v}} {{out_v}}",
            input_file_keys = new[] { "in_v" },
            output_file_definitions = new { out_v = "o.mp4" },
        })).StatusCode);

        var list = (await client.GetFromJsonAsync<JsonObject>("/api/v1/presets"))!["presets"]!.AsArray();
        Assert.Equal(id, Assert.Single(list)!["preset_id"]!.GetValue<string>());

        var update = await client.PutAsJsonAsync($"/api/v1/presets/{id}", new { description = "changed", metadata = new { owner = "ops" } });
        Assert.Equal(200, (int)update.StatusCode);
        var got = (await client.GetFromJsonAsync<JsonObject>($"/api/v1/presets/{id}"))!;
        Assert.Equal("changed", got["description"]!.GetValue<string>());
        Assert.Null(got["metadata"]!["team"]);
        Assert.Equal("ops", got["metadata"]!["owner"]!.GetValue<string>());
        Assert.Equal("web-720", got["name"]!.GetValue<string>());

        Assert.Equal(422, (int)(await client.PutAsJsonAsync($"/api/v1/presets/{id}", new { })).StatusCode);
        Assert.Equal(422, (int)(await client.PutAsJsonAsync($"/api/v1/presets/{id}", new { ffmpeg_command = "-i {{in_video}} -i /etc/passwd {{out_video}}" })).StatusCode);

        using var other = await fx.Server.CreateAccountClientAsync();
        Assert.Equal(404, (int)(await other.GetAsync($"/api/v1/presets/{id}")).StatusCode);
        Assert.Equal(404, (int)(await other.PostAsJsonAsync($"/api/v1/presets/{id}/execute", new { input_files = new { in_video = fx.Inputs.Url("small.mp4") } })).StatusCode);
        Assert.Equal(404, (int)(await other.DeleteAsync($"/api/v1/presets/{id}")).StatusCode);
        Assert.Empty((await other.GetFromJsonAsync<JsonObject>("/api/v1/presets"))!["presets"]!.AsArray());

        Assert.Equal(200, (int)(await client.DeleteAsync($"/api/v1/presets/{id}")).StatusCode);
        Assert.Equal(404, (int)(await client.GetAsync($"/api/v1/presets/{id}")).StatusCode);
    }

    [Fact]
    public async Task PresetObject_AlwaysCarriesCommandType_AndBothCommandFields_AsRenderIODocumentsIt()
    {
        using var client = await fx.Server.CreateAccountClientAsync();
        var single = await CreateAsync(client, new
        {
            name = "shape-single",
            ffmpeg_command = "-i {{in_v}} -c copy {{out_v}}",
            input_file_keys = new[] { "in_v" },
            output_file_definitions = new { out_v = "o.mp4" },
        });
        var chained = await CreateAsync(client, new
        {
            name = "shape-chain",
            ffmpeg_commands = new[] { "-i {{in_v}} -t 0.5 -c copy {{out_clip}}", "-i {{out_clip}} -frames:v 1 {{out_thumb}}" },
            input_file_keys = new[] { "in_v" },
            output_file_definitions = new { out_clip = "clip.mp4", out_thumb = "thumb.png" },
        });
        var singleId = single["preset_id"]!.GetValue<string>();
        var chainedId = chained["preset_id"]!.GetValue<string>();

        // The unused field is present as JSON null (an n8n expression on it sees null, not undefined).
        static void AssertSingle(JsonObject p)
        {
            Assert.Equal("FFMPEG_COMMAND", p["command_type"]!.GetValue<string>());
            Assert.Equal("-i {{in_v}} -c copy {{out_v}}", p["ffmpeg_command"]!.GetValue<string>());
            Assert.True(p.ContainsKey("ffmpeg_commands"), p.ToJsonString());
            Assert.Null(p["ffmpeg_commands"]);
        }
        static void AssertChained(JsonObject p)
        {
            Assert.Equal("CHAINED_COMMAND", p["command_type"]!.GetValue<string>());
            Assert.Equal(2, p["ffmpeg_commands"]!.AsArray().Count);
            Assert.True(p.ContainsKey("ffmpeg_command"), p.ToJsonString());
            Assert.Null(p["ffmpeg_command"]);
        }
        AssertSingle(single);
        AssertChained(chained);
        AssertSingle((await client.GetFromJsonAsync<JsonObject>($"/api/v1/presets/{singleId}"))!);
        AssertChained((await client.GetFromJsonAsync<JsonObject>($"/api/v1/presets/{chainedId}"))!);
        var listed = (await client.GetFromJsonAsync<JsonObject>("/api/v1/presets"))!["presets"]!.AsArray().Select(p => p!.AsObject()).ToList();
        AssertSingle(listed.Single(p => p["preset_id"]!.GetValue<string>() == singleId));
        AssertChained(listed.Single(p => p["preset_id"]!.GetValue<string>() == chainedId));

        // Switching kinds on update switches the type and nulls the other field.
        var switched = await client.PutAsJsonAsync($"/api/v1/presets/{singleId}", new
        {
            ffmpeg_commands = new[] { "-i {{in_v}} -c copy {{out_v}}" },
        });
        Assert.Equal(200, (int)switched.StatusCode);
        var after = (await switched.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("CHAINED_COMMAND", after["command_type"]!.GetValue<string>());
        Assert.True(after.ContainsKey("ffmpeg_command"));
        Assert.Null(after["ffmpeg_command"]);
        Assert.Equal("CHAINED_COMMAND", (await client.GetFromJsonAsync<JsonObject>($"/api/v1/presets/{singleId}"))!["command_type"]!.GetValue<string>());
    }

    [Fact]
    public async Task InvalidPresets_AreRefusedAtCreation()
    {
        using var client = await fx.Server.CreateAccountClientAsync();
        object[] bad =
        [
            new { name = "a", ffmpeg_command = "-i {{in_v}} {{out_v}}", input_file_keys = new[] { "in_v" }, output_file_definitions = new { out_x = "o.mp4" } },
            new { name = "b", ffmpeg_command = "-i {{in_v}} -i /etc/passwd {{out_v}}", input_file_keys = new[] { "in_v" }, output_file_definitions = new { out_v = "o.mp4" } },
            new { name = "c", ffmpeg_command = "-i {{in_v}} {{out_v}}", input_file_keys = new[] { "video" }, output_file_definitions = new { out_v = "o.mp4" } },
            new { name = "d", ffmpeg_command = "-i {{in_v}} -crf {{var_crf}} {{out_v}}", input_file_keys = new[] { "in_v" }, output_file_definitions = new { out_v = "o.mp4" } },
            new { name = "e", input_file_keys = new[] { "in_v" }, output_file_definitions = new { out_v = "o.mp4" } },
        ];
        string[] codes = ["VALIDATION_ERROR", "FORBIDDEN_OPTION", "VALIDATION_ERROR", "VALIDATION_ERROR", "VALIDATION_ERROR"];
        for (var i = 0; i < bad.Length; i++)
        {
            var response = await client.PostAsJsonAsync("/api/v1/presets", bad[i]);
            Assert.Equal(422, (int)response.StatusCode);
            Assert.Equal(codes[i], (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.GetValue<string>());
        }
        Assert.Empty((await client.GetFromJsonAsync<JsonObject>("/api/v1/presets"))!["presets"]!.AsArray());
    }

    [Fact]
    public async Task Execute_SingleAndChained_RunsWithMergedMetadata_AndChecksInputKeys()
    {
        using var client = await fx.Server.CreateAccountClientAsync();
        var single = await CreateAsync(client, new
        {
            name = "copy",
            ffmpeg_command = "-i {{in_v}} -c copy {{out_v}}",
            input_file_keys = new[] { "in_v" },
            output_file_definitions = new { out_v = "copied.mp4" },
            metadata = new { team = "video", stage = "preset" },
        });
        var run = await ExecuteAsync(client, single["preset_id"]!.GetValue<string>(), new
        {
            input_files = new { in_v = fx.Inputs.Url("small.mp4") },
            metadata = new { stage = "run", job = 7 },
        });
        var poll = await fx.Server.WaitAsync(run["command_id"]!.GetValue<string>(), client: client);
        Assert.Equal("SUCCESS", poll["status"]!.GetValue<string>());
        Assert.Equal(single["preset_id"]!.GetValue<string>(), poll["preset_id"]!.GetValue<string>());
        Assert.Equal("video", poll["metadata"]!["team"]!.GetValue<string>());
        Assert.Equal("run", poll["metadata"]!["stage"]!.GetValue<string>());
        Assert.Equal(7, poll["metadata"]!["job"]!.GetValue<int>());
        Assert.Equal("copied.mp4", poll["output_files"]!["out_v"]!["filename"]!.GetValue<string>());
        Assert.Equal("-i {{in_v}} -c copy {{out_v}}", poll["original_request"]!["ffmpeg_command"]!.GetValue<string>());

        var chained = await CreateAsync(client, new
        {
            name = "thumb-chain",
            ffmpeg_commands = new[] { "-i {{in_v}} -t 0.5 -c copy {{out_clip}}", "-i {{out_clip}} -frames:v 1 {{out_thumb}}" },
            input_file_keys = new[] { "in_v" },
            output_file_definitions = new { out_clip = "clip.mp4", out_thumb = "thumb.png" },
        });
        var chainRun = await ExecuteAsync(client, chained["preset_id"]!.GetValue<string>(), new { input_files = new { in_v = fx.Inputs.Url("small.mp4") } });
        var chainPoll = await fx.Server.WaitAsync(chainRun["command_id"]!.GetValue<string>(), client: client);
        Assert.Equal("SUCCESS", chainPoll["status"]!.GetValue<string>());
        Assert.Equal("CHAINED_COMMAND", chainPoll["command_type"]!.GetValue<string>());
        Assert.Equal("image", chainPoll["output_files"]!["out_thumb"]!["file_type"]!.GetValue<string>());

        var wrong = await ExecuteAsync(client, single["preset_id"]!.GetValue<string>(), new { input_files = new { in_x = fx.Inputs.Url("small.mp4") } }, 422);
        var messages = string.Join(" ", wrong["details"]!.AsArray().Select(d => d!["message"]!.GetValue<string>()));
        Assert.Contains("in_v", messages, StringComparison.Ordinal);
        Assert.Contains("in_x", messages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Variables_ChangeTheOutput_AndCannotInject()
    {
        using var client = await fx.Server.CreateAccountClientAsync();
        var preset = await CreateAsync(client, new
        {
            name = "scale",
            ffmpeg_command = "-i {{in_v}} -vf scale={{var_w}}:-2 -crf {{var_crf}} {{out_v}}",
            input_file_keys = new[] { "in_v" },
            output_file_definitions = new { out_v = "scaled.mp4" },
            variables = new
            {
                w = new { pattern = "^[0-9]{2,4}$" },
                crf = new { @default = "28", pattern = "^[0-9]{1,2}$" },
            },
        });
        var id = preset["preset_id"]!.GetValue<string>();
        var run = await ExecuteAsync(client, id, new { input_files = new { in_v = fx.Inputs.Url("small.mp4") }, variables = new { w = "64" } });
        var poll = await fx.Server.WaitAsync(run["command_id"]!.GetValue<string>(), client: client);
        Assert.Equal("SUCCESS", poll["status"]!.GetValue<string>());
        Assert.Equal(64, poll["output_files"]!["out_v"]!["width"]!.GetValue<int>());
        Assert.Equal("-i {{in_v}} -vf scale=64:-2 -crf 28 {{out_v}}", poll["original_request"]!["ffmpeg_command"]!.GetValue<string>());

        foreach (var (w, crf) in new[] { ("64", "23 -i /etc/passwd"), ("64;b", "23"), ("64", "'23'"), ("64", "2\"3"), ("-i", "23"), ("64", "{{in_v}}") })
        {
            var refused = await ExecuteAsync(client, id, new { input_files = new { in_v = fx.Inputs.Url("small.mp4") }, variables = new { w, crf } }, 422);
            Assert.Equal("VALIDATION_ERROR", refused["error"]!.GetValue<string>());
        }
        // w has no default: it is required.
        var missing = await ExecuteAsync(client, id, new { input_files = new { in_v = fx.Inputs.Url("small.mp4") } }, 422);
        Assert.Equal("variables.w", missing["details"]![0]!["field"]!.GetValue<string>());
        var unknown = await ExecuteAsync(client, id, new { input_files = new { in_v = fx.Inputs.Url("small.mp4") }, variables = new { w = "64", other = "1" } }, 422);
        Assert.Equal("variables.other", unknown["details"]![0]!["field"]!.GetValue<string>());
    }
}
