using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Rendition.Core.Storage;
using Rendition.Execution;
using Rendition.Testing;

namespace Rendition.Server.Tests;

/// <summary>
/// The lease a worker holds on a job, against the real store of a server that runs no workers of its own (so its
/// composition has no worker parts either): the test takes the jobs and plays the worker, so each way a lease can end is
/// seen from the API, as a client sees it.
/// </summary>
public sealed class LeasedJobTests : IAsyncLifetime
{
    private RenditionTestServer _server = null!;

    private JobLeases Leases => ActivatorUtilities.CreateInstance<JobLeases>(_server.Services);

    public async Task InitializeAsync()
    {
        _server = await RenditionTestServer.StartAsync(workers: 0);
        Assert.Null(_server.Services.GetService<JobProcessor>());
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<string> SubmitAsync() => _server.SubmitAsync(new
    {
        input_files = new Dictionary<string, string>(),
        output_files = new { out_v = "o.mp4" },
        ffmpeg_command = "-f lavfi -i testsrc2=s=64x48:d=1 {{out_v}}",
    });

    private async Task<JsonObject> PollAsync(string id) => (await _server.Http.GetFromJsonAsync<JsonObject>($"/api/v1/commands/{id}"))!;

    private async Task<LeasedJob> TakeAsync(string id)
    {
        var job = await Leases.TryTakeAsync(CancellationToken.None);
        Assert.NotNull(job);
        Assert.Equal(Guid.Parse(id), job.Command.Id);
        return job;
    }

    [Fact]
    public async Task DisposingAnUnfinishedLease_HandsTheJobBack_ForAnyWorkerToRunAgain()
    {
        var id = await SubmitAsync();
        await using (var job = await TakeAsync(id))
        {
            Assert.Equal("PROCESSING", (await PollAsync(id))["status"]!.GetValue<string>());
            Assert.Equal(LeaseState.Held, job.State);
        }

        Assert.Equal("QUEUED", (await PollAsync(id))["status"]!.GetValue<string>());
        await using var again = await TakeAsync(id);
        Assert.Equal(2, again.Command.Attempts);
    }

    [Fact]
    public async Task Failing_EndsTheCommandWithTheCode_AndWakesItsWaiters()
    {
        var id = await SubmitAsync();
        var waiter = _server.Services.GetRequiredService<JobRuntime>().WhenFinished(Guid.Parse(id));
        await using var job = await TakeAsync(id);

        Assert.True(await job.FailAsync(new JobFailure("TIMEOUT", "ffmpeg did not finish in time."), 1.5, CancellationToken.None));

        Assert.Equal(LeaseState.Failed, job.State);
        await waiter.WaitAsync(TimeSpan.FromSeconds(5));
        var poll = await PollAsync(id);
        Assert.Equal(("FAILED", "TIMEOUT", "ffmpeg did not finish in time."),
            (poll["status"]!.GetValue<string>(), poll["error_status"]!.GetValue<string>(), poll["error_message"]!.GetValue<string>()));
        // Ended once: the lease cannot be ended again, and disposing it writes nothing more.
        await Assert.ThrowsAsync<InvalidOperationException>(() => job.CompleteAsync(0, [], CancellationToken.None));
    }

    [Fact]
    public async Task Completing_RecordsTheFiles_AndWakesItsWaiters()
    {
        var id = await SubmitAsync();
        var waiter = _server.Services.GetRequiredService<JobRuntime>().WhenFinished(Guid.Parse(id));
        await using var job = await TakeAsync(id);
        var file = new FileRecord
        {
            Id = Guid.NewGuid(),
            AccountId = job.Command.AccountId,
            CommandId = job.Command.Id,
            Alias = "out_v",
            Filename = "o.mp4",
            Status = "STORED",
            StorageKey = BlobKeys.ForFile(Guid.NewGuid(), "o.mp4"),
            SizeBytes = 1,
            CreatedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        };

        Assert.True(await job.CompleteAsync(0.25, [file], CancellationToken.None));

        await waiter.WaitAsync(TimeSpan.FromSeconds(5));
        var poll = await PollAsync(id);
        Assert.Equal("SUCCESS", poll["status"]!.GetValue<string>());
        Assert.Equal(file.Id.ToString(), poll["output_files"]!["out_v"]!["file_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task ALostLease_WritesNothing_AndItsJobRunsUnderTheNewLease()
    {
        var id = await SubmitAsync();
        await using var zombie = await TakeAsync(id);
        // The lease expires and is taken back (as a sweep does after a worker stopped heartbeating); another worker takes the job.
        Assert.Equal(1, await _server.Services.GetRequiredService<ICommandStore>().RequeueAbandonedAsync(all: true, CancellationToken.None));
        await using var live = await TakeAsync(id);

        Assert.False(await zombie.HeartbeatAsync(CancellationToken.None));
        Assert.Equal(LeaseState.Lost, zombie.State);
        Assert.False(await zombie.FailAsync(new JobFailure("INTERNAL_ERROR", "zombie"), null, CancellationToken.None));
        Assert.False(await zombie.ReleaseAsync(CancellationToken.None));
        Assert.Equal("PROCESSING", (await PollAsync(id))["status"]!.GetValue<string>());

        Assert.True(await live.HeartbeatAsync(CancellationToken.None));
        Assert.True(await live.CompleteAsync(0, [], CancellationToken.None));
        Assert.Equal("SUCCESS", (await PollAsync(id))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task ReleasingExplicitly_QueuesTheJobAgain_WithoutAnnouncingAResult()
    {
        var id = await SubmitAsync();
        var waiter = _server.Services.GetRequiredService<JobRuntime>().WhenFinished(Guid.Parse(id));
        await using (var job = await TakeAsync(id))
        {
            Assert.True(await job.ReleaseAsync(CancellationToken.None));
            Assert.Equal(LeaseState.Released, job.State);
        }

        Assert.Equal("QUEUED", (await PollAsync(id))["status"]!.GetValue<string>());
        Assert.False(waiter.IsCompleted);
    }

    [Fact]
    public async Task CancellingAQueuedCommand_FinishesItInTheSamePlace_AsAWorkerWould()
    {
        var id = await SubmitAsync();
        var waiter = _server.Services.GetRequiredService<JobRuntime>().WhenFinished(Guid.Parse(id));

        using var cancelled = await _server.Http.PostAsync($"/api/v1/commands/{id}/cancel", null);

        Assert.True(cancelled.IsSuccessStatusCode, await cancelled.Content.ReadAsStringAsync());
        await waiter.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Null(await Leases.TryTakeAsync(CancellationToken.None));
    }
}
