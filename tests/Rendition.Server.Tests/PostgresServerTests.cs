using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Rendition.Core.Contracts;
using Rendition.Core.Storage;
using Rendition.Data.Postgres;
using Rendition.Testing;

namespace Rendition.Server.Tests;

/// <summary>The server composed on PostgreSQL (RENDITION_POSTGRES): the same API, state shared between nodes, leases that expire.</summary>
public sealed class PostgresServerTests
{
    private static readonly object Job = new
    {
        input_files = new { },
        output_files = new { out_v = "pg.mp4" },
        ffmpeg_command = "-f lavfi -i testsrc2=s=64x64:r=10:d=1 -c:v libx264 -preset ultrafast {{out_v}}",
    };

    private static Dictionary<string, string?> Settings(string connectionString, int leaseSeconds = 30) => new()
    {
        ["RENDITION_POSTGRES"] = connectionString,
        ["RENDITION_LEASE_SECONDS"] = leaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    [Fact]
    public async Task CommandRunsOnPostgres_AndAnotherApiNodeAnswersForIt()
    {
        var cs = await TestPostgres.CreateDatabaseAsync();
        await using var node = await RenditionTestServer.StartAsync(workers: 1, extraSettings: Settings(cs));
        Assert.IsType<PostgresCommandStore>(node.Services.GetService(typeof(ICommandStore)));
        Assert.IsType<PostgresJobSignal>(node.Services.GetService(typeof(IJobSignal)));

        var id = await node.SubmitAsync(Job);
        var poll = await node.WaitAsync(id, timeout: TimeSpan.FromSeconds(60));
        Assert.Equal("SUCCESS", poll["status"]!.GetValue<string>());
        Assert.NotNull(poll["output_files"]!["out_v"]!["storage_url"]);

        // A second node with its own data directory sees the same account, key and command: the state is in PostgreSQL.
        await using var other = await RenditionTestServer.StartAsync(workers: 1, extraSettings: Settings(cs));
        var seen = (await other.Http.GetFromJsonAsync<JsonObject>($"/api/v1/commands/{id}"))!;
        Assert.Equal("SUCCESS", seen["status"]!.GetValue<string>());
        Assert.Equal(1, await ((IAccountStore)other.Services.GetService(typeof(IAccountStore))!).CountAccountsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task DeadWorkersJob_IsLeftAloneWhileItsLeaseLasts_ThenRunsAgain()
    {
        var cs = await TestPostgres.CreateDatabaseAsync();
        CommandRecord template;
        Guid account;
        await using (var first = await RenditionTestServer.StartAsync(workers: 1, extraSettings: Settings(cs)))
        {
            var id = await first.SubmitAsync(Job);
            await first.WaitAsync(id, timeout: TimeSpan.FromSeconds(60));
            var store = (ICommandStore)first.Services.GetService(typeof(ICommandStore))!;
            account = (await ((IAccountStore)first.Services.GetService(typeof(IAccountStore))!).FindByNameAsync(Bootstrapper.DefaultAccountName, CancellationToken.None))!.Id;
            template = (await store.GetAsync(account, Guid.Parse(id), CancellationToken.None))!.Value.Command;
        }

        // A worker on another machine claims a job and then dies: nothing heartbeats its lease any more.
        await using var db = new PostgresDatabase(cs);
        var deadWorker = new PostgresCommandStore(db, TimeProvider.System);
        var job = new CommandRecord
        {
            Id = Guid.NewGuid(),
            AccountId = account,
            Status = CommandStatus.Queued,
            CommandType = template.CommandType,
            Flavor = template.Flavor,
            RequestJson = template.RequestJson,
            MaxSeconds = template.MaxSeconds,
            VcpuCount = template.VcpuCount,
            CreatedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        };
        await deadWorker.InsertAsync([job], account, null, CancellationToken.None);
        var lease = (await deadWorker.TryClaimAsync(TimeSpan.FromSeconds(20), 10, CancellationToken.None))!;
        Assert.Equal(job.Id, lease.Command.Id);

        await using var node = await RenditionTestServer.StartAsync(workers: 1, extraSettings: Settings(cs, leaseSeconds: 5));
        // Starting did not take the live lease: the dead worker's token still holds (this is its last beat, for 1 s more).
        Assert.True(await deadWorker.HeartbeatAsync(lease, TimeSpan.FromSeconds(1), CancellationToken.None), "a starting node took another worker's live job");

        var poll = await node.WaitAsync(job.Id.ToString(), timeout: TimeSpan.FromSeconds(60));
        Assert.Equal("SUCCESS", poll["status"]!.GetValue<string>());
        Assert.Equal(2, (await deadWorker.GetAsync(account, job.Id, CancellationToken.None))!.Value.Command.Attempts);
        // The zombie's late result is refused.
        Assert.False(await deadWorker.FailAsync(lease, "INTERNAL_ERROR", "zombie", null, CancellationToken.None));
    }

    [Fact]
    public async Task WorkerStoppedPastItsGrace_HandsItsJobBack_WithoutWaitingForTheLease()
    {
        var cs = await TestPostgres.CreateDatabaseAsync();
        // A lease far longer than the test: only an explicit hand-back can make the job runnable again in time.
        var settings = Settings(cs, leaseSeconds: 600);
        settings["RENDITION_SHUTDOWN_GRACE_SECONDS"] = "1";
        string id;
        Guid account;
        await using (var node = await RenditionTestServer.StartAsync(workers: 1, extraSettings: settings))
        {
            id = await node.SubmitAsync(new
            {
                input_files = new { },
                output_files = new { out_v = "long.mp4" },
                ffmpeg_command = "-re -f lavfi -i testsrc2=s=32x32:r=10:d=60 -c:v libx264 -preset ultrafast {{out_v}}",
            });
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while ((await node.Http.GetFromJsonAsync<JsonObject>($"/api/v1/commands/{id}"))!["status"]!.GetValue<string>() != "PROCESSING")
            {
                Assert.True(DateTime.UtcNow < deadline, "the job never started");
                await Task.Delay(50);
            }
            account = (await ((IAccountStore)node.Services.GetService(typeof(IAccountStore))!).FindByNameAsync(Bootstrapper.DefaultAccountName, CancellationToken.None))!.Id;
        }

        await using var db = new PostgresDatabase(cs);
        var store = new PostgresCommandStore(db, TimeProvider.System);
        var command = (await store.GetAsync(account, Guid.Parse(id), CancellationToken.None))!.Value.Command;
        Assert.Equal(CommandStatus.Queued, command.Status);
        // Any worker may take it at once.
        var lease = await store.TryClaimAsync(TimeSpan.FromSeconds(30), 10, CancellationToken.None);
        Assert.Equal(Guid.Parse(id), lease?.Command.Id);
    }
}
