namespace Rendition.Core.Storage;

/// <summary>Stored files of every kind (uploads, files stored from URLs, command outputs) as the files API sees them.</summary>
public interface IFileStore
{
    Task InsertFileAsync(FileRecord file, CancellationToken ct);

    /// <summary>The account's file, or null (also when it is another account's).</summary>
    Task<FileRecord?> GetFileAsync(Guid accountId, Guid fileId, CancellationToken ct);

    /// <summary>Any account's file by id: for resolving the server's own storage URLs, never for answering a client.</summary>
    Task<FileRecord?> FindFileAsync(Guid fileId, CancellationToken ct);

    /// <summary>The account's files, newest first.</summary>
    Task<IReadOnlyList<FileRecord>> ListFilesAsync(Guid accountId, int limit, int offset, CancellationToken ct);

    /// <summary>Ends a PROCESSING file as STORED or FAILED; false when it is no longer PROCESSING (deleted meanwhile).</summary>
    Task<bool> FinishFileAsync(FileRecord file, CancellationToken ct);

    /// <summary>Marks the account's files deleted; returns those it owns (deleted now or before) so blobs can be removed.</summary>
    Task<IReadOnlyList<FileRecord>> MarkFilesDeletedAsync(Guid accountId, IReadOnlyCollection<Guid> fileIds, CancellationToken ct);

    /// <summary>Files still PROCESSING (uploads being probed, URLs being fetched), oldest first: resumed after a restart.</summary>
    Task<IReadOnlyList<FileRecord>> ListProcessingFilesAsync(CancellationToken ct);

    /// <summary>Marks files created before <paramref name="createdBefore"/> (unix ms) deleted, up to <paramref name="limit"/>; returns them.</summary>
    Task<IReadOnlyList<FileRecord>> ExpireFilesAsync(long createdBefore, int limit, CancellationToken ct);
}
