using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Rendition.Testing;

namespace Rendition.Server.Tests;

[Collection("server")]
public sealed class ChainedAndMultipleTests(ServerFixture fx)
{
    [Fact]
    public async Task FourStepChain_PassesFilesByAliasAndByPlainName_AndStoresOnlyOutAliases()
    {
        string[] steps =
        [
            "-i {{in_v}} -t 1 -vf scale=96:-2 -c:v libx264 -preset ultrafast intermediate.mp4",
            "-i intermediate.mp4 -vf fps=5 {{out_gif}}",
            "-i {{out_gif}} -frames:v 1 {{out_thumb}}",
            "ffmpeg -i intermediate.mp4 -c copy {{out_final}}",
        ];
        var id = await fx.Server.SubmitAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("sample.mp4") },
            output_files = new { out_gif = "anim.gif", out_thumb = "thumb.png", out_final = "final.mp4" },
            ffmpeg_commands = steps,
            metadata = new { pipeline = "gif" },
        }, "/api/v1/run-chained-ffmpeg-commands");
        var poll = await fx.Server.WaitAsync(id);

        Assert.Equal("SUCCESS", poll["status"]!.GetValue<string>());
        Assert.Equal("CHAINED_COMMAND", poll["command_type"]!.GetValue<string>());
        Assert.Equal(steps, poll["original_request"]!["ffmpeg_commands"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Null(poll["original_request"]!["ffmpeg_command"]);
        var outputs = poll["output_files"]!.AsObject();
        Assert.Equal(new[] { "out_final", "out_gif", "out_thumb" }, outputs.Select(o => o.Key).Order());
        Assert.Equal("gif", outputs["out_gif"]!["file_format"]!.GetValue<string>());
        Assert.Equal("image/png", outputs["out_thumb"]!["mime_type"]!.GetValue<string>());
        Assert.Equal(96, outputs["out_thumb"]!["width"]!.GetValue<int>());
        Assert.InRange(outputs["out_final"]!["duration"]!.GetValue<double>(), 0.9, 1.2);
        Assert.True(poll["ffmpeg_command_run_seconds"]!.GetValue<double>() > 0);
        // The intermediate was never stored and went with the job directory.
        Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(fx.Server.DataDir, "blobs"), "*", SearchOption.AllDirectories),
            f => f.EndsWith("intermediate.mp4", StringComparison.Ordinal));
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(fx.Server.DataDir, "work"), Guid.Parse(id).ToString("N") + "*"));
    }

    [Fact]
    public async Task Chain_FailingAtStep2_IsFailedWithTheStepNumber_AndLaterStepsDoNotRun()
    {
        var id = await fx.Server.SubmitAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("small.mp4") },
            output_files = new { out_a = "a.mp4", out_b = "b.mp4", out_c = "c.mp4" },
            ffmpeg_commands = new[]
            {
                "-i {{in_v}} -c copy {{out_a}}",
                "-i {{in_v}} -c:v no_such_encoder {{out_b}}",
                "-re -f lavfi -i testsrc2=s=32x32:r=5:d=8 {{out_c}}",
            },
        }, "/api/v1/run-chained-ffmpeg-commands");
        var poll = await fx.Server.WaitAsync(id);
        Assert.Equal("FAILED", poll["status"]!.GetValue<string>());
        Assert.Equal("FFMPEG_ERROR", poll["error_status"]!.GetValue<string>());
        var message = poll["error_message"]!.GetValue<string>();
        Assert.StartsWith("Step 2 of 3", message, StringComparison.Ordinal);
        Assert.Contains("no_such_encoder", message, StringComparison.Ordinal);
        // Step 3 takes 8 s of real time (-re); it did not run.
        Assert.True(poll["ffmpeg_command_run_seconds"]!.GetValue<double>() < 5);
        Assert.Empty(poll["output_files"]!.AsObject());
    }

    [Fact]
    public async Task RendiChain_OnV1_IsReportedAsFfmpegChainedCommands_AndAsChainedOnApiV1()
    {
        var id = await fx.Server.SubmitAsync(new
        {
            input_files = new { in_1 = fx.Inputs.Url("small.mp4") },
            output_files = new { out_1 = "cut.mp4", out_2 = "cut_small.mp4" },
            ffmpeg_commands = new[] { "-i {{in_1}} -t 0.5 -c copy {{out_1}}", "-i {{out_1}} -vf scale=80:-2 {{out_2}}" },
            max_command_run_seconds = 120,
            vcpu_count = 1,
        }, "/v1/run-chained-ffmpeg-commands");
        var poll = await fx.Server.WaitAsync(id, "/v1");
        Assert.Equal("SUCCESS", poll["status"]!.GetValue<string>());
        Assert.Equal("FFMPEG_CHAINED_COMMANDS", poll["command_type"]!.GetValue<string>());
        Assert.Equal(120, poll["original_request"]!["max_command_run_seconds"]!.GetValue<int>());
        Assert.Equal(1, poll["vcpu_count"]!.GetValue<int>());
        Assert.Equal(80, poll["output_files"]!["out_2"]!["width"]!.GetValue<int>());
        var same = await fx.Server.Http.GetFromJsonAsync<JsonObject>($"/api/v1/commands/{id}");
        Assert.Equal("CHAINED_COMMAND", same!["command_type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Batch_OfFour_RunsEachOnItsOwn_AndOneFailureDoesNotAffectTheOthers()
    {
        var commands = Enumerable.Range(0, 4).Select(i => new Dictionary<string, object>
        {
            ["input_files"] = new Dictionary<string, string> { ["in_v"] = fx.Inputs.Url("small.mp4") },
            ["output_files"] = new Dictionary<string, string> { ["out_v"] = $"batch{i}.mp4" },
            ["ffmpeg_command"] = i == 2 ? "-i {{in_v}} -c:v bogus_codec {{out_v}}" : $"-i {{{{in_v}}}} -vf scale={32 * (i + 1)}:-2 {{{{out_v}}}}",
            ["metadata"] = new Dictionary<string, int> { ["index"] = i },
        }).ToList();
        var response = await fx.Server.Http.PostAsJsonAsync("/api/v1/run-multiple-ffmpeg-commands", new { commands });
        Assert.Equal(200, (int)response.StatusCode);
        var ids = (await response.Content.ReadFromJsonAsync<JsonObject>())!["command_ids"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.Equal(4, ids.Count);
        Assert.Equal(4, ids.Distinct().Count());
        for (var i = 0; i < 4; i++)
        {
            var poll = await fx.Server.WaitAsync(ids[i]);
            Assert.Equal("MULTIPLE_COMMAND", poll["command_type"]!.GetValue<string>());
            Assert.Equal(i, poll["metadata"]!["index"]!.GetValue<int>());
            if (i == 2)
            {
                Assert.Equal("FAILED", poll["status"]!.GetValue<string>());
                Assert.Equal("FFMPEG_ERROR", poll["error_status"]!.GetValue<string>());
            }
            else
            {
                Assert.Equal("SUCCESS", poll["status"]!.GetValue<string>());
                Assert.Equal(32 * (i + 1), poll["output_files"]!["out_v"]!["width"]!.GetValue<int>());
            }
        }
    }

    [Fact]
    public async Task Limits_ElevenStepsOrElevenCommands_AreValidationErrors()
    {
        var chain = await fx.Server.Http.PostAsJsonAsync("/api/v1/run-chained-ffmpeg-commands", new
        {
            input_files = new { in_v = fx.Inputs.Url("small.mp4") },
            output_files = new { out_v = "o.mp4" },
            ffmpeg_commands = Enumerable.Repeat("-i {{in_v}} -c copy {{out_v}}", 11).ToArray(),
        });
        Assert.Equal(422, (int)chain.StatusCode);
        Assert.Equal("ffmpeg_commands", (await chain.Content.ReadFromJsonAsync<JsonObject>())!["details"]![0]!["field"]!.GetValue<string>());

        var one = new { input_files = new { in_v = fx.Inputs.Url("small.mp4") }, output_files = new { out_v = "o.mp4" }, ffmpeg_command = "-i {{in_v}} -c copy {{out_v}}" };
        var batch = await fx.Server.Http.PostAsJsonAsync("/api/v1/run-multiple-ffmpeg-commands", new { commands = Enumerable.Repeat(one, 11).ToArray() });
        Assert.Equal(422, (int)batch.StatusCode);
        Assert.Equal("commands", (await batch.Content.ReadFromJsonAsync<JsonObject>())!["details"]![0]!["field"]!.GetValue<string>());

        var empty = await fx.Server.Http.PostAsJsonAsync("/api/v1/run-chained-ffmpeg-commands", new { input_files = new { }, output_files = new { out_v = "o.mp4" }, ffmpeg_commands = Array.Empty<string>() });
        Assert.Equal(422, (int)empty.StatusCode);
    }

    [Fact]
    public async Task Batch_WithOneInvalidCommand_CreatesNone_AndNamesIt()
    {
        using var client = await fx.Server.CreateAccountClientAsync();
        var good = new { input_files = new { in_v = fx.Inputs.Url("small.mp4") }, output_files = new { out_v = "o.mp4" }, ffmpeg_command = "-i {{in_v}} -c copy {{out_v}}" };
        var bad = new { input_files = new { in_v = fx.Inputs.Url("small.mp4") }, output_files = new { out_v = "o.mp4" }, ffmpeg_command = "-i {{in_v}} -c copy {{out_x}}" };
        var response = await client.PostAsJsonAsync("/api/v1/run-multiple-ffmpeg-commands", new { commands = new object[] { good, good, bad } });
        Assert.Equal(422, (int)response.StatusCode);
        var fields = (await response.Content.ReadFromJsonAsync<JsonObject>())!["details"]!.AsArray().Select(d => d!["field"]!.GetValue<string>()).ToList();
        Assert.All(fields, f => Assert.StartsWith("commands[2].", f, StringComparison.Ordinal));
        var list = await client.GetFromJsonAsync<JsonObject>("/api/v1/commands");
        Assert.Empty(list!["commands"]!.AsArray());
    }

    [Fact]
    public async Task Chain_ReadingAnOutputBeforeAnyStepWroteIt_IsAValidationError()
    {
        var response = await fx.Server.Http.PostAsJsonAsync("/api/v1/run-chained-ffmpeg-commands", new
        {
            input_files = new { in_v = fx.Inputs.Url("small.mp4") },
            output_files = new { out_a = "a.mp4", out_b = "b.mp4" },
            ffmpeg_commands = new[] { "-i {{out_a}} -c copy {{out_b}}", "-i {{in_v}} -c copy {{out_a}}" },
        });
        Assert.Equal(422, (int)response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Contains(body!["details"]!.AsArray(), d => d!["field"]!.GetValue<string>() == "ffmpeg_commands[0]"
            && d["message"]!.GetValue<string>().Contains("before an earlier step writes it", StringComparison.Ordinal));
    }
}
