using Rendition.Core;
using Rendition.Core.Contracts;
using Rendition.Core.Security;
using Rendition.Core.Storage;
using Rendition.Core.Views;
using Rendition.Execution;

namespace Rendition.Server.Files;

/// <summary>
/// The file use cases, for every door: upload (streamed to staging, then probed and stored in the background), store from a
/// URL (fetched in the background), get, list, delete. Callers pass the account and public ids; problems are <see cref="Problem"/>s.
/// </summary>
public sealed class FileService(IFileStore store, IBlobStore blobs, FileIngestService ingest, WireViews views, RenditionOptions options,
    DependencyHealth health, TimeProvider time)
{
    /// <summary>The most a bulk delete takes at once.</summary>
    public const int MaxBulkDelete = 1000;

    /// <summary>The largest upload accepted, in bytes (<c>RENDITION_MAX_UPLOAD_MB</c>).</summary>
    public long UploadLimitBytes => options.MaxUploadMb * 1024 * 1024;

    /// <summary>The problem of an upload over <see cref="UploadLimitBytes"/>.</summary>
    public Problem UploadTooLarge => new(ProblemKind.TooLarge, ErrorCodes.PayloadTooLarge, $"The upload is larger than the {options.MaxUploadMb} MB limit.");

    /// <summary>
    /// Streams an upload to its staging directory (memory stays flat whatever the size) and queues it for probing; its id.
    /// <paramref name="userName"/> is kept for display, a safe version of it names the bytes. While the blob store is known to
    /// be down this throws its outage (the API answers 503): the file could not be stored.
    /// </summary>
    public async Task<Outcome<string>> UploadAsync(Account account, string? userName, Stream content, CancellationToken ct)
    {
        health.ThrowIfDown(Dependencies.BlobStore);
        var id = Guid.NewGuid();
        var safe = FileNames.Safe(userName);
        var dir = ingest.StagingDirectory(id);
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, safe);
        try
        {
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                var buffer = new byte[1 << 17];
                long total = 0;
                int read;
                while ((read = await content.ReadAsync(buffer, ct)) > 0)
                {
                    total += read;
                    if (total > UploadLimitBytes)
                    {
                        Directory.Delete(dir, recursive: true);
                        return UploadTooLarge;
                    }
                    await file.WriteAsync(buffer.AsMemory(0, read), ct);
                }
            }
            var display = FileNames.Display(userName);
            await store.InsertFileAsync(new FileRecord
            {
                Id = id,
                AccountId = account.Id,
                Filename = safe,
                DisplayName = display == safe ? null : display,
                Status = FileStatus.Processing,
                StoreType = FileIngestService.UploadStoreType,
                StorageKey = BlobKeys.ForFile(id, safe),
                CreatedAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
            }, ct);
        }
        catch
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
            throw;
        }
        ingest.Enqueue(id);
        return id.ToString();
    }

    /// <summary>Records a file to be fetched from <paramref name="fileUrl"/> in the background; its id.</summary>
    public async Task<Outcome<string>> StoreFromUrlAsync(Account account, string? fileUrl, CancellationToken ct)
    {
        if (!NetworkGuard.IsHttpUrl(fileUrl, out var uri))
        {
            return Problem.Invalid("file_url", "must be an absolute http or https URL");
        }
        if (!options.AllowPrivateUrls && NetworkGuard.IsObviouslyPrivateHost(uri!) && !blobs.TryResolveOwnUrl(uri!, out _))
        {
            return Problem.Invalid("file_url", "points to a private or loopback address, which is not allowed");
        }
        health.ThrowIfDown(Dependencies.BlobStore);
        var id = Guid.NewGuid();
        var name = FileNames.Safe(Uri.UnescapeDataString(uri!.AbsolutePath.Split('/').LastOrDefault() ?? ""));
        await store.InsertFileAsync(new FileRecord
        {
            Id = id,
            AccountId = account.Id,
            Filename = name,
            Status = FileStatus.Processing,
            StoreType = FileIngestService.StoredFileStoreType,
            StorageKey = BlobKeys.ForFile(id, name),
            OriginalFileUrl = fileUrl,
            CreatedAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
        }, ct);
        ingest.Enqueue(id);
        return id.ToString();
    }

    public async Task<Outcome<FileResponse>> GetAsync(Account account, string fileId, CancellationToken ct) =>
        Guid.TryParse(fileId, out var id) && await store.GetFileAsync(account.Id, id, ct) is { } file
            ? views.ToFileResponse(file)
            : Problem.NotFound($"File {fileId}");

    /// <summary>The account's files, newest first.</summary>
    public async Task<IReadOnlyList<FileResponse>> ListAsync(Account account, Page page, CancellationToken ct) =>
        [.. (await store.ListFilesAsync(account.Id, page.Limit, page.Offset, ct)).Select(views.ToFileResponse)];

    /// <summary>Deletes one of the account's files (the bytes go, the record stays with <c>is_deleted</c>); its id.</summary>
    public async Task<Outcome<string>> DeleteAsync(Account account, string fileId, CancellationToken ct) =>
        Guid.TryParse(fileId, out var id) && (await DeleteAsync(account, [id], ct)).Count > 0 ? id.ToString() : Problem.NotFound($"File {fileId}");

    /// <summary>Deletes the account's files among up to <see cref="MaxBulkDelete"/> ids; the ids that were the account's.</summary>
    public async Task<Outcome<IReadOnlyList<string>>> DeleteManyAsync(Account account, IReadOnlyList<string?>? fileIds, CancellationToken ct)
    {
        if (fileIds is null || fileIds.Count is 0 or > MaxBulkDelete)
        {
            return Problem.Invalid("file_ids", $"must list 1 to {MaxBulkDelete} file ids");
        }
        var ids = new HashSet<Guid>();
        for (var i = 0; i < fileIds.Count; i++)
        {
            if (!Guid.TryParse(fileIds[i], out var id))
            {
                return Problem.Invalid($"file_ids[{i}]", "is not a file id");
            }
            ids.Add(id);
        }
        var deleted = await DeleteAsync(account, ids, ct);
        return Outcome.Success<IReadOnlyList<string>>([.. deleted.Select(d => d.Id.ToString())]);
    }

    private async Task<IReadOnlyList<FileRecord>> DeleteAsync(Account account, IReadOnlyCollection<Guid> fileIds, CancellationToken ct)
    {
        var deleted = await store.MarkFilesDeletedAsync(account.Id, fileIds, ct);
        foreach (var file in deleted)
        {
            await blobs.DeleteAsync(file.StorageKey, ct);
        }
        return deleted;
    }
}
