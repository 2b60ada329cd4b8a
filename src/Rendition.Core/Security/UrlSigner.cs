using System.Security.Cryptography;
using System.Text;

namespace Rendition.Core.Security;

/// <summary>Creates and checks expiring HMAC-SHA256 signatures for storage paths.</summary>
public sealed class UrlSigner
{
    private readonly byte[] _key;

    public UrlSigner(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < 32)
        {
            throw new ArgumentException("The signing key must be at least 32 bytes.", nameof(key));
        }
        _key = key;
    }

    /// <summary>The signature for <paramref name="path"/> valid until <paramref name="expiresUnixSeconds"/>.</summary>
    public string Sign(string path, long expiresUnixSeconds)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{path}\n{expiresUnixSeconds}"), mac);
        return Base64Url(mac);
    }

    /// <summary>True when the signature matches and the expiry has not passed; compares in constant time.</summary>
    public bool Verify(string path, long expiresUnixSeconds, string? signature, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(signature) || now.ToUnixTimeSeconds() > expiresUnixSeconds)
        {
            return false;
        }
        var expected = Encoding.ASCII.GetBytes(Sign(path, expiresUnixSeconds));
        var actual = Encoding.ASCII.GetBytes(signature);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    /// <summary>Reads the key file under the data directory, creating it with 32 random bytes the first time.</summary>
    public static byte[] LoadOrCreateKey(string path)
    {
        if (File.Exists(path))
        {
            return Convert.FromHexString(File.ReadAllText(path).Trim());
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var key = RandomNumberGenerator.GetBytes(32);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, Convert.ToHexStringLower(key));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        try
        {
            File.Move(tmp, path, overwrite: false);
        }
        catch (IOException)
        {
            // Another process created it first: use theirs so both sign alike.
            File.Delete(tmp);
            return Convert.FromHexString(File.ReadAllText(path).Trim());
        }
        return key;
    }

    private static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
