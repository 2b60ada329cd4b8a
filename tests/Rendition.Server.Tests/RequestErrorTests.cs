using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Rendition.Testing;

namespace Rendition.Server.Tests;

[Collection("server")]
public sealed class RequestErrorTests(ServerFixture fx)
{
    private static async Task<JsonObject> AssertErrorAsync(HttpResponseMessage response, int status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(code, body["error"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(body["message"]!.GetValue<string>()));
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        return body;
    }

    private object Valid(Action<Dictionary<string, object?>>? change = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["input_files"] = new Dictionary<string, string> { ["in_video"] = fx.Inputs.Url("small.mp4") },
            ["output_files"] = new Dictionary<string, string> { ["out_video"] = "out.mp4" },
            ["ffmpeg_command"] = "-i {{in_video}} -c copy {{out_video}}",
        };
        change?.Invoke(body);
        return body;
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("")]
    [InlineData("[1,2]")]
    [InlineData("{\"input_files\": \"x\", \"output_files\": {}, \"ffmpeg_command\": \"-i x\"}")]
    [InlineData("{\"input_files\": {}, \"output_files\": {\"out_a\": \"a.mp4\"}, \"ffmpeg_command\": 42}")]
    [InlineData("{\"input_files\": {}, \"output_files\": {\"out_a\": \"a.mp4\"}, \"ffmpeg_command\": \"{{out_a}}\", \"max_command_run_seconds\": \"lots\"}")]
    public async Task Submit_ReturnsInvalidRequest_WhenBodyIsNotJsonOrHasWrongTypes(string raw)
    {
        foreach (var prefix in new[] { "/api/v1", "/v1" })
        {
            var response = await fx.Server.Http.PostAsync($"{prefix}/run-ffmpeg-command", RenditionTestServer.Json(raw));
            await AssertErrorAsync(response, 400, "INVALID_REQUEST");
        }
    }

    private static readonly HashSet<string> PolicyScenarios = ["absolute_path", "parent_dir", "url_protocol"];

    public static TheoryData<string, string> ValidationCases => new()
    {
        { "alias_without_prefix", "input_files.video" },
        { "alias_with_dash", "output_files.out-video" },
        { "undeclared_placeholder", "ffmpeg_command" },
        { "unused_alias", "input_files.in_extra" },
        { "too_much_metadata", "metadata" },
        { "ftp_url", "input_files.in_video" },
        { "loopback_literal_ok_here_but_bad_scheme", "input_files.in_video" },
        { "bad_output_name", "output_files.out_video" },
        { "absolute_path", "ffmpeg_command" },
        { "parent_dir", "ffmpeg_command" },
        { "url_protocol", "ffmpeg_command" },
        { "missing_command", "ffmpeg_command" },
        { "unterminated_quote", "ffmpeg_command" },
        { "timeout_too_long", "max_command_run_seconds" },
        { "vcpu_zero", "vcpu_count" },
        { "bad_webhook", "webhook_url" },
        { "no_outputs", "output_files" },
    };

    [Theory]
    [MemberData(nameof(ValidationCases))]
    public async Task Submit_ReturnsValidationErrorNamingTheField(string scenario, string field)
    {
        var body = Valid(b =>
        {
            var inputs = (Dictionary<string, string>)b["input_files"]!;
            var outputs = (Dictionary<string, string>)b["output_files"]!;
            switch (scenario)
            {
                case "alias_without_prefix":
                    inputs.Remove("in_video");
                    inputs["video"] = fx.Inputs.Url("small.mp4");
                    b["ffmpeg_command"] = "-i {{video}} -c copy {{out_video}}";
                    break;
                case "alias_with_dash":
                    outputs.Remove("out_video");
                    outputs["out-video"] = "o.mp4";
                    b["ffmpeg_command"] = "-i {{in_video}} -c copy {{out-video}}";
                    break;
                case "undeclared_placeholder":
                    b["ffmpeg_command"] = "-i {{in_video}} -i {{in_other}} -c copy {{out_video}}";
                    break;
                case "unused_alias":
                    inputs["in_extra"] = fx.Inputs.Url("sample.mp4");
                    break;
                case "too_much_metadata":
                    b["metadata"] = Enumerable.Range(0, 11).ToDictionary(i => $"k{i}", i => (object)i);
                    break;
                case "ftp_url":
                    inputs["in_video"] = "ftp://example.com/a.mp4";
                    break;
                case "loopback_literal_ok_here_but_bad_scheme":
                    inputs["in_video"] = "file:///etc/passwd";
                    break;
                case "bad_output_name":
                    outputs["out_video"] = "../../etc/cron.d/x";
                    break;
                case "absolute_path":
                    b["ffmpeg_command"] = "-i {{in_video}} -i /etc/passwd -c copy {{out_video}}";
                    break;
                case "parent_dir":
                    b["ffmpeg_command"] = "-i {{in_video}} -vf \"movie=../../rendition.db\" {{out_video}}";
                    break;
                case "url_protocol":
                    b["ffmpeg_command"] = "-i {{in_video}} -i http://169.254.169.254/latest -c copy {{out_video}}";
                    break;
                case "missing_command":
                    b.Remove("ffmpeg_command");
                    break;
                case "unterminated_quote":
                    b["ffmpeg_command"] = "-i {{in_video}} -vf \"scale=2:2 {{out_video}}";
                    break;
                case "timeout_too_long":
                    b["max_command_run_seconds"] = 100000;
                    break;
                case "vcpu_zero":
                    b["vcpu_count"] = 0;
                    break;
                case "bad_webhook":
                    b["webhook_url"] = "not a url";
                    break;
                case "no_outputs":
                    outputs.Clear();
                    b["ffmpeg_command"] = "-i {{in_video}} -f null -";
                    break;
            }
        });
        var response = await fx.Server.Http.PostAsJsonAsync("/api/v1/run-ffmpeg-command", body);
        // The command policy's refusals carry their own code; everything else is a plain validation error.
        var error = await AssertErrorAsync(response, 422, PolicyScenarios.Contains(scenario) ? "FORBIDDEN_OPTION" : "VALIDATION_ERROR");
        var fields = error["details"]!.AsArray().Select(d => d!["field"]!.GetValue<string>()).ToList();
        Assert.Contains(field, fields);
        foreach (var d in error["details"]!.AsArray())
        {
            Assert.False(string.IsNullOrWhiteSpace(d!["message"]!.GetValue<string>()));
        }
    }

