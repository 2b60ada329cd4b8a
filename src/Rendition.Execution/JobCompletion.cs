using Microsoft.Extensions.Logging;
using Rendition.Core.Contracts;

namespace Rendition.Execution;

/// <summary>
/// Everything that follows a command reaching SUCCESS or FAILED, wherever it happened (a worker's lease, or a cancel while
/// it was still queued): the metrics, the result line in the log, waking the webhook dispatcher (the outbox row was written
/// with the result) and waking whoever waits for the command in this process (<c>?wait=</c>, event streams).
/// </summary>
public sealed partial class JobCompletion(RenditionMetrics metrics, WebhookDispatcher webhooks, JobRuntime runtime, TimeProvider time,
    ILogger<JobCompletion> logger)
{
    /// <summary>
    /// The command's result is stored: SUCCESS, or FAILED with <paramref name="errorStatus"/>. <paramref name="createdAt"/>
    /// (unix ms) gives the duration from submission; null records none (a cancel of a queued command has no record at hand).
    /// </summary>
    public void Finished(Guid commandId, long? createdAt, string? errorStatus, double? ffmpegSeconds)
    {
        double? seconds = createdAt is { } created ? (time.GetUtcNow().ToUnixTimeMilliseconds() - created) / 1000.0 : null;
        metrics.JobCompleted(errorStatus is null ? CommandStatus.Success : CommandStatus.Failed, errorStatus, seconds, ffmpegSeconds);
        // The line names the command itself too: the default console format does not print scopes.
        if (errorStatus is null)
        {
            LogSucceeded(commandId, seconds ?? 0, ffmpegSeconds ?? 0);
        }
        else
        {
            LogFailed(commandId, errorStatus, seconds ?? 0, ffmpegSeconds ?? 0);
        }
        webhooks.Wake();
        runtime.Finished(commandId);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {CommandId} finished SUCCESS in {Seconds:0.###} s ({FfmpegSeconds:0.###} s of ffmpeg)")]
    private partial void LogSucceeded(Guid commandId, double seconds, double ffmpegSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {CommandId} finished FAILED {ErrorStatus} in {Seconds:0.###} s ({FfmpegSeconds:0.###} s of ffmpeg)")]
    private partial void LogFailed(Guid commandId, string errorStatus, double seconds, double ffmpegSeconds);
}
