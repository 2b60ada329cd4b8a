using Microsoft.Data.Sqlite;
using Rendition.Core;
using Rendition.Core.Contracts;
using Rendition.Core.Storage;
using static Rendition.Data.Sqlite.SqliteDatabase;

namespace Rendition.Data.Sqlite;

/// <summary>Commands, their idempotency keys, logs and the job queue in the embedded SQLite database.</summary>
public sealed class SqliteCommandStore(SqliteDatabase db, TimeProvider time) : ICommandStore
{
    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<bool> InsertAsync(IReadOnlyList<CommandRecord> commands, Guid accountId, IdempotencyRecord? idempotency, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct);
        if (idempotency is not null)
        {
            // Expired keys (older than a day) may be used again.
            await using var cmd = Command(c, """
                DELETE FROM idempotency_keys WHERE account_id = $account AND key = $key AND created_at < $expired;
                INSERT INTO idempotency_keys (account_id, key, request_hash, response_json, created_at) VALUES ($account, $key, $hash, $response, $now)
                ON CONFLICT (account_id, key) DO NOTHING;
                """,
                ("$account", accountId.ToString()), ("$key", idempotency.Key), ("$hash", idempotency.RequestHash),
                ("$response", idempotency.ResponseJson), ("$now", idempotency.CreatedAt), ("$expired", idempotency.CreatedAt - (24 * 3600 * 1000)));
            cmd.Transaction = tx;
            if (await cmd.ExecuteNonQueryAsync(ct) < 1 || !await InsertedKeyAsync(c, tx, accountId, idempotency, ct))
            {
                return false;
            }
        }
        foreach (var command in commands)
        {
            await using var cmd = Command(c, $"""
                INSERT INTO commands ({StoreColumns.Command})
                VALUES ($id, $account, $status, $type, $flavor, $request, $metadata, $webhook, $max, $vcpu,
                        $created, NULL, NULL, NULL, NULL, NULL, 0, $preset, NULL, 0)
                """,
                ("$id", command.Id.ToString()), ("$account", command.AccountId.ToString()), ("$status", command.Status),
                ("$type", command.CommandType), ("$flavor", command.Flavor), ("$request", command.RequestJson),
                ("$metadata", command.MetadataJson), ("$webhook", command.WebhookUrl), ("$max", command.MaxSeconds),
                ("$vcpu", command.VcpuCount), ("$created", command.CreatedAt), ("$preset", command.PresetId));
            cmd.Transaction = tx;
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return true;
    }

    private static async Task<bool> InsertedKeyAsync(SqliteConnection c, SqliteTransaction tx, Guid accountId, IdempotencyRecord idempotency, CancellationToken ct)
    {
        await using var cmd = Command(c, "SELECT response_json FROM idempotency_keys WHERE account_id = $account AND key = $key",
            ("$account", accountId.ToString()), ("$key", idempotency.Key));
        cmd.Transaction = tx;
        return await cmd.ExecuteScalarAsync(ct) as string == idempotency.ResponseJson;
    }

