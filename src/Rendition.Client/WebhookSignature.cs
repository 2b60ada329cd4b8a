using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Rendition.Client;

/// <summary>
/// Checks that a webhook really came from the server: RenderIO's <c>X-Webhook-Signature</c> (<see cref="Verify"/>) and the
/// Standard Webhooks headers (<see cref="VerifyStandard(byte[], string, string, string, string)"/>). Always verify the raw body bytes
/// as received, before parsing: re-serialised JSON does not hash the same.
/// </summary>
public static class WebhookSignature
{
    private const string SecretPrefix = "whsec_";
    private const string VersionPrefix = "v1,";

    /// <summary>The Standard Webhooks default: a signature older or newer than this is refused, which stops replays.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    /// <summary>
    /// True when <paramref name="header"/> (<c>X-Webhook-Signature</c>) is the lowercase hex HMAC-SHA256 of <paramref name="body"/>
    /// keyed by the UTF-8 bytes of <paramref name="secret"/>. The comparison takes the same time wherever the first difference is.
    /// </summary>
    public static bool Verify(byte[] body, string header, string secret)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(secret);
        if (string.IsNullOrWhiteSpace(header))
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(body, secret)), Encoding.ASCII.GetBytes(header.Trim().ToLowerInvariant()));
    }

    /// <summary>The <c>X-Webhook-Signature</c> value for a body: lowercase hex HMAC-SHA256 keyed by the secret's UTF-8 bytes.</summary>
    public static string Sign(byte[] body, string secret)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(secret);
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
    }

    /// <summary>
    /// True when the Standard Webhooks headers are valid for <paramref name="body"/>: one of the space-separated <c>v1,</c> entries of
    /// <paramref name="webhookSignature"/> is the base64 HMAC-SHA256 of <c>id.timestamp.body</c>, keyed by the base64-decoded part of
    /// <paramref name="secret"/> after <c>whsec_</c>, and <paramref name="webhookTimestamp"/> is within <see cref="DefaultTolerance"/> of now.
    /// </summary>
    public static bool VerifyStandard(byte[] body, string webhookId, string webhookTimestamp, string webhookSignature, string secret) =>
        VerifyStandard(body, webhookId, webhookTimestamp, webhookSignature, secret, DefaultTolerance, DateTimeOffset.UtcNow);

    /// <summary>As <see cref="VerifyStandard(byte[], string, string, string, string)"/>, with an explicit tolerance and clock.</summary>
    public static bool VerifyStandard(byte[] body, string webhookId, string webhookTimestamp, string webhookSignature, string secret, TimeSpan tolerance, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(secret);
        if (string.IsNullOrEmpty(webhookId) || string.IsNullOrEmpty(webhookSignature)
            || !long.TryParse(webhookTimestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return false;
        }
        // Checked before the signature so an old, validly signed message cannot be replayed.
        if (Math.Abs(now.ToUnixTimeSeconds() - seconds) > tolerance.TotalSeconds)
        {
            return false;
        }
        var expected = Encoding.ASCII.GetBytes(SignStandard(body, webhookId, seconds, secret));
        var valid = false;
        // Several signatures may be sent at once (e.g. during secret rotation); any one valid is enough. No early exit, so the time
        // taken does not reveal which entry matched.
        foreach (var candidate in webhookSignature.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            valid |= CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(candidate));
        }
        return valid;
    }

    /// <summary>The Standard Webhooks <c>webhook-signature</c> value: <c>v1,</c> + base64 HMAC-SHA256 of <c>id.timestamp.body</c>.</summary>
    public static string SignStandard(byte[] body, string webhookId, long timestampSeconds, string secret)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(webhookId);
        ArgumentNullException.ThrowIfNull(secret);
        var prefix = Encoding.UTF8.GetBytes($"{webhookId}.{timestampSeconds.ToString(CultureInfo.InvariantCulture)}.");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed, prefix.Length);
        return VersionPrefix + Convert.ToBase64String(HMACSHA256.HashData(StandardKey(secret), signed));
    }

    /// <summary>The key of a <c>whsec_</c> secret is the base64 after the prefix; any other secret is used as its UTF-8 bytes, as the server does.</summary>
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