    [Fact]
    public async Task Submit_AcceptsTenMetadataKeysOfAnyJsonType()
    {
        var metadata = Enumerable.Range(0, 8).ToDictionary(i => $"k{i}", i => (object)i);
        metadata["nested"] = new { a = new[] { 1, 2 }, b = (string?)null };
        metadata["flag"] = true;
        var id = await fx.Server.SubmitAsync(Valid(b => b["metadata"] = metadata));
        var poll = await fx.Server.WaitAsync(id);
        Assert.Equal(10, poll["metadata"]!.AsObject().Count);
        Assert.Equal(2, poll["metadata"]!["nested"]!["a"]![1]!.GetValue<int>());
        Assert.True(poll["metadata"]!["flag"]!.GetValue<bool>());
    }

    [Fact]
    public async Task UnknownRoute_AnswersNotFoundInTheErrorShape()
    {
        await AssertErrorAsync(await fx.Server.Http.GetAsync("/api/v1/nothing-here"), 404, "NOT_FOUND");
    }

    [Fact]
    public async Task Poll_OfUnknownOrMalformedId_IsNotFound()
    {
        await AssertErrorAsync(await fx.Server.Http.GetAsync($"/api/v1/commands/{Guid.NewGuid()}"), 404, "NOT_FOUND");
        await AssertErrorAsync(await fx.Server.Http.GetAsync("/v1/commands/not-a-uuid"), 404, "NOT_FOUND");
    }

    [Fact]
    public async Task Requests_WithoutOrWithWrongKey_AreUnauthorized()
    {
        using var anonymous = new HttpClient { BaseAddress = new Uri(fx.Server.BaseUrl) };
        await AssertErrorAsync(await anonymous.PostAsJsonAsync("/api/v1/run-ffmpeg-command", Valid()), 401, "UNAUTHORIZED");
        await AssertErrorAsync(await anonymous.GetAsync($"/v1/commands/{Guid.NewGuid()}"), 401, "UNAUTHORIZED");
        anonymous.DefaultRequestHeaders.Add("X-API-KEY", "ffsk_" + new string('f', 64));
        await AssertErrorAsync(await anonymous.GetAsync($"/api/v1/commands/{Guid.NewGuid()}"), 401, "UNAUTHORIZED");
    }

