using System.Text.Json;
using Microsoft.Extensions.Logging;
using Rendition.Core;
using Rendition.Core.Commands;
using Rendition.Core.Contracts;
using Rendition.Core.Storage;

namespace Rendition.Execution;

/// <summary>Runs one leased job end to end: fetch inputs, run each ffmpeg step, probe and store outputs, write the result.</summary>
public sealed class JobProcessor(
    ICommandStore store,
    IBlobStore blobs,
    InputFetcher fetcher,
    FfmpegTools tools,
    RenditionOptions options,
    WebhookDispatcher webhooks,
    TimeProvider time,
    ILogger<JobProcessor> logger)
{
    /// <summary>How many times a job is started before it is failed as poison (each start after a crash counts).</summary>
    public const int MaxAttempts = 3;

    private static readonly TimeSpan InputFetchTimeout = TimeSpan.FromMinutes(15);

    public string WorkRoot { get; } = Path.Combine(options.FullDataDir, "work");

    public async Task ProcessAsync(JobLease lease, CancellationToken ct)
    {
        var command = lease.Command;
        var jobDir = Path.Combine(WorkRoot, command.Id.ToString("N"));
        using var heartbeat = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var heartbeatTask = HeartbeatAsync(lease, heartbeat.Token);
        try
        {
            var outcome = await RunAsync(command, jobDir, ct);
            var written = outcome.Error is null
                ? await store.CompleteAsync(lease, outcome.FfmpegSeconds, outcome.Files, CancellationToken.None)
                : await store.FailAsync(lease, outcome.Error.Value.Status, outcome.Error.Value.Message, outcome.FfmpegSeconds, CancellationToken.None);
            if (written)
            {
                webhooks.Wake();
            }
            else
            {
                logger.LogWarning("Job {CommandId} lost its lease; its result was discarded", command.Id);
                foreach (var f in outcome.Files)
                {
                    await blobs.DeleteAsync(f.StorageKey, CancellationToken.None);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down: the job stays PROCESSING and is queued again at the next start.
            throw;
        }
        catch (Exception e)
        {
            logger.LogError(e, "Job {CommandId} failed unexpectedly", command.Id);
            await store.FailAsync(lease, ErrorCodes.InternalError, "The job failed inside Rendition; see the server log.", null, CancellationToken.None);
            webhooks.Wake();
        }
        finally
        {
            await heartbeat.CancelAsync();
            await heartbeatTask;
            TryDeleteDirectory(jobDir);
        }
    }

    private readonly record struct JobError(string Status, string Message);

    private sealed record Outcome(double FfmpegSeconds, IReadOnlyList<FileRecord> Files, JobError? Error);

    private async Task<Outcome> RunAsync(CommandRecord command, string jobDir, CancellationToken ct)
    {
        if (command.Attempts > MaxAttempts)
        {
            return new(0, [], new(ErrorCodes.InternalError, $"The job was interrupted {MaxAttempts} times (the server stopped while running it) and was not retried again."));
        }
        var request = JsonSerializer.Deserialize(command.RequestJson, WireJson.Default.OriginalRequest)
            ?? throw new InvalidOperationException("Stored request is empty.");
        TryDeleteDirectory(jobDir);
        Directory.CreateDirectory(jobDir);

        // Placeholders become names relative to the job directory, which is ffmpeg's working directory (and /job in the sandbox).
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var fetchDeadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            fetchDeadline.CancelAfter(InputFetchTimeout);
            var fetched = await Task.WhenAll(request.InputFiles.Select(kv => FetchInputAsync(command.AccountId, kv.Key, new Uri(kv.Value), jobDir, fetchDeadline.Token)));
            foreach (var (alias, local) in fetched)
            {
                names[alias] = local;
            }
        }
        catch (InputFetchException e)
        {
            return new(0, [], new(e.Refused ? ErrorCodes.InvalidInputFile : ErrorCodes.UnreachableInputFile, e.Message));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new(0, [], new(ErrorCodes.UnreachableInputFile, $"Inputs could not be fetched within {InputFetchTimeout.TotalMinutes:0} minutes."));
        }
        var inputNames = names.Values.ToHashSet(StringComparer.Ordinal);
        foreach (var (alias, fileName) in request.OutputFiles)
        {
            names[alias] = fileName;
        }

        var commands = request.Commands();
        var budget = TimeSpan.FromSeconds(command.MaxSeconds);
        var ffmpegTime = TimeSpan.Zero;
        for (var step = 0; step < commands.Count; step++)
        {
            var tokens = CommandTokenizer.Tokenize(commands[step]);
            if (tokens.Count > 0 && tokens[0] == "ffmpeg")
            {
                tokens.RemoveAt(0);
            }
            var userTokens = tokens.Select(t => Placeholders.Substitute(t, names)).ToList();
            var result = await tools.RunFfmpegAsync(userTokens, jobDir, command.VcpuCount, budget - ffmpegTime, inputNames, ct);
            ffmpegTime += result.Elapsed;
            var stepLabel = commands.Count > 1 ? $"Step {step + 1} of {commands.Count}: " : "";
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
                var detail = string.IsNullOrWhiteSpace(result.StandardErrorTail) ? $"ffmpeg exited with code {result.ExitCode}." : result.StandardErrorTail;
                return new(ffmpegTime.TotalSeconds, [], new(ErrorCodes.FfmpegError, stepLabel + detail));
            }
        }

        // Only regular files count: code inside the sandbox could leave a link to a host file or a FIFO under an output's name.
        var missing = request.OutputFiles.Where(kv => !FileKinds.IsRegularFile(Path.Combine(jobDir, kv.Value))).Select(kv => $"{kv.Key} ({kv.Value})").ToList();
        if (missing.Count > 0)
        {
            return new(ffmpegTime.TotalSeconds, [], new(ErrorCodes.OutputMissing, $"ffmpeg finished but did not write {string.Join(", ", missing)} as a regular file."));
        }

        var files = await Task.WhenAll(request.OutputFiles.Select(kv => StoreOutputAsync(command, jobDir, kv.Key, kv.Value, ct)));
        return new(ffmpegTime.TotalSeconds, files, null);
    }

    /// <summary>Fetches one input and names it after its alias and what it is (sniffed), never after the URL alone.</summary>
    private async Task<(string Alias, string LocalName)> FetchInputAsync(Guid accountId, string alias, Uri url, string jobDir, CancellationToken ct)
    {
        var partial = Path.Combine(jobDir, alias + ".part");
        await fetcher.FetchAsync(alias, url, partial, accountId, ct);
        var header = new byte[InputSniffer.HeaderBytes];
        int read;
        await using (var stream = File.OpenRead(partial))
        {
            read = await stream.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, ct);
        }
        var sniff = InputSniffer.Sniff(header.AsSpan(0, read), InputFetcher.ExtensionFor(url));
        if (sniff.Refusal is { } refusal)
        {
            throw new InputFetchException($"Input {alias} ({url}) {refusal}.") { Refused = true };
        }
        var local = alias + sniff.Extension;
        File.Move(partial, Path.Combine(jobDir, local), overwrite: true);
        return (alias, local);
    }

    private async Task<FileRecord> StoreOutputAsync(CommandRecord command, string jobDir, string alias, string fileName, CancellationToken ct)
    {
        var path = Path.Combine(jobDir, fileName);
        var size = new FileInfo(path).Length;
        var media = await tools.ProbeAsync(jobDir, fileName, size, ct);
        var fileId = Guid.NewGuid();
        var key = $"{fileId:N}/{fileName}";
        await blobs.PutFileAsync(key, path, ct);
        return new FileRecord
        {
            Id = fileId,
            AccountId = command.AccountId,
            CommandId = command.Id,
            Alias = alias,
            Filename = fileName,
            Status = FileStatus.Stored,
            StoreType = "OUTPUT",
            StorageKey = key,
            SizeBytes = size,
            MediaJson = JsonSerializer.Serialize(media, WireJson.Default.MediaInfo),
            CreatedAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
    }

    private async Task HeartbeatAsync(JobLease lease, CancellationToken ct)
    {
        try
        {
            // Three beats per lease: one lost beat (a database hiccup) does not cost the lease.
            var leaseDuration = options.LeaseDuration;
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(leaseDuration / 3, time, ct);
                try
                {
                    if (!await store.HeartbeatAsync(lease, leaseDuration, ct))
                    {
                        return;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Heartbeat for job {CommandId} failed; trying again", lease.Command.Id);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void TryDeleteDirectory(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(e, "Could not delete job directory {Directory}", dir);
        }
    }
}
