using System.Data.Common;
using Microsoft.Data.Sqlite;
using Rendition.Core;
using Rendition.Core.Contracts;
using Rendition.Core.Storage;

namespace Rendition.Data.Sqlite;

/// <summary>Accounts, commands, files and the job queue in one SQLite database (the embedded default).</summary>
public sealed class SqliteStore(SqliteDatabase db, TimeProvider time) : IAccountStore, ICommandStore, IFileStore
{
    private const string CommandColumns =
        "id, account_id, status, command_type, flavor, request_json, metadata_json, webhook_url, max_seconds, vcpu_count, " +
        "created_at, started_at, completed_at, ffmpeg_seconds, error_status, error_message, attempts, preset_id, progress_json, cancel_requested";

    private const string FileColumns =
        "id, account_id, command_id, alias, filename, status, store_type, storage_key, size_bytes, media_json, is_deleted, " +
        "created_at, original_file_url, error_status, error_message, display_name";

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<KeyOwner?> FindByKeyHashAsync(string keyHash, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, """
            SELECT a.id, a.name, a.created_at, k.id FROM api_keys k JOIN accounts a ON a.id = k.account_id
            WHERE k.key_hash = $hash AND k.revoked_at IS NULL
            """, ("$hash", keyHash));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new KeyOwner(ReadAccount(r), Guid.Parse(r.GetString(3))) : null;
    }

    public async Task<IReadOnlyList<Account>> ListAccountsAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, "SELECT id, name, created_at FROM accounts ORDER BY created_at, name");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var accounts = new List<Account>();
        while (await r.ReadAsync(ct))
        {
            accounts.Add(ReadAccount(r));
        }
        return accounts;
    }

    private const string KeyColumns = "id, account_id, label, display_prefix, created_at, last_used_at, revoked_at";

    public Task<IReadOnlyList<ApiKeyInfo>> ListKeysAsync(Guid accountId, CancellationToken ct) =>
        QueryKeysAsync($"SELECT {KeyColumns} FROM api_keys WHERE account_id = $account ORDER BY created_at", ct, ("$account", accountId.ToString()));

    public async Task<IReadOnlyList<ApiKeyInfo>> RevokeKeyAsync(string idKeyOrPrefix, CancellationToken ct)
    {
        // By id; by the whole key's hash (a whole key that is not stored matches nothing, whatever it shares); or by a prefix,
        // compared with the stored first characters (the lookup prefix, or the listed one for keys stored before it existed)
        // as far as both go, which must be at least 8 characters so a short guess cannot hit several keys by accident.
        // substr(stored, 1, len(given)) and substr(given, 1, len(stored)) are both the first min(len) characters.
        var matches = await QueryKeysAsync($"""
            SELECT {KeyColumns} FROM api_keys
            WHERE id = $value OR key_hash = $hash
               OR (NOT $whole AND length($value) >= 8 AND length(COALESCE(lookup_prefix, display_prefix)) >= 8
                   AND substr(COALESCE(lookup_prefix, display_prefix), 1, length($value)) = substr($value, 1, length(COALESCE(lookup_prefix, display_prefix))))
            """, ct, ("$value", idKeyOrPrefix), ("$hash", Core.Security.ApiKeys.Hash(idKeyOrPrefix)), ("$whole", Core.Security.ApiKeys.IsGenerated(idKeyOrPrefix)));
        if (matches.Count != 1)
        {
            return matches;
        }
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $now) WHERE id = $id", ("$now", Now), ("$id", matches[0].Id.ToString()));
        await cmd.ExecuteNonQueryAsync(ct);
        return await QueryKeysAsync($"SELECT {KeyColumns} FROM api_keys WHERE id = $id", ct, ("$id", matches[0].Id.ToString()));
    }

    public async Task TouchKeysAsync(IReadOnlyDictionary<Guid, long> lastUsed, CancellationToken ct)
    {
        if (lastUsed.Count == 0)
        {
            return;
        }
        await using var c = await db.OpenAsync(ct);
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct);
        foreach (var (id, at) in lastUsed)
        {
            await using var cmd = Command(c, "UPDATE api_keys SET last_used_at = MAX(COALESCE(last_used_at, 0), $at) WHERE id = $id", ("$at", at), ("$id", id.ToString()));
            cmd.Transaction = tx;
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    private async Task<IReadOnlyList<ApiKeyInfo>> QueryKeysAsync(string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, sql, parameters);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var keys = new List<ApiKeyInfo>();
        while (await r.ReadAsync(ct))
        {
            keys.Add(new ApiKeyInfo(Guid.Parse(r.GetString(0)), Guid.Parse(r.GetString(1)), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3),
                r.GetInt64(4), r.IsDBNull(5) ? null : r.GetInt64(5), r.IsDBNull(6) ? null : r.GetInt64(6)));
        }
        return keys;
    }

    public async Task<Account?> FindByNameAsync(string name, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, "SELECT id, name, created_at FROM accounts WHERE name = $name", ("$name", name));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? ReadAccount(r) : null;
    }

    public async Task<Account> CreateAccountAsync(string name, CancellationToken ct)
    {
        var account = new Account(Guid.NewGuid(), name, Now);
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, "INSERT INTO accounts (id, name, created_at) VALUES ($id, $name, $at)",
            ("$id", account.Id.ToString()), ("$name", name), ("$at", account.CreatedAt));
        try
        {
            await cmd.ExecuteNonQueryAsync(ct);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new InvalidOperationException($"An account named '{name}' already exists.", e);
        }
        return account;
    }

    public async Task AddKeyAsync(Guid accountId, Core.Security.NewApiKey key, string? label, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, """
            INSERT INTO api_keys (id, account_id, key_hash, display_prefix, lookup_prefix, label, created_at)
            VALUES ($id, $account, $hash, $prefix, $lookup, $label, $at) ON CONFLICT(key_hash) DO NOTHING
            """,
            ("$id", Guid.NewGuid().ToString()), ("$account", accountId.ToString()), ("$hash", key.Hash),
            ("$prefix", key.DisplayPrefix), ("$lookup", key.LookupPrefix), ("$label", label), ("$at", Now));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<int> CountAccountsAsync(CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, "SELECT COUNT(*) FROM accounts");
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

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
                INSERT INTO commands ({CommandColumns})
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
        var commands = new List<CommandRecord>();
        await using (var cmd = Command(c, $"""
            SELECT {CommandColumns} FROM commands
            WHERE account_id = $account AND ($status IS NULL OR status = $status) AND ($type IS NULL OR command_type = $type)
            ORDER BY created_at DESC, rowid DESC LIMIT $limit OFFSET $offset
            """,
            ("$account", accountId.ToString()), ("$status", query.Status), ("$type", query.CommandType),
            ("$limit", query.Limit), ("$offset", query.Offset)))
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
        var ids = string.Join(',', commands.Select((_, i) => $"$c{i}"));
        await using (var cmd = Command(c, $"SELECT {FileColumns} FROM files WHERE command_id IN ({ids}) ORDER BY rowid",
            [.. commands.Select((x, i) => ($"$c{i}", (object?)x.Id.ToString()))]))
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
            UPDATE files SET is_deleted = 1
            WHERE command_id = $command AND account_id = $account AND is_deleted = 0
            RETURNING {FileColumns}
            """, ct, ("$command", commandId.ToString()), ("$account", accountId.ToString()));

    private const string GetCommandSql = $"SELECT {CommandColumns} FROM commands WHERE id = $id AND account_id = $account";
    private const string GetFilesSql = $"SELECT {FileColumns} FROM files WHERE command_id = $id ORDER BY rowid";

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
                command = ReadCommand(r);
            }
            var files = new List<FileRecord>();
            var fcmd = session.Command(GetFilesSql);
            fcmd.Parameters.AddWithValue("$id", id);
            using (var r = fcmd.ExecuteReader())
            {
                while (r.Read())
                {
                    files.Add(ReadFile(r));
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
            RETURNING {CommandColumns}
            """,
            ("$processing", CommandStatus.Processing), ("$queued", CommandStatus.Queued), ("$token", token.ToString()),
            ("$expires", now + (long)leaseDuration.TotalMilliseconds), ("$now", now), ("$max", maxPerAccount));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new JobLease(ReadCommand(r), token) : null;
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
            await using var cmd = InsertFileCommand(c, f);
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

    public async Task InsertFileAsync(FileRecord file, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = InsertFileCommand(c, file);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public Task<FileRecord?> GetFileAsync(Guid accountId, Guid fileId, CancellationToken ct) =>
        QueryFileAsync($"SELECT {FileColumns} FROM files WHERE id = $id AND account_id = $account", ct,
            ("$id", fileId.ToString()), ("$account", accountId.ToString()));

    public Task<FileRecord?> FindFileAsync(Guid fileId, CancellationToken ct) =>
        QueryFileAsync($"SELECT {FileColumns} FROM files WHERE id = $id", ct, ("$id", fileId.ToString()));

    public Task<IReadOnlyList<FileRecord>> ListFilesAsync(Guid accountId, int limit, int offset, CancellationToken ct) =>
        QueryFilesAsync($"SELECT {FileColumns} FROM files WHERE account_id = $account ORDER BY created_at DESC, rowid DESC LIMIT $limit OFFSET $offset", ct,
            ("$account", accountId.ToString()), ("$limit", limit), ("$offset", offset));

    public async Task<bool> FinishFileAsync(FileRecord file, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, """
            UPDATE files SET status = $status, size_bytes = $size, media_json = $media, error_status = $estatus, error_message = $emessage,
                storage_key = $key, filename = $filename
            WHERE id = $id AND status = 'PROCESSING' AND is_deleted = 0
            """,
            ("$status", file.Status), ("$size", file.SizeBytes), ("$media", file.MediaJson), ("$estatus", file.ErrorStatus),
            ("$emessage", file.ErrorMessage), ("$key", file.StorageKey), ("$filename", file.Filename), ("$id", file.Id.ToString()));
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<IReadOnlyList<FileRecord>> MarkFilesDeletedAsync(Guid accountId, IReadOnlyCollection<Guid> fileIds, CancellationToken ct)
    {
        if (fileIds.Count == 0)
        {
            return [];
        }
        var ids = string.Join(',', fileIds.Select((_, i) => $"$f{i}"));
        return await QueryFilesAsync($"""
            UPDATE files SET is_deleted = 1 WHERE account_id = $account AND id IN ({ids})
            RETURNING {FileColumns}
            """, ct, [("$account", accountId.ToString()), .. fileIds.Select((f, i) => ($"$f{i}", (object?)f.ToString()))]);
    }

    public Task<IReadOnlyList<FileRecord>> ListProcessingFilesAsync(CancellationToken ct) =>
        QueryFilesAsync($"SELECT {FileColumns} FROM files WHERE status = 'PROCESSING' AND is_deleted = 0 ORDER BY created_at", ct);

    public Task<IReadOnlyList<FileRecord>> ExpireFilesAsync(long createdBefore, int limit, CancellationToken ct) =>
        QueryFilesAsync($"""
            UPDATE files SET is_deleted = 1
            WHERE id IN (SELECT id FROM files WHERE is_deleted = 0 AND created_at < $before AND status <> 'PROCESSING' LIMIT $limit)
            RETURNING {FileColumns}
            """, ct, ("$before", createdBefore), ("$limit", limit));

    private async Task<FileRecord?> QueryFileAsync(string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        var files = await QueryFilesAsync(sql, ct, parameters);
        return files.Count > 0 ? files[0] : null;
    }

    private async Task<IReadOnlyList<FileRecord>> QueryFilesAsync(string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, sql, parameters);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var files = new List<FileRecord>();
        while (await r.ReadAsync(ct))
        {
            files.Add(ReadFile(r));
        }
        return files;
    }

    private static SqliteCommand InsertFileCommand(SqliteConnection c, FileRecord f) => Command(c, $"""
        INSERT INTO files ({FileColumns}) VALUES ($id, $account, $command, $alias, $filename, $status, $type, $key,
            $size, $media, $deleted, $created, $url, $estatus, $emessage, $display)
        """,
        ("$id", f.Id.ToString()), ("$account", f.AccountId.ToString()), ("$command", f.CommandId?.ToString()),
        ("$alias", f.Alias), ("$filename", f.Filename), ("$status", f.Status), ("$type", f.StoreType),
        ("$key", f.StorageKey), ("$size", f.SizeBytes), ("$media", f.MediaJson), ("$deleted", f.IsDeleted ? 1 : 0),
        ("$created", f.CreatedAt), ("$url", f.OriginalFileUrl), ("$estatus", f.ErrorStatus), ("$emessage", f.ErrorMessage),
        ("$display", f.DisplayName));

    internal static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return cmd;
    }

    private static Account ReadAccount(DbDataReader r) => new(Guid.Parse(r.GetString(0)), r.GetString(1), r.GetInt64(2));

    private static CommandRecord ReadCommand(DbDataReader r) => new()
    {
        Id = Guid.Parse(r.GetString(0)),
        AccountId = Guid.Parse(r.GetString(1)),
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
        CancelRequested = r.GetInt64(19) != 0,
    };

    private static FileRecord ReadFile(DbDataReader r) => new()
    {
        Id = Guid.Parse(r.GetString(0)),
        AccountId = Guid.Parse(r.GetString(1)),
        CommandId = r.IsDBNull(2) ? null : Guid.Parse(r.GetString(2)),
        Alias = r.IsDBNull(3) ? null : r.GetString(3),
        Filename = r.GetString(4),
        Status = r.GetString(5),
        StoreType = r.GetString(6),
        StorageKey = r.GetString(7),
        SizeBytes = r.IsDBNull(8) ? null : r.GetInt64(8),
        MediaJson = r.IsDBNull(9) ? null : r.GetString(9),
        IsDeleted = r.GetInt64(10) != 0,
        CreatedAt = r.GetInt64(11),
        OriginalFileUrl = r.IsDBNull(12) ? null : r.GetString(12),
        ErrorStatus = r.IsDBNull(13) ? null : r.GetString(13),
        ErrorMessage = r.IsDBNull(14) ? null : r.GetString(14),
        DisplayName = r.IsDBNull(15) ? null : r.GetString(15),
    };
}
