using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rendition.Core;
using Rendition.Core.Storage;

namespace Rendition.Execution;

/// <summary>The in-process workers: <c>RENDITION_WORKERS</c> loops that claim jobs as soon as they are signalled.</summary>
public sealed class JobWorkerService(
    ICommandStore store,
    IJobSignal signal,
    JobLeases leases,
    JobProcessor processor,
    FfmpegTools tools,
    RenditionOptions options,
    ILogger<JobWorkerService> logger) : BackgroundService
{
    /// <summary>Polling fallback: a job is never left waiting longer than this even if a signal were missed.</summary>
    private static readonly TimeSpan IdleWait = TimeSpan.FromSeconds(2);

    // Stopping: no new job is claimed at once, but running ones may finish until the host's shutdown grace runs out.
    private readonly CancellationTokenSource _hardStop = new();

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await using var graceOver = cancellationToken.Register(_hardStop.Cancel);
        await base.StopAsync(cancellationToken);
        // Past the grace, the loops are killing ffmpeg and handing their jobs back (disposing their leases): wait briefly for those writes, so the
        // process does not exit under them (bounded, so a stuck database cannot hold the shutdown).
        if (ExecuteTask is { IsCompleted: false } loops)
        {
            try
            {
                await loops.WaitAsync(LeasedJob.ReleaseTimeout + TimeSpan.FromSeconds(2), CancellationToken.None);
            }
            catch (TimeoutException)
            {
                logger.LogWarning("Workers did not stop in time; their jobs run again once their leases expire");
            }
            catch (Exception e) when (e is OperationCanceledException or AggregateException)
            {
                logger.LogDebug(e, "Worker loops ended with an error while stopping");
            }
        }
    }

    public override void Dispose()
    {
        _hardStop.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The embedded store has one process: anything PROCESSING now was cut off by a stop or crash. A shared store's
        // PROCESSING jobs may belong to live workers on other nodes: only expired leases are taken back, now and periodically.
        var requeued = await store.RequeueAbandonedAsync(all: !options.SharedJobStore, stoppingToken);
        if (requeued > 0)
        {
            logger.LogInformation("Queued {Count} interrupted job(s) again", requeued);
        }
        // Job directories left by a crash belong to attempts that will never finish (uploads staged under files/ are resumed).
        // Not with a shared store: nodes sharing the data directory may be running those attempts right now.
        if (!options.SharedJobStore && Directory.Exists(processor.WorkRoot))
        {
            foreach (var dir in Directory.EnumerateDirectories(processor.WorkRoot).Where(d => Path.GetFileName(d) != "files"))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        var workers = Math.Max(1, options.Workers);
        // Without a sandbox the start-up also warns (SandboxNotice), for API-only nodes too: they probe uploads.
        logger.LogInformation("Starting {Workers} worker(s) with sandbox '{Sandbox}'", workers, tools.Sandbox.Name);
        var loops = Enumerable.Range(0, workers).Select(_ => Task.Run(() => LoopAsync(stoppingToken), stoppingToken)).ToList();
        if (options.SharedJobStore)
        {
            loops.Add(Task.Run(() => RequeueExpiredLoopAsync(stoppingToken), stoppingToken));
        }
        await Task.WhenAll(loops);
    }

    /// <summary>How often a shared store is swept for expired leases: a few seconds, and well within one lease.</summary>
    public static TimeSpan RequeueInterval(TimeSpan leaseDuration) => TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, leaseDuration.Ticks / 2));

    /// <summary>A worker that died (SIGKILL, machine loss) stops heartbeating; once its lease expires, its job runs again elsewhere.</summary>
    private async Task RequeueExpiredLoopAsync(CancellationToken ct)
    {
        var interval = RequeueInterval(options.LeaseDuration);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, ct);
                var count = await store.RequeueAbandonedAsync(all: false, ct);
                if (count > 0)
                {
                    logger.LogWarning("Queued {Count} job(s) again whose worker stopped renewing its lease", count);
                    signal.Notify();
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Requeueing expired leases failed");
            }
        }
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                // Disposed at the end of the iteration however it ends: a job the processor did not end is handed back.
                await using var job = await leases.TryTakeAsync(ct);
                if (job is null)
                {
                    await signal.WaitAsync(IdleWait, ct);
                    continue;
                }
                await processor.ProcessAsync(job, _hardStop.Token);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested || _hardStop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Worker loop error");
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
    }
}
