using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rendition.Core;
using Rendition.Core.Storage;

namespace Rendition.Execution;

/// <summary>
/// Probes each dependency marked down in <see cref="DependencyHealth"/> every couple of seconds (the readiness probe's own
/// checks) and marks it available again once it answers, so a refusal such as "uploads: the blob store is down" lasts as
/// long as the outage and no longer, even when nothing else touches the dependency meanwhile.
/// </summary>
public sealed partial class DependencyWatch(DependencyHealth health, IBlobStore blobs, ICommandStore commands, TimeProvider time, ILogger<DependencyWatch> logger)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            foreach (var dependency in health.Down)
            {
                if (await ProbeAsync(dependency, stoppingToken) && health.ReportAvailable(dependency))
                {
                    LogBack(logger, dependency);
                }
            }
        }
    }

    /// <summary>True when the dependency answered its probe.</summary>
    private async Task<bool> ProbeAsync(string dependency, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            if (dependency == Dependencies.BlobStore)
            {
                await blobs.CheckWritableAsync(timeout.Token);
            }
            else
            {
                await commands.CountQueuedAsync(timeout.Token);
            }
            return true;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            LogStillDown(logger, dependency, e.Message);
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The {Dependency} answers again")]
    private static partial void LogBack(ILogger logger, string dependency);

    [LoggerMessage(Level = LogLevel.Debug, Message = "The {Dependency} is still unavailable: {Reason}")]
    private static partial void LogStillDown(ILogger logger, string dependency, string reason);
}