    public async Task<IdempotencyRecord?> FindIdempotencyAsync(Guid accountId, string key, long since, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, """
            SELECT key, request_hash, response_json, created_at FROM idempotency_keys WHERE account_id = $account AND key = $key AND created_at >= $since
            """, ("$account", accountId.ToString()), ("$key", key), ("$since", since));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new IdempotencyRecord(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3)) : null;
    }

    public async Task SaveProgressAsync(Guid commandId, string progressJson, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct, durable: false);
        await using var cmd = Command(c, "UPDATE commands SET progress_json = $p WHERE id = $id AND status = $processing",
            ("$p", progressJson), ("$id", commandId.ToString()), ("$processing", CommandStatus.Processing));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<CancelOutcome> RequestCancelAsync(Guid accountId, Guid commandId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        // Queued: cancelled here and now (the outbox row goes with it); running: flagged for its worker.
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct);
        await using (var cmd = Command(c, """
            UPDATE commands SET status = $failed, error_status = $cancelled, error_message = $message, completed_at = $now
            WHERE id = $id AND account_id = $account AND status = $queued
            """,
            ("$failed", CommandStatus.Failed), ("$cancelled", ErrorCodes.Cancelled), ("$message", "Cancelled by the client before it started."),
            ("$now", Now), ("$id", commandId.ToString()), ("$account", accountId.ToString()), ("$queued", CommandStatus.Queued)))
        {
            cmd.Transaction = tx;
            if (await cmd.ExecuteNonQueryAsync(ct) == 1)
            {
                await SqliteWebhookStore.EnqueueInTransactionAsync(c, tx, commandId, Now, ct);
                await tx.CommitAsync(ct);
                return CancelOutcome.CancelledWhileQueued;
            }
        }
        await using (var cmd = Command(c, "UPDATE commands SET cancel_requested = 1 WHERE id = $id AND account_id = $account AND status = $processing",
            ("$id", commandId.ToString()), ("$account", accountId.ToString()), ("$processing", CommandStatus.Processing)))
        {
            cmd.Transaction = tx;
            if (await cmd.ExecuteNonQueryAsync(ct) == 1)
            {
                await tx.CommitAsync(ct);
                return CancelOutcome.StopRequested;
            }
        }
        await using (var cmd = Command(c, "SELECT 1 FROM commands WHERE id = $id AND account_id = $account", ("$id", commandId.ToString()), ("$account", accountId.ToString())))
        {
            cmd.Transaction = tx;
            return await cmd.ExecuteScalarAsync(ct) is null ? CancelOutcome.NotFound : CancelOutcome.AlreadyFinished;
        }
    }

    public async Task<bool> IsCancelRequestedAsync(Guid commandId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, "SELECT cancel_requested FROM commands WHERE id = $id", ("$id", commandId.ToString()));
        return await cmd.ExecuteScalarAsync(ct) is long flag && flag != 0;
    }

    public async Task SaveLogAsync(Guid commandId, string log, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct, durable: false);
        await using var cmd = Command(c, "INSERT INTO command_logs (command_id, log) VALUES ($id, $log) ON CONFLICT (command_id) DO UPDATE SET log = excluded.log",
            ("$id", commandId.ToString()), ("$log", log));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<(bool Found, string? Log)> GetLogAsync(Guid accountId, Guid commandId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, "SELECT l.log, c.id FROM commands c LEFT JOIN command_logs l ON l.command_id = c.id WHERE c.id = $id AND c.account_id = $account",
            ("$id", commandId.ToString()), ("$account", accountId.ToString()));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? (true, r.IsDBNull(0) ? null : r.GetString(0)) : (false, null);
    }

    public async Task<IReadOnlyList<(CommandRecord Command, IReadOnlyList<FileRecord> Files)>> ListAsync(Guid accountId, CommandQuery query, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        List<CommandRecord> commands;
        await using (var cmd = Command(c, $"""
            SELECT {StoreColumns.Command} FROM commands
            WHERE account_id = $account AND ($status IS NULL OR status = $status) AND ($type IS NULL OR command_type = $type)
            ORDER BY created_at DESC, rowid DESC LIMIT $limit OFFSET $offset
            """,
            ("$account", accountId.ToString()), ("$status", query.Status), ("$type", query.CommandType),
            ("$limit", query.Limit), ("$offset", query.Offset)))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            commands = await StoreRows.ReadAllAsync(r, StoreRows.Command, ct);
        }
        if (commands.Count == 0)
        {
            return [];
        }
        var ids = string.Join(',', commands.Select((_, i) => $"$c{i}"));
        await using var files = Command(c, $"SELECT {StoreColumns.File} FROM files WHERE command_id IN ({ids}) ORDER BY rowid",
            [.. commands.Select((x, i) => ($"$c{i}", (object?)x.Id.ToString()))]);
        await using var fr = await files.ExecuteReaderAsync(ct);
        return StoreRows.WithFiles(commands, await StoreRows.ReadAllAsync(fr, StoreRows.File, ct));
    }

    public Task<IReadOnlyList<FileRecord>> MarkCommandFilesDeletedAsync(Guid accountId, Guid commandId, CancellationToken ct) =>
        SqliteFileStore.QueryFilesAsync(db, $"""
            UPDATE files SET is_deleted = 1
            WHERE command_id = $command AND account_id = $account AND is_deleted = 0
            RETURNING {StoreColumns.File}
            """, ct, ("$command", commandId.ToString()), ("$account", accountId.ToString()));

    private const string GetCommandSql = $"SELECT {StoreColumns.Command} FROM commands WHERE id = $id AND account_id = $account";
    private const string GetFilesSql = $"SELECT {StoreColumns.File} FROM files WHERE command_id = $id ORDER BY rowid";

    public Task<(CommandRecord Command, IReadOnlyList<FileRecord> Files)?> GetAsync(Guid accountId, Guid commandId, CancellationToken ct)
    {
        // The poll's read: prepared statements on a kept connection (SQLite's own calls are synchronous anyway).
        var session = db.RentRead();
        var healthy = false;
        try
        {
            var id = commandId.ToString();
            var cmd = session.Command(GetCommandSql);
            cmd.Parameters.AddWithValue("$id", id);
            cmd.Parameters.AddWithValue("$account", accountId.ToString());
            CommandRecord command;
            using (var r = cmd.ExecuteReader())
            {
                if (!r.Read())
                {
                    healthy = true;
                    return Task.FromResult<(CommandRecord, IReadOnlyList<FileRecord>)?>(null);
                }
                command = StoreRows.Command(r);
            }
            var files = new List<FileRecord>();
            var fcmd = session.Command(GetFilesSql);
            fcmd.Parameters.AddWithValue("$id", id);
            using (var r = fcmd.ExecuteReader())
            {
                while (r.Read())
                {
                    files.Add(StoreRows.File(r));
                }
            }
            healthy = true;
            return Task.FromResult<(CommandRecord, IReadOnlyList<FileRecord>)?>((command, files));
        }
        finally
        {
            // A session that threw is not reused: its connection may be in any state.
            db.ReturnRead(session, healthy);
        }
    }

    public async Task<JobLease?> TryClaimAsync(TimeSpan leaseDuration, int maxPerAccount, CancellationToken ct)
    {
        var token = Guid.NewGuid();
        var now = Now;
        await using var c = await db.OpenAsync(ct, durable: false);
        // One statement, so two workers can never take the same job.
        await using var cmd = Command(c, $"""
            UPDATE commands SET status = $processing, lease_token = $token, lease_expires_at = $expires,
                started_at = COALESCE(started_at, $now), attempts = attempts + 1
            WHERE id = (
                SELECT q.id FROM (
                    SELECT id, account_id, created_at, ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY created_at, rowid) AS n
                    FROM commands WHERE status = $queued) q
                LEFT JOIN (SELECT account_id, COUNT(*) AS running FROM commands WHERE status = $processing GROUP BY account_id) r
                    ON r.account_id = q.account_id
                WHERE q.n = 1 AND COALESCE(r.running, 0) < $max
                ORDER BY COALESCE(r.running, 0), q.created_at
                LIMIT 1)
            RETURNING {StoreColumns.Command}
            """,
            ("$processing", CommandStatus.Processing), ("$queued", CommandStatus.Queued), ("$token", token.ToString()),
            ("$expires", now + (long)leaseDuration.TotalMilliseconds), ("$now", now), ("$max", maxPerAccount));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new JobLease(StoreRows.Command(r), token) : null;
    }

    public async Task<bool> HeartbeatAsync(JobLease lease, TimeSpan leaseDuration, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct, durable: false);
        await using var cmd = Command(c, "UPDATE commands SET lease_expires_at = $expires WHERE id = $id AND lease_token = $token",
            ("$expires", Now + (long)leaseDuration.TotalMilliseconds), ("$id", lease.Command.Id.ToString()), ("$token", lease.Token.ToString()));
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<bool> CompleteAsync(JobLease lease, double ffmpegSeconds, IReadOnlyList<FileRecord> files, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct, durable: false);
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct);
        await using (var cmd = Command(c, """
            UPDATE commands SET status = $success, completed_at = $now, ffmpeg_seconds = $ffmpeg, lease_token = NULL, lease_expires_at = NULL
            WHERE id = $id AND lease_token = $token
            """,
            ("$success", CommandStatus.Success), ("$now", Now), ("$ffmpeg", ffmpegSeconds),
            ("$id", lease.Command.Id.ToString()), ("$token", lease.Token.ToString())))
        {
            cmd.Transaction = tx;
            if (await cmd.ExecuteNonQueryAsync(ct) != 1)
            {
                return false;
            }
        }
        foreach (var f in files)
        {
            await using var cmd = SqliteFileStore.InsertFileCommand(c, f);
            cmd.Transaction = tx;
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await SqliteWebhookStore.EnqueueInTransactionAsync(c, tx, lease.Command.Id, Now, ct);
        await tx.CommitAsync(ct);
        return true;
    }

    public async Task<bool> FailAsync(JobLease lease, string errorStatus, string errorMessage, double? ffmpegSeconds, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct, durable: false);
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct);
        await using (var cmd = Command(c, """
            UPDATE commands SET status = $failed, completed_at = $now, ffmpeg_seconds = $ffmpeg, error_status = $estatus,
                error_message = $emessage, lease_token = NULL, lease_expires_at = NULL
            WHERE id = $id AND lease_token = $token
            """,
            ("$failed", CommandStatus.Failed), ("$now", Now), ("$ffmpeg", ffmpegSeconds), ("$estatus", errorStatus),
            ("$emessage", errorMessage), ("$id", lease.Command.Id.ToString()), ("$token", lease.Token.ToString())))
        {
            cmd.Transaction = tx;
            if (await cmd.ExecuteNonQueryAsync(ct) != 1)
            {
                return false;
            }
        }
        await SqliteWebhookStore.EnqueueInTransactionAsync(c, tx, lease.Command.Id, Now, ct);
        await tx.CommitAsync(ct);
        return true;
    }

    public async Task<bool> ReleaseAsync(JobLease lease, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, """
            UPDATE commands SET status = $queued, lease_token = NULL, lease_expires_at = NULL
            WHERE id = $id AND lease_token = $token AND status = $processing
            """,
            ("$queued", CommandStatus.Queued), ("$processing", CommandStatus.Processing),
            ("$id", lease.Command.Id.ToString()), ("$token", lease.Token.ToString()));
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<int> RequeueAbandonedAsync(bool all, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, """
            UPDATE commands SET status = $queued, lease_token = NULL, lease_expires_at = NULL
            WHERE status = $processing AND ($all = 1 OR lease_expires_at < $now)
            """,
            ("$queued", CommandStatus.Queued), ("$processing", CommandStatus.Processing), ("$all", all ? 1 : 0), ("$now", Now));
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<long> CountQueuedAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, "SELECT COUNT(*) FROM commands WHERE status = $queued", ("$queued", CommandStatus.Queued));
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }
}
