using Microsoft.Extensions.Logging;
using Rendition.Core.Storage;

namespace Rendition.Execution;

/// <summary>Where a <see cref="LeasedJob"/> stands: held, or ended one of four ways.</summary>
public enum LeaseState
{
    /// <summary>This worker holds the job and is running it.</summary>
    Held,

    /// <summary>Ended SUCCESS, with its files.</summary>
    Completed,

    /// <summary>Ended FAILED, with a code.</summary>
    Failed,

    /// <summary>Handed back to the queue: any worker may run it again.</summary>
    Released,

    /// <summary>The lease expired and was taken back (another worker may run the job): nothing this one writes counts.</summary>
    Lost,
}

/// <summary>
/// A worker's hold on one job, in the shape of Hangfire's <c>IFetchedJob</c>: it is kept alive by heartbeats and ends exactly
/// once — completed, failed with a code, or released back to the queue. Disposing one that has not ended releases it (bounded
/// by <see cref="ReleaseTimeout"/>), so a worker that stops on purpose never leaves its job to lease expiry. Every write is
/// fenced by the lease token: once the lease is lost, nothing written through this object overwrites another worker's result.
/// A result actually written is announced through <see cref="JobCompletion"/>.
/// </summary>
public sealed partial class LeasedJob : IAsyncDisposable
{
    /// <summary>How long disposing an unfinished job tries to hand it back before leaving it to lease expiry.</summary>
    public static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(3);

    private readonly JobLease _lease;
    private readonly ICommandStore _store;
    private readonly JobCompletion _completion;
    private readonly TimeSpan _leaseDuration;
    private readonly ILogger _logger;
    private int _state = (int)LeaseState.Held;

    internal LeasedJob(JobLease lease, ICommandStore store, JobCompletion completion, TimeSpan leaseDuration, ILogger logger)
    {
        _lease = lease;
        _store = store;
        _completion = completion;
        _leaseDuration = leaseDuration;
        _logger = logger;
    }

    /// <summary>The command as it was claimed (its <see cref="CommandRecord.Attempts"/> counts this start).</summary>
    public CommandRecord Command => _lease.Command;

    /// <summary>This start of the job (the lease token): what it leaves on disk is named after it, so it cleans up only its own.</summary>
    public Guid AttemptId => _lease.Token;

    public LeaseState State => (LeaseState)Volatile.Read(ref _state);

    /// <summary>How long one heartbeat extends the lease; beat well within it.</summary>
    public TimeSpan LeaseDuration => _leaseDuration;

    /// <summary>Extends the lease; false (and <see cref="LeaseState.Lost"/>) when it was taken back meanwhile.</summary>
    public async Task<bool> HeartbeatAsync(CancellationToken ct)
    {
        if (State != LeaseState.Held)
        {
            return false;
        }
        if (await _store.HeartbeatAsync(_lease, _leaseDuration, ct))
        {
            return true;
        }
        MarkLost();
        return false;
    }

    /// <summary>Ends the job SUCCESS with its output files, in one write; false when the lease was lost (the files are not recorded).</summary>
    public Task<bool> CompleteAsync(double ffmpegSeconds, IReadOnlyList<FileRecord> files, CancellationToken ct) =>
        EndAsync(LeaseState.Completed, () => _store.CompleteAsync(_lease, ffmpegSeconds, files, ct), null, ffmpegSeconds);

    /// <summary>Ends the job FAILED with <paramref name="failure"/>'s code and message; false when the lease was lost.</summary>
    public Task<bool> FailAsync(JobFailure failure, double? ffmpegSeconds, CancellationToken ct) =>
        EndAsync(LeaseState.Failed, () => _store.FailAsync(_lease, failure.Status, failure.Message, ffmpegSeconds, ct), failure.Status, ffmpegSeconds);

    /// <summary>Hands the job back to the queue so any worker may run it at once; false when the lease was already lost.</summary>
    public Task<bool> ReleaseAsync(CancellationToken ct) =>
        EndAsync(LeaseState.Released, () => _store.ReleaseAsync(_lease, ct), null, null);

    /// <summary>
    /// One write that ends the lease; a result (not a release) is then announced. A lease known to be lost is not written to
    /// again; ending a lease twice is a bug in the caller.
    /// </summary>
    private async Task<bool> EndAsync(LeaseState ended, Func<Task<bool>> write, string? errorStatus, double? ffmpegSeconds)
    {
        switch (State)
        {
            case LeaseState.Lost:
                return false;
            case not LeaseState.Held:
                throw new InvalidOperationException($"Job {Command.Id} has already ended ({State}).");
        }
        if (!await write())
        {
            MarkLost();
            return false;
        }
        Volatile.Write(ref _state, (int)ended);
        if (ended != LeaseState.Released)
        {
            _completion.Finished(Command.Id, Command.CreatedAt, errorStatus, ffmpegSeconds);
        }
        return true;
    }

    private void MarkLost()
    {
        if (Interlocked.CompareExchange(ref _state, (int)LeaseState.Lost, (int)LeaseState.Held) == (int)LeaseState.Held)
        {
            LogLost(Command.Id);
        }
    }

    /// <summary>Releases the job when it has not ended (a worker stopping mid-job); if that fails, the lease still expires.</summary>
    public async ValueTask DisposeAsync()
    {
        if (State != LeaseState.Held)
        {
            return;
        }
        try
        {
            using var bounded = new CancellationTokenSource(ReleaseTimeout);
            if (await ReleaseAsync(bounded.Token))
            {
                LogReleased(Command.Id);
            }
        }
        catch (Exception e)
        {
            LogReleaseFailed(e, Command.Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {CommandId} lost its lease; what this worker writes for it is discarded")]
    private partial void LogLost(Guid commandId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {CommandId} handed back to the queue")]
    private partial void LogReleased(Guid commandId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handing job {CommandId} back failed; it runs again once its lease expires")]
    private partial void LogReleaseFailed(Exception exception, Guid commandId);
}
