using System.Text.Json;
using Microsoft.Extensions.Logging;
using Rendition.Core;
using Rendition.Core.Commands;
using Rendition.Core.Contracts;
using Rendition.Core.Media;
using Rendition.Core.Storage;

namespace Rendition.Execution;

/// <summary>Runs one leased job end to end: fetch inputs, run each ffmpeg step, probe and store outputs, write the result.</summary>
public sealed partial class JobProcessor(
    ICommandStore store,
    IBlobStore blobs,
    InputFetcher fetcher,
    FfmpegTools tools,
    RenditionOptions options,
    WebhookDispatcher webhooks,
    JobRuntime runtime,
    RenditionMetrics metrics,
    TimeProvider time,
    ILogger<JobProcessor> logger)
{
    /// <summary>How many times a job is started before it is failed as poison (each start after a crash counts).</summary>
    public const int MaxAttempts = 3;

    private static readonly TimeSpan InputFetchTimeout = TimeSpan.FromMinutes(15);

    public string WorkRoot { get; } = Path.Combine(options.FullDataDir, "work");

    private static readonly TimeSpan MonitorInterval = TimeSpan.FromSeconds(1);

    /// <summary>How long a stopping worker tries to hand a job back before leaving it to lease expiry.</summary>
    public static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(3);

    // Every line logged while a job runs (fetch, ffmpeg, store, result) carries its command id, whatever the message says.
    private static readonly Func<ILogger, Guid, IDisposable?> CommandScope = LoggerMessage.DefineScope<Guid>("Command {CommandId}");

    public async Task ProcessAsync(JobLease lease, CancellationToken ct)
    {
        var command = lease.Command;
        using var scope = CommandScope(logger, command.Id);
        LogStarted(command.CommandType, command.Attempts);
        // One directory per attempt: a worker that lost its lease (or was stopped) cleans up only its own attempt.
        var jobDir = Path.Combine(WorkRoot, $"{command.Id:N}-{lease.Token:N}");
        // One token for this job: the server stopping, or the client cancelling (here or through another process).
        using var jobCancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var running = runtime.Register(command.Id, jobCancel);
        using var monitor = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var monitorTask = MonitorAsync(lease, running, monitor.Token);
        var log = new JobLog();
        try
        {
            Outcome outcome;
            try
            {
                outcome = await RunAsync(command, jobDir, running, log, jobCancel.Token);
            }
            catch (OperationCanceledException) when (running.CancelledByClient && !ct.IsCancellationRequested)
            {
                outcome = new(0, [], new(ErrorCodes.Cancelled, "Cancelled by the client while it ran."));
            }
            await store.SaveLogAsync(command.Id, log.ToString(), CancellationToken.None);
            var written = outcome.Error is null
                ? await store.CompleteAsync(lease, outcome.FfmpegSeconds, outcome.Files, CancellationToken.None)
                : await store.FailAsync(lease, outcome.Error.Value.Status, outcome.Error.Value.Message, outcome.FfmpegSeconds, CancellationToken.None);
            if (written)
            {
                Completed(command, outcome.Error is null ? CommandStatus.Success : CommandStatus.Failed, outcome.Error?.Status, outcome.FfmpegSeconds);
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
            // Stopped past the shutdown grace: ffmpeg is killed; hand the job back so any worker runs it now rather than
            // after the lease expires. If that write fails, the lease still expires (or the next start requeues it).
            try
            {
                using var bounded = new CancellationTokenSource(ReleaseTimeout);
                if (await store.ReleaseAsync(lease, bounded.Token))
                {
                    logger.LogInformation("Job {CommandId} handed back to the queue at shutdown", command.Id);
                }
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Handing job {CommandId} back at shutdown failed; it runs again once its lease expires", command.Id);
            }
            throw;
        }
        catch (Exception e)
        {
            logger.LogError(e, "Job {CommandId} failed unexpectedly", command.Id);
            if (await store.FailAsync(lease, ErrorCodes.InternalError, "The job failed inside Rendition; see the server log.", null, CancellationToken.None))
            {
                Completed(command, CommandStatus.Failed, ErrorCodes.InternalError, null);
            }
            webhooks.Wake();
        }
        finally
        {
            await monitor.CancelAsync();
            await monitorTask;
            runtime.Unregister(command.Id);
            runtime.Finished(command.Id);
            TryDeleteDirectory(jobDir);
            TryDeleteDirectory(ScratchDirectory(jobDir));
        }
    }

    // The result line names the command itself too: the default console format does not print scopes.
    private void Completed(CommandRecord command, string status, string? errorStatus, double? ffmpegSeconds)
    {
        var seconds = (time.GetUtcNow().ToUnixTimeMilliseconds() - command.CreatedAt) / 1000.0;
        metrics.JobCompleted(status, errorStatus, seconds, ffmpegSeconds);
        if (errorStatus is null)
        {
            LogSucceeded(command.Id, seconds, ffmpegSeconds ?? 0);
        }
        else
        {
            LogFailed(command.Id, errorStatus, seconds, ffmpegSeconds ?? 0);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job started ({CommandType}, attempt {Attempt})")]
    private partial void LogStarted(string commandType, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {CommandId} finished SUCCESS in {Seconds:0.###} s ({FfmpegSeconds:0.###} s of ffmpeg)")]
    private partial void LogSucceeded(Guid commandId, double seconds, double ffmpegSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {CommandId} finished FAILED {ErrorStatus} in {Seconds:0.###} s ({FfmpegSeconds:0.###} s of ffmpeg)")]
    private partial void LogFailed(Guid commandId, string errorStatus, double seconds, double ffmpegSeconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Fetched input {Alias} as {LocalName}")]
    private partial void LogFetched(string alias, string localName);

    [LoggerMessage(Level = LogLevel.Debug, Message = "ffmpeg step {Step} of {Steps} exited with {ExitCode} after {Seconds:0.###} s")]
    private partial void LogStep(int step, int steps, int exitCode, double seconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stored output {Alias} ({Bytes} bytes) as {Key}")]
    private partial void LogStored(string alias, long bytes, string key);

    /// <summary>ffmpeg's log of a job, step by step, capped at <see cref="FfmpegTools.LogChars"/> (the end is kept).</summary>
    private sealed class JobLog
    {
        private readonly System.Text.StringBuilder _text = new();

        public void Add(string stepHeader, string stderr)
        {
            lock (_text)
            {
                _text.Append(stepHeader).Append(LevelTags().Replace(stderr, "")).Append('\n');
                if (_text.Length > FfmpegTools.LogChars)
                {
                    _text.Remove(0, _text.Length - FfmpegTools.LogChars);
                }
            }
        }

        public override string ToString()
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\[(trace|debug|verbose|info|warning|error|fatal|panic)\] ", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex LevelTags();

    /// <summary>The useful end of a failed step's log: its error and fatal lines (untagged), else its last lines.</summary>
    internal static string ErrorTail(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var errors = lines.Where(l => l.Contains("[error] ", StringComparison.Ordinal) || l.Contains("[fatal] ", StringComparison.Ordinal) || l.Contains("[panic] ", StringComparison.Ordinal)).ToList();
        var chosen = errors.Count > 0 ? errors.TakeLast(20) : lines.TakeLast(10);
        var text = LevelTags().Replace(string.Join('\n', chosen), "");
        return text.Length <= 4000 ? text : text[^4000..];
    }

    private readonly record struct JobError(string Status, string Message);

    private sealed record Outcome(double FfmpegSeconds, IReadOnlyList<FileRecord> Files, JobError? Error);

    private async Task<Outcome> RunAsync(CommandRecord command, string jobDir, JobRuntime.RunningJob running, JobLog log, CancellationToken ct)
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
        IReadOnlyList<string> unpacked = [];
        try
        {
            using var fetchDeadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            fetchDeadline.CancelAfter(InputFetchTimeout);
            var fetched = await Task.WhenAll(request.InputFiles.Select(kv => FetchInputAsync(command.AccountId, kv.Key, new Uri(kv.Value), jobDir, fetchDeadline.Token)));
            foreach (var (alias, local) in fetched)
            {
                names[alias] = local;
            }
            if (request.InputCompressedFolder is { } archiveUrl)
            {
                unpacked = await FetchArchiveAsync(command.AccountId, new Uri(archiveUrl), jobDir, fetchDeadline.Token, ct);
            }
        }
        catch (InputFetchException e)
        {
            return new(0, [], new(e.Refused ? ErrorCodes.InvalidInputFile : ErrorCodes.UnreachableInputFile, e.Message));
        }
        catch (InputArchiveException e)
        {
            return new(0, [], new(ErrorCodes.InvalidInputArchive, e.Message));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new(0, [], new(ErrorCodes.UnreachableInputFile, $"Inputs could not be fetched within {InputFetchTimeout.TotalMinutes:0} minutes."));
        }
        // Unpacked files are inputs like fetched ones: read-only in the sandbox, not counted as output, never stored.
        var inputNames = names.Values.Concat(unpacked).ToHashSet(StringComparer.Ordinal);
        // Fetched inputs were sniffed as they arrived; every other file a step reads is sniffed before that step.
        var fetchedNames = names.Values.ToHashSet(StringComparer.Ordinal);
        if (request.OutputFiles.FirstOrDefault(kv => unpacked.Contains(kv.Value)) is { Key: { } clashAlias, Value: var clashName })
        {
            return new(0, [], new(ErrorCodes.InvalidInputArchive,
                $"input_compressed_folder holds '{clashName}', which is also the file name of output {clashAlias}; rename one of them."));
        }
        foreach (var (alias, fileName) in request.OutputFiles)
        {
            names[alias] = fileName;
        }

        var commands = request.Commands();
        var budget = TimeSpan.FromSeconds(command.MaxSeconds);
        var ffmpegTime = TimeSpan.Zero;
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
                var tail = ErrorTail(result.StandardErrorTail);
                var detail = string.IsNullOrWhiteSpace(tail) ? $"ffmpeg exited with code {result.ExitCode}." : tail;
                return new(ffmpegTime.TotalSeconds, [], new(ErrorCodes.FfmpegError, stepLabel + detail));
            }
        }

        // The watcher looks four times a second; a step that wrote past a limit and ended in between is caught here.
        if (tools.CheckOutputLimits(jobDir, inputNames) is { } crossed)
        {
            return new(ffmpegTime.TotalSeconds, [], new(ErrorCodes.ResourceLimit, $"stopped because {crossed}."));
        }
        if (request.OutputFiles.IsFolder)
        {
            return await StoreFolderAsync(command, jobDir, inputNames, ffmpegTime.TotalSeconds, ct);
        }

        // Only regular files count: code inside the sandbox could leave a link to a host file or a FIFO under an output's name.
        var missing = request.OutputFiles.Where(kv => !FileKinds.IsRegularFile(Path.Combine(jobDir, kv.Value))).Select(kv => $"{kv.Key} ({kv.Value})").ToList();
        if (missing.Count > 0)
        {
            return new(ffmpegTime.TotalSeconds, [], new(ErrorCodes.OutputMissing, $"ffmpeg finished but did not write {string.Join(", ", missing)} as a regular file."));
        }

        var files = (await Task.WhenAll(request.OutputFiles.Select(kv => Playlists.IsPlaylistAlias(kv.Key)
            ? StorePlaylistAsync(command, jobDir, kv.Key, kv.Value, Companions(jobDir, request, inputNames), ct)
            : StoreSingleAsync(command, jobDir, kv.Key, kv.Value, ct)))).SelectMany(f => f).ToList();
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
        LogFetched(alias, local);
        return (alias, local);
    }

    /// <summary>
    /// The attempt's own directory beside its job directory, never visible to the command: zips are fetched and built there.
    /// Deleted with the job directory (and, after a crash, by the start-up sweep of the work root's directories).
    /// </summary>
    private static string ScratchDirectory(string jobDir) => jobDir + ".scratch";

    private static string ScratchFile(string jobDir, string name) =>
        Path.Combine(Directory.CreateDirectory(ScratchDirectory(jobDir)).FullName, name);

    /// <summary>Fetches the <c>input_compressed_folder</c> zip beside the job directory (never inside it) and unpacks it into the directory.</summary>
    private async Task<IReadOnlyList<string>> FetchArchiveAsync(Guid accountId, Uri url, string jobDir, CancellationToken fetchCt, CancellationToken ct)
    {
        var archive = ScratchFile(jobDir, "input.zip");
        try
        {
            await fetcher.FetchAsync("input_compressed_folder", url, archive, accountId, fetchCt);
            return await InputArchive.ExtractAsync(archive, jobDir, options.MaxInputArchiveFiles, options.MaxInputArchiveMb * 1024 * 1024, ct);
        }
        finally
        {
            TryDeleteFile(archive);
        }
    }

    /// <summary>Above this many files an output folder's files are described from their names only, not probed one by one.</summary>
    private const int FolderProbeLimit = 10;

    /// <summary>
    /// OUTPUT_FOLDER: every regular file the command wrote in its directory and its sub-folders (inputs excluded), zipped as
    /// <c>&lt;command_id&gt;.zip</c> under <see cref="OutputFolder.ZipAlias"/> and stored one by one as <c>out_1</c>, <c>out_2</c>… in name order.
    /// </summary>
    private async Task<Outcome> StoreFolderAsync(CommandRecord command, string jobDir, HashSet<string> inputNames, double ffmpegSeconds, CancellationToken ct)
    {
        // Links, FIFOs and directories are never stored: code in the sandbox could plant a link to a host file.
        var outputs = FileKinds.RegularFilesUnder(jobDir).Where(n => !inputNames.Contains(n)).ToList();
        if (outputs.Count == 0)
        {
            return new(ffmpegSeconds, [], new(ErrorCodes.OutputMissing,
                "ffmpeg finished but wrote no files: with OUTPUT_FOLDER the command writes its outputs by plain file name (e.g. frame_%03d.png) into its working directory."));
        }
        var zipPath = ScratchFile(jobDir, "output.zip");
        try
        {
            long uncompressed = 0;
            await using (var zipFile = new FileStream(zipPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None))
            {
                await using var zip = new System.IO.Compression.ZipArchive(zipFile, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: false);
                foreach (var name in outputs)
                {
                    var path = Path.Combine(jobDir, name);
                    await using var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
                    uncompressed += source.Length;
                    // Media is mostly compressed already: spend little CPU on it.
                    await using var entry = await zip.CreateEntry(name, System.IO.Compression.CompressionLevel.Fastest).OpenAsync(ct);
                    await source.CopyToAsync(entry, ct);
                }
            }
            var zipId = Guid.NewGuid();
            var zipName = $"{command.Id}.zip";
            var zipKey = BlobKeys.ForFile(zipId, zipName);
            // Sizes first: a local blob store moves the file in.
            var zipSize = new FileInfo(zipPath).Length;
            await blobs.PutFileAsync(zipKey, zipPath, ct);
            List<FileRecord> records =
            [
                OutputRecord(command, OutputFolder.ZipAlias, zipName, zipKey, zipSize, new MediaInfo
                {
                    FileFormat = "zip",
                    MimeType = MediaTypes.ForFileName(zipName),
                    FileCount = outputs.Count,
                    UncompressedBytes = uncompressed,
                }, zipId),
            ];
            for (var i = 0; i < outputs.Count; i++)
            {
                records.Add(await StoreOutputAsync(command, jobDir, OutputFolder.FileAlias(i + 1), outputs[i], probe: outputs.Count <= FolderProbeLimit, ct));
            }
            return new(ffmpegSeconds, records, null);
        }
        finally
        {
            TryDeleteFile(zipPath);
        }
    }

    private void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(e, "Could not delete work file {Path}", path);
        }
    }

    private async Task<IReadOnlyList<FileRecord>> StoreSingleAsync(CommandRecord command, string jobDir, string alias, string fileName, CancellationToken ct) =>
        [await StoreOutputAsync(command, jobDir, alias, fileName, probe: true, ct)];

    /// <summary>The regular files a command wrote besides its declared outputs and its inputs: a playlist's segments and variant playlists.</summary>
    private static List<string> Companions(string jobDir, OriginalRequest request, HashSet<string> inputNames) =>
        [.. FileKinds.RegularFilesUnder(jobDir).Where(n => !inputNames.Contains(n) && !request.OutputFiles.ContainsValue(n))];

    /// <summary>Stores a manifest and every file written next to it under one folder, described from the manifest's text.</summary>
    private async Task<IReadOnlyList<FileRecord>> StorePlaylistAsync(CommandRecord command, string jobDir, string alias, string manifest,
        List<string> companions, CancellationToken ct)
    {
        var folder = BlobKeys.PlaylistFolder(command.Id, alias);
        var text = Playlists.ReadText(Path.Combine(jobDir, manifest));
        var media = Playlists.Describe(manifest, text, companions, name =>
            companions.Contains(name) && new FileInfo(Path.Combine(jobDir, name)).Length < (1 << 20) ? File.ReadAllText(Path.Combine(jobDir, name)) : null);
        var records = new List<FileRecord>();
        foreach (var name in companions.Prepend(manifest))
        {
            var path = Path.Combine(jobDir, name);
            var size = new FileInfo(path).Length;
            var key = BlobKeys.InFolder(folder, name);
            await blobs.PutFileAsync(key, path, ct);
            records.Add(OutputRecord(command, name == manifest ? alias : Playlists.PartAlias(alias, name), name, key, size, name == manifest ? media : null));
        }
        return records;
    }

    /// <summary>Stores one output; <paramref name="probe"/> false describes it by its name only (one of many in an output folder).</summary>
    private async Task<FileRecord> StoreOutputAsync(CommandRecord command, string jobDir, string alias, string fileName, bool probe, CancellationToken ct)
    {
        var path = Path.Combine(jobDir, fileName);
        var size = new FileInfo(path).Length;
        var media = probe ? await tools.ProbeAsync(jobDir, fileName, size, ct) : FfmpegTools.DescribeByName(fileName);
        var fileId = Guid.NewGuid();
        var key = BlobKeys.ForFile(fileId, fileName);
        await blobs.PutFileAsync(key, path, ct);
        LogStored(alias, size, key);
        return OutputRecord(command, alias, fileName, key, size, media, fileId);
    }

    /// <summary>The record of a command's output stored under <paramref name="key"/>.</summary>
    private FileRecord OutputRecord(CommandRecord command, string alias, string fileName, string key, long size, MediaInfo? media, Guid? id = null) => new()
    {
        Id = id ?? Guid.NewGuid(),
        AccountId = command.AccountId,
        CommandId = command.Id,
        Alias = alias,
        Filename = fileName,
        Status = FileStatus.Stored,
        StoreType = "OUTPUT",
        StorageKey = key,
        SizeBytes = size,
        MediaJson = media is null ? null : JsonSerializer.Serialize(media, WireJson.Default.MediaInfo),
        CreatedAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
    };

    /// <summary>Every second: keeps the lease alive (every third of its length), saves progress when it moved, and looks for a cancel from another process.</summary>
    private async Task MonitorAsync(JobLease lease, JobRuntime.RunningJob running, CancellationToken ct)
    {
        CommandProgress? saved = null;
        var lastBeat = time.GetTimestamp();
        try
        {
            // Three beats per lease: one lost beat (a database hiccup) does not cost the lease.
            var leaseDuration = options.LeaseDuration;
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(MonitorInterval, time, ct);
                try
                {
                    if (running.Progress is { } progress && progress != saved)
                    {
                        await store.SaveProgressAsync(lease.Command.Id, JsonSerializer.Serialize(progress, WireJson.Default.CommandProgress), ct);
                        saved = progress;
                    }
                    if (!running.CancelledByClient && await store.IsCancelRequestedAsync(lease.Command.Id, ct))
                    {
                        running.CancelledByClient = true;
                        await running.Cancel.CancelAsync();
                    }
                    if (time.GetElapsedTime(lastBeat) >= leaseDuration / 3)
                    {
                        lastBeat = time.GetTimestamp();
                        if (!await store.HeartbeatAsync(lease, leaseDuration, ct))
                        {
                            logger.LogWarning("Job {CommandId} lost its lease", lease.Command.Id);
                        }
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A shared database may blip; monitoring goes on, or the lease would lapse and the job run twice.
                    logger.LogWarning(e, "Monitoring job {CommandId} failed; trying again", lease.Command.Id);
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
