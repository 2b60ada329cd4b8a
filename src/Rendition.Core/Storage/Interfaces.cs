namespace Rendition.Core.Storage;

/// <summary>Accounts and their API keys (keys only as SHA-256 hashes).</summary>
public interface IAccountStore
{
    /// <summary>The account and key id of the active (not revoked) key with this hash, or null.</summary>
    Task<KeyOwner?> FindByKeyHashAsync(string keyHash, CancellationToken ct);

    Task<IReadOnlyList<Account>> ListAccountsAsync(CancellationToken ct);

    Task<IReadOnlyList<ApiKeyInfo>> ListKeysAsync(Guid accountId, CancellationToken ct);

    /// <summary>
    /// Revokes the key given by its id, the whole key (matched by hash), or a prefix of at least 8 characters (compared with as
    /// many of its stored first characters as both have: up to <see cref="Security.ApiKeys.LookupLength"/>); returns the keys
    /// matched, revoked only when exactly one matched.
    /// </summary>
    Task<IReadOnlyList<ApiKeyInfo>> RevokeKeyAsync(string idKeyOrPrefix, CancellationToken ct);

    /// <summary>Records when keys were last used, in one write for many requests.</summary>
    Task TouchKeysAsync(IReadOnlyDictionary<Guid, long> lastUsed, CancellationToken ct);

    Task<Account?> FindByNameAsync(string name, CancellationToken ct);

    /// <summary>Creates the account; throws <see cref="InvalidOperationException"/> when the name is taken.</summary>
    Task<Account> CreateAccountAsync(string name, CancellationToken ct);

    /// <summary>Adds a key (by hash) to the account; a hash already present is left as it is.</summary>
    Task AddKeyAsync(Guid accountId, Security.NewApiKey key, string? label, CancellationToken ct);

    Task<int> CountAccountsAsync(CancellationToken ct);
}

/// <summary>Commands, their output files, and the job queue.</summary>
public interface ICommandStore
{
    /// <summary>
    /// Stores new QUEUED commands durably, all or none, before returning; with <paramref name="idempotency"/>, the key is
    /// recorded in the same transaction, and nothing is stored (false) when the account already used that key.
    /// </summary>
    Task<bool> InsertAsync(IReadOnlyList<CommandRecord> commands, Guid accountId, IdempotencyRecord? idempotency, CancellationToken ct);

    /// <summary>The account's record of an idempotency key, if used within <paramref name="since"/> (unix ms).</summary>
    Task<IdempotencyRecord?> FindIdempotencyAsync(Guid accountId, string key, long since, CancellationToken ct);

    /// <summary>Saves a running command's progress (workers call it at most about once a second).</summary>
    Task SaveProgressAsync(Guid commandId, string progressJson, CancellationToken ct);

    /// <summary>Cancels a QUEUED command at once (FAILED, CANCELLED) or asks the worker of a PROCESSING one to stop.</summary>
    Task<CancelOutcome> RequestCancelAsync(Guid accountId, Guid commandId, CancellationToken ct);

    /// <summary>Whether a cancel was asked for this command (workers in other processes look every second).</summary>
    Task<bool> IsCancelRequestedAsync(Guid commandId, CancellationToken ct);

    /// <summary>Keeps ffmpeg's log of a finished command (already capped by the caller).</summary>
    Task SaveLogAsync(Guid commandId, string log, CancellationToken ct);

    /// <summary>The account's command's log: (found, log or null when none was kept).</summary>
    Task<(bool Found, string? Log)> GetLogAsync(Guid accountId, Guid commandId, CancellationToken ct);

    /// <summary>The account's commands, newest first, with their files.</summary>
    Task<IReadOnlyList<(CommandRecord Command, IReadOnlyList<FileRecord> Files)>> ListAsync(Guid accountId, CommandQuery query, CancellationToken ct);

    /// <summary>Marks the command's stored files deleted and returns those newly marked, so their blobs can be removed.</summary>
    Task<IReadOnlyList<FileRecord>> MarkCommandFilesDeletedAsync(Guid accountId, Guid commandId, CancellationToken ct);

    /// <summary>The account's command with its files, or null (also when it is another account's).</summary>
    Task<(CommandRecord Command, IReadOnlyList<FileRecord> Files)?> GetAsync(Guid accountId, Guid commandId, CancellationToken ct);

    /// <summary>
    /// Takes a runnable job and marks it PROCESSING under a new lease, or returns null. Fair across accounts: the account
    /// running the fewest jobs goes first (oldest job first within it), and none runs more than <paramref name="maxPerAccount"/>.
    /// </summary>
    Task<JobLease?> TryClaimAsync(TimeSpan leaseDuration, int maxPerAccount, CancellationToken ct);

    /// <summary>Extends the lease; false when it was lost.</summary>
    Task<bool> HeartbeatAsync(JobLease lease, TimeSpan leaseDuration, CancellationToken ct);

    /// <summary>Marks the job SUCCESS with its files in one transaction; false when the lease was lost.</summary>
    Task<bool> CompleteAsync(JobLease lease, double ffmpegSeconds, IReadOnlyList<FileRecord> files, CancellationToken ct);

    /// <summary>Marks the job FAILED; false when the lease was lost.</summary>
    Task<bool> FailAsync(JobLease lease, string errorStatus, string errorMessage, double? ffmpegSeconds, CancellationToken ct);

    /// <summary>
    /// Hands a running job back to the queue (QUEUED, lease cleared) so any worker may run it at once, instead of after the
    /// lease expires: a worker stopping past its grace period does this. False when the lease was already lost.
    /// </summary>
    Task<bool> ReleaseAsync(JobLease lease, CancellationToken ct);

    /// <summary>Makes jobs whose worker is gone runnable again; returns how many.</summary>
    Task<int> RequeueAbandonedAsync(bool all, CancellationToken ct);

    /// <summary>
    /// How many commands wait in the queue (QUEUED), across every node sharing the store: the queue-depth metric, and the
    /// readiness probe's database check (one indexed query; it fails when the database cannot be reached).
    /// </summary>
    Task<long> CountQueuedAsync(CancellationToken ct);
}

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

/// <summary>Wakes workers when a job is queued (in process; other stores add their own channel).</summary>
public interface IJobSignal
{
    void Notify();

    /// <summary>Waits for a notification or the timeout; true when notified.</summary>
    Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct);
}

/// <summary>Brings the configured job store's schema up to date; safe to call from several processes at once.</summary>
public interface IStoreMigrator
{
    Task MigrateAsync(CancellationToken ct);
}
