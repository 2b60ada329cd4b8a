using System.Data.Common;
using Npgsql;
using Rendition.Core;
using Rendition.Core.Contracts;
using Rendition.Core.Storage;

namespace Rendition.Data.Postgres;

/// <summary>Accounts, commands, files and the job queue on PostgreSQL, shared by any number of API and worker processes.</summary>
public sealed class PostgresStore(PostgresDatabase db, TimeProvider time) : IAccountStore, ICommandStore, IFileStore
{
    private const string CommandColumns =
        "id, account_id, status, command_type, flavor, request_json, metadata_json, webhook_url, max_seconds, vcpu_count, " +
        "created_at, started_at, completed_at, ffmpeg_seconds, error_status, error_message, attempts, preset_id, progress_json, cancel_requested";

    private const string FileColumns =
        "id, account_id, command_id, alias, filename, status, store_type, storage_key, size_bytes, media_json, is_deleted, " +
        "created_at, original_file_url, error_status, error_message, display_name";

    private const string KeyColumns = "id, account_id, label, display_prefix, created_at, last_used_at, revoked_at";

    // PostgreSQL's unique_violation.
    private const string UniqueViolation = "23505";

    // A claim that finds its account already at the limit (another node claimed meanwhile) tries the next account; this bounds the tries.
    private const int MaxClaimTries = 8;

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<KeyOwner?> FindByKeyHashAsync(string keyHash, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, """
            SELECT a.id, a.name, a.created_at, k.id FROM api_keys k JOIN accounts a ON a.id = k.account_id
            WHERE k.key_hash = @hash AND k.revoked_at IS NULL
            """, Sql.Text("hash", keyHash));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new KeyOwner(ReadAccount(r), r.GetGuid(3)) : null;
    }

    public async Task<IReadOnlyList<Account>> ListAccountsAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, "SELECT id, name, created_at FROM accounts ORDER BY created_at, name");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var accounts = new List<Account>();
        while (await r.ReadAsync(ct))
        {
            accounts.Add(ReadAccount(r));
        }
        return accounts;
    }

    public Task<IReadOnlyList<ApiKeyInfo>> ListKeysAsync(Guid accountId, CancellationToken ct) =>
        QueryKeysAsync($"SELECT {KeyColumns} FROM api_keys WHERE account_id = @account ORDER BY created_at", ct, Sql.Uuid("account", accountId));

    public async Task<IReadOnlyList<ApiKeyInfo>> RevokeKeyAsync(string idKeyOrPrefix, CancellationToken ct)
    {
        // As on SQLite: by id, by the whole key's hash (only), or by a prefix compared with the stored first characters (the lookup
        // prefix, else the displayed one) as far as both go, at least 8 characters.
        var matches = await QueryKeysAsync($"""
            SELECT {KeyColumns} FROM api_keys
            WHERE id::text = lower(@value) OR key_hash = @hash
               OR (NOT @whole AND length(@value) >= 8 AND length(COALESCE(lookup_prefix, display_prefix)) >= 8
                   AND substr(COALESCE(lookup_prefix, display_prefix), 1, length(@value)) = substr(@value, 1, length(COALESCE(lookup_prefix, display_prefix))))
            """, ct, Sql.Text("value", idKeyOrPrefix), Sql.Text("hash", Core.Security.ApiKeys.Hash(idKeyOrPrefix)), Sql.Bool("whole", Core.Security.ApiKeys.IsGenerated(idKeyOrPrefix)));
        if (matches.Count != 1)
        {
            return matches;
        }
        return await QueryKeysAsync($"UPDATE api_keys SET revoked_at = COALESCE(revoked_at, @now) WHERE id = @id RETURNING {KeyColumns}", ct,
            Sql.Long("now", Now), Sql.Uuid("id", matches[0].Id));
    }

    public async Task TouchKeysAsync(IReadOnlyDictionary<Guid, long> lastUsed, CancellationToken ct)
    {
        if (lastUsed.Count == 0)
        {
            return;
        }
        // One statement for the whole batch: the arrays are zipped by unnest.
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, """
            UPDATE api_keys k SET last_used_at = GREATEST(COALESCE(k.last_used_at, 0), u.at)
            FROM unnest(@ids, @ats) AS u(id, at) WHERE k.id = u.id
            """,
            Sql.Uuids("ids", lastUsed.Keys),
            new NpgsqlParameter("ats", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bigint) { Value = lastUsed.Values.ToArray() });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private async Task<IReadOnlyList<ApiKeyInfo>> QueryKeysAsync(string sql, CancellationToken ct, params NpgsqlParameter[] parameters)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, sql, parameters);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var keys = new List<ApiKeyInfo>();
        while (await r.ReadAsync(ct))
        {
            keys.Add(new ApiKeyInfo(r.GetGuid(0), r.GetGuid(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3),
                r.GetInt64(4), r.IsDBNull(5) ? null : r.GetInt64(5), r.IsDBNull(6) ? null : r.GetInt64(6)));
        }
        return keys;
    }

    public async Task<Account?> FindByNameAsync(string name, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, "SELECT id, name, created_at FROM accounts WHERE name = @name", Sql.Text("name", name));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? ReadAccount(r) : null;
    }

    public async Task<Account> CreateAccountAsync(string name, CancellationToken ct)
    {
        var account = new Account(Guid.NewGuid(), name, Now);
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, "INSERT INTO accounts (id, name, created_at) VALUES (@id, @name, @at)",
            Sql.Uuid("id", account.Id), Sql.Text("name", name), Sql.Long("at", account.CreatedAt));
        try
        {
            await cmd.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState == UniqueViolation)
        {
            throw new InvalidOperationException($"An account named '{name}' already exists.", e);
        }
        return account;
    }

    public async Task AddKeyAsync(Guid accountId, Core.Security.NewApiKey key, string? label, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, """
            INSERT INTO api_keys (id, account_id, key_hash, display_prefix, lookup_prefix, label, created_at)
            VALUES (@id, @account, @hash, @prefix, @lookup, @label, @at) ON CONFLICT (key_hash) DO NOTHING
            """,
            Sql.Uuid("id", Guid.NewGuid()), Sql.Uuid("account", accountId), Sql.Text("hash", key.Hash),
            Sql.Text("prefix", key.DisplayPrefix), Sql.Text("lookup", key.LookupPrefix), Sql.Text("label", label), Sql.Long("at", Now));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<int> CountAccountsAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, "SELECT COUNT(*) FROM accounts");
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<bool> InsertAsync(IReadOnlyList<CommandRecord> commands, Guid accountId, IdempotencyRecord? idempotency, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        if (idempotency is not null)
        {
            // Expired keys (older than a day) may be used again. A concurrent insert of the same key waits on the primary key
            // and then does nothing, so exactly one of two simultaneous submissions is stored.
            await using (var cmd = Command(c, tx, "DELETE FROM idempotency_keys WHERE account_id = @account AND key = @key AND created_at < @expired",
                Sql.Uuid("account", accountId), Sql.Text("key", idempotency.Key), Sql.Long("expired", idempotency.CreatedAt - (24 * 3600 * 1000))))
            {
                await cmd.ExecuteNonQueryAsync(ct);
            }
            await using (var cmd = Command(c, tx, """
                INSERT INTO idempotency_keys (account_id, key, request_hash, response_json, created_at) VALUES (@account, @key, @hash, @response, @now)
                ON CONFLICT (account_id, key) DO NOTHING
                """,
                Sql.Uuid("account", accountId), Sql.Text("key", idempotency.Key), Sql.Text("hash", idempotency.RequestHash),
                Sql.Text("response", idempotency.ResponseJson), Sql.Long("now", idempotency.CreatedAt)))
            {
                if (await cmd.ExecuteNonQueryAsync(ct) != 1)
                {
                    await tx.RollbackAsync(ct);
                    return false;
                }
            }
        }
        foreach (var command in commands)
        {
            await using var cmd = Command(c, tx, $"""
                INSERT INTO commands ({CommandColumns})
                VALUES (@id, @account, @status, @type, @flavor, @request, @metadata, @webhook, @max, @vcpu,
                        @created, NULL, NULL, NULL, NULL, NULL, 0, @preset, NULL, false)
                """,
                Sql.Uuid("id", command.Id), Sql.Uuid("account", command.AccountId), Sql.Text("status", command.Status),
                Sql.Text("type", command.CommandType), Sql.Int("flavor", command.Flavor), Sql.Text("request", command.RequestJson),
                Sql.Text("metadata", command.MetadataJson), Sql.Text("webhook", command.WebhookUrl), Sql.Int("max", command.MaxSeconds),
                Sql.Int("vcpu", command.VcpuCount), Sql.Long("created", command.CreatedAt), Sql.Text("preset", command.PresetId));
            await cmd.ExecuteNonQueryAsync(ct);
        }
        // Delivered on commit to every listening node, so workers on other machines wake at once.
        await NotifyJobsAsync(c, tx, commands.Count, ct);
        await tx.CommitAsync(ct);
        return true;
    }

    public async Task<IdempotencyRecord?> FindIdempotencyAsync(Guid accountId, string key, long since, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, """
            SELECT key, request_hash, response_json, created_at FROM idempotency_keys WHERE account_id = @account AND key = @key AND created_at >= @since
            """, Sql.Uuid("account", accountId), Sql.Text("key", key), Sql.Long("since", since));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new IdempotencyRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3)) : null;
    }

    public async Task SaveProgressAsync(Guid commandId, string progressJson, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, "UPDATE commands SET progress_json = @p WHERE id = @id AND status = @processing",
            Sql.Text("p", progressJson), Sql.Uuid("id", commandId), Sql.Text("processing", CommandStatus.Processing));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<CancelOutcome> RequestCancelAsync(Guid accountId, Guid commandId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        // Queued: cancelled here and now (the outbox row goes with it); running: flagged for its worker, on whichever node it runs.
        // A worker claiming it at the same moment locks the row first or waits: the status re-check decides which of the two wins.
        await using var tx = await c.BeginTransactionAsync(ct);
        await using (var cmd = Command(c, tx, """
            UPDATE commands SET status = @failed, error_status = @cancelled, error_message = @message, completed_at = @now
            WHERE id = @id AND account_id = @account AND status = @queued
            """,
            Sql.Text("failed", CommandStatus.Failed), Sql.Text("cancelled", ErrorCodes.Cancelled), Sql.Text("message", "Cancelled by the client before it started."),
            Sql.Long("now", Now), Sql.Uuid("id", commandId), Sql.Uuid("account", accountId), Sql.Text("queued", CommandStatus.Queued)))
        {
            if (await cmd.ExecuteNonQueryAsync(ct) == 1)
            {
                await PostgresWebhookStore.EnqueueInTransactionAsync(c, tx, commandId, Now, ct);
                await tx.CommitAsync(ct);
                return CancelOutcome.CancelledWhileQueued;
            }
        }
        await using (var cmd = Command(c, tx, "UPDATE commands SET cancel_requested = true WHERE id = @id AND account_id = @account AND status = @processing",
            Sql.Uuid("id", commandId), Sql.Uuid("account", accountId), Sql.Text("processing", CommandStatus.Processing)))
        {
            if (await cmd.ExecuteNonQueryAsync(ct) == 1)
            {
                await tx.CommitAsync(ct);
                return CancelOutcome.StopRequested;
            }
        }
        await using (var cmd = Command(c, tx, "SELECT 1 FROM commands WHERE id = @id AND account_id = @account", Sql.Uuid("id", commandId), Sql.Uuid("account", accountId)))
        {
            return await cmd.ExecuteScalarAsync(ct) is null ? CancelOutcome.NotFound : CancelOutcome.AlreadyFinished;
        }
    }

    public async Task<bool> IsCancelRequestedAsync(Guid commandId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, "SELECT cancel_requested FROM commands WHERE id = @id", Sql.Uuid("id", commandId));
        return await cmd.ExecuteScalarAsync(ct) is true;
    }

    public async Task SaveLogAsync(Guid commandId, string log, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, "INSERT INTO command_logs (command_id, log) VALUES (@id, @log) ON CONFLICT (command_id) DO UPDATE SET log = excluded.log",
            Sql.Uuid("id", commandId), Sql.Text("log", log));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<(bool Found, string? Log)> GetLogAsync(Guid accountId, Guid commandId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, "SELECT l.log, c.id FROM commands c LEFT JOIN command_logs l ON l.command_id = c.id WHERE c.id = @id AND c.account_id = @account",
            Sql.Uuid("id", commandId), Sql.Uuid("account", accountId));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? (true, r.IsDBNull(0) ? null : r.GetString(0)) : (false, null);
    }

    /// <summary>Queues a NOTIFY in the transaction; the payload is how many jobs may have become runnable.</summary>
    internal static async Task NotifyJobsAsync(NpgsqlConnection c, NpgsqlTransaction tx, int count, CancellationToken ct)
    {
        await using var cmd = Command(c, tx, "SELECT pg_notify(@channel, @payload)",
            Sql.Text("channel", PostgresDatabase.JobChannel), Sql.Text("payload", count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyList<(CommandRecord Command, IReadOnlyList<FileRecord> Files)>> ListAsync(Guid accountId, CommandQuery query, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var commands = new List<CommandRecord>();
        await using (var cmd = Command(c, null, $"""
            SELECT {CommandColumns} FROM commands
            WHERE account_id = @account AND (@status IS NULL OR status = @status) AND (@type IS NULL OR command_type = @type)
            ORDER BY created_at DESC, seq DESC LIMIT @limit OFFSET @offset
            """,
            Sql.Uuid("account", accountId), Sql.Text("status", query.Status), Sql.Text("type", query.CommandType),
            Sql.Int("limit", query.Limit), Sql.Int("offset", query.Offset)))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                commands.Add(ReadCommand(r));
            }
        }
        if (commands.Count == 0)
        {
            return [];
        }

        var files = new Dictionary<Guid, List<FileRecord>>();
        await using (var cmd = Command(c, null, $"SELECT {FileColumns} FROM files WHERE command_id = ANY(@ids) ORDER BY seq",
            Sql.Uuids("ids", commands.Select(x => x.Id))))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var f = ReadFile(r);
                if (!files.TryGetValue(f.CommandId!.Value, out var list))
                {
                    files[f.CommandId.Value] = list = [];
                }
                list.Add(f);
            }
        }
        return [.. commands.Select(x => (x, (IReadOnlyList<FileRecord>)(files.TryGetValue(x.Id, out var l) ? l : [])))];
    }

    public Task<IReadOnlyList<FileRecord>> MarkCommandFilesDeletedAsync(Guid accountId, Guid commandId, CancellationToken ct) =>
        QueryFilesAsync($"""
            UPDATE files SET is_deleted = true
            WHERE command_id = @command AND account_id = @account AND NOT is_deleted
            RETURNING {FileColumns}
            """, ct, Sql.Uuid("command", commandId), Sql.Uuid("account", accountId));

    public async Task<(CommandRecord Command, IReadOnlyList<FileRecord> Files)?> GetAsync(Guid accountId, Guid commandId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        CommandRecord command;
        await using (var cmd = Command(c, null, $"SELECT {CommandColumns} FROM commands WHERE id = @id AND account_id = @account",
            Sql.Uuid("id", commandId), Sql.Uuid("account", accountId)))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct))
            {
                return null;
            }
            command = ReadCommand(r);
        }

        var files = new List<FileRecord>();
        await using (var cmd = Command(c, null, $"SELECT {FileColumns} FROM files WHERE command_id = @id ORDER BY seq", Sql.Uuid("id", commandId)))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                files.Add(ReadFile(r));
            }
        }
        return (command, files);
    }

    public async Task<JobLease?> TryClaimAsync(TimeSpan leaseDuration, int maxPerAccount, CancellationToken ct)
    {
        var full = new List<Guid>();
        for (var attempt = 0; attempt < MaxClaimTries; attempt++)
        {
            var (lease, fullAccount) = await TryClaimOnceAsync(leaseDuration, maxPerAccount, full, ct);
            if (fullAccount is null)
            {
                return lease;
            }
            full.Add(fullAccount.Value);
        }
        return null;
    }

    /// <summary>
    /// Locks the fairest runnable job (the account running fewest first, its oldest job first) with SKIP LOCKED, so workers on
    /// several nodes each take a different row without waiting on one another. The per-account limit is then re-checked under an
    /// advisory lock on the account: two nodes claiming for one account at once would otherwise both count the same running jobs.
    /// Returns the account instead of a lease when that re-check finds it full.
    /// </summary>
    private async Task<(JobLease? Lease, Guid? FullAccount)> TryClaimOnceAsync(TimeSpan leaseDuration, int maxPerAccount, List<Guid> skipAccounts, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        Guid id, accountId;
        await using (var cmd = Command(c, tx, """
            WITH running AS (SELECT account_id, COUNT(*) AS n FROM commands WHERE status = @processing GROUP BY account_id)
            SELECT q.id, q.account_id FROM commands q LEFT JOIN running r ON r.account_id = q.account_id
            WHERE q.status = @queued AND COALESCE(r.n, 0) < @max AND NOT (q.account_id = ANY(@skip))
            ORDER BY COALESCE(r.n, 0), q.created_at, q.seq
            LIMIT 1
            FOR UPDATE OF q SKIP LOCKED
            """,
            Sql.Text("processing", CommandStatus.Processing), Sql.Text("queued", CommandStatus.Queued), Sql.Int("max", maxPerAccount),
            Sql.Uuids("skip", skipAccounts)))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct))
            {
                return (null, null);
            }
            id = r.GetGuid(0);
            accountId = r.GetGuid(1);
        }

        // Held to commit: the next claimer for this account counts after this claim is visible.
        await using (var cmd = Command(c, tx, "SELECT pg_advisory_xact_lock(hashtextextended(@account::text, 0))", Sql.Uuid("account", accountId)))
        {
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await using (var cmd = Command(c, tx, "SELECT COUNT(*) FROM commands WHERE account_id = @account AND status = @processing",
            Sql.Uuid("account", accountId), Sql.Text("processing", CommandStatus.Processing)))
        {
            if (Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture) >= maxPerAccount)
            {
                await tx.RollbackAsync(ct);
                return (null, accountId);
            }
        }

        var token = Guid.NewGuid();
        var now = Now;
        JobLease lease;
        await using (var cmd = Command(c, tx, $"""
            UPDATE commands SET status = @processing, lease_token = @token, lease_expires_at = @expires,
                started_at = COALESCE(started_at, @now), attempts = attempts + 1
            WHERE id = @id
            RETURNING {CommandColumns}
            """,
            Sql.Text("processing", CommandStatus.Processing), Sql.Uuid("token", token), Sql.Long("expires", now + (long)leaseDuration.TotalMilliseconds),
            Sql.Long("now", now), Sql.Uuid("id", id)))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            await r.ReadAsync(ct);
            lease = new JobLease(ReadCommand(r), token);
        }
        await tx.CommitAsync(ct);
        return (lease, null);
    }

    public async Task<bool> HeartbeatAsync(JobLease lease, TimeSpan leaseDuration, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, "UPDATE commands SET lease_expires_at = @expires WHERE id = @id AND lease_token = @token",
            Sql.Long("expires", Now + (long)leaseDuration.TotalMilliseconds), Sql.Uuid("id", lease.Command.Id), Sql.Uuid("token", lease.Token));
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<bool> CompleteAsync(JobLease lease, double ffmpegSeconds, IReadOnlyList<FileRecord> files, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await using (var cmd = Command(c, tx, """
            UPDATE commands SET status = @success, completed_at = @now, ffmpeg_seconds = @ffmpeg, lease_token = NULL, lease_expires_at = NULL
            WHERE id = @id AND lease_token = @token
            """,
            Sql.Text("success", CommandStatus.Success), Sql.Long("now", Now), Sql.Double("ffmpeg", ffmpegSeconds),
            Sql.Uuid("id", lease.Command.Id), Sql.Uuid("token", lease.Token)))
        {
            if (await cmd.ExecuteNonQueryAsync(ct) != 1)
            {
                return false;
            }
        }
        foreach (var f in files)
        {
            await using var cmd = InsertFileCommand(c, tx, f);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await PostgresWebhookStore.EnqueueInTransactionAsync(c, tx, lease.Command.Id, Now, ct);
        // The account has a free slot again: a job held back by its limit may now run on any node.
        await NotifyJobsAsync(c, tx, 1, ct);
        await tx.CommitAsync(ct);
        return true;
    }

    public async Task<bool> FailAsync(JobLease lease, string errorStatus, string errorMessage, double? ffmpegSeconds, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await using (var cmd = Command(c, tx, """
            UPDATE commands SET status = @failed, completed_at = @now, ffmpeg_seconds = @ffmpeg, error_status = @estatus,
                error_message = @emessage, lease_token = NULL, lease_expires_at = NULL
            WHERE id = @id AND lease_token = @token
            """,
            Sql.Text("failed", CommandStatus.Failed), Sql.Long("now", Now), Sql.Double("ffmpeg", ffmpegSeconds), Sql.Text("estatus", errorStatus),
            Sql.Text("emessage", errorMessage), Sql.Uuid("id", lease.Command.Id), Sql.Uuid("token", lease.Token)))
        {
            if (await cmd.ExecuteNonQueryAsync(ct) != 1)
            {
                return false;
            }
        }
        await PostgresWebhookStore.EnqueueInTransactionAsync(c, tx, lease.Command.Id, Now, ct);
        await NotifyJobsAsync(c, tx, 1, ct);
        await tx.CommitAsync(ct);
        return true;
    }

    public async Task<bool> ReleaseAsync(JobLease lease, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await using (var cmd = Command(c, tx, """
            UPDATE commands SET status = @queued, lease_token = NULL, lease_expires_at = NULL
            WHERE id = @id AND lease_token = @token AND status = @processing
            """,
            Sql.Text("queued", CommandStatus.Queued), Sql.Text("processing", CommandStatus.Processing),
            Sql.Uuid("id", lease.Command.Id), Sql.Uuid("token", lease.Token)))
        {
            if (await cmd.ExecuteNonQueryAsync(ct) != 1)
            {
                return false;
            }
        }
        // Runnable again: a worker on another node may take it now.
        await NotifyJobsAsync(c, tx, 1, ct);
        await tx.CommitAsync(ct);
        return true;
    }

    public async Task<int> RequeueAbandonedAsync(bool all, CancellationToken ct)
    {
        // Several processes share this queue: `all` is for a single owner only. A lease heartbeated meanwhile is re-checked
        // after its row lock is released, so a live job is never taken from its worker.
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        int count;
        await using (var cmd = Command(c, tx, """
            UPDATE commands SET status = @queued, lease_token = NULL, lease_expires_at = NULL
            WHERE status = @processing AND (@all OR lease_expires_at < @now)
            """,
            Sql.Text("queued", CommandStatus.Queued), Sql.Text("processing", CommandStatus.Processing), Sql.Bool("all", all), Sql.Long("now", Now)))
        {
            count = await cmd.ExecuteNonQueryAsync(ct);
        }
        if (count > 0)
        {
            await NotifyJobsAsync(c, tx, count, ct);
        }
        await tx.CommitAsync(ct);
        return count;
    }

    public async Task<long> CountQueuedAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, "SELECT COUNT(*) FROM commands WHERE status = @queued", Sql.Text("queued", CommandStatus.Queued));
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public async Task InsertFileAsync(FileRecord file, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = InsertFileCommand(c, null, file);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public Task<FileRecord?> GetFileAsync(Guid accountId, Guid fileId, CancellationToken ct) =>
        QueryFileAsync($"SELECT {FileColumns} FROM files WHERE id = @id AND account_id = @account", ct,
            Sql.Uuid("id", fileId), Sql.Uuid("account", accountId));

    public Task<FileRecord?> FindFileAsync(Guid fileId, CancellationToken ct) =>
        QueryFileAsync($"SELECT {FileColumns} FROM files WHERE id = @id", ct, Sql.Uuid("id", fileId));

    public Task<IReadOnlyList<FileRecord>> ListFilesAsync(Guid accountId, int limit, int offset, CancellationToken ct) =>
        QueryFilesAsync($"SELECT {FileColumns} FROM files WHERE account_id = @account ORDER BY created_at DESC, seq DESC LIMIT @limit OFFSET @offset", ct,
            Sql.Uuid("account", accountId), Sql.Int("limit", limit), Sql.Int("offset", offset));

    public async Task<bool> FinishFileAsync(FileRecord file, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, """
            UPDATE files SET status = @status, size_bytes = @size, media_json = @media, error_status = @estatus, error_message = @emessage,
                storage_key = @key, filename = @filename
            WHERE id = @id AND status = 'PROCESSING' AND NOT is_deleted
            """,
            Sql.Text("status", file.Status), Sql.Long("size", file.SizeBytes), Sql.Text("media", file.MediaJson), Sql.Text("estatus", file.ErrorStatus),
            Sql.Text("emessage", file.ErrorMessage), Sql.Text("key", file.StorageKey), Sql.Text("filename", file.Filename), Sql.Uuid("id", file.Id));
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<IReadOnlyList<FileRecord>> MarkFilesDeletedAsync(Guid accountId, IReadOnlyCollection<Guid> fileIds, CancellationToken ct)
    {
        if (fileIds.Count == 0)
        {
            return [];
        }
        return await QueryFilesAsync($"""
            UPDATE files SET is_deleted = true WHERE account_id = @account AND id = ANY(@ids)
            RETURNING {FileColumns}
            """, ct, Sql.Uuid("account", accountId), Sql.Uuids("ids", fileIds));
    }

    public Task<IReadOnlyList<FileRecord>> ListProcessingFilesAsync(CancellationToken ct) =>
        QueryFilesAsync($"SELECT {FileColumns} FROM files WHERE status = 'PROCESSING' AND NOT is_deleted ORDER BY created_at, seq", ct);

    public Task<IReadOnlyList<FileRecord>> ExpireFilesAsync(long createdBefore, int limit, CancellationToken ct) =>
        // SKIP LOCKED: retention sweeps on several nodes take disjoint batches instead of queueing behind one another.
        QueryFilesAsync($"""
            WITH expired AS MATERIALIZED (
                SELECT id FROM files WHERE NOT is_deleted AND created_at < @before AND status <> 'PROCESSING'
                ORDER BY created_at LIMIT @limit FOR UPDATE SKIP LOCKED)
            UPDATE files f SET is_deleted = true FROM expired WHERE f.id = expired.id
            RETURNING {string.Join(", ", FileColumns.Split(", ").Select(col => "f." + col))}
            """, ct, Sql.Long("before", createdBefore), Sql.Int("limit", limit));

    private async Task<FileRecord?> QueryFileAsync(string sql, CancellationToken ct, params NpgsqlParameter[] parameters)
    {
        var files = await QueryFilesAsync(sql, ct, parameters);
        return files.Count > 0 ? files[0] : null;
    }

    private async Task<IReadOnlyList<FileRecord>> QueryFilesAsync(string sql, CancellationToken ct, params NpgsqlParameter[] parameters)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, sql, parameters);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var files = new List<FileRecord>();
        while (await r.ReadAsync(ct))
        {
            files.Add(ReadFile(r));
        }
        return files;
    }

    private static NpgsqlCommand InsertFileCommand(NpgsqlConnection c, NpgsqlTransaction? tx, FileRecord f) => Command(c, tx, $"""
        INSERT INTO files ({FileColumns}) VALUES (@id, @account, @command, @alias, @filename, @status, @type, @key,
            @size, @media, @deleted, @created, @url, @estatus, @emessage, @display)
        """,
        Sql.Uuid("id", f.Id), Sql.Uuid("account", f.AccountId), Sql.Uuid("command", f.CommandId),
        Sql.Text("alias", f.Alias), Sql.Text("filename", f.Filename), Sql.Text("status", f.Status), Sql.Text("type", f.StoreType),
        Sql.Text("key", f.StorageKey), Sql.Long("size", f.SizeBytes), Sql.Text("media", f.MediaJson), Sql.Bool("deleted", f.IsDeleted),
        Sql.Long("created", f.CreatedAt), Sql.Text("url", f.OriginalFileUrl), Sql.Text("estatus", f.ErrorStatus), Sql.Text("emessage", f.ErrorMessage),
        Sql.Text("display", f.DisplayName));

    internal static NpgsqlCommand Command(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params NpgsqlParameter[] parameters) =>
        PostgresDatabase.Command(c, tx, sql, parameters);

    private static Account ReadAccount(DbDataReader r) => new(r.GetGuid(0), r.GetString(1), r.GetInt64(2));

    private static CommandRecord ReadCommand(DbDataReader r) => new()
    {
        Id = r.GetGuid(0),
        AccountId = r.GetGuid(1),
        Status = r.GetString(2),
        CommandType = r.GetString(3),
        Flavor = r.GetInt32(4),
        RequestJson = r.GetString(5),
        MetadataJson = r.IsDBNull(6) ? null : r.GetString(6),
        WebhookUrl = r.IsDBNull(7) ? null : r.GetString(7),
        MaxSeconds = r.GetInt32(8),
        VcpuCount = r.GetInt32(9),
        CreatedAt = r.GetInt64(10),
        StartedAt = r.IsDBNull(11) ? null : r.GetInt64(11),
        CompletedAt = r.IsDBNull(12) ? null : r.GetInt64(12),
        FfmpegSeconds = r.IsDBNull(13) ? null : r.GetDouble(13),
        ErrorStatus = r.IsDBNull(14) ? null : r.GetString(14),
        ErrorMessage = r.IsDBNull(15) ? null : r.GetString(15),
        Attempts = r.GetInt32(16),
        PresetId = r.IsDBNull(17) ? null : r.GetString(17),
        ProgressJson = r.IsDBNull(18) ? null : r.GetString(18),
        CancelRequested = r.GetBoolean(19),
    };

    private static FileRecord ReadFile(DbDataReader r) => new()
    {
        Id = r.GetGuid(0),
        AccountId = r.GetGuid(1),
        CommandId = r.IsDBNull(2) ? null : r.GetGuid(2),
        Alias = r.IsDBNull(3) ? null : r.GetString(3),
        Filename = r.GetString(4),
        Status = r.GetString(5),
        StoreType = r.GetString(6),
        StorageKey = r.GetString(7),
        SizeBytes = r.IsDBNull(8) ? null : r.GetInt64(8),
        MediaJson = r.IsDBNull(9) ? null : r.GetString(9),
        IsDeleted = r.GetBoolean(10),
        CreatedAt = r.GetInt64(11),
        OriginalFileUrl = r.IsDBNull(12) ? null : r.GetString(12),
        ErrorStatus = r.IsDBNull(13) ? null : r.GetString(13),
        ErrorMessage = r.IsDBNull(14) ? null : r.GetString(14),
        DisplayName = r.IsDBNull(15) ? null : r.GetString(15),
    };
}
