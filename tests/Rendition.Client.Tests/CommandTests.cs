using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Rendition.Testing;

namespace Rendition.Client.Tests;

/// <summary>Commands through the SDK against the real server: submit, wait, poll, list, delete outputs, download.</summary>
[Collection("client")]
public sealed class CommandTests(ClientFixture fx)
{
    [Fact]
    public async Task DiRegisteredClient_RunsWaitsAndDownloads_AProbedOutput()
    {
        var services = new ServiceCollection();
        services.AddRenditionClient(o =>
        {
            o.BaseAddress = new Uri(fx.Server.BaseUrl);
            o.ApiKey = RenditionTestServer.ApiKey;
        });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<RenditionClient>();

        var request = ClientFixture.TinyCommand("clip.mp4");
        request.Metadata = new JsonObject { ["project"] = "sdk", ["n"] = 7 };
        var id = await client.RunAsync(request);
        Assert.True(Guid.TryParse(id, out _), id);

        var done = await client.WaitAsync(id, TimeSpan.FromSeconds(60));
        Assert.Equal(CommandStatuses.Success, done.Status);
        Assert.True(done.IsFinal);
        Assert.Equal(CommandTypes.Command, done.CommandType);
        Assert.Equal("sdk", done.Metadata!["project"]!.GetValue<string>());
        Assert.Equal(7, done.Metadata["n"]!.GetValue<int>());
        Assert.Equal(request.FfmpegCommand, done.OriginalRequest!.FfmpegCommand);
        var output = done.OutputFiles["out_video"];
        Assert.Equal((64, 48), (output.Width, output.Height));
        Assert.Equal("video", output.FileType);
        Assert.Equal("clip.mp4", output.Filename);
        Assert.InRange(output.Duration!.Value, 0.9, 1.1);

        var local = Path.Combine(fx.MediaDir, $"download-{id}.mp4");
        await using (var file = File.Create(local))
        {
            await client.DownloadAsync(output.StorageUrl!, file);
        }
        var probe = await TestMedia.ProbeAsync(local);
        Assert.Equal(64, probe.GetProperty("streams")[0].GetProperty("width").GetInt32());
    }

