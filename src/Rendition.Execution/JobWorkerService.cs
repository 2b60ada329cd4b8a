using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rendition.Core;
using Rendition.Core.Storage;

namespace Rendition.Execution;

/// <summary>The in-process workers: <c>RENDITION_WORKERS</c> loops that claim jobs as soon as they are signalled.</summary>
public sealed class JobWorkerService(
    ICommandStore store,
    IJobSignal signal,
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
    }

    public override void Dispose()
    {
        _hardStop.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The embedded store has one process: anything PROCESSING now was cut off by a stop or crash.
        var requeued = await store.RequeueAbandonedAsync(all: true, stoppingToken);
        if (requeued > 0)
        {
            logger.LogInformation("Queued {Count} interrupted job(s) again", requeued);
        }
        // Job directories left by a crash belong to attempts that will never finish (uploads staged under files/ are resumed).
        if (Directory.Exists(processor.WorkRoot))
        {
            foreach (var dir in Directory.EnumerateDirectories(processor.WorkRoot).Where(d => Path.GetFileName(d) != "files"))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        var workers = Math.Max(1, options.Workers);
        logger.LogInformation("Starting {Workers} worker(s) with sandbox '{Sandbox}'", workers, tools.Sandbox.Name);
        if (!tools.Sandbox.IsolatesCommands)
        {
            logger.LogWarning("RENDITION_SANDBOX=off: tenants' ffmpeg commands run WITHOUT the OS sandbox. Only the command policy guards this host; do not serve untrusted users like this.");
        }
        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(() => LoopAsync(stoppingToken), stoppingToken)));
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var lease = await store.TryClaimAsync(JobProcessor.LeaseDuration, options.MaxConcurrentJobsPerAccount, ct);
                if (lease is null)
                {
                    await signal.WaitAsync(IdleWait, ct);
                    continue;
                }
                await processor.ProcessAsync(lease, _hardStop.Token);
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
