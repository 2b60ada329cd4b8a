using System.Text.Json;
using Microsoft.Extensions.Logging;
using Rendition.Core;
using Rendition.Core.Commands;
using Rendition.Core.Contracts;
using Rendition.Core.Storage;

namespace Rendition.Execution;

/// <summary>
/// Runs one leased job from its inputs to its stored result: the inputs are staged into a fresh job directory
/// (<see cref="InputStager"/>), each ffmpeg step runs in the sandbox (<see cref="FfmpegTools"/>), the outputs are stored
/// (<see cref="OutputStorer"/>), and the lease ends with the result (<see cref="LeasedJob"/>) — SUCCESS with the files, or
/// FAILED with a code. Meanwhile <see cref="JobMonitor"/> keeps the lease, the progress and cancels current.
/// </summary>
public sealed partial class JobProcessor(
    InputStager inputs,
    FfmpegTools tools,
    OutputStorer outputs,
    JobMonitor monitor,
    ICommandStore store,
    RenditionOptions options,
    JobRuntime runtime,
    ILogger<JobProcessor> logger)
{
    /// <summary>How many times a job is started before it is failed as poison (each start after a crash counts).</summary>
    public const int MaxAttempts = 3;

    public string WorkRoot { get; } = JobWorkspace.Root(options);

    // Every line logged while a job runs (fetch, ffmpeg, store, result) carries its command id, whatever the message says.
    private static readonly Func<ILogger, Guid, IDisposable?> CommandScope = LoggerMessage.DefineScope<Guid>("Command {CommandId}");

    /// <summary>
    /// Runs the job and ends its lease with the result. When <paramref name="ct"/> (the worker stopping past its grace) cancels
    /// it, ffmpeg is killed and this throws with the lease still held: disposing the lease hands the job back.
    /// </summary>
    public async Task ProcessAsync(LeasedJob job, CancellationToken ct)
    {
        var command = job.Command;
        using var scope = CommandScope(logger, command.Id);
        LogStarted(command.CommandType, command.Attempts);
        var workspace = new JobWorkspace(WorkRoot, command.Id, job.AttemptId, logger);
        // One token for this job: the server stopping, or the client cancelling (here or through another process).
        using var jobCancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var running = runtime.Register(command.Id, jobCancel);
        using var monitorStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var monitoring = monitor.RunAsync(job, running, monitorStop.Token);
        var log = new JobLog();
        try
        {
            Outcome outcome;
            try
            {
                outcome = await RunAsync(command, workspace, running, log, jobCancel.Token);
            }
            catch (OperationCanceledException) when (running.CancelledByClient && !ct.IsCancellationRequested)
            {
                outcome = new(0, [], new(ErrorCodes.Cancelled, "Cancelled by the client while it ran."));
            }
            // The run is over: no heartbeat or progress write may race the result.
            await monitorStop.CancelAsync();
            await monitoring;
            await store.SaveLogAsync(command.Id, log.ToString(), CancellationToken.None);
            var written = outcome.Failure is null
                ? await job.CompleteAsync(outcome.FfmpegSeconds, outcome.Files, CancellationToken.None)
                : await job.FailAsync(outcome.Failure, outcome.FfmpegSeconds, CancellationToken.None);
            if (!written)
            {
                await outputs.DiscardAsync(outcome.Files);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogError(e, "Job {CommandId} failed unexpectedly", command.Id);
            if (job.State == LeaseState.Held)
            {
                await job.FailAsync(new(ErrorCodes.InternalError, "The job failed inside Rendition; see the server log."), null, CancellationToken.None);
            }
        }
        finally
        {
            await monitorStop.CancelAsync();
            await monitoring;
            runtime.Unregister(command.Id);
            workspace.Delete();
        }
    }

    /// <summary>What a run came to: ffmpeg's time, the stored outputs, or why it failed.</summary>
    private sealed record Outcome(double FfmpegSeconds, IReadOnlyList<FileRecord> Files, JobFailure? Failure);

    private async Task<Outcome> RunAsync(CommandRecord command, JobWorkspace workspace, JobRuntime.RunningJob running, JobLog log, CancellationToken ct)
    {
        if (command.Attempts > MaxAttempts)
        {
            return new(0, [], new(ErrorCodes.InternalError, $"The job was interrupted {MaxAttempts} times (the server stopped while running it) and was not retried again."));
        }
        var request = JsonSerializer.Deserialize(command.RequestJson, WireJson.Default.OriginalRequest)
            ?? throw new InvalidOperationException("Stored request is empty.");
        workspace.Create();
        var jobDir = workspace.Directory;
        var ffmpegTime = TimeSpan.Zero;
        try
        {
            var staged = await inputs.StageAsync(command, request, workspace, ct);
            var inputNames = staged.Files;
            // Fetched inputs were sniffed as they arrived; every other file a step reads is sniffed before that step.
            var fetchedNames = staged.Fetched.Values.ToHashSet(StringComparer.Ordinal);
            // Placeholders become names relative to the job directory, which is ffmpeg's working directory (and /job in the sandbox).
            var names = new Dictionary<string, string>(staged.Fetched, StringComparer.Ordinal);
            foreach (var (alias, fileName) in request.OutputFiles)
            {
                names[alias] = fileName;
            }

            var commands = request.Commands();
            var budget = TimeSpan.FromSeconds(command.MaxSeconds);
            for (var step = 0; step < commands.Count; step++)
            {
                var stepLabel = commands.Count > 1 ? $"Step {step + 1} of {commands.Count}: " : "";
                // The one parse, again: what runs is rendered from the invocation this function returns, and nothing else.
                var parsed = FfmpegCommand.Parse(commands[step]);
                if (!parsed.IsAllowed)
                {
                    return new(ffmpegTime.TotalSeconds, [], new(ErrorCodes.ForbiddenOption,
                        stepLabel + (parsed.SyntaxError ?? string.Join("; ", parsed.Violations.Select(v => v.Message)))));
                }
                var invocation = parsed.Invocation!.Bind(names);
                if (InputSniffer.CheckReads(jobDir, invocation, fetchedNames) is { } refused)
                {
                    return new(ffmpegTime.TotalSeconds, [], new(ErrorCodes.InvalidInputFile, stepLabel + refused));
                }
                var progress = new ProgressParser(step + 1, commands.Count, invocation.ExpectedSeconds(), p => running.Progress = p);
                var result = await tools.RunFfmpegAsync(invocation, jobDir, command.VcpuCount, budget - ffmpegTime, inputNames, progress, ct);
                ffmpegTime += result.Elapsed;
                LogStep(step + 1, commands.Count, result.ExitCode, result.Elapsed.TotalSeconds);
                log.Add(commands.Count > 1 ? $"--- step {step + 1} of {commands.Count} ---\n" : "", result.StandardErrorTail);
                if (result.TimedOut)
                {
                    return new(ffmpegTime.TotalSeconds, [], new(ErrorCodes.Timeout,
                        $"{stepLabel}ffmpeg did not finish within max_command_run_seconds ({command.MaxSeconds} s) and was stopped."));
                }
                if (result.LimitExceeded is { } limit)
                {
                    return new(ffmpegTime.TotalSeconds, [], new(ErrorCodes.ResourceLimit, $"{stepLabel}stopped because {limit}."));
                }
                if (result.ExitCode != 0)
                {
                    var tail = JobLog.ErrorTail(result.StandardErrorTail);
                    var detail = string.IsNullOrWhiteSpace(tail) ? $"ffmpeg exited with code {result.ExitCode}." : tail;
                    return new(ffmpegTime.TotalSeconds, [], new(ErrorCodes.FfmpegError, stepLabel + detail));
                }
            }

            // The watcher looks four times a second; a step that wrote past a limit and ended in between is caught here.
            if (tools.CheckOutputLimits(jobDir, inputNames) is { } crossed)
            {
                return new(ffmpegTime.TotalSeconds, [], new(ErrorCodes.ResourceLimit, $"stopped because {crossed}."));
            }
            return new(ffmpegTime.TotalSeconds, await outputs.StoreAsync(command, request, workspace, inputNames, ct), null);
        }
        catch (JobFailedException e)
        {
            return new(ffmpegTime.TotalSeconds, [], e.Failure);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job started ({CommandType}, attempt {Attempt})")]
    private partial void LogStarted(string commandType, int attempt);

    [LoggerMessage(Level = LogLevel.Debug, Message = "ffmpeg step {Step} of {Steps} exited with {ExitCode} after {Seconds:0.###} s")]
    private partial void LogStep(int step, int steps, int exitCode, double seconds);
}
