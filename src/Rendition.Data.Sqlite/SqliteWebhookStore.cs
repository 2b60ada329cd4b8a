using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;
using Rendition.Core.Webhooks;
using static Rendition.Data.Sqlite.SqliteDatabase;

namespace Rendition.Data.Sqlite;

/// <summary>Webhook configs, the delivery outbox and the attempt log on SQLite.</summary>
public sealed class SqliteWebhookStore(SqliteDatabase db, TimeProvider time) : IWebhookStore
{
    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Writes the outbox row for a command that just finished, inside the transaction that finishes it, when there is
    /// anywhere to deliver to (its own webhook_url, or an active account config): a crash can never lose it.
    /// </summary>
    internal static async Task EnqueueInTransactionAsync(SqliteConnection c, SqliteTransaction tx, Guid commandId, long now, CancellationToken ct)
    {
        await using var cmd = Command(c, $"""
            INSERT INTO webhook_deliveries ({StoreColumns.Delivery})
            SELECT $delivery, c.id, c.account_id, 'PENDING', 0, $now, $now FROM commands c
            WHERE c.id = $command AND (c.webhook_url IS NOT NULL
                OR EXISTS (SELECT 1 FROM webhook_configs w WHERE w.account_id = c.account_id AND w.is_active = 1))
            """,
            ("$delivery", Guid.NewGuid().ToString()), ("$now", now), ("$command", commandId.ToString()));
        cmd.Transaction = tx;
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<WebhookConfig?> GetConfigAsync(Guid accountId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c,
            "SELECT account_id, url, secret, is_active, consecutive_failures, disabled_at FROM webhook_configs WHERE account_id = $account",
            ("$account", accountId.ToString()));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct)
            ? StoreRows.WebhookConfig(r)
            : null;
    }

    public async Task<WebhookConfig> UpsertConfigAsync(Guid accountId, string url, string secret, bool keepExistingSecret, CancellationToken ct)
    {
        await using (var c = await db.OpenAsync(ct))
        await using (var cmd = Command(c, """
            INSERT INTO webhook_configs (account_id, url, secret, is_active, consecutive_failures, disabled_at, updated_at)
            VALUES ($account, $url, $secret, 1, 0, NULL, $now)
            ON CONFLICT(account_id) DO UPDATE SET url = excluded.url,
                secret = CASE WHEN $keep = 1 THEN webhook_configs.secret ELSE excluded.secret END,
                is_active = 1, consecutive_failures = 0, disabled_at = NULL, updated_at = excluded.updated_at
            """,
            ("$account", accountId.ToString()), ("$url", url), ("$secret", secret), ("$keep", keepExistingSecret ? 1 : 0), ("$now", Now)))
        {
            await cmd.ExecuteNonQueryAsync(ct);
        }
        return (await GetConfigAsync(accountId, ct))!;
    }

    public async Task<bool> DeactivateConfigAsync(Guid accountId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, "UPDATE webhook_configs SET is_active = 0, updated_at = $now WHERE account_id = $account",
            ("$account", accountId.ToString()), ("$now", Now));
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<IReadOnlyList<ClaimedDelivery>> ClaimDueAsync(int limit, TimeSpan hold, int perUrl, IReadOnlyDictionary<string, int> inFlight, CancellationToken ct)
    {
        var now = Now;
        await using var c = await db.OpenAsync(ct, durable: false);
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct);
        // Each due delivery's URL as the dispatcher will resolve it; a URL that has its share in flight is left out before
        // the scan's limit (so its backlog cannot crowd out others), and each remaining URL is given only its free slots.
        var targets = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var cmd = Command(c, """
            WITH due AS (
                SELECT d.id, d.next_attempt_at,
                    COALESCE(c.webhook_url, CASE WHEN w.is_active = 1 THEN w.url END, '') AS target
                FROM webhook_deliveries d
                LEFT JOIN commands c ON c.id = d.command_id
                LEFT JOIN webhook_configs w ON w.account_id = d.account_id
                WHERE d.status = 'PENDING' AND d.next_attempt_at <= $now
            ),
            open AS (
                SELECT due.id, due.next_attempt_at, due.target, COALESCE(busy.value, 0) AS busy
                FROM due LEFT JOIN json_each($inflight) busy ON busy.key = due.target
                WHERE COALESCE(busy.value, 0) < $per_url
                ORDER BY due.next_attempt_at, due.id LIMIT $scan
            ),
            ranked AS (
                SELECT id, next_attempt_at, target, busy + ROW_NUMBER() OVER (PARTITION BY target ORDER BY next_attempt_at, id) AS slot FROM open
            )
            SELECT id, target FROM ranked WHERE slot <= $per_url ORDER BY next_attempt_at, id LIMIT $limit
            """,
            ("$now", now), ("$inflight", InFlightJson(inFlight)), ("$per_url", perUrl), ("$scan", ScanSize(limit)), ("$limit", limit)))
        {
            cmd.Transaction = tx;
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                targets[r.GetString(0)] = r.GetString(1);
            }
        }
        var due = new List<ClaimedDelivery>();
        if (targets.Count > 0)
        {
            // Pushing next_attempt_at forward is the claim: until the hold ends, no other pass picks these up.
            await using var cmd = Command(c, $"""
                UPDATE webhook_deliveries SET next_attempt_at = $until
                WHERE id IN (SELECT value FROM json_each($ids)) AND status = 'PENDING' AND next_attempt_at <= $now
                RETURNING {StoreColumns.Delivery}
                """,
                ("$until", now + (long)hold.TotalMilliseconds), ("$now", now), ("$ids", JsonSerializer.Serialize(targets.Keys.ToArray(), SqliteJson.Default.StringArray)));
            cmd.Transaction = tx;
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var delivery = StoreRows.Delivery(r);
                var target = targets[delivery.Id.ToString()];
                due.Add(new ClaimedDelivery(delivery, target.Length == 0 ? null : target));
            }
        }
        await tx.CommitAsync(ct);
        return [.. due.OrderBy(d => d.Delivery.CreatedAt)];
    }

    /// <summary>Rows the claim looks at: enough beyond the limit that one receiver's backlog of free-slot URLs leaves room for others.</summary>
    internal static int ScanSize(int limit) => Math.Max(64, limit * 4);

    private static string InFlightJson(IReadOnlyDictionary<string, int> inFlight) =>
        JsonSerializer.Serialize(inFlight.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal), SqliteJson.Default.DictionaryStringInt32);

    public async Task RecordAttemptAsync(WebhookAttempt attempt, string status, long? nextAttemptAt, bool toAccountConfig, int disableAfter, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct);
        await using (var cmd = Command(c, """
            INSERT INTO webhook_attempts (delivery_id, attempted_at, url, http_status, error, duration_ms)
            VALUES ($delivery, $at, $url, $status, $error, $duration);
            UPDATE webhook_deliveries SET attempts = attempts + 1, status = $dstatus, next_attempt_at = COALESCE($next, next_attempt_at)
            WHERE id = $delivery;
            """,
            ("$delivery", attempt.DeliveryId.ToString()), ("$at", attempt.AttemptedAt), ("$url", attempt.Url), ("$status", attempt.HttpStatus),
            ("$error", attempt.Error), ("$duration", attempt.DurationMs), ("$dstatus", status), ("$next", nextAttemptAt)))
        {
            cmd.Transaction = tx;
            await cmd.ExecuteNonQueryAsync(ct);
        }
        if (toAccountConfig)
        {
            var succeeded = status == DeliveryStatus.Delivered;
            await using var cmd = Command(c, """
                UPDATE webhook_configs SET
                    consecutive_failures = CASE WHEN $ok = 1 THEN 0 ELSE consecutive_failures + 1 END,
                    is_active = CASE WHEN $ok = 0 AND consecutive_failures + 1 >= $max THEN 0 ELSE is_active END,
                    disabled_at = CASE WHEN $ok = 0 AND consecutive_failures + 1 >= $max AND is_active = 1 THEN $now ELSE disabled_at END
                WHERE account_id = (SELECT account_id FROM webhook_deliveries WHERE id = $delivery)
                """,
                ("$ok", succeeded ? 1 : 0), ("$max", disableAfter), ("$now", attempt.AttemptedAt), ("$delivery", attempt.DeliveryId.ToString()));
            cmd.Transaction = tx;
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    public async Task<Guid?> EnqueueAsync(Guid accountId, Guid commandId, CancellationToken ct)
    {
        var id = Guid.NewGuid();
        var now = Now;
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, $"""
            INSERT INTO webhook_deliveries ({StoreColumns.Delivery})
            SELECT $delivery, id, account_id, 'PENDING', 0, $now, $now FROM commands WHERE id = $command AND account_id = $account
            """,
            ("$delivery", id.ToString()), ("$now", now), ("$command", commandId.ToString()), ("$account", accountId.ToString()));
        return await cmd.ExecuteNonQueryAsync(ct) == 1 ? id : null;
    }

    public async Task<IReadOnlyList<(WebhookDelivery Delivery, IReadOnlyList<WebhookAttempt> Attempts)>> ListDeliveriesAsync(Guid accountId, Guid commandId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var deliveries = new List<WebhookDelivery>();
        await using (var cmd = Command(c, $"SELECT {StoreColumns.Delivery} FROM webhook_deliveries WHERE command_id = $command AND account_id = $account ORDER BY created_at, rowid",
            ("$command", commandId.ToString()), ("$account", accountId.ToString())))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                deliveries.Add(StoreRows.Delivery(r));
            }
        }
        var attempts = deliveries.ToDictionary(d => d.Id, _ => new List<WebhookAttempt>());
        await using (var cmd = Command(c, """
            SELECT a.delivery_id, a.attempted_at, a.url, a.http_status, a.error, a.duration_ms FROM webhook_attempts a
            JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.command_id = $command AND d.account_id = $account ORDER BY a.id
            """, ("$command", commandId.ToString()), ("$account", accountId.ToString())))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var attempt = StoreRows.Attempt(r);
                attempts[attempt.DeliveryId].Add(attempt);
            }
        }
        return [.. deliveries.Select(d => (d, (IReadOnlyList<WebhookAttempt>)attempts[d.Id]))];
    }

}

/// <summary>The few JSON values the SQLite store passes to <c>json_each</c>.</summary>
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(Dictionary<string, int>))]
internal sealed partial class SqliteJson : JsonSerializerContext;
