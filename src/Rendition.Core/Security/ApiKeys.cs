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

    /// <summary>The first 12 characters, safe to display.</summary>
    public static string DisplayPrefix(string key) => key.Length <= 12 ? key : key[..12];
}
