using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Rendition.Core.Storage;

namespace Rendition.Execution;

/// <summary>
/// The service's own instruments (meter <c>Rendition</c>), exported at <c>/metrics</c> when metrics are on. Everything is
/// recorded once per job or per webhook delivery, never per request, so the API's hot paths pay nothing for them.
/// </summary>
public sealed partial class RenditionMetrics
{
    public const string MeterName = "Rendition";

    /// <summary>How long a queue-depth reading is reused: scrapes from several Prometheus servers cost one query.</summary>
    public static readonly TimeSpan QueueDepthCacheFor = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan QueueDepthTimeout = TimeSpan.FromSeconds(2);

    private readonly Counter<long> _jobsCompleted;
    private readonly Histogram<double> _jobDuration;
    private readonly Counter<double> _ffmpegSeconds;
    private readonly Counter<long> _webhookDeliveries;
    private readonly UpDownCounter<long> _webhooksInFlight;
    private readonly ICommandStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<RenditionMetrics> _logger;
    private readonly Lock _queueLock = new();
    private long? _queued;
    private long _queuedAt;

    public RenditionMetrics(IMeterFactory meters, ICommandStore store, TimeProvider time, ILogger<RenditionMetrics> logger)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _store = store;
        _time = time;
        _logger = logger;
        var meter = meters.Create(MeterName);
        _jobsCompleted = meter.CreateCounter<long>("rendition.jobs.completed", "{job}",
            "Jobs finished, by final status (SUCCESS or FAILED) and, for failures, error_status.");
        _jobDuration = meter.CreateHistogram("rendition.job.duration", "s",
            "Time from submission to completion (queue wait included).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200] });
        _ffmpegSeconds = meter.CreateCounter<double>("rendition.ffmpeg.time", "s", "Wall-clock seconds ffmpeg ran for jobs.");
        _webhookDeliveries = meter.CreateCounter<long>("rendition.webhook.deliveries", "{delivery}",
            "Webhook delivery attempts, by outcome: delivered, retrying (failed, will retry), failed (no retries left), skipped.");
        _webhooksInFlight = meter.CreateUpDownCounter<long>("rendition.webhook.in_flight", "{delivery}",
            "Webhook attempts this process is sending now (at most RENDITION_WEBHOOK_CONCURRENCY); a hanging receiver shows here.");
        meter.CreateObservableGauge("rendition.jobs.queued", ObserveQueued, "{job}",
            "Jobs waiting for a worker (QUEUED), across every node sharing the job store; read from the store, at most every 5 s.");
    }

    /// <summary>A job reached SUCCESS or FAILED; <paramref name="durationSeconds"/> is submission to completion.</summary>
    public void JobCompleted(string status, string? errorStatus, double? durationSeconds, double? ffmpegSeconds)
    {
        var statusTag = new KeyValuePair<string, object?>("status", status);
        if (errorStatus is null)
        {
            _jobsCompleted.Add(1, statusTag);
        }
        else
        {
            _jobsCompleted.Add(1, statusTag, new KeyValuePair<string, object?>("error_status", errorStatus));
        }
        if (durationSeconds is { } seconds)
        {
            _jobDuration.Record(Math.Max(0, seconds), statusTag);
        }
        if (ffmpegSeconds is > 0)
        {
            _ffmpegSeconds.Add(ffmpegSeconds.Value);
        }
    }

    /// <summary>One webhook attempt ended: <c>delivered</c>, <c>retrying</c>, <c>failed</c> or <c>skipped</c>.</summary>
    public void WebhookAttempt(string outcome) => _webhookDeliveries.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>A webhook attempt took a delivery slot (<paramref name="change"/> 1) or gave it back (-1).</summary>
    public void WebhookInFlight(int change) => _webhooksInFlight.Add(change);

    /// <summary>
    /// The QUEUED count from the store (correct with several nodes), cached for <see cref="QueueDepthCacheFor"/>. Called
    /// on a scrape, off the request path; a store that cannot answer yields no reading rather than a stale one.
    /// </summary>
    private IEnumerable<Measurement<long>> ObserveQueued()
    {
        lock (_queueLock)
        {
            var now = _time.GetTimestamp();
            if (_queued is null || _time.GetElapsedTime(_queuedAt, now) >= QueueDepthCacheFor)
            {
                try
                {
                    using var timeout = new CancellationTokenSource(QueueDepthTimeout);
                    _queued = _store.CountQueuedAsync(timeout.Token).GetAwaiter().GetResult();
                    _queuedAt = now;
                }
                catch (Exception e)
                {
                    _queued = null;
                    LogQueueDepthFailed(_logger, e);
                }
            }
            return _queued is { } queued ? [new Measurement<long>(queued)] : [];
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the queue depth for /metrics failed")]
    private static partial void LogQueueDepthFailed(ILogger logger, Exception exception);
}
