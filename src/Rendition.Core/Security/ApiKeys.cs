using System.Security.Cryptography;
using System.Text;

namespace Rendition.Core.Security;

/// <summary>API key format (<c>ffsk_</c> + 64 lowercase hex) and its stored SHA-256 form.</summary>
public static class ApiKeys
{
    public const string Prefix = "ffsk_";

    public static string Generate() => Prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    /// <summary>Lowercase hex SHA-256 of the key; only this is stored.</summary>
    public static string Hash(string key)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>Characters of a generated key shown by <c>keys list</c>: <c>ffsk_</c> and 7 hex digits (28 of its 256 random bits).</summary>
    public const int DisplayLength = 12;

    /// <summary>
    /// Characters of a generated key kept in the clear so that a revoke by a prefix longer than the listed one is checked, not
    /// guessed: <c>ffsk_</c> and 16 hex digits, 64 of the key's 256 random bits. The other 192 stay unknown to anyone who reads
    /// the database, which together with the SHA-256 hash is still far beyond any search.
    /// </summary>
    public const int LookupLength = 21;

    /// <summary>True for a key of the generated form (<c>ffsk_</c> + 64 lowercase hex digits).</summary>
    public static bool IsGenerated(string key) =>
        key.Length == Prefix.Length + 64 && key.StartsWith(Prefix, StringComparison.Ordinal) && !key.AsSpan(Prefix.Length).ContainsAnyExcept(LowerHex);

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>
    /// The first 12 characters of a generated key, safe to display. A key of another form (an operator's
    /// <c>RENDITION_BOOTSTRAP_API_KEY</c>) may be short, so at most a quarter of it is shown and stored.
    /// </summary>
    public static string DisplayPrefix(string key) => IsGenerated(key) ? key[..DisplayLength] : key[..Math.Min(DisplayLength, key.Length / 4)];

    /// <summary>The <see cref="LookupLength"/> first characters of a generated key; null for a key of another form (it is matched by its listed prefix or whole).</summary>
    public static string? LookupPrefix(string key) => IsGenerated(key) ? key[..LookupLength] : null;

    /// <summary>What is stored of a new key: its hash and the two prefixes, never enough to rebuild it.</summary>
    public static NewApiKey ForStorage(string key) => new(Hash(key), DisplayPrefix(key), LookupPrefix(key));
}

/// <summary>What the store keeps of an API key: the SHA-256 hash it is found by, and the prefixes it is listed and revoked by.</summary>
public sealed record NewApiKey(string Hash, string DisplayPrefix, string? LookupPrefix);