    [Theory]
    [InlineData("-i {{in_video}} -vf \"ladspa=file={{in_video}}\" {{out_video}}", "ladspa")]
    [InlineData("-f concat -i {{in_video}} -c copy {{out_video}}", "concat")]
    [InlineData("-i {{in_video}} -vstats_file stats.txt {{out_video}}", "vstats_file")]
    [InlineData("-f lavfi -i testsrc2 -i {{in_video}} {{out_video}}", "infinite")]
    [InlineData("-i {{in_video}} -f tee {{out_video}}", "tee")]
    [InlineData("-f v4l2 -i video0 -i {{in_video}} {{out_video}}", "v4l2")]
    [InlineData("-i {{in_video}} -vf \"subtitles=/etc/passwd\" {{out_video}}", "subtitles")]
    public async Task HostileCommands_AreRefusedWithForbiddenOption_NamingWhatWasRefused(string command, string named)
    {
        var response = await fx.Server.Http.PostAsJsonAsync("/api/v1/run-ffmpeg-command", Valid(b => b["ffmpeg_command"] = command));
        var error = await AssertErrorAsync(response, 422, "FORBIDDEN_OPTION");
        Assert.Contains(named, error["message"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("-i {{in_video}} -vf \"drawtext=text='Hello, World\\: 1':x=10:y=10,scale=iw/2:-2\" {{out_video}}")]
    [InlineData("-ss 0.2 -i {{in_video}} -map \"[v]\" -filter_complex \"[0:v]split=2[a][b];[a][b]hstack[v]\" -t 0.5 {{out_video}}")]
    [InlineData("-f lavfi -i anullsrc=r=48000 -i {{in_video}} -shortest -map 1:v -map 0:a -c:v copy {{out_video}}")]
    public async Task UnusualButLegitimateCommands_Succeed(string command)
    {
        var poll = await fx.Server.WaitAsync(await fx.Server.SubmitAsync(Valid(b => b["ffmpeg_command"] = command)));
        Assert.True("SUCCESS" == poll["status"]!.GetValue<string>(), poll.ToJsonString());
    }

    /// <summary>Every JSON body of the API, each with a NUL in one string: refused before anything reads it, naming the field.</summary>
    [Fact]
    public async Task NulInAnyStringField_Is422NamingTheField_OnEveryEndpoint()
    {
        using var client = await fx.Server.CreateAccountClientAsync();
        var preset = await client.PostAsJsonAsync("/api/v1/presets", new
        {
            name = "nul-check",
            ffmpeg_command = "-i {{in_v}} -c copy {{out_v}}",
            input_file_keys = new[] { "in_v" },
            output_file_definitions = new { out_v = "o.mp4" },
        });
        Assert.True(preset.IsSuccessStatusCode, await preset.Content.ReadAsStringAsync());
        var presetId = (await preset.Content.ReadFromJsonAsync<JsonObject>())!["preset_id"]!.GetValue<string>();
        var url = fx.Inputs.Url("small.mp4");
        (HttpMethod Method, string Path, string Body, string Field)[] cases =
        [
            (HttpMethod.Post, "/api/v1/run-ffmpeg-command",
                $$$"""{"input_files":{"in_v":"{{{url}}}"},"output_files":{"out_v":"o.mp4"},"ffmpeg_command":"-i {{in_v}} -metadata title=a\u0000b {{out_v}}"}""", "ffmpeg_command"),
            (HttpMethod.Post, "/v1/run-ffmpeg-command",
                $$$"""{"input_files":{"in_v":"{{{url}}}"},"output_files":{"out_v":"o\u0000.mp4"},"ffmpeg_command":"-i {{in_v}} {{out_v}}"}""", "output_files.out_v"),
            (HttpMethod.Post, "/api/v1/run-chained-ffmpeg-commands",
                $$$"""{"input_files":{"in_v":"{{{url}}}"},"output_files":{"out_v":"o.mp4"},"ffmpeg_commands":["-i {{in_v}} {{out_v}}","-i x\u0000"]}""", "ffmpeg_commands[1]"),
            (HttpMethod.Post, "/api/v1/run-multiple-ffmpeg-commands",
                $$$"""{"commands":[{"input_files":{"in_v":"{{{url}}}\u0000"},"output_files":{"out_v":"o.mp4"},"ffmpeg_command":"-i {{in_v}} {{out_v}}"}]}""", "commands[0].input_files.in_v"),
            (HttpMethod.Post, "/api/v1/presets",
                """{"name":"n\u0000","ffmpeg_command":"-i {{in_v}} {{out_v}}","input_file_keys":["in_v"],"output_file_definitions":{"out_v":"o.mp4"}}""", "name"),
            (HttpMethod.Put, $"/api/v1/presets/{presetId}", """{"description":"d\u0000"}""", "description"),
            (HttpMethod.Post, $"/api/v1/presets/{presetId}/execute", $$$"""{"input_files":{"in_v":"{{{url}}}"},"metadata":{"k":"v\u0000"}}""", "metadata.k"),
            (HttpMethod.Put, "/api/v1/webhook-config", """{"url":"https://example.com/hook\u0000"}""", "url"),
            (HttpMethod.Put, "/v1/webhook-config", """{"url":"https://example.com/hook","secret":"\u0000"}""", "secret"),
            (HttpMethod.Post, "/api/v1/files/store-file", """{"file_url":"https://example.com/a\u0000.mp4"}""", "file_url"),
            (HttpMethod.Post, "/v1/files/bulk-delete", """{"file_ids":["\u0000"]}""", "file_ids[0]"),
        ];
        foreach (var (method, path, body, field) in cases)
        {
            var response = await client.SendAsync(new HttpRequestMessage(method, path) { Content = RenditionTestServer.Json(body) });
            var error = await AssertErrorAsync(response, 422, "VALIDATION_ERROR");
            Assert.True(error["details"]![0]!["field"]!.GetValue<string>() == field, $"{path}: {error.ToJsonString()}");
            Assert.Contains("NUL", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        var commands = await client.GetFromJsonAsync<JsonObject>("/api/v1/commands");
        Assert.Empty(commands!["commands"]!.AsArray());
    }
}
