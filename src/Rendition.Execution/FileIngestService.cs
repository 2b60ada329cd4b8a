using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rendition.Core;
using Rendition.Core.Contracts;
using Rendition.Core.Storage;

namespace Rendition.Execution;

/// <summary>
/// Finishes files in the background: probes uploads and fetches files stored from URLs, then moves them into the blob
/// store and marks them STORED (or FAILED). Files still PROCESSING at start are resumed, so none is left hanging.
/// </summary>
public sealed partial class FileIngestService(
    IFileStore files,
    IBlobStore blobs,
    InputFetcher fetcher,
    FfmpegTools tools,
    RenditionOptions options,
    IEnumerable<IOutageClassifier> classifiers,
    DependencyHealth health,
    TimeProvider time,
    ILogger<FileIngestService> logger) : BackgroundService
{
    public const string UploadStoreType = "UPLOAD";
    public const string StoredFileStoreType = "STORED_FILE";
    private const int Concurrency = 2;

    /// <summary>
    /// How long a file accepted just before an outage of the blob store or database is retried (its staged bytes kept)
    /// before it fails with a code naming the dependency; uploads arriving once the outage is known are refused instead.
    /// </summary>
    public static readonly TimeSpan OutageRetryFor = TimeSpan.FromMinutes(15);

    private static readonly TimeSpan OutageRetryEvery = TimeSpan.FromSeconds(DependencyOutage.RetryAfterSeconds);

    private readonly Channel<Guid> _queue = Channel.CreateUnbounded<Guid>();
    private readonly IOutageClassifier[] _classifiers = [.. classifiers];

    // Per file: when its current run of outage retries began (a TimeProvider timestamp).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, long> _outageSince = new();

    /// <summary>Where an upload is staged (and a URL fetched) before it is probed and stored.</summary>
    public string StagingDirectory(Guid fileId) => Path.Combine(options.FullDataDir, "work", "files", fileId.ToString("N"));

    public void Enqueue(Guid fileId) => _queue.Writer.TryWrite(fileId);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var pending in await files.ListProcessingFilesAsync(stoppingToken))
        {
            Enqueue(pending.Id);
        }
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => Task.Run(async () =>
        {
            await foreach (var id in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await IngestAsync(id, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    logger.LogError(e, "Ingesting file {FileId} failed", id);
                }
            }
        }, stoppingToken)));
    }

    /// <summary>One try at a file; an outage keeps its staged bytes and tries again a few seconds later, up to <see cref="OutageRetryFor"/>.</summary>
    private async Task IngestAsync(Guid id, CancellationToken ct)
    {
        try
        {
            await IngestOnceAsync(id, ct);
            _outageSince.TryRemove(id, out _);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && Outages.Find(e, _classifiers) is { } outage)
        {
            health.ReportOutage(outage);
            var since = _outageSince.GetOrAdd(id, _ => time.GetTimestamp());
            if (time.GetElapsedTime(since) < OutageRetryFor)
            {
                LogRetry(logger, id, outage.Dependency, outage.Reason);
                _ = RetryLaterAsync(id, ct);
                return;
            }
            _outageSince.TryRemove(id, out _);
            if (await files.FindFileAsync(id, ct) is { Status: FileStatus.Processing } file)
            {
                await FailAsync(file, outage.ErrorCode,
                    $"The {outage.Dependency} was unavailable for {OutageRetryFor.TotalMinutes:0} minutes while the file was being stored; store it again.", ct);
            }
            DeleteStaging(id);
        }
    }

    private async Task RetryLaterAsync(Guid id, CancellationToken ct)
    {
        try
        {
            await Task.Delay(OutageRetryEvery, time, ct);
            Enqueue(id);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the file stays PROCESSING with its staged bytes, and the next start resumes it.
        }
    }

    private void DeleteStaging(Guid id)
    {
        var dir = StagingDirectory(id);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private async Task IngestOnceAsync(Guid id, CancellationToken ct)
    {
        var file = await files.FindFileAsync(id, ct);
        if (file is null || file.IsDeleted || file.Status != FileStatus.Processing)
        {
            return;
        }
        var dir = StagingDirectory(id);
        var keepStaging = false;
        try
        {
            Directory.CreateDirectory(dir);
            var local = Path.Combine(dir, file.Filename);
            if (file.StoreType == StoredFileStoreType)
            {
                try
                {
                    await fetcher.FetchAsync("file_url", new Uri(file.OriginalFileUrl!), local, file.AccountId, ct);
                }
                catch (InputFetchException e)
                {
                    await FailAsync(file, ErrorCodes.UnreachableInputFile, e.Message.Replace("Input file_url", "The file", StringComparison.Ordinal), ct);
                    return;
                }
            }
            else if (!File.Exists(local))
            {
                await FailAsync(file, ErrorCodes.StorageError, "The upload was interrupted before it was stored; upload the file again.", ct);
                return;
            }

            file.SizeBytes = new FileInfo(local).Length;
            var media = await tools.ProbeAsync(dir, file.Filename, file.SizeBytes.Value, ct);
            file.MediaJson = JsonSerializer.Serialize(media, WireJson.Default.MediaInfo);
            await blobs.PutFileAsync(file.StorageKey, local, ct);
            file.Status = FileStatus.Stored;
            if (!await files.FinishFileAsync(file, ct))
            {
                // Deleted while it was being processed: the bytes must not outlive the record.
                await blobs.DeleteAsync(file.StorageKey, ct);
            }
        }
        catch (Exception e) when (Outages.Find(e, _classifiers) is not null)
        {
            // The bytes are what the retry stores (an upload cannot be read again).
            keepStaging = true;
            throw;
        }
        finally
        {
            if (!keepStaging && Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storing file {FileId} waits for the {Dependency} ({Reason}); trying again shortly")]
    private static partial void LogRetry(ILogger logger, Guid fileId, string dependency, string reason);

    private Task<bool> FailAsync(FileRecord file, string status, string message, CancellationToken ct)
    {
        file.Status = FileStatus.Failed;
        file.ErrorStatus = status;
        file.ErrorMessage = message;
        return files.FinishFileAsync(file, ct);
    }
}
