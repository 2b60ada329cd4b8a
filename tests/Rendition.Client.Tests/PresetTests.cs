using System.Net;
using System.Text.Json.Nodes;

namespace Rendition.Client.Tests;

/// <summary>Preset CRUD and execution with typed variables through the SDK.</summary>
[Collection("client")]
public sealed class PresetTests(ClientFixture fx)
{
    private static PresetRequest Scale(string name) => new()
    {
        Name = name,
        Description = "scale to a width",
        FfmpegCommand = "-i {{in_video}} -vf scale={{var_width}}:-2 -c:v libx264 -preset ultrafast -crf {{var_crf}} {{out_video}}",
        InputFileKeys = ["in_video"],
        OutputFileDefinitions = new() { ["out_video"] = "scaled.mp4" },
        Metadata = new JsonObject { ["team"] = "web" },
        Variables = new()
        {
            ["width"] = new PresetVariable { Pattern = "^[0-9]{2,4}$" },
            ["crf"] = new PresetVariable { Default = "30", Pattern = "^[0-9]{1,2}$" },
        },
    };

    [Fact]
    public async Task CreateGetListUpdateDelete_RoundTripEveryField()
    {
        var client = await fx.NewAccountClientAsync();

        var created = await client.CreatePresetAsync(Scale("web"));
        Assert.False(string.IsNullOrEmpty(created.PresetId));
        Assert.Equal("^[0-9]{2,4}$", created.Variables["width"].Pattern);
        Assert.Null(created.Variables["width"].Default);
        Assert.Equal("30", created.Variables["crf"].Default);
        Assert.Equal(["in_video"], created.InputFileKeys);
        Assert.Equal("web", created.Metadata!["team"]!.GetValue<string>());

        Assert.Equal(CommandTypes.Command, created.CommandType);
        Assert.Null(created.FfmpegCommands);

        var got = await client.GetPresetAsync(created.PresetId);
        Assert.Equal(created.FfmpegCommand, got.FfmpegCommand);
        Assert.Equal(CommandTypes.Command, got.CommandType);
        Assert.Equal([created.PresetId], (await client.ListPresetsAsync()).Select(p => p.PresetId));

        // Only the fields given change.
        var updated = await client.UpdatePresetAsync(created.PresetId, new PresetRequest { Description = "changed" });
        Assert.Equal("changed", updated.Description);
        Assert.Equal("web", updated.Name);
        Assert.Equal(created.FfmpegCommand, updated.FfmpegCommand);

        await client.DeletePresetAsync(created.PresetId);
        var e = await Assert.ThrowsAsync<RenditionApiException>(() => client.GetPresetAsync(created.PresetId));
        Assert.Equal((HttpStatusCode.NotFound, "NOT_FOUND"), (e.StatusCode, e.Error));
        Assert.Empty(await client.ListPresetsAsync());
    }

    [Fact]
    public async Task ChainedPreset_ReadsBackAsChainedCommand_WithTheSingleCommandFieldNull()
    {
        var client = await fx.NewAccountClientAsync();
        var created = await client.CreatePresetAsync(new PresetRequest
        {
            Name = "chain",
            FfmpegCommands = ["-i {{in_video}} -t 0.5 -c copy {{out_clip}}", "-i {{out_clip}} -frames:v 1 {{out_thumb}}"],
            InputFileKeys = ["in_video"],
            OutputFileDefinitions = new() { ["out_clip"] = "clip.mp4", ["out_thumb"] = "thumb.png" },
        });
        var listed = Assert.Single(await client.ListPresetsAsync());
        foreach (var preset in new[] { created, await client.GetPresetAsync(created.PresetId), listed })
        {
            Assert.Equal(CommandTypes.Chained, preset.CommandType);
            Assert.Null(preset.FfmpegCommand);
            Assert.Equal(2, preset.FfmpegCommands!.Count);
        }
    }

    [Fact]
    public async Task ExecutePresetAsync_FillsVariables_AndTheCommandRunsWithThem()
    {
        var client = await fx.NewAccountClientAsync();
        var preset = await client.CreatePresetAsync(Scale("exec"));

        var id = await client.ExecutePresetAsync(preset.PresetId, new PresetExecuteRequest
        {
            InputFiles = { ["in_video"] = fx.Inputs.Url("tiny.mp4") },
            Variables = new() { ["width"] = "32" },
            Metadata = new JsonObject { ["run"] = "one" },
        });
        var done = await client.WaitAsync(id, TimeSpan.FromSeconds(60));

        Assert.True(done.Status == CommandStatuses.Success, done.ErrorMessage);
        Assert.Equal(preset.PresetId, done.PresetId);
        Assert.Equal((32, 24), (done.OutputFiles["out_video"].Width, done.OutputFiles["out_video"].Height));
        Assert.Contains("scale=32:-2", done.OriginalRequest!.FfmpegCommand, StringComparison.Ordinal);
        Assert.Contains("-crf 30", done.OriginalRequest.FfmpegCommand, StringComparison.Ordinal);
        Assert.Equal("one", done.Metadata!["run"]!.GetValue<string>());
    }

    [Fact]
    public async Task PresetErrors_ComeBackAsApiExceptions_WithCodesAndDetails()
    {
        var client = await fx.NewAccountClientAsync();
        var preset = await client.CreatePresetAsync(Scale("dup"));

        var taken = await Assert.ThrowsAsync<RenditionApiException>(() => client.CreatePresetAsync(Scale("dup")));
        Assert.Equal((HttpStatusCode.Conflict, "CONFLICT"), (taken.StatusCode, taken.Error));

        var bad = await Assert.ThrowsAsync<RenditionApiException>(() => client.ExecutePresetAsync(preset.PresetId, new PresetExecuteRequest
        {
            InputFiles = { ["in_video"] = fx.Inputs.Url("tiny.mp4") },
            Variables = new() { ["width"] = "-vf" },
        }));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "VALIDATION_ERROR"), (bad.StatusCode, bad.Error));
        Assert.Contains(bad.Details, d => d.Field.Contains("width", StringComparison.Ordinal));
    }
}
