using System.Data.Common;
using Npgsql;
using Rendition.Core.Webhooks;
using static Rendition.Data.Postgres.PostgresDatabase;

namespace Rendition.Data.Postgres;

/// <summary>Webhook configs, the delivery outbox and the attempt log on PostgreSQL; dispatchers on several nodes share the outbox.</summary>
public sealed class PostgresWebhookStore(PostgresDatabase db, TimeProvider time) : IWebhookStore
{
    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Writes the outbox row for a command that just finished, inside the transaction that finishes it, when there is
    /// anywhere to deliver to (its own webhook_url, or an active account config): a crash can never lose it.
    /// </summary>
    internal static async Task EnqueueInTransactionAsync(NpgsqlConnection c, NpgsqlTransaction tx, Guid commandId, long now, CancellationToken ct)
    {
        await using var cmd = Command(c, tx, $"""
            INSERT INTO webhook_deliveries ({StoreColumns.Delivery})
            SELECT @delivery, c.id, c.account_id, 'PENDING', 0, @now, @now FROM commands c
            WHERE c.id = @command AND (c.webhook_url IS NOT NULL
                OR EXISTS (SELECT 1 FROM webhook_configs w WHERE w.account_id = c.account_id AND w.is_active))
            """,
            Sql.Uuid("delivery", Guid.NewGuid()), Sql.Long("now", now), Sql.Uuid("command", commandId));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<WebhookConfig?> GetConfigAsync(Guid accountId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null,
            "SELECT account_id, url, secret, is_active, consecutive_failures, disabled_at FROM webhook_configs WHERE account_id = @account",
            Sql.Uuid("account", accountId));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct)
            ? StoreRows.WebhookConfig(r)
            : null;
    }

    public async Task<WebhookConfig> UpsertConfigAsync(Guid accountId, string url, string secret, bool keepExistingSecret, CancellationToken ct)
    {
        await using (var c = await db.OpenAsync(ct))
        await using (var cmd = Command(c, null, """
            INSERT INTO webhook_configs (account_id, url, secret, is_active, consecutive_failures, disabled_at, updated_at)
            VALUES (@account, @url, @secret, true, 0, NULL, @now)
            ON CONFLICT (account_id) DO UPDATE SET url = excluded.url,
                secret = CASE WHEN @keep THEN webhook_configs.secret ELSE excluded.secret END,
                is_active = true, consecutive_failures = 0, disabled_at = NULL, updated_at = excluded.updated_at
            """,
            Sql.Uuid("account", accountId), Sql.Text("url", url), Sql.Text("secret", secret), Sql.Bool("keep", keepExistingSecret), Sql.Long("now", Now)))
        {
            await cmd.ExecuteNonQueryAsync(ct);
        }
        return (await GetConfigAsync(accountId, ct))!;
    }

    public async Task<bool> DeactivateConfigAsync(Guid accountId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, "UPDATE webhook_configs SET is_active = false, updated_at = @now WHERE account_id = @account",
            Sql.Uuid("account", accountId), Sql.Long("now", Now));
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<IReadOnlyList<ClaimedDelivery>> ClaimDueAsync(int limit, TimeSpan hold, int perUrl, IReadOnlyDictionary<string, int> inFlight, CancellationToken ct)
    {
        var now = Now;
        await using var c = await db.OpenAsync(ct);
        // Pushing next_attempt_at forward is the claim. SKIP LOCKED lets dispatchers on other nodes take other rows at the same
        // moment, and a locked row is re-checked, so one claimed and committed meanwhile is left alone. The scan is
        // materialized: inlined, the planner may evaluate its LIMIT more than once and claim more rows than asked for.
        // Each due delivery's URL is resolved as the dispatcher will resolve it; a URL that has its share in flight on this
        // node is left out before the scan's limit, and each remaining URL is given only its free slots.
        await using var cmd = Command(c, null, $"""
            WITH due AS MATERIALIZED (
                SELECT d.id, d.next_attempt_at,
                    COALESCE(c.webhook_url, CASE WHEN w.is_active THEN w.url END, '') AS target,
                    COALESCE(busy.n, 0) AS busy
                FROM webhook_deliveries d
                LEFT JOIN commands c ON c.id = d.command_id
                LEFT JOIN webhook_configs w ON w.account_id = d.account_id
                LEFT JOIN unnest(@urls, @counts) AS busy(url, n) ON busy.url = COALESCE(c.webhook_url, CASE WHEN w.is_active THEN w.url END, '')
                WHERE d.status = 'PENDING' AND d.next_attempt_at <= @now AND COALESCE(busy.n, 0) < @per_url
                ORDER BY d.next_attempt_at, d.id LIMIT @scan
                FOR UPDATE OF d SKIP LOCKED),
            ranked AS (
                SELECT id, next_attempt_at, target, busy + ROW_NUMBER() OVER (PARTITION BY target ORDER BY next_attempt_at, id) AS slot FROM due),
            chosen AS (
                SELECT id, target FROM ranked WHERE slot <= @per_url ORDER BY next_attempt_at, id LIMIT @limit)
            UPDATE webhook_deliveries claimed SET next_attempt_at = @until FROM chosen WHERE claimed.id = chosen.id
            RETURNING {StoreColumns.Qualified(StoreColumns.Delivery, "claimed")}, chosen.target
            """,
            Sql.Long("until", now + (long)hold.TotalMilliseconds), Sql.Long("now", now), Sql.Int("per_url", perUrl), Sql.Int("scan", ScanSize(limit)),
            Sql.Int("limit", limit), Sql.Texts("urls", inFlight.Keys), Sql.Ints("counts", inFlight.Values));
        var due = new List<ClaimedDelivery>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var target = r.GetString(7);
            due.Add(new ClaimedDelivery(StoreRows.Delivery(r), target.Length == 0 ? null : target));
        }
        return due;
    }

    /// <summary>Rows the claim looks at (and locks for that moment): enough beyond the limit that one receiver's backlog leaves room for others.</summary>
    private static int ScanSize(int limit) => Math.Max(64, limit * 4);

    public async Task RecordAttemptAsync(WebhookAttempt attempt, string status, long? nextAttemptAt, bool toAccountConfig, int disableAfter, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        await using var tx = await c.BeginTransactionAsync(ct);
        await using (var cmd = Command(c, tx, """
            INSERT INTO webhook_attempts (delivery_id, attempted_at, url, http_status, error, duration_ms)
            VALUES (@delivery, @at, @url, @status, @error, @duration)
            """,
            Sql.Uuid("delivery", attempt.DeliveryId), Sql.Long("at", attempt.AttemptedAt), Sql.Text("url", attempt.Url), Sql.Int("status", attempt.HttpStatus),
            Sql.Text("error", attempt.Error), Sql.Int("duration", attempt.DurationMs)))
        {
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await using (var cmd = Command(c, tx, """
            UPDATE webhook_deliveries SET attempts = attempts + 1, status = @dstatus, next_attempt_at = COALESCE(@next, next_attempt_at)
            WHERE id = @delivery
            """,
            Sql.Text("dstatus", status), Sql.Long("next", nextAttemptAt), Sql.Uuid("delivery", attempt.DeliveryId)))
        {
            await cmd.ExecuteNonQueryAsync(ct);
        }
        if (toAccountConfig)
        {
            var succeeded = status == DeliveryStatus.Delivered;
            await using var cmd = Command(c, tx, """
                UPDATE webhook_configs SET
                    consecutive_failures = CASE WHEN @ok THEN 0 ELSE consecutive_failures + 1 END,
                    is_active = CASE WHEN NOT @ok AND consecutive_failures + 1 >= @max THEN false ELSE is_active END,
                    disabled_at = CASE WHEN NOT @ok AND consecutive_failures + 1 >= @max AND is_active THEN @now ELSE disabled_at END
                WHERE account_id = (SELECT account_id FROM webhook_deliveries WHERE id = @delivery)
                """,
                Sql.Bool("ok", succeeded), Sql.Int("max", disableAfter), Sql.Long("now", attempt.AttemptedAt), Sql.Uuid("delivery", attempt.DeliveryId));
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    public async Task<Guid?> EnqueueAsync(Guid accountId, Guid commandId, CancellationToken ct)
    {
        var id = Guid.NewGuid();
        var now = Now;
        await using var c = await db.OpenAsync(ct);
        await using var cmd = Command(c, null, $"""
            INSERT INTO webhook_deliveries ({StoreColumns.Delivery})
            SELECT @delivery, id, account_id, 'PENDING', 0, @now, @now FROM commands WHERE id = @command AND account_id = @account
            """,
            Sql.Uuid("delivery", id), Sql.Long("now", now), Sql.Uuid("command", commandId), Sql.Uuid("account", accountId));
        return await cmd.ExecuteNonQueryAsync(ct) == 1 ? id : null;
    }

    public async Task<IReadOnlyList<(WebhookDelivery Delivery, IReadOnlyList<WebhookAttempt> Attempts)>> ListDeliveriesAsync(Guid accountId, Guid commandId, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var deliveries = new List<WebhookDelivery>();
        await using (var cmd = Command(c, null,
            $"SELECT {StoreColumns.Delivery} FROM webhook_deliveries WHERE command_id = @command AND account_id = @account ORDER BY created_at, seq",
            Sql.Uuid("command", commandId), Sql.Uuid("account", accountId)))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                deliveries.Add(StoreRows.Delivery(r));
            }
        }
        var attempts = deliveries.ToDictionary(d => d.Id, _ => new List<WebhookAttempt>());
        await using (var cmd = Command(c, null, """
            SELECT a.delivery_id, a.attempted_at, a.url, a.http_status, a.error, a.duration_ms FROM webhook_attempts a
            JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.command_id = @command AND d.account_id = @account ORDER BY a.id
            """, Sql.Uuid("command", commandId), Sql.Uuid("account", accountId)))
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
