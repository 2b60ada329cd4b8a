using System.Globalization;
using Rendition.Core.Contracts;
using Rendition.Core.Presets;
using Rendition.Core.Security;
using Rendition.Core.Storage;
using Rendition.Core.Webhooks;
using Rendition.Data.Tests.Infrastructure;

namespace Rendition.Data.Tests;

/// <summary>What every job store must do, run unchanged against each backend (the subclasses at the end choose one).</summary>
public abstract class StoreContractTests : IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private StoreBackend _backend = null!;

    protected StoreBackend Backend => _backend;

    private ManualClock Clock => _backend.Clock;

    private static CancellationToken Ct => CancellationToken.None;

    protected abstract Task<StoreBackend> CreateBackendAsync();

    public async Task InitializeAsync() => _backend = await CreateBackendAsync();

    public async Task DisposeAsync() => await _backend.DisposeAsync();

    // ---- accounts and keys ----

    [Fact]
    public async Task CreateAccount_RefusesTakenName_AndFindsByName()
    {
        var account = await _backend.Accounts.CreateAccountAsync("acme", Ct);
        await Assert.ThrowsAsync<InvalidOperationException>(() => _backend.Accounts.CreateAccountAsync("acme", Ct));

        Assert.Equal(account, await _backend.Accounts.FindByNameAsync("acme", Ct));
        Assert.Null(await _backend.Accounts.FindByNameAsync("other", Ct));
        Assert.Equal(1, await _backend.Accounts.CountAccountsAsync(Ct));
        Assert.Equal([account], await _backend.Accounts.ListAccountsAsync(Ct));
    }

    [Fact]
    public async Task Key_ResolvesToItsAccount_UntilRevokedByPrefix()
    {
        var account = await _backend.Accounts.CreateAccountAsync("acme", Ct);
        await _backend.Accounts.AddKeyAsync(account.Id, new NewApiKey("hash-1", "ffsk_abcdef12", null), "ci", Ct);
        // The same hash again is ignored, never moved to another account.
        var other = await _backend.Accounts.CreateAccountAsync("other", Ct);
        await _backend.Accounts.AddKeyAsync(other.Id, new NewApiKey("hash-1", "ffsk_abcdef12", null), "dup", Ct);

        var owner = await _backend.Accounts.FindByKeyHashAsync("hash-1", Ct);
        Assert.Equal(account, owner!.Account);
        var key = Assert.Single(await _backend.Accounts.ListKeysAsync(account.Id, Ct));
        Assert.Equal(owner.KeyId, key.Id);
        Assert.Equal("ci", key.Label);
        Assert.Empty(await _backend.Accounts.ListKeysAsync(other.Id, Ct));

        Assert.Empty(await _backend.Accounts.RevokeKeyAsync("ffsk_ab", Ct)); // shorter than 8: matches nothing
        var revoked = Assert.Single(await _backend.Accounts.RevokeKeyAsync("ffsk_abcd", Ct));
        Assert.Equal(Clock.NowMs, revoked.RevokedAt);
        Assert.Null(await _backend.Accounts.FindByKeyHashAsync("hash-1", Ct));
    }

    [Fact]
    public async Task RevokeKey_ByAmbiguousPrefix_RevokesNone_ButById_RevokesThatOne()
    {
        var account = await _backend.Accounts.CreateAccountAsync("acme", Ct);
        await _backend.Accounts.AddKeyAsync(account.Id, new NewApiKey("hash-1", "ffsk_samepref1", null), null, Ct);
        await _backend.Accounts.AddKeyAsync(account.Id, new NewApiKey("hash-2", "ffsk_samepref2", null), null, Ct);

        Assert.Equal(2, (await _backend.Accounts.RevokeKeyAsync("ffsk_samepref", Ct)).Count);
        Assert.NotNull(await _backend.Accounts.FindByKeyHashAsync("hash-1", Ct));
        Assert.NotNull(await _backend.Accounts.FindByKeyHashAsync("hash-2", Ct));

        var id = (await _backend.Accounts.FindByKeyHashAsync("hash-2", Ct))!.KeyId;
        Assert.Equal(id, Assert.Single(await _backend.Accounts.RevokeKeyAsync(id.ToString(), Ct)).Id);
        Assert.NotNull(await _backend.Accounts.FindByKeyHashAsync("hash-1", Ct));
        Assert.Null(await _backend.Accounts.FindByKeyHashAsync("hash-2", Ct));
    }

    [Fact]
    public async Task RevokeKey_ByTheWholeKeyOrALongerPrefix_ChecksTheStoredCharacters_AndAnAmbiguousOneRevokesNothing()
    {
        var account = await _backend.Accounts.CreateAccountAsync("acme", Ct);
        // Two generated-form keys sharing their first 18 characters (ffsk_ + 13 hex), then differing.
        var k1 = "ffsk_0123456789abc" + "1" + new string('a', 50);
        var k2 = "ffsk_0123456789abc" + "2" + new string('b', 50);
        Assert.True(ApiKeys.IsGenerated(k1) && ApiKeys.IsGenerated(k2));
        await _backend.Accounts.AddKeyAsync(account.Id, ApiKeys.ForStorage(k1), null, Ct);
        await _backend.Accounts.AddKeyAsync(account.Id, ApiKeys.ForStorage(k2), null, Ct);
        // A key stored before lookup prefixes existed: only its listed prefix and hash.
        var legacy = "ffsk_fedcba9876543210" + new string('c', 48);
        await _backend.Accounts.AddKeyAsync(account.Id, new NewApiKey(ApiKeys.Hash(legacy), legacy[..12], null), null, Ct);

        // 16 characters, longer than the listed 12, shared by both: ambiguous, nothing revoked.
        Assert.Equal(2, (await _backend.Accounts.RevokeKeyAsync(k1[..16], Ct)).Count);
        // A longer prefix that is wrong past the listed part matches nothing (it is checked against the stored 21).
        Assert.Empty(await _backend.Accounts.RevokeKeyAsync("ffsk_0123456789abd", Ct));
        Assert.Empty(await _backend.Accounts.RevokeKeyAsync(k1[..18] + "3", Ct));
        Assert.NotNull(await _backend.Accounts.FindByKeyHashAsync(ApiKeys.Hash(k1), Ct));
        Assert.NotNull(await _backend.Accounts.FindByKeyHashAsync(ApiKeys.Hash(k2), Ct));

        // 19 characters tell them apart.
        Assert.Single(await _backend.Accounts.RevokeKeyAsync(k1[..19], Ct));
        Assert.Null(await _backend.Accounts.FindByKeyHashAsync(ApiKeys.Hash(k1), Ct));
        Assert.NotNull(await _backend.Accounts.FindByKeyHashAsync(ApiKeys.Hash(k2), Ct));

        // The whole key is matched by its hash; a whole key that is not stored matches nothing, even sharing 21 characters.
        Assert.Empty(await _backend.Accounts.RevokeKeyAsync(k2[..21] + new string('0', 48), Ct));
        Assert.Single(await _backend.Accounts.RevokeKeyAsync(k2, Ct));
        Assert.Null(await _backend.Accounts.FindByKeyHashAsync(ApiKeys.Hash(k2), Ct));

        // The legacy key: a 16-character prefix is compared on its listed 12, and the whole key by hash.
        var legacyMatch = Assert.Single(await _backend.Accounts.RevokeKeyAsync(legacy[..16], Ct));
        Assert.NotNull(legacyMatch.RevokedAt);
        Assert.Null(await _backend.Accounts.FindByKeyHashAsync(ApiKeys.Hash(legacy), Ct));
    }

    [Fact]
    public async Task TouchKeys_KeepsTheLatestUse()
    {
        var account = await _backend.Accounts.CreateAccountAsync("acme", Ct);
        await _backend.Accounts.AddKeyAsync(account.Id, new NewApiKey("hash-1", "ffsk_11111111", null), null, Ct);
        await _backend.Accounts.AddKeyAsync(account.Id, new NewApiKey("hash-2", "ffsk_22222222", null), null, Ct);
        var k1 = (await _backend.Accounts.FindByKeyHashAsync("hash-1", Ct))!.KeyId;
        var k2 = (await _backend.Accounts.FindByKeyHashAsync("hash-2", Ct))!.KeyId;

        await _backend.Accounts.TouchKeysAsync(new Dictionary<Guid, long> { [k1] = 500, [k2] = 700 }, Ct);
        await _backend.Accounts.TouchKeysAsync(new Dictionary<Guid, long> { [k1] = 400 }, Ct); // an older batch arriving late

        var keys = (await _backend.Accounts.ListKeysAsync(account.Id, Ct)).ToDictionary(k => k.Id);
        Assert.Equal(500, keys[k1].LastUsedAt);
        Assert.Equal(700, keys[k2].LastUsedAt);
    }

    // ---- commands ----

    [Fact]
    public async Task InsertedCommand_ReadsBackWholly_AndOnlyForItsAccount()
    {
        var account = await NewAccountAsync();
        var command = NewCommand(account, webhookUrl: "https://example.com/hook");
        command.MetadataJson = """{"k":"v"}""";
        command.PresetId = "preset-1";
        await _backend.Commands.InsertAsync([command], Ct);

        var (got, files) = (await _backend.Commands.GetAsync(account, command.Id, Ct))!.Value;
        Assert.Empty(files);
        Assert.Equal(
            (command.Status, command.CommandType, command.Flavor, command.RequestJson, command.MetadataJson, command.WebhookUrl, command.MaxSeconds,
                command.VcpuCount, command.CreatedAt, command.PresetId, 0),
            (got.Status, got.CommandType, got.Flavor, got.RequestJson, got.MetadataJson, got.WebhookUrl, got.MaxSeconds,
                got.VcpuCount, got.CreatedAt, got.PresetId, got.Attempts));
        Assert.Null(await _backend.Commands.GetAsync(await NewAccountAsync(), command.Id, Ct));
    }

    [Fact]
    public async Task Insert_IsAllOrNone()
    {
        var account = await NewAccountAsync();
        var first = NewCommand(account);
        var duplicate = NewCommand(account);
        duplicate.Id = first.Id;
        await Assert.ThrowsAnyAsync<Exception>(() => _backend.Commands.InsertAsync([first, duplicate], Ct));
        Assert.Null(await _backend.Commands.GetAsync(account, first.Id, Ct));
    }

    [Fact]
    public async Task List_IsNewestFirst_Paged_AndFiltered()
    {
        var account = await NewAccountAsync();
        var commands = Enumerable.Range(0, 5).Select(i => NewCommand(account, createdAt: 1000 + i, type: i % 2 == 0 ? "FFMPEG_COMMAND" : "CHAINED")).ToList();
        // Two in the same millisecond: insertion order breaks the tie, newest first.
        commands.Add(NewCommand(account, createdAt: 1004));
        await _backend.Commands.InsertAsync(commands, Ct);
        await _backend.Commands.InsertAsync([NewCommand(await NewAccountAsync(), createdAt: 2000)], Ct);

        var all = await _backend.Commands.ListAsync(account, new CommandQuery(10, 0), Ct);
        Assert.Equal([commands[5].Id, commands[4].Id, commands[3].Id, commands[2].Id, commands[1].Id, commands[0].Id], all.Select(c => c.Command.Id));

        var page = await _backend.Commands.ListAsync(account, new CommandQuery(2, 2), Ct);
        Assert.Equal([commands[3].Id, commands[2].Id], page.Select(c => c.Command.Id));

        var chained = await _backend.Commands.ListAsync(account, new CommandQuery(10, 0, CommandType: "CHAINED"), Ct);
        Assert.Equal([commands[3].Id, commands[1].Id], chained.Select(c => c.Command.Id));

        var lease = (await _backend.Commands.TryClaimAsync(Lease, 10, Ct))!;
        Assert.True(await _backend.Commands.CompleteAsync(lease, 1.5, [NewFile(account, lease.Command.Id, "out.mp4")], Ct));
        var done = Assert.Single(await _backend.Commands.ListAsync(account, new CommandQuery(10, 0, Status: CommandStatus.Success), Ct));
        Assert.Equal(commands[0].Id, done.Command.Id);
        Assert.Equal("out.mp4", Assert.Single(done.Files).Filename);
        Assert.Equal(5, (await _backend.Commands.ListAsync(account, new CommandQuery(10, 0, Status: CommandStatus.Queued), Ct)).Count);
    }

    // ---- the queue ----

    [Fact]
    public async Task Claim_TakesTheOldestJob_UnderANewLease()
    {
        Assert.Null(await _backend.Commands.TryClaimAsync(Lease, 10, Ct));
        var account = await NewAccountAsync();
        var newer = NewCommand(account, createdAt: 2000);
        var older = NewCommand(account, createdAt: 1000);
        await _backend.Commands.InsertAsync([newer, older], Ct);

        var lease = (await _backend.Commands.TryClaimAsync(Lease, 10, Ct))!;
        Assert.Equal(older.Id, lease.Command.Id);
        Assert.Equal(CommandStatus.Processing, lease.Command.Status);
        Assert.Equal(1, lease.Command.Attempts);
        Assert.Equal(Clock.NowMs, lease.Command.StartedAt);
        var second = (await _backend.Commands.TryClaimAsync(Lease, 10, Ct))!;
        Assert.Equal(newer.Id, second.Command.Id);
        Assert.NotEqual(lease.Token, second.Token);
        Assert.Null(await _backend.Commands.TryClaimAsync(Lease, 10, Ct));
    }

    [Fact]
    public async Task CountQueued_CountsOnlyWaitingJobs_OfEveryAccount()
    {
        Assert.Equal(0, await _backend.Commands.CountQueuedAsync(Ct));
        var one = await NewAccountAsync();
        var two = await NewAccountAsync();
        await _backend.Commands.InsertAsync([NewCommand(one, createdAt: 1000), NewCommand(one, createdAt: 1001), NewCommand(two, createdAt: 1002)], Ct);
        Assert.Equal(3, await _backend.Commands.CountQueuedAsync(Ct));

        var lease = (await _backend.Commands.TryClaimAsync(Lease, 10, Ct))!;
        Assert.Equal(2, await _backend.Commands.CountQueuedAsync(Ct));
        Assert.True(await _backend.Commands.CompleteAsync(lease, 1.5, [], Ct));
        Assert.Equal(2, await _backend.Commands.CountQueuedAsync(Ct));
        await _backend.Commands.TryClaimAsync(Lease, 10, Ct);
        Assert.Equal(1, await _backend.Commands.CountQueuedAsync(Ct));
        // A running job taken back is waiting again.
        Assert.Equal(1, await _backend.Commands.RequeueAbandonedAsync(all: true, Ct));
        Assert.Equal(2, await _backend.Commands.CountQueuedAsync(Ct));
    }

    [Fact]
    public async Task Claim_IsFair_TheAccountRunningFewestGoesFirst()
    {
        var busy = await NewAccountAsync();
        var quiet = await NewAccountAsync();
        var b1 = NewCommand(busy, createdAt: 1000);
        var b2 = NewCommand(busy, createdAt: 1001);
        var b3 = NewCommand(busy, createdAt: 1002);
        var q1 = NewCommand(quiet, createdAt: 5000);
        await _backend.Commands.InsertAsync([b1, b2, b3, q1], Ct);

        var order = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            order.Add((await _backend.Commands.TryClaimAsync(Lease, 10, Ct))!.Command.Id);
        }
        // busy's oldest first (all idle, oldest job); then quiet, though its job is newest, as busy already runs one.
        Assert.Equal([b1.Id, q1.Id, b2.Id, b3.Id], order);
    }

    [Fact]
    public async Task Claim_NeverRunsMoreThanTheLimitPerAccount()
    {
        var account = await NewAccountAsync();
        var first = NewCommand(account, createdAt: 1000);
        var second = NewCommand(account, createdAt: 1001);
        await _backend.Commands.InsertAsync([first, second], Ct);

        var lease = (await _backend.Commands.TryClaimAsync(Lease, 1, Ct))!;
        Assert.Equal(first.Id, lease.Command.Id);
        Assert.Null(await _backend.Commands.TryClaimAsync(Lease, 1, Ct));

        // Another account is not held back by the full one.
        var other = NewCommand(await NewAccountAsync(), createdAt: 3000);
        await _backend.Commands.InsertAsync([other], Ct);
        Assert.Equal(other.Id, (await _backend.Commands.TryClaimAsync(Lease, 1, Ct))!.Command.Id);

        Assert.True(await _backend.Commands.FailAsync(lease, "FFMPEG_ERROR", "boom", 0.5, Ct));
        Assert.Equal(second.Id, (await _backend.Commands.TryClaimAsync(Lease, 1, Ct))!.Command.Id);
    }

    [Fact]
    public async Task RequeueNotAll_TakesBackOnlyExpiredLeases_AndHeartbeatsKeepThemAlive()
    {
        var account = await NewAccountAsync();
        await _backend.Commands.InsertAsync([NewCommand(account, createdAt: 1), NewCommand(account, createdAt: 2)], Ct);
        var beating = (await _backend.Commands.TryClaimAsync(TimeSpan.FromSeconds(10), 10, Ct))!;
        var dead = (await _backend.Commands.TryClaimAsync(TimeSpan.FromSeconds(10), 10, Ct))!;

        Clock.Advance(TimeSpan.FromSeconds(8));
        Assert.True(await _backend.Commands.HeartbeatAsync(beating, TimeSpan.FromSeconds(10), Ct));
        Assert.Equal(0, await _backend.Commands.RequeueAbandonedAsync(all: false, Ct));

        Clock.Advance(TimeSpan.FromSeconds(3)); // dead's lease ran out at 10 s; beating's runs to 18 s
        Assert.Equal(1, await _backend.Commands.RequeueAbandonedAsync(all: false, Ct));
        Assert.Equal(CommandStatus.Queued, (await _backend.Commands.GetAsync(account, dead.Command.Id, Ct))!.Value.Command.Status);
        Assert.Equal(CommandStatus.Processing, (await _backend.Commands.GetAsync(account, beating.Command.Id, Ct))!.Value.Command.Status);

        // The requeued job runs again: a second attempt under a new token.
        var again = (await _backend.Commands.TryClaimAsync(Lease, 10, Ct))!;
        Assert.Equal(dead.Command.Id, again.Command.Id);
        Assert.Equal(2, again.Command.Attempts);
    }

    [Fact]
    public async Task RequeueAll_TakesBackEveryRunningJob()
    {
        var account = await NewAccountAsync();
        await _backend.Commands.InsertAsync([NewCommand(account, createdAt: 1), NewCommand(account, createdAt: 2)], Ct);
        await _backend.Commands.TryClaimAsync(Lease, 10, Ct);
        await _backend.Commands.TryClaimAsync(Lease, 10, Ct);

        Assert.Equal(0, await _backend.Commands.RequeueAbandonedAsync(all: false, Ct));
        Assert.Equal(2, await _backend.Commands.RequeueAbandonedAsync(all: true, Ct));
        Assert.NotNull(await _backend.Commands.TryClaimAsync(Lease, 10, Ct));
    }

    [Fact]
    public async Task ZombieWithAnOldToken_CannotHeartbeatCompleteOrFail()
    {
        var account = await NewAccountAsync();
        await _backend.Commands.InsertAsync([NewCommand(account)], Ct);
        var zombie = (await _backend.Commands.TryClaimAsync(TimeSpan.FromSeconds(10), 10, Ct))!;
        Clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(1, await _backend.Commands.RequeueAbandonedAsync(all: false, Ct));
        var current = (await _backend.Commands.TryClaimAsync(Lease, 10, Ct))!;

        Assert.False(await _backend.Commands.HeartbeatAsync(zombie, Lease, Ct));
        Assert.False(await _backend.Commands.CompleteAsync(zombie, 1, [NewFile(account, zombie.Command.Id, "zombie.mp4")], Ct));
        Assert.False(await _backend.Commands.FailAsync(zombie, "FFMPEG_ERROR", "zombie", null, Ct));
        var (stillRunning, noFiles) = (await _backend.Commands.GetAsync(account, current.Command.Id, Ct))!.Value;
        Assert.Equal(CommandStatus.Processing, stillRunning.Status);
        Assert.Empty(noFiles);

        Assert.True(await _backend.Commands.HeartbeatAsync(current, Lease, Ct));
        Assert.True(await _backend.Commands.CompleteAsync(current, 2.5, [NewFile(account, current.Command.Id, "real.mp4")], Ct));
        var (done, files) = (await _backend.Commands.GetAsync(account, current.Command.Id, Ct))!.Value;
        Assert.Equal((CommandStatus.Success, 2.5, Clock.NowMs), (done.Status, done.FfmpegSeconds, done.CompletedAt));
        Assert.Equal("real.mp4", Assert.Single(files).Filename);
        // Finished: a late write from the current worker is fenced too.
        Assert.False(await _backend.Commands.FailAsync(current, "FFMPEG_ERROR", "late", null, Ct));
    }

    [Fact]
    public async Task Release_HandsTheJobBackAtOnce_OnlyWithTheCurrentLease()
    {
        var account = await NewAccountAsync();
        await _backend.Commands.InsertAsync([NewCommand(account)], Ct);
        var first = (await _backend.Commands.TryClaimAsync(Lease, 10, Ct))!;

        // Handed back while its lease is still long: runnable at once, no expiry to wait for.
        Assert.True(await _backend.Commands.ReleaseAsync(first, Ct));
        var (queued, _) = (await _backend.Commands.GetAsync(account, first.Command.Id, Ct))!.Value;
        Assert.Equal(CommandStatus.Queued, queued.Status);
        var second = (await _backend.Commands.TryClaimAsync(Lease, 10, Ct))!;
        Assert.Equal((first.Command.Id, 2), (second.Command.Id, second.Command.Attempts));

        // Fenced: the old lease can neither release the new attempt nor write after its own release.
        Assert.False(await _backend.Commands.ReleaseAsync(first, Ct));
        Assert.False(await _backend.Commands.HeartbeatAsync(first, Lease, Ct));
        Assert.Equal(CommandStatus.Processing, (await _backend.Commands.GetAsync(account, first.Command.Id, Ct))!.Value.Command.Status);

        // A finished job is not put back in the queue.
        Assert.True(await _backend.Commands.CompleteAsync(second, 1, [], Ct));
        Assert.False(await _backend.Commands.ReleaseAsync(second, Ct));
        Assert.Equal(CommandStatus.Success, (await _backend.Commands.GetAsync(account, first.Command.Id, Ct))!.Value.Command.Status);
    }

    [Fact]
    public async Task Fail_RecordsTheError()
    {
        var account = await NewAccountAsync();
        await _backend.Commands.InsertAsync([NewCommand(account)], Ct);
        var lease = (await _backend.Commands.TryClaimAsync(Lease, 10, Ct))!;
        Assert.True(await _backend.Commands.FailAsync(lease, "TIMEOUT", "too slow", 3.25, Ct));
        var failed = (await _backend.Commands.GetAsync(account, lease.Command.Id, Ct))!.Value.Command;
        Assert.Equal((CommandStatus.Failed, "TIMEOUT", "too slow", 3.25), (failed.Status, failed.ErrorStatus, failed.ErrorMessage, failed.FfmpegSeconds));
    }

    [Fact]
    public async Task IdempotencyKey_StoresTheFirstSubmissionOnly()
    {
        var account = await NewAccountAsync();
        var record = new IdempotencyRecord("key-1", "hash-a", """{"command_id":"x"}""", Clock.NowMs);
        var first = NewCommand(account);
        var retry = NewCommand(account);
        Assert.True(await _backend.Commands.InsertAsync([first], account, record, Ct));
        Assert.False(await _backend.Commands.InsertAsync([retry], account, record with { ResponseJson = "{}" }, Ct));
        Assert.Null(await _backend.Commands.GetAsync(account, retry.Id, Ct));

        Assert.Equal(record, await _backend.Commands.FindIdempotencyAsync(account, "key-1", Clock.NowMs - 1000, Ct));
        Assert.Null(await _backend.Commands.FindIdempotencyAsync(account, "key-1", Clock.NowMs + 1, Ct)); // older than asked for
        Assert.Null(await _backend.Commands.FindIdempotencyAsync(await NewAccountAsync(), "key-1", 0, Ct));

        // A day later the key may be used again.
        var later = record with { CreatedAt = record.CreatedAt + (25 * 3600 * 1000), ResponseJson = "{\"command_id\":\"y\"}" };
        Assert.True(await _backend.Commands.InsertAsync([retry], account, later, Ct));
        Assert.Equal(later, await _backend.Commands.FindIdempotencyAsync(account, "key-1", 0, Ct));
    }

    [Fact]
    public async Task Cancel_FailsAQueuedCommandAtOnce_AndFlagsARunningOne()
    {
        var account = await NewAccountAsync();
        await _backend.Webhooks.UpsertConfigAsync(account, "https://a.example/hook", "whsec_x", false, Ct);
        var running = NewCommand(account, createdAt: 1);
        var queued = NewCommand(account, createdAt: 2);
        await _backend.Commands.InsertAsync([running, queued], Ct);
        var lease = (await _backend.Commands.TryClaimAsync(Lease, 1, Ct))!;

        Assert.Equal(CancelOutcome.CancelledWhileQueued, await _backend.Commands.RequestCancelAsync(account, queued.Id, Ct));
        var cancelled = (await _backend.Commands.GetAsync(account, queued.Id, Ct))!.Value.Command;
        Assert.Equal((CommandStatus.Failed, "CANCELLED"), (cancelled.Status, cancelled.ErrorStatus));
        Assert.Single(await _backend.Webhooks.ListDeliveriesAsync(account, queued.Id, Ct));

        Assert.False(await _backend.Commands.IsCancelRequestedAsync(running.Id, Ct));
        Assert.Equal(CancelOutcome.NotFound, await _backend.Commands.RequestCancelAsync(await NewAccountAsync(), running.Id, Ct));
        Assert.Equal(CancelOutcome.StopRequested, await _backend.Commands.RequestCancelAsync(account, running.Id, Ct));
        Assert.True(await _backend.Commands.IsCancelRequestedAsync(running.Id, Ct));
        Assert.True((await _backend.Commands.GetAsync(account, running.Id, Ct))!.Value.Command.CancelRequested);

        await _backend.Commands.FailAsync(lease, "CANCELLED", "stopped", 1, Ct);
        Assert.Equal(CancelOutcome.AlreadyFinished, await _backend.Commands.RequestCancelAsync(account, running.Id, Ct));
        Assert.Equal(CancelOutcome.NotFound, await _backend.Commands.RequestCancelAsync(account, Guid.NewGuid(), Ct));
    }

    [Fact]
    public async Task ProgressIsSavedOnlyWhileRunning_AndLogsAreTheAccountsOwn()
    {
        var account = await NewAccountAsync();
        var command = NewCommand(account);
        await _backend.Commands.InsertAsync([command], Ct);
        await _backend.Commands.SaveProgressAsync(command.Id, """{"percent":1}""", Ct);
        Assert.Null((await _backend.Commands.GetAsync(account, command.Id, Ct))!.Value.Command.ProgressJson);

        var lease = (await _backend.Commands.TryClaimAsync(Lease, 10, Ct))!;
        await _backend.Commands.SaveProgressAsync(command.Id, """{"percent":50}""", Ct);
        Assert.Equal("""{"percent":50}""", (await _backend.Commands.GetAsync(account, command.Id, Ct))!.Value.Command.ProgressJson);

        Assert.Equal((true, (string?)null), await _backend.Commands.GetLogAsync(account, command.Id, Ct));
        await _backend.Commands.SaveLogAsync(command.Id, "first", Ct);
        await _backend.Commands.SaveLogAsync(command.Id, "frame=10\nerror: x", Ct);
        await _backend.Commands.CompleteAsync(lease, 1, [], Ct);
        Assert.Equal((true, (string?)"frame=10\nerror: x"), await _backend.Commands.GetLogAsync(account, command.Id, Ct));
        Assert.Equal((false, (string?)null), await _backend.Commands.GetLogAsync(await NewAccountAsync(), command.Id, Ct));
    }

    // ---- files ----

    [Fact]
    public async Task Files_AreTheAccountsOwn_AndListNewestFirst()
    {
        var account = await NewAccountAsync();
        var other = await NewAccountAsync();
        var files = Enumerable.Range(0, 3).Select(i => NewFile(account, null, $"f{i}.mp4", createdAt: 100 + i)).ToList();
        files[1].DisplayName = "My Video.mp4";
        files[1].MediaJson = """{"duration":1}""";
        files[1].SizeBytes = 1234;
        files[1].OriginalFileUrl = "https://example.com/a.mp4";
        foreach (var f in files)
        {
            await _backend.Files.InsertFileAsync(f, Ct);
        }

        var got = (await _backend.Files.GetFileAsync(account, files[1].Id, Ct))!;
        Assert.Equal(("My Video.mp4", """{"duration":1}""", 1234L, "https://example.com/a.mp4", "UPLOAD", false),
            (got.DisplayName, got.MediaJson, got.SizeBytes!.Value, got.OriginalFileUrl, got.StoreType, got.IsDeleted));
        Assert.Null(await _backend.Files.GetFileAsync(other, files[1].Id, Ct));
        Assert.Equal(account, (await _backend.Files.FindFileAsync(files[1].Id, Ct))!.AccountId);

        Assert.Equal([files[2].Id, files[1].Id, files[0].Id], (await _backend.Files.ListFilesAsync(account, 10, 0, Ct)).Select(f => f.Id));
        Assert.Equal([files[1].Id], (await _backend.Files.ListFilesAsync(account, 1, 1, Ct)).Select(f => f.Id));
        Assert.Empty(await _backend.Files.ListFilesAsync(other, 10, 0, Ct));
    }

    [Fact]
    public async Task FinishFile_EndsOnlyAProcessingFile()
    {
        var account = await NewAccountAsync();
        var fetching = NewFile(account, null, "a.mp4", status: "PROCESSING");
        var deleted = NewFile(account, null, "b.mp4", status: "PROCESSING");
        await _backend.Files.InsertFileAsync(fetching, Ct);
        await _backend.Files.InsertFileAsync(deleted, Ct);
        Assert.Equal([fetching.Id, deleted.Id], (await _backend.Files.ListProcessingFilesAsync(Ct)).Select(f => f.Id));
        await _backend.Files.MarkFilesDeletedAsync(account, [deleted.Id], Ct);

        fetching.Status = "STORED";
        fetching.SizeBytes = 42;
        fetching.StorageKey = "key/a.mp4";
        Assert.True(await _backend.Files.FinishFileAsync(fetching, Ct));
        Assert.False(await _backend.Files.FinishFileAsync(fetching, Ct));
        deleted.Status = "STORED";
        Assert.False(await _backend.Files.FinishFileAsync(deleted, Ct));

        var stored = (await _backend.Files.GetFileAsync(account, fetching.Id, Ct))!;
        Assert.Equal(("STORED", 42L, "key/a.mp4"), (stored.Status, stored.SizeBytes!.Value, stored.StorageKey));
        Assert.Empty(await _backend.Files.ListProcessingFilesAsync(Ct));
    }

    [Fact]
    public async Task MarkFilesDeleted_ReturnsOnlyTheAccountsFiles()
    {
        var account = await NewAccountAsync();
        var other = await NewAccountAsync();
        var mine = NewFile(account, null, "mine.mp4");
        var theirs = NewFile(other, null, "theirs.mp4");
        await _backend.Files.InsertFileAsync(mine, Ct);
        await _backend.Files.InsertFileAsync(theirs, Ct);

        var marked = await _backend.Files.MarkFilesDeletedAsync(account, [mine.Id, theirs.Id], Ct);
        Assert.Equal([mine.Id], marked.Select(f => f.Id));
        Assert.True((await _backend.Files.GetFileAsync(account, mine.Id, Ct))!.IsDeleted);
        Assert.False((await _backend.Files.GetFileAsync(other, theirs.Id, Ct))!.IsDeleted);
        // Already deleted: still returned, so a retried bulk delete can remove any blob left behind.
        Assert.Single(await _backend.Files.MarkFilesDeletedAsync(account, [mine.Id], Ct));
        Assert.Empty(await _backend.Files.MarkFilesDeletedAsync(account, [], Ct));
    }

    [Fact]
    public async Task MarkCommandFilesDeleted_ReturnsOnlyThoseNewlyMarked()
    {
        var account = await NewAccountAsync();
        await _backend.Commands.InsertAsync([NewCommand(account)], Ct);
        var lease = (await _backend.Commands.TryClaimAsync(Lease, 10, Ct))!;
        await _backend.Commands.CompleteAsync(lease, 1, [NewFile(account, lease.Command.Id, "a.mp4"), NewFile(account, lease.Command.Id, "b.mp4")], Ct);

        Assert.Empty(await _backend.Commands.MarkCommandFilesDeletedAsync(await NewAccountAsync(), lease.Command.Id, Ct));
        Assert.Equal(["a.mp4", "b.mp4"], (await _backend.Commands.MarkCommandFilesDeletedAsync(account, lease.Command.Id, Ct)).Select(f => f.Filename).Order());
        Assert.Empty(await _backend.Commands.MarkCommandFilesDeletedAsync(account, lease.Command.Id, Ct));
    }

    [Fact]
    public async Task ExpireFiles_MarksOldFinishedFiles_UpToTheLimit()
    {
        var account = await NewAccountAsync();
        var old1 = NewFile(account, null, "old1.mp4", createdAt: 100);
        var old2 = NewFile(account, null, "old2.mp4", createdAt: 101);
        var oldProcessing = NewFile(account, null, "fetching.mp4", createdAt: 50, status: "PROCESSING");
        var fresh = NewFile(account, null, "fresh.mp4", createdAt: 1000);
        foreach (var f in new[] { old1, old2, oldProcessing, fresh })
        {
            await _backend.Files.InsertFileAsync(f, Ct);
        }

        var first = await _backend.Files.ExpireFilesAsync(500, 1, Ct);
        var second = await _backend.Files.ExpireFilesAsync(500, 10, Ct);
        Assert.Single(first);
        Assert.Equal(new[] { old1.Id, old2.Id }.Order(), first.Concat(second).Select(f => f.Id).Order());
        Assert.All(first.Concat(second), f => Assert.True(f.IsDeleted));
        Assert.Empty(await _backend.Files.ExpireFilesAsync(500, 10, Ct));
        Assert.False((await _backend.Files.GetFileAsync(account, fresh.Id, Ct))!.IsDeleted);
        Assert.False((await _backend.Files.GetFileAsync(account, oldProcessing.Id, Ct))!.IsDeleted);
    }

    // ---- webhooks ----

    [Fact]
    public async Task WebhookConfig_Upserts_KeepsSecretWhenAsked_AndDeactivates()
    {
        var account = await NewAccountAsync();
        Assert.Null(await _backend.Webhooks.GetConfigAsync(account, Ct));
        Assert.False(await _backend.Webhooks.DeactivateConfigAsync(account, Ct));

        var config = await _backend.Webhooks.UpsertConfigAsync(account, "https://a.example/hook", "whsec_one", keepExistingSecret: false, Ct);
        Assert.Equal(new WebhookConfig(account, "https://a.example/hook", "whsec_one", true, 0, null), config);
        var moved = await _backend.Webhooks.UpsertConfigAsync(account, "https://b.example/hook", "whsec_two", keepExistingSecret: true, Ct);
        Assert.Equal(("https://b.example/hook", "whsec_one"), (moved.Url, moved.Secret));

        Assert.True(await _backend.Webhooks.DeactivateConfigAsync(account, Ct));
        Assert.False((await _backend.Webhooks.GetConfigAsync(account, Ct))!.IsActive);
    }

    [Fact]
    public async Task FinishingACommand_WritesTheOutboxRow_OnlyWhenThereIsSomewhereToDeliver()
    {
        var withUrl = await NewAccountAsync();
        var withConfig = await NewAccountAsync();
        var withNothing = await NewAccountAsync();
        await _backend.Webhooks.UpsertConfigAsync(withConfig, "https://a.example/hook", "whsec_x", false, Ct);
        var a = NewCommand(withUrl, createdAt: 1, webhookUrl: "https://cmd.example/hook");
        var b = NewCommand(withConfig, createdAt: 2);
        var c = NewCommand(withNothing, createdAt: 3);
        await _backend.Commands.InsertAsync([a, b, c], Ct);
        var la = (await _backend.Commands.TryClaimAsync(Lease, 10, Ct))!;
        var lb = (await _backend.Commands.TryClaimAsync(Lease, 10, Ct))!;
        var lc = (await _backend.Commands.TryClaimAsync(Lease, 10, Ct))!;
        await _backend.Commands.CompleteAsync(la, 1, [], Ct);
        await _backend.Commands.FailAsync(lb, "FFMPEG_ERROR", "x", null, Ct);
        await _backend.Commands.CompleteAsync(lc, 1, [], Ct);

        var da = Assert.Single(await _backend.Webhooks.ListDeliveriesAsync(withUrl, a.Id, Ct)).Delivery;
        Assert.Equal((DeliveryStatus.Pending, 0, Clock.NowMs, a.Id), (da.Status, da.Attempts, da.NextAttemptAt, da.CommandId));
        Assert.Single(await _backend.Webhooks.ListDeliveriesAsync(withConfig, b.Id, Ct));
        Assert.Empty(await _backend.Webhooks.ListDeliveriesAsync(withNothing, c.Id, Ct));
        // Another account never sees them.
        Assert.Empty(await _backend.Webhooks.ListDeliveriesAsync(withNothing, a.Id, Ct));
    }

    [Fact]
    public async Task ClaimDue_HoldsADeliveryFromOtherDispatchers_UntilTheHoldEnds()
    {
        var account = await NewAccountAsync();
        var ids = new List<Guid>();
        var commands = Enumerable.Range(0, 3).Select(i => NewCommand(account, createdAt: i)).ToList();
        await _backend.Commands.InsertAsync(commands, Ct);
        foreach (var command in commands)
        {
            ids.Add((await _backend.Webhooks.EnqueueAsync(account, command.Id, Ct))!.Value);
        }
        // Another account cannot queue deliveries of this account's command.
        Assert.Null(await _backend.Webhooks.EnqueueAsync(await NewAccountAsync(), commands[0].Id, Ct));

        var first = await ClaimAsync(2);
        Assert.Equal(2, first.Count);
        var second = await ClaimAsync(10);
        Assert.Single(second);
        Assert.Equal(ids.Order(), first.Concat(second).Select(d => d.Delivery.Id).Order());
        Assert.All(first.Concat(second), d => Assert.Null(d.Url)); // no command URL and no config: nowhere to go
        Assert.Empty(await ClaimAsync(10));

        Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(3, (await ClaimAsync(10)).Count);
    }

    [Fact]
    public async Task ClaimDue_GivesEachUrlOnlyItsFreeSlots_AndTakesOthersPastABusyOne()
    {
        const string a = "https://a.example/hook";
        const string own = "https://own.example/hook";
        const string d = "https://d.example/hook";
        var busyAccount = await NewAccountAsync();
        await _backend.Webhooks.UpsertConfigAsync(busyAccount, a, "whsec_a", false, Ct);
        var ownUrlAccount = await NewAccountAsync();
        await _backend.Webhooks.UpsertConfigAsync(ownUrlAccount, "https://ignored.example/hook", "whsec_b", false, Ct);
        var disabledAccount = await NewAccountAsync();
        await _backend.Webhooks.UpsertConfigAsync(disabledAccount, "https://off.example/hook", "whsec_c", false, Ct);

        async Task<Guid> QueueAsync(Guid account, string? commandUrl = null)
        {
            var command = NewCommand(account, webhookUrl: commandUrl);
            await _backend.Commands.InsertAsync([command], Ct);
            return (await _backend.Webhooks.EnqueueAsync(account, command.Id, Ct))!.Value;
        }
        for (var i = 0; i < 5; i++)
        {
            await QueueAsync(busyAccount);
        }
        await QueueAsync(ownUrlAccount, own);
        await QueueAsync(ownUrlAccount, own);
        await QueueAsync(disabledAccount);
        await _backend.Webhooks.DeactivateConfigAsync(disabledAccount, Ct);

        // a has one in flight already: one more of it; the command's own URL wins over the account's; a disabled config is nowhere.
        var first = await ClaimAsync(10, perUrl: 2, inFlight: new() { [a] = 1 });
        Assert.Equal([("", 1), (a, 1), (own, 2)], first.GroupBy(c => c.SlotKey).Select(g => (g.Key, g.Count())).OrderBy(g => g.Key, StringComparer.Ordinal));
        Assert.Null(first.Single(c => c.SlotKey.Length == 0).Url);

        // Every URL at its share: nothing, though four of a's are due.
        Assert.Empty(await ClaimAsync(10, perUrl: 2, inFlight: new() { [a] = 2, [own] = 2 }));

        // A newer delivery to another receiver is taken past a's older backlog while a is busy, even with room for one.
        Clock.Advance(TimeSpan.FromSeconds(1));
        var other = await NewAccountAsync();
        await _backend.Webhooks.UpsertConfigAsync(other, d, "whsec_d", false, Ct);
        var newer = await QueueAsync(other);
        var past = Assert.Single(await ClaimAsync(1, perUrl: 2, inFlight: new() { [a] = 2 }));
        Assert.Equal((newer, d), (past.Delivery.Id, past.Url));

        // With a's slots free again, its oldest two come next, and the claim holds them.
        var again = await ClaimAsync(10, perUrl: 2, inFlight: []);
        Assert.Equal(2, again.Count);
        Assert.All(again, c => Assert.Equal((a, Clock.NowMs + 60_000), (c.Url, c.Delivery.NextAttemptAt)));
        Assert.Equal(2, (await ClaimAsync(10, perUrl: 5, inFlight: [])).Count);
        Assert.Empty(await ClaimAsync(10, perUrl: 5, inFlight: []));
    }

    private Task<IReadOnlyList<ClaimedDelivery>> ClaimAsync(int limit, int perUrl = 100, Dictionary<string, int>? inFlight = null) =>
        _backend.Webhooks.ClaimDueAsync(limit, TimeSpan.FromMinutes(1), perUrl, inFlight ?? [], Ct);

    [Fact]
    public async Task RecordAttempt_LogsAttempts_AndDisablesTheConfigAfterRepeatedFailures()
    {
        var account = await NewAccountAsync();
        await _backend.Webhooks.UpsertConfigAsync(account, "https://a.example/hook", "whsec_x", false, Ct);
        var command = NewCommand(account);
        await _backend.Commands.InsertAsync([command], Ct);
        var delivery = (await _backend.Webhooks.EnqueueAsync(account, command.Id, Ct))!.Value;

        await _backend.Webhooks.RecordAttemptAsync(new WebhookAttempt(delivery, Clock.NowMs, "https://a.example/hook", 500, null, 12),
            DeliveryStatus.Pending, Clock.NowMs + 5000, toAccountConfig: true, disableAfter: 2, Ct);
        Assert.Equal((1, true), await FailuresAsync(account));
        await _backend.Webhooks.RecordAttemptAsync(new WebhookAttempt(delivery, Clock.NowMs + 1, "https://a.example/hook", null, "timeout", 20000),
            DeliveryStatus.Failed, null, toAccountConfig: true, disableAfter: 2, Ct);
        var disabled = (await _backend.Webhooks.GetConfigAsync(account, Ct))!;
        Assert.Equal((2, false, (long?)(Clock.NowMs + 1)), (disabled.ConsecutiveFailures, disabled.IsActive, disabled.DisabledAt));

        var (d, attempts) = Assert.Single(await _backend.Webhooks.ListDeliveriesAsync(account, command.Id, Ct));
        Assert.Equal((DeliveryStatus.Failed, 2, Clock.NowMs + 5000), (d.Status, d.Attempts, d.NextAttemptAt));
        Assert.Equal([(int?)500, null], attempts.Select(a => a.HttpStatus));
        Assert.Equal([null, "timeout"], attempts.Select(a => a.Error));
        Assert.Equal(20000, attempts[1].DurationMs);

        // Re-enabling resets; a success keeps the count at zero.
        await _backend.Webhooks.UpsertConfigAsync(account, "https://a.example/hook", "", keepExistingSecret: true, Ct);
        var again = (await _backend.Webhooks.EnqueueAsync(account, command.Id, Ct))!.Value;
        await _backend.Webhooks.RecordAttemptAsync(new WebhookAttempt(again, Clock.NowMs, "https://a.example/hook", 200, null, 5),
            DeliveryStatus.Delivered, null, toAccountConfig: true, disableAfter: 2, Ct);
        Assert.Equal((0, true), await FailuresAsync(account));
        Assert.Empty(await ClaimAsync(10));
    }

    private async Task<(int, bool)> FailuresAsync(Guid account)
    {
        var config = (await _backend.Webhooks.GetConfigAsync(account, Ct))!;
        return (config.ConsecutiveFailures, config.IsActive);
    }

    // ---- presets ----

    [Fact]
    public async Task Presets_NamesAreUniquePerAccount_AndCrudWorks()
    {
        var account = await NewAccountAsync();
        var other = await NewAccountAsync();
        var first = NewPreset(account, "web", "2026-01-01T00:00:00Z");
        var second = NewPreset(account, "thumb", "2026-01-02T00:00:00Z");
        Assert.True(await _backend.Presets.InsertAsync(first, Ct));
        Assert.True(await _backend.Presets.InsertAsync(second, Ct));
        Assert.False(await _backend.Presets.InsertAsync(NewPreset(account, "web", "2026-01-03T00:00:00Z"), Ct));
        Assert.True(await _backend.Presets.InsertAsync(NewPreset(other, "web", "2026-01-03T00:00:00Z"), Ct));

        var got = (await _backend.Presets.GetAsync(account, first.PresetId, Ct))!;
        Assert.Equal((first.Name, first.FfmpegCommand, account, "^[a-z]+$"), (got.Name, got.FfmpegCommand, got.AccountId, got.Variables["q"].Pattern));
        Assert.Null(await _backend.Presets.GetAsync(other, first.PresetId, Ct));
        Assert.Equal(["thumb", "web"], (await _backend.Presets.ListAsync(account, Ct)).Select(p => p.Name));

        got.Name = "thumb";
        Assert.False(await _backend.Presets.UpdateAsync(got, Ct));
        got.Name = "web-hd";
        got.Description = "changed";
        Assert.True(await _backend.Presets.UpdateAsync(got, Ct));
        Assert.Equal(("web-hd", "changed"), ((await _backend.Presets.GetAsync(account, first.PresetId, Ct))!.Name, (await _backend.Presets.GetAsync(account, first.PresetId, Ct))!.Description));

        Assert.False(await _backend.Presets.DeleteAsync(other, first.PresetId, Ct));
        Assert.True(await _backend.Presets.DeleteAsync(account, first.PresetId, Ct));
        Assert.Null(await _backend.Presets.GetAsync(account, first.PresetId, Ct));
        Assert.False(await _backend.Presets.DeleteAsync(account, first.PresetId, Ct));
    }

    // ---- helpers ----

    protected async Task<Guid> NewAccountAsync() => (await _backend.Accounts.CreateAccountAsync($"acct-{Guid.NewGuid():N}", Ct)).Id;

    protected CommandRecord NewCommand(Guid account, long? createdAt = null, string type = "FFMPEG_COMMAND", string? webhookUrl = null) => new()
    {
        Id = Guid.NewGuid(),
        AccountId = account,
        Status = CommandStatus.Queued,
        CommandType = type,
        Flavor = 1,
        RequestJson = """{"ffmpeg_command":"-i {{in_a}} {{out_b}}"}""",
        WebhookUrl = webhookUrl,
        MaxSeconds = 300,
        VcpuCount = 2,
        CreatedAt = createdAt ?? Clock.NowMs,
    };

    private static FileRecord NewFile(Guid account, Guid? command, string name, long createdAt = 1, string status = "STORED") => new()
    {
        Id = Guid.NewGuid(),
        AccountId = account,
        CommandId = command,
        Alias = command is null ? null : "out_x",
        Filename = name,
        Status = status,
        StoreType = command is null ? "UPLOAD" : "OUTPUT",
        StorageKey = $"{Guid.NewGuid():N}/{name}",
        CreatedAt = createdAt,
    };

    private static Preset NewPreset(Guid account, string name, string at) => new()
    {
        PresetId = $"preset_{Guid.NewGuid():N}",
        AccountId = account,
        Name = name,
        FfmpegCommand = "-i {{in_video}} -q {{var_q}} {{out_video}}",
        InputFileKeys = ["in_video"],
        OutputFileDefinitions = new() { ["out_video"] = "out.mp4" },
        Variables = new() { ["q"] = new PresetVariable { Pattern = "^[a-z]+$" } },
        CreatedAt = DateTimeOffset.Parse(at, CultureInfo.InvariantCulture).ToString("O", CultureInfo.InvariantCulture),
        UpdatedAt = DateTimeOffset.Parse(at, CultureInfo.InvariantCulture).ToString("O", CultureInfo.InvariantCulture),
    };
}

/// <summary>The store contract on the embedded SQLite store.</summary>
public sealed class SqliteStoreTests : StoreContractTests
{
    protected override async Task<StoreBackend> CreateBackendAsync() => await SqliteBackend.CreateAsync();
}

/// <summary>The store contract on PostgreSQL (the cluster `make test` starts).</summary>
public sealed class PostgresStoreTests : StoreContractTests
{
    protected override async Task<StoreBackend> CreateBackendAsync() => await PostgresBackend.CreateAsync();
}
