using Microsoft.Extensions.Logging;
using Rendition.Core;
using Rendition.Core.Storage;

namespace Rendition.Execution;

/// <summary>The queue as a worker sees it: the next runnable job, taken under a lease (fair across accounts, within their limits).</summary>
public sealed class JobLeases(ICommandStore store, JobCompletion completion, RenditionOptions options, ILogger<LeasedJob> logger)
{
    /// <summary>Takes the next job, or null when none may run now.</summary>
    public async Task<LeasedJob?> TryTakeAsync(CancellationToken ct) =>
        await store.TryClaimAsync(options.LeaseDuration, options.MaxConcurrentJobsPerAccount, ct) is { } lease
            ? new LeasedJob(lease, store, completion, options.LeaseDuration, logger)
            : null;
}
