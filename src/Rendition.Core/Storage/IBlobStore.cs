namespace Rendition.Core.Storage;

/// <summary>Where stored files' bytes live and how clients reach them.</summary>
public interface IBlobStore
{
    /// <summary>Takes ownership of a finished local file (it may be moved) and stores it under <paramref name="key"/>.</summary>
    Task PutFileAsync(string key, string localPath, CancellationToken ct);

    /// <summary>Writes the blob to a local file.</summary>
    Task CopyToFileAsync(string key, string destinationPath, CancellationToken ct);

    Task DeleteAsync(string key, CancellationToken ct);

    /// <summary>A URL clients can GET without an API key, valid for <paramref name="validFor"/>; <paramref name="downloadName"/> is offered as the file's name.</summary>
    string GetDownloadUrl(string key, TimeSpan validFor, string? downloadName = null);

    /// <summary>When <paramref name="url"/> is a valid download URL of this store, the blob key it names.</summary>
    bool TryResolveOwnUrl(Uri url, out string key);

    /// <summary>
    /// The readiness probe: writes and deletes a tiny probe blob, and throws (with a message an operator can act on)
    /// when the store cannot take new files.
    /// </summary>
    Task CheckWritableAsync(CancellationToken ct);
}
