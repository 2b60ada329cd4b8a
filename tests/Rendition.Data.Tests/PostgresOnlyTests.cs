using Npgsql;
using Rendition.Core.Contracts;
using Rendition.Core.Storage;
using Rendition.Core.Webhooks;
using Rendition.Data.Postgres;
using Rendition.Data.Tests.Infrastructure;

namespace Rendition.Data.Tests;

/// <summary>What only a shared store must do: stay correct with many processes on one database, and wake other nodes.</summary>
public sealed class PostgresOnlyTests : IAsyncLifetime
{
    private PostgresBackend _backend = null!;

    public async Task InitializeAsync() => _backend = await PostgresBackend.CreateAsync();

    public async Task DisposeAsync() => await _backend.DisposeAsync();

    [Fact]
    public async Task ConcurrentClaimsFromManyNodes_NeverShareAJob_NorExceedTheAccountLimit()
    {
        var accounts = new List<Guid>();
        var commands = new List<CommandRecord>();
        for (var a = 0; a < 4; a++)
        {
            var account = (await _backend.Accounts.CreateAccountAsync($"acct-{a}", CancellationToken.None)).Id;
            accounts.Add(account);
            commands.AddRange(Enumerable.Range(0, 5).Select(i => NewCommand(account, 1000 + i)));
        }
        await _backend.Commands.InsertAsync(commands, CancellationToken.None);

        // Each "node" has its own data source (its own connections), as separate worker processes would.
        var nodes = Enumerable.Range(0, 4).Select(_ => new PostgresDatabase(_backend.Database.ConnectionString)).ToList();
        try
        {
            var stores = nodes.Select(n => new PostgresCommandStore(n, TimeProvider.System)).ToList();
            using var start = new ManualResetEventSlim();
            var claims = Enumerable.Range(0, 24).Select(i => Task.Run(async () =>
            {
                start.Wait();
                return await stores[i % stores.Count].TryClaimAsync(TimeSpan.FromSeconds(30), 2, CancellationToken.None);
            })).ToList();
            start.Set();
            var leases = (await Task.WhenAll(claims)).Where(l => l is not null).Select(l => l!).ToList();

            Assert.Equal(leases.Count, leases.Select(l => l.Command.Id).Distinct().Count());
            Assert.All(leases.GroupBy(l => l.Command.AccountId), g => Assert.True(g.Count() <= 2, $"account ran {g.Count()} jobs at once"));
            // However the race went, every account ends with exactly its two slots filled once claims are retried.
            while (await _backend.Commands.TryClaimAsync(TimeSpan.FromSeconds(30), 2, CancellationToken.None) is { } more)
            {
                leases.Add(more);
            }
            Assert.Equal(8, leases.Count);
            Assert.All(accounts, a => Assert.Equal(2, leases.Count(l => l.Command.AccountId == a)));
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task ConcurrentWebhookClaimsFromManyNodes_NeverTakeADeliveryTwice()
    {
        var deliveries = new HashSet<Guid>();
        for (var a = 0; a < 4; a++)
        {
            var account = (await _backend.Accounts.CreateAccountAsync($"hooks-{a}", CancellationToken.None)).Id;
            await _backend.Webhooks.UpsertConfigAsync(account, $"https://receiver-{a}.example/hook", "whsec_x", false, CancellationToken.None);
            var commands = Enumerable.Range(0, 10).Select(i => NewCommand(account, 1000 + i)).ToList();
            await _backend.Commands.InsertAsync(commands, CancellationToken.None);
            foreach (var command in commands)
            {
                deliveries.Add((await _backend.Webhooks.EnqueueAsync(account, command.Id, CancellationToken.None))!.Value);
            }
        }

        // Dispatchers on four nodes (their own connections) claiming at the same instant, each with room for a few per URL.
        var nodes = Enumerable.Range(0, 4).Select(_ => new PostgresDatabase(_backend.Database.ConnectionString)).ToList();
        try
        {
            var stores = nodes.Select(n => new PostgresWebhookStore(n, TimeProvider.System)).ToList();
            using var start = new ManualResetEventSlim();
            var claims = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
            {
                start.Wait();
                return await stores[i % stores.Count].ClaimDueAsync(5, TimeSpan.FromMinutes(1), 2, new Dictionary<string, int>(), CancellationToken.None);
            })).ToList();
            start.Set();
            var claimed = (await Task.WhenAll(claims)).SelectMany(c => c).Select(c => c.Delivery.Id).ToList();
            Assert.Equal(claimed.Count, claimed.Distinct().Count());
            Assert.All(claimed, id => Assert.Contains(id, deliveries));

            // Claimed ones stay held; the rest are all taken, each once, by further passes.
            while ((await stores[0].ClaimDueAsync(8, TimeSpan.FromMinutes(1), 2, new Dictionary<string, int>(), CancellationToken.None)) is { Count: > 0 } more)
            {
                claimed.AddRange(more.Select(c => c.Delivery.Id));
            }
            Assert.Equal(deliveries.Order(), claimed.Order());
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task InsertOnOneNode_WakesAWorkerListeningOnAnother()
    {
        await using var otherNode = new PostgresDatabase(_backend.Database.ConnectionString);
        await using var signal = new PostgresJobSignal(otherNode);
        Assert.True(await signal.StartAsync(TimeSpan.FromSeconds(10), CancellationToken.None), "the signal never started listening");
        // Listening begins with one wake-up for jobs queued while no one listened; take it first.
        Assert.True(await signal.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None));
        Assert.False(await signal.WaitAsync(TimeSpan.FromMilliseconds(300), CancellationToken.None));

        var account = (await _backend.Accounts.CreateAccountAsync("acme", CancellationToken.None)).Id;
        await _backend.Commands.InsertAsync([NewCommand(account, 1)], CancellationToken.None);
        Assert.True(await signal.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None), "no NOTIFY reached the other node");
    }

    [Fact]
    public async Task Migrations_AreRecorded_AndRunningThemAgainChangesNothing()
    {
        await using var again = new PostgresDatabase(_backend.Database.ConnectionString);
        await Task.WhenAll(again.MigrateAsync(CancellationToken.None), _backend.Database.MigrateAsync(CancellationToken.None));

        await using var c = await _backend.Database.OpenAsync(CancellationToken.None);
        await using var cmd = new NpgsqlCommand("SELECT array_agg(version ORDER BY version) FROM schema_migrations", c);
        var versions = (int[])(await cmd.ExecuteScalarAsync())!;
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], versions);
    }

    private static CommandRecord NewCommand(Guid account, long createdAt) => new()
    {
        Id = Guid.NewGuid(),
        AccountId = account,
        Status = CommandStatus.Queued,
        CommandType = "FFMPEG_COMMAND",
        Flavor = 1,
        RequestJson = "{}",
        MaxSeconds = 300,
        VcpuCount = 1,
        CreatedAt = createdAt,
    };
}
