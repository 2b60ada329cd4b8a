using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rendition.Core;
using Rendition.Core.Storage;

namespace Rendition.Execution;

/// <summary>Deletes files older than <c>RENDITION_FILE_RETENTION_DAYS</c>, hourly; records stay with <c>is_deleted: true</c>.</summary>
public sealed class FileRetentionService(IFileStore files, IBlobStore blobs, RenditionOptions options, TimeProvider time,
    ILogger<FileRetentionService> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.FileRetentionDays is not { } days)
        {
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var expired = await SweepAsync(days, stoppingToken);
                if (expired > 0)
                {
                    logger.LogInformation("Retention deleted {Count} file(s) older than {Days} days", expired, days);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Retention sweep failed");
            }
            await Task.Delay(Interval, time, stoppingToken);
        }
    }

    /// <summary>One pass: marks and deletes every expired file; returns how many.</summary>
    public async Task<int> SweepAsync(int days, CancellationToken ct)
    {
        var before = time.GetUtcNow().AddDays(-days).ToUnixTimeMilliseconds();
        var total = 0;
        while (true)
        {
            var batch = await files.ExpireFilesAsync(before, 500, ct);
            foreach (var f in batch)
            {
                await blobs.DeleteAsync(f.StorageKey, ct);
            }
            total += batch.Count;
            if (batch.Count < 500)
            {
                return total;
            }
        }
    }
}