    [Fact]
    public async Task WaitAsync_AsksTheServerToHoldEachPoll_AndReturnsAFailedCommandAsFinal()
    {
        var recorder = new RecordingHandler();
        var client = fx.NewClient(recorder);
        var id = await client.RunAsync(ClientFixture.TinyCommand(extra: "-c:v no_such_encoder"));

        var done = await client.WaitAsync(id, TimeSpan.FromSeconds(60));

        Assert.Equal(CommandStatuses.Failed, done.Status);
        Assert.Equal("FFMPEG_ERROR", done.ErrorStatus);
        Assert.False(string.IsNullOrEmpty(done.ErrorMessage));
        var polls = recorder.Uris.Where(u => u.AbsolutePath.EndsWith($"/commands/{id}", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(polls);
        Assert.All(polls, u => Assert.Matches(@"[?&]wait=\d+", u.Query));
    }

    [Fact]
    public async Task GetAsync_ReturnsTheCommandAtOnce_WithItsOriginalRequest()
    {
        var client = fx.NewClient();
        var request = ClientFixture.TinyCommand("now.mp4");
        var id = await client.RunAsync(request);

        var poll = await client.GetAsync(id);

        Assert.Equal(id, poll.CommandId);
        Assert.Contains(poll.Status, new[] { CommandStatuses.Queued, CommandStatuses.Processing, CommandStatuses.Success });
        Assert.Equal("now.mp4", poll.OriginalRequest!.OutputFiles["out_video"]);
        Assert.Equal(request.FfmpegCommand, poll.OriginalRequest.FfmpegCommand);
        await client.WaitAsync(id, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task RunChainedAsync_RunsStepsInOrder_StoringOnlyDeclaredOutputs()
    {
        var client = fx.NewClient();
        var id = await client.RunChainedAsync(new RunChainedRequest
        {
            InputFiles = { ["in_video"] = fx.Inputs.Url("tiny.mp4") },
            OutputFiles = { ["out_half"] = "half.mp4", ["out_thumb"] = "thumb.png" },
            FfmpegCommands =
            {
                "-i {{in_video}} -vf scale=32:24 -c:v libx264 -preset ultrafast -pix_fmt yuv420p intermediate.mp4",
                "-i intermediate.mp4 -c copy {{out_half}}",
                "-i {{out_half}} -frames:v 1 {{out_thumb}}",
            },
        });

        var done = await client.WaitAsync(id, TimeSpan.FromSeconds(60));

        Assert.Equal(CommandStatuses.Success, done.Status);
        Assert.Equal(CommandTypes.Chained, done.CommandType);
        Assert.Equal(["out_half", "out_thumb"], done.OutputFiles.Keys.Order());
        Assert.Equal((32, 24), (done.OutputFiles["out_thumb"].Width, done.OutputFiles["out_thumb"].Height));
        Assert.Equal("image", done.OutputFiles["out_thumb"].FileType);
        Assert.Equal(3, done.OriginalRequest!.FfmpegCommands!.Count);
    }

    [Fact]
    public async Task RunMultipleAsync_ReturnsOneIdPerCommand_EachRunningOnItsOwn()
    {
        var client = fx.NewClient();
        var ids = await client.RunMultipleAsync(new RunMultipleRequest
        {
            Commands =
            {
                ClientFixture.TinyCommand("a.mp4"),
                ClientFixture.TinyCommand("b.mp4", extra: "-c:v no_such_encoder"),
            },
        });

        Assert.Equal(2, ids.Count);
        var first = await client.WaitAsync(ids[0], TimeSpan.FromSeconds(60));
        var second = await client.WaitAsync(ids[1], TimeSpan.FromSeconds(60));
        Assert.Equal((CommandStatuses.Success, CommandStatuses.Failed), (first.Status, second.Status));
        Assert.Equal(CommandTypes.Multiple, first.CommandType);
        Assert.Equal("a.mp4", first.OutputFiles["out_video"].Filename);
    }

    [Fact]
    public async Task ListAsync_PagesAndFilters_TheAccountsOwnCommands()
    {
        var client = await fx.NewAccountClientAsync();
        Assert.Empty((await client.ListAsync()).Commands);
        var ok = await client.RunAsync(ClientFixture.TinyCommand("ok.mp4"));
        var bad = await client.RunAsync(ClientFixture.TinyCommand("bad.mp4", extra: "-c:v no_such_encoder"));
        await client.WaitAsync(ok, TimeSpan.FromSeconds(60));
        await client.WaitAsync(bad, TimeSpan.FromSeconds(60));

        var all = await client.ListAsync(limit: 10);
        Assert.Equal([bad, ok], all.Commands.Select(c => c.CommandId));
        Assert.Equal((10, 0), (all.Limit, all.Offset));
        var page2 = await client.ListAsync(limit: 1, offset: 1);
        Assert.Equal([ok], page2.Commands.Select(c => c.CommandId));
        var failed = await client.ListAsync(status: CommandStatuses.Failed);
        Assert.Equal([bad], failed.Commands.Select(c => c.CommandId));
        Assert.Empty((await client.ListAsync(commandType: CommandTypes.Chained)).Commands);
        Assert.Equal(2, (await client.ListAsync(commandType: CommandTypes.Command)).Commands.Count);
    }

    [Fact]
    public async Task DeleteFilesAsync_DeletesTheOutputs_AndTheirLinksStopWorking()
    {
        var client = fx.NewClient();
        var id = await client.RunAsync(ClientFixture.TinyCommand("gone.mp4"));
        var done = await client.WaitAsync(id, TimeSpan.FromSeconds(60));
        var url = done.OutputFiles["out_video"].StorageUrl!;

        var deleted = await client.DeleteFilesAsync(id);

        Assert.True(deleted.Deleted);
        Assert.Equal(1, deleted.FilesDeleted);
        Assert.True((await client.GetAsync(id)).OutputFiles["out_video"].IsDeleted);
        var e = await Assert.ThrowsAsync<RenditionApiException>(() => client.DownloadAsync(url, Stream.Null));
        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
        Assert.Equal("NOT_FOUND", e.Error);
    }

    /// <summary>Records each request's URI on its way out, to check what the SDK asks for.</summary>
    private sealed class RecordingHandler() : DelegatingHandler(new HttpClientHandler())
    {
        public ConcurrentQueue<Uri> Uris { get; } = new();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Uris.Enqueue(request.RequestUri!);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
