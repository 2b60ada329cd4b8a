using System.Globalization;
using Rendition.Core.Security;
using Rendition.Core.Storage;

namespace Rendition.Blobs.Local;

/// <summary>Blobs as files under the data directory, served by the API at <c>/storage/{key}</c> behind expiring HMAC signatures.</summary>
public sealed class LocalBlobStore : IBlobStore
{
    private readonly string _root;
    private readonly string _publicUrl;
    private readonly UrlSigner _signer;
    private readonly TimeProvider _time;

    public LocalBlobStore(string root, string publicUrl, UrlSigner signer, TimeProvider time)
    {
        _root = Path.GetFullPath(root);
        _publicUrl = publicUrl.TrimEnd('/');
        _signer = signer;
        _time = time;
        Directory.CreateDirectory(_root);
    }

    public Task PutFileAsync(string key, string localPath, CancellationToken ct)
    {
        var target = PathFor(key);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        try
        {
            // Job directories live on the same volume as blobs, so this is a rename, not a copy.
            File.Move(localPath, target, overwrite: true);
            return Task.CompletedTask;
        }
        catch (IOException)
        {
            return CopyAsync(localPath, target, ct);
        }
    }

    public Task CopyToFileAsync(string key, string destinationPath, CancellationToken ct) =>
        CopyAsync(PathFor(key), destinationPath, ct);

    public Task DeleteAsync(string key, CancellationToken ct)
    {
        var path = PathFor(key);
        if (File.Exists(path))
        {
            File.Delete(path);
        }
        var dir = Path.GetDirectoryName(path)!;
        if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any())
        {
            Directory.Delete(dir);
        }
        return Task.CompletedTask;
    }

    public string GetDownloadUrl(string key, TimeSpan validFor, string? downloadName = null)
    {
        var expires = _time.GetUtcNow().Add(validFor).ToUnixTimeSeconds();
        var escaped = string.Join('/', key.Split('/').Select(Uri.EscapeDataString));
        var name = downloadName is null ? "" : $"&name={Uri.EscapeDataString(downloadName)}";
        return $"{_publicUrl}{StorageRoutes.Files}{escaped}?expires={expires}{name}&sig={_signer.Sign(Signed(key, downloadName), expires)}";
    }

    // The offered name is part of what is signed, so a link cannot be edited to present another name.
    private static string Signed(string key, string? downloadName) => downloadName is null ? key : $"{key}\n{downloadName}";

    public bool TryResolveOwnUrl(Uri url, out string key)
    {
        key = "";
        var own = _publicUrl + StorageRoutes.Files;
        var text = url.GetLeftPart(UriPartial.Path);
        if (!text.StartsWith(own, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var candidate = Uri.UnescapeDataString(text[own.Length..]);
        var query = System.Web.HttpUtility.ParseQueryString(url.Query);
        if (!long.TryParse(query["expires"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var expires) || !Verify(candidate, expires, query["name"], query["sig"]))
        {
            return false;
        }
        key = candidate;
        return true;
    }

    /// <summary>
    /// Creates, writes and deletes a probe file directly in the blob directory. The directory is not re-created here: if
    /// it vanished (an unmounted volume), files would silently land somewhere else, so that is a failure too.
    /// </summary>
    public async Task CheckWritableAsync(CancellationToken ct)
    {
        var probe = Path.Combine(_root, $".probe-{Guid.NewGuid():N}");
        try
        {
            await using (var stream = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, useAsync: true))
            {
                await stream.WriteAsync("ok"u8.ToArray(), ct);
                await stream.FlushAsync(ct);
            }
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot write to the blob directory {_root}: {e.Message}", e);
        }
    }

    /// <summary>True when the signature is valid for this key (and offered name) and not expired.</summary>
    public bool Verify(string key, long expires, string? downloadName, string? signature) =>
        _signer.Verify(Signed(key, downloadName), expires, signature, _time.GetUtcNow());

    /// <summary>The file behind a key, or null when the key is malformed or the file is gone.</summary>
    public string? TryGetLocalPath(string key)
    {
        if (!IsSafeKey(key))
        {
            return null;
        }
        var path = PathFor(key);
        return File.Exists(path) ? path : null;
    }

    private string PathFor(string key)
    {
        if (!IsSafeKey(key))
        {
            throw new ArgumentException("Invalid blob key.", nameof(key));
        }
        return Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar));
    }

    private static bool IsSafeKey(string key) =>
        key.Length is > 0 and < 1024
        && !key.StartsWith('/')
        && key.Split('/').All(p => p.Length > 0 && p != "." && p != ".." && !p.Contains('\\', StringComparison.Ordinal) && !p.Any(char.IsControl));

    private static async Task CopyAsync(string source, string destination, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(destination))!);
        await using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        await using var output = new FileStream(destination, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        await input.CopyToAsync(output, 1 << 20, ct);
    }
}
