namespace Rendition.Core.Storage;

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
