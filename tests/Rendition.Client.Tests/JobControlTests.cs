using System.Net;

namespace Rendition.Client.Tests;

/// <summary>The job-control extensions through the SDK against the real server: events, cancel, log, idempotent submissions.</summary>
[Collection("client")]
public sealed class JobControlTests(ClientFixture fx)
{
    /// <summary>A command paced at real time (<c>-re</c>), so it is running for about <paramref name="seconds"/> seconds.</summary>
    private static RunCommandRequest Slow(string name, int seconds) => new()
    {
        OutputFiles = { ["out_v"] = name },
        FfmpegCommand = $"-re -f lavfi -i testsrc2=s=64x48:r=10:d=60 -t {seconds} -c:v libx264 -preset ultrafast {{{{out_v}}}}",
    };

    [Fact]
    public async Task StreamEventsAsync_ReportsProgressWhileRunning_AndEndsWithTheFinalCommand()
    {
        var client = fx.NewClient();
        var id = await client.RunAsync(Slow("events.mp4", 3));

        var events = new List<CommandEvent>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var e in client.StreamEventsAsync(id, cts.Token))
        {
            events.Add(e);
        }

        // The sequence completed on its own, with exactly one end event, last.
        Assert.Equal(CommandEventKind.End, events[^1].Kind);
        Assert.Single(events, e => e.Kind == CommandEventKind.End);
        var end = events[^1].Result!;
        Assert.Equal(CommandStatuses.Success, end.Status);
        Assert.Equal(id, end.CommandId);
        Assert.Equal("events.mp4", end.OutputFiles["out_v"].Filename);
        Assert.Equal(CommandStatuses.Success, events[^1].Status);

        var running = events.Where(e => e.Kind == CommandEventKind.Status && e.Progress is not null).ToList();
        Assert.NotEmpty(running);
        Assert.All(running, e => Assert.Equal(CommandStatuses.Processing, e.Status));
        Assert.All(running, e => Assert.InRange(e.Progress!.Percent ?? 0, 0, 100));
        Assert.Contains(running, e => e.Progress!.OutTimeSeconds > 0);
        // Progress only moves forward.
        var times = running.Select(e => e.Progress!.OutTimeSeconds).ToList();
        Assert.Equal(times.Order(), times);
    }

    [Fact]
    public async Task StreamEventsAsync_OfAFinishedCommand_AnswersTheEndAtOnce()
    {
        var client = fx.NewClient();
        var id = await client.RunAsync(ClientFixture.TinyCommand("done.mp4"));
        await client.WaitAsync(id, TimeSpan.FromSeconds(60));

        var events = new List<CommandEvent>();
        await foreach (var e in client.StreamEventsAsync(id))
        {
            events.Add(e);
        }

        Assert.Equal([CommandEventKind.Status, CommandEventKind.End], events.Select(e => e.Kind));
        Assert.Equal(CommandStatuses.Success, events[0].Status);
        Assert.Equal(id, events[1].Result!.CommandId);
    }

    [Fact]
    public async Task StreamEventsAsync_OfAnUnknownCommand_ThrowsNotFound()
    {
        var e = await Assert.ThrowsAsync<RenditionApiException>(async () =>
        {
            await foreach (var unused in fx.NewClient().StreamEventsAsync(Guid.NewGuid().ToString()))
            {
            }
        });
        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
        Assert.Equal("NOT_FOUND", e.Error);
    }

    [Fact]
    public async Task CancelAsync_StopsARunningCommand_AndASecondCancelIsAConflict()
    {
        var client = fx.NewClient();
        var id = await client.RunAsync(Slow("cancel.mp4", 30));
        // Wait until it is actually running, so the cancel has a process to stop.
        await foreach (var e in client.StreamEventsAsync(id))
        {
            if (e.Status == CommandStatuses.Processing)
            {
                break;
            }
        }

        var cancelled = await client.CancelAsync(id);

        Assert.Equal(id, cancelled.CommandId);
        Assert.Equal(CommandStatuses.Failed, cancelled.Status);
        Assert.Equal("CANCELLED", cancelled.ErrorStatus);
        Assert.Empty(cancelled.OutputFiles);
        var again = await Assert.ThrowsAsync<RenditionApiException>(() => client.CancelAsync(id));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("CONFLICT", again.Error);
    }

    [Fact]
    public async Task GetLogAsync_ReturnsFfmpegsOutput_ForAFailedCommand()
    {
        var client = fx.NewClient();
        var id = await client.RunAsync(ClientFixture.TinyCommand("log.mp4", extra: "-c:v no_such_encoder"));
        var done = await client.WaitAsync(id, TimeSpan.FromSeconds(60));
        Assert.Equal("FFMPEG_ERROR", done.ErrorStatus);

        var log = await client.GetLogAsync(id);

        Assert.Contains("no_such_encoder", log, StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<RenditionApiException>(() => client.GetLogAsync(Guid.NewGuid().ToString()));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task IdempotencyKey_OnEverySubmission_AnswersTheFirstIdForTheSameBody_And422ForAnother()
    {
        var client = await fx.NewAccountClientAsync();
        var key = $"order-{Guid.NewGuid():N}";

        var first = await client.RunAsync(ClientFixture.TinyCommand("idem.mp4"), key);
        var again = await client.RunAsync(ClientFixture.TinyCommand("idem.mp4"), key);
        var other = await Assert.ThrowsAsync<RenditionApiException>(() => client.RunAsync(ClientFixture.TinyCommand("other.mp4"), key));
        var unkeyed = await client.RunAsync(ClientFixture.TinyCommand("idem.mp4"));

        Assert.Equal(first, again);
        Assert.NotEqual(first, unkeyed);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.StatusCode);
        Assert.Equal("IDEMPOTENCY_KEY_REUSED", other.Error);

        var chain = new RunChainedRequest { OutputFiles = { ["out_v"] = "c.mp4" }, FfmpegCommands = { ClientFixture.TinyCommand().FfmpegCommand.Replace("out_video", "out_v", StringComparison.Ordinal) } };
        Assert.Equal(await client.RunChainedAsync(chain, key + "-chain"), await client.RunChainedAsync(chain, key + "-chain"));
        var batch = new RunMultipleRequest { Commands = { ClientFixture.TinyCommand("m.mp4") } };
        Assert.Equal(await client.RunMultipleAsync(batch, key + "-batch"), await client.RunMultipleAsync(batch, key + "-batch"));

        var preset = await client.CreatePresetAsync(new PresetRequest
        {
            Name = $"idem-{Guid.NewGuid():N}",
            FfmpegCommand = ClientFixture.TinyCommand().FfmpegCommand,
            InputFileKeys = [],
            OutputFileDefinitions = new() { ["out_video"] = "p.mp4" },
        });
        var run = new PresetExecuteRequest();
        Assert.Equal(await client.ExecutePresetAsync(preset.PresetId, run, key + "-preset"), await client.ExecutePresetAsync(preset.PresetId, run, key + "-preset"));

        // Five distinct commands: the repeats did not run again.
        await client.WaitAsync(unkeyed, TimeSpan.FromSeconds(60));
        Assert.Equal(5, (await client.ListAsync(limit: 100)).Commands.Count);
    }
}
