using System.Security.Cryptography;
using System.Text;

namespace Rendition.Core.Webhooks;

/// <summary>An account's webhook configuration.</summary>
public sealed record WebhookConfig(Guid AccountId, string Url, string Secret, bool IsActive, int ConsecutiveFailures, long? DisabledAt);

/// <summary>A queued or finished delivery of one command's final state.</summary>
public sealed record WebhookDelivery(Guid Id, Guid CommandId, Guid AccountId, string Status, int Attempts, long CreatedAt, long NextAttemptAt);

/// <summary>A due delivery taken by <see cref="IWebhookStore.ClaimDueAsync"/>, with the URL it goes to now (null: nowhere any more).</summary>
public sealed record ClaimedDelivery(WebhookDelivery Delivery, string? Url)
{
    /// <summary>The key its receiver's slots are counted by: the URL, or empty for a delivery with nowhere to go.</summary>
    public string SlotKey => Url ?? "";
}

/// <summary>One HTTP attempt of a delivery.</summary>
public sealed record WebhookAttempt(Guid DeliveryId, long AttemptedAt, string Url, int? HttpStatus, string? Error, int DurationMs);

/// <summary>Delivery states.</summary>
public static class DeliveryStatus
{
    public const string Pending = "PENDING";
    public const string Delivered = "DELIVERED";
    public const string Failed = "FAILED";

    /// <summary>Nothing to deliver to any more (no command URL, account config gone).</summary>
    public const string Skipped = "SKIPPED";
}

/// <summary>Webhook configuration, the outbox of deliveries, and their attempt log.</summary>
public interface IWebhookStore
{
    Task<WebhookConfig?> GetConfigAsync(Guid accountId, CancellationToken ct);

    /// <summary>Sets the URL (and secret, when given), re-enables the config and resets its failure count.</summary>
    Task<WebhookConfig> UpsertConfigAsync(Guid accountId, string url, string secret, bool keepExistingSecret, CancellationToken ct);

    /// <summary>Deactivates the config; false when there was none.</summary>
    Task<bool> DeactivateConfigAsync(Guid accountId, CancellationToken ct);

    /// <summary>
    /// Takes up to <paramref name="limit"/> due deliveries, oldest first, holding each for <paramref name="hold"/> so no other
    /// dispatcher sends it meanwhile, and resolves where each goes (the command's own URL, else the account's active config).
    /// A URL gets at most <paramref name="perUrl"/> less its count in <paramref name="inFlight"/> (keyed by
    /// <see cref="ClaimedDelivery.SlotKey"/>): deliveries to a receiver that already has its share stay unclaimed, and later
    /// ones to other receivers are taken past them.
    /// </summary>
    Task<IReadOnlyList<ClaimedDelivery>> ClaimDueAsync(int limit, TimeSpan hold, int perUrl, IReadOnlyDictionary<string, int> inFlight, CancellationToken ct);

    /// <summary>
    /// Logs an attempt and moves the delivery on: <paramref name="nextAttemptAt"/> null ends it (<paramref name="status"/>).
    /// When <paramref name="toAccountConfig"/>, the account config's failure count follows (reset on success; disabled at <paramref name="disableAfter"/>).
    /// </summary>
    Task RecordAttemptAsync(WebhookAttempt attempt, string status, long? nextAttemptAt, bool toAccountConfig, int disableAfter, CancellationToken ct);

    /// <summary>Queues a new delivery of a finished command; null when the command is not the account's.</summary>
    Task<Guid?> EnqueueAsync(Guid accountId, Guid commandId, CancellationToken ct);

    /// <summary>The command's deliveries with their attempts, oldest first.</summary>
    Task<IReadOnlyList<(WebhookDelivery Delivery, IReadOnlyList<WebhookAttempt> Attempts)>> ListDeliveriesAsync(Guid accountId, Guid commandId, CancellationToken ct);
}

/// <summary>Webhook signatures: RenderIO's <c>X-Webhook-Signature</c> and the Standard Webhooks headers.</summary>
public static class WebhookSignatures
{
    public const string SecretPrefix = "whsec_";

    /// <summary>A new secret in the Standard Webhooks form (<c>whsec_</c> + base64 of 32 random bytes).</summary>
    public static string GenerateSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>Lowercase hex HMAC-SHA256 of the raw body keyed by the secret's UTF-8 bytes (<c>X-Webhook-Signature</c>).</summary>
    public static string Hex(string secret, ReadOnlySpan<byte> body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>
    /// The Standard Webhooks <c>webhook-signature</c> value: <c>v1,</c> + base64 HMAC-SHA256 of <c>id.timestamp.body</c>, keyed by the
    /// base64-decoded part after <c>whsec_</c> (or the secret's UTF-8 bytes when it is not in that form).
    /// </summary>
    public static string Standard(string secret, string messageId, long timestampSeconds, ReadOnlySpan<byte> body)
    {
        var key = StandardKey(secret);
        var prefix = Encoding.UTF8.GetBytes($"{messageId}.{timestampSeconds}.");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed));
    }

    /// <summary>True when <paramref name="header"/> is the hex signature of <paramref name="body"/>; constant-time.</summary>
    public static bool VerifyHex(string secret, ReadOnlySpan<byte> body, string? header) =>
        header is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hex(secret, body)), Encoding.ASCII.GetBytes(header.Trim().ToLowerInvariant()));

    private static byte[] StandardKey(string secret)
    {
        if (secret.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            var encoded = secret[SecretPrefix.Length..];
            var buffer = new byte[encoded.Length];
            if (Convert.TryFromBase64String(encoded, buffer, out var written))
            {
                return buffer[..written];
            }
        }
        return Encoding.UTF8.GetBytes(secret);
    }
}
