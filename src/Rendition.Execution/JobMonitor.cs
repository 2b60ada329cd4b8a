using System.Text.Json;
using Microsoft.Extensions.Logging;
using Rendition.Core.Contracts;
using Rendition.Core.Storage;

namespace Rendition.Execution;

/// <summary>
/// Watches a running job, every second: saves its progress when it moved, looks for a cancel asked through another process,
/// and heartbeats the lease every third of its length (one lost beat, a database hiccup, does not cost the lease).
/// </summary>
public sealed class JobMonitor(ICommandStore store, TimeProvider time, ILogger<JobMonitor> logger)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>Runs until <paramref name="ct"/> is cancelled (the job's run is over); never throws.</summary>
    public async Task RunAsync(LeasedJob job, JobRuntime.RunningJob running, CancellationToken ct)
    {
        CommandProgress? saved = null;
        var lastBeat = time.GetTimestamp();
        var commandId = job.Command.Id;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(Interval, time, ct);
                try
                {
                    if (running.Progress is { } progress && progress != saved)
                    {
                        await store.SaveProgressAsync(commandId, JsonSerializer.Serialize(progress, WireJson.Default.CommandProgress), ct);
                        saved = progress;
                    }
                    if (!running.CancelledByClient && await store.IsCancelRequestedAsync(commandId, ct))
                    {
                        running.CancelledByClient = true;
                        await running.Cancel.CancelAsync();
                    }
                    if (time.GetElapsedTime(lastBeat) >= job.LeaseDuration / 3)
                    {
                        lastBeat = time.GetTimestamp();
                        // A lost lease is logged by the lease itself; the job runs on, and its result is discarded at the end.
                        await job.HeartbeatAsync(ct);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A shared database may blip; monitoring goes on, or the lease would lapse and the job run twice.
                    logger.LogWarning(e, "Monitoring job {CommandId} failed; trying again", commandId);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
