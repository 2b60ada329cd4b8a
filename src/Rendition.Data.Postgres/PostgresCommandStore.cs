using Npgsql;
using Rendition.Core;
using Rendition.Core.Contracts;
using Rendition.Core.Storage;
using static Rendition.Data.Postgres.PostgresDatabase;

namespace Rendition.Data.Postgres;

/// <summary>Commands, their idempotency keys, logs and the job queue on PostgreSQL, shared by any number of API and worker processes.</summary>
public sealed class PostgresCommandStore(PostgresDatabase db, TimeProvider time) : ICommandStore
{
    // A claim that finds its account already at the limit (another node claimed meanwhile) tries the next account; this bounds the tries.
    private const int MaxClaimTries = 8;

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

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
                INSERT INTO commands ({StoreColumns.Command})
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
        List<CommandRecord> commands;
        await using (var cmd = Command(c, null, $"""
            SELECT {StoreColumns.Command} FROM commands
            WHERE account_id = @account AND (@status IS NULL OR status = @status) AND (@type IS NULL OR command_type = @type)
            ORDER BY created_at DESC, seq DESC LIMIT @limit OFFSET @offset
            """,
            Sql.Uuid("account", accountId), Sql.Text("status", query.Status), Sql.Text("type", query.CommandType),
            Sql.Int("limit", query.Limit), Sql.Int("offset", query.Offset)))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            commands = await StoreRows.ReadAllAsync(r, StoreRows.Command, ct);
        }
        if (commands.Count == 0)
        {
            return [];
        }
        await using var files = Command(c, null, $"SELECT {StoreColumns.File} FROM files WHERE command_id = ANY(@ids) ORDER BY seq",
            Sql.Uuids("ids", commands.Select(x => x.Id)));
        await using var fr = await files.ExecuteReaderAsync(ct);
        return StoreRows.WithFiles(commands, await StoreRows.ReadAllAsync(fr, StoreRows.File, ct));
    }

    public Task<IReadOnlyList<FileRecord>> MarkCommandFilesDeletedAsync(Guid accountId, Guid commandId, CancellationToken ct) =>
        PostgresFileStore.QueryFilesAsync(db, $"""
            UPDATE files SET is_deleted = true
            WHERE command_id = @command AND account_id = @account AND NOT is_deleted
            RETURNING {StoreColumns.File}
            """, ct, Sql.Uuid("command", commandId), Sql.Uuid("account", accountId));

    public async Task<(CommandRecord Command, IReadOnlyList<FileRecord> Files)?> GetAsync(Guid accountId, Guid commandId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        CommandRecord command;
        await using (var cmd = Command(c, null, $"SELECT {StoreColumns.Command} FROM commands WHERE id = @id AND account_id = @account",
            Sql.Uuid("id", commandId), Sql.Uuid("account", accountId)))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct))
            {
                return null;
            }
            command = StoreRows.Command(r);
        }

        await using var files = Command(c, null, $"SELECT {StoreColumns.File} FROM files WHERE command_id = @id ORDER BY seq", Sql.Uuid("id", commandId));
        await using var fr = await files.ExecuteReaderAsync(ct);
        return (command, await StoreRows.ReadAllAsync(fr, StoreRows.File, ct));
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
            RETURNING {StoreColumns.Command}
            """,
            Sql.Text("processing", CommandStatus.Processing), Sql.Uuid("token", token), Sql.Long("expires", now + (long)leaseDuration.TotalMilliseconds),
            Sql.Long("now", now), Sql.Uuid("id", id)))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            await r.ReadAsync(ct);
            lease = new JobLease(StoreRows.Command(r), token);
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
            await using var cmd = PostgresFileStore.InsertFileCommand(c, tx, f);
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
}
