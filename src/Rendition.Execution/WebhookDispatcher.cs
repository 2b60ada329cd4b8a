using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rendition.Core;
using Rendition.Core.Contracts;
using Rendition.Core.Storage;
using Rendition.Core.Views;
using Rendition.Core.Webhooks;

namespace Rendition.Execution;

/// <summary>
/// Sends due webhook deliveries from the outbox, signed, retried on the configured schedule. The payload is the command's
/// poll object at send time. Workers never wait on it, and no delivery waits on another: each runs in one of a bounded
/// number of slots, a receiver URL may hold only a few of them, and a slot freed (or a command finished) claims the next
/// due delivery at once — a receiver that never answers holds its slots until its timeout, and nothing else waits.
/// </summary>
public sealed class WebhookDispatcher(
    IWebhookStore webhooks,
    ICommandStore commands,
    WireViews views,
    IHttpClientFactory httpClients,
    RenditionMetrics metrics,
    RenditionOptions options,
    TimeProvider time,
    ILogger<WebhookDispatcher> logger) : BackgroundService, IDisposable
{
    public const string HttpClientName = "webhooks";
    public const string UserAgent = "Rendition-Webhook/1.0";
    private static readonly TimeSpan IdleWait = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly Lock _lock = new();

    // Guarded by _lock: deliveries running in this process, in all and per receiver URL (ClaimedDelivery.SlotKey), and
    // their tasks (pruned as they end), which a stop waits for.
    private readonly Dictionary<string, int> _inFlight = new(StringComparer.Ordinal);
    private readonly HashSet<Task> _running = [];
    private int _active;

    private TimeSpan ReceiverTimeout => TimeSpan.FromSeconds(options.WebhookTimeoutSeconds);

    /// <summary>
    /// How long a claim keeps other dispatchers off a delivery: well beyond the longest an attempt can take (the receiver's
    /// timeout, plus reading the command and recording the attempt), so two nodes never send it at once; a delivery whose
    /// process died is taken again when it ends.
    /// </summary>
    private TimeSpan Hold => (2 * ReceiverTimeout) + TimeSpan.FromSeconds(30);

    /// <summary>Tells the dispatcher a delivery may be due now (a command just finished).</summary>
    public void Wake() => _wake.Release();

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await ClaimAndStartAsync(stoppingToken) == 0)
                {
                    // Nothing due, or every slot busy: a finished delivery or command wakes the loop; other nodes' work is polled.
                    await _wake.WaitAsync(IdleWait, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Webhook dispatch pass failed");
                try
                {
                    await Task.Delay(IdleWait, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        // Stopping cancels the attempts in flight; their deliveries stay claimed until the hold ends and are sent again then.
        Task[] running;
        lock (_lock)
        {
            running = [.. _running];
        }
        await Task.WhenAll(running);
    }

    /// <summary>Claims as many due deliveries as there are free slots (within each URL's share) and starts each; returns how many.</summary>
    private async Task<int> ClaimAndStartAsync(CancellationToken ct)
    {
        int free;
        Dictionary<string, int> inFlight;
        lock (_lock)
        {
            free = options.WebhookConcurrency - _active;
            inFlight = new Dictionary<string, int>(_inFlight, StringComparer.Ordinal);
        }
        if (free <= 0)
        {
            return 0;
        }
        var claimed = await webhooks.ClaimDueAsync(free, Hold, options.WebhookConcurrencyPerUrl, inFlight, ct);
        foreach (var delivery in claimed)
        {
            lock (_lock)
            {
                _active++;
                _inFlight[delivery.SlotKey] = _inFlight.GetValueOrDefault(delivery.SlotKey) + 1;
                _running.RemoveWhere(t => t.IsCompleted);
                _running.Add(RunAsync(delivery, ct));
            }
        }
        return claimed.Count;
    }

    /// <summary>One delivery in its slot: the slot is given back however the attempt ends, and the loop is woken to fill it.</summary>
    private async Task RunAsync(ClaimedDelivery claimed, CancellationToken ct)
    {
        // Off the claiming loop at once: the caller holds _lock, and the attempt's first await may complete synchronously.
        await Task.Yield();
        metrics.WebhookInFlight(1);
        try
        {
            await DeliverAsync(claimed, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The claim stands until its hold ends; the delivery is then taken again, as after a crash.
            logger.LogError(e, "Webhook delivery {DeliveryId} failed before its attempt was recorded", claimed.Delivery.Id);
        }
        finally
        {
            metrics.WebhookInFlight(-1);
            lock (_lock)
            {
                _active--;
                var left = _inFlight[claimed.SlotKey] - 1;
                if (left == 0)
                {
                    _inFlight.Remove(claimed.SlotKey);
                }
                else
                {
                    _inFlight[claimed.SlotKey] = left;
                }
            }
            try
            {
                _wake.Release();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private static readonly Func<ILogger, Guid, IDisposable?> CommandScope = LoggerMessage.DefineScope<Guid>("Command {CommandId}");

    private async Task DeliverAsync(ClaimedDelivery claimed, CancellationToken ct)
    {
        var (delivery, url) = claimed;
        using var scope = CommandScope(logger, delivery.CommandId);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var found = await commands.GetAsync(delivery.AccountId, delivery.CommandId, ct);
        var config = await webhooks.GetConfigAsync(delivery.AccountId, ct);
        if (found is null || url is null)
        {
            await webhooks.RecordAttemptAsync(new WebhookAttempt(delivery.Id, now, url ?? "", null, "no webhook URL is configured any more", 0),
                DeliveryStatus.Skipped, null, toAccountConfig: false, options.WebhookDisableAfter, ct);
            metrics.WebhookAttempt("skipped");
            return;
        }
        var (command, files) = found.Value;
        var toAccountConfig = command.WebhookUrl is null;

        var poll = views.ToPoll(command, files, (ApiFlavor)command.Flavor);
        var body = JsonSerializer.SerializeToUtf8Bytes(new WebhookPayload(poll, now), WireJson.Default.WebhookPayload);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.UserAgent.ParseAdd(UserAgent);
        // The id stays the same across retries, so receivers can drop duplicates; the timestamp lets them reject replays.
        var messageId = "msg_" + delivery.Id.ToString("N");
        var seconds = now / 1000;
        request.Headers.Add("webhook-id", messageId);
        request.Headers.Add("webhook-timestamp", seconds.ToString(CultureInfo.InvariantCulture));
        if (config?.Secret is { } secret)
        {
            request.Headers.Add("X-Webhook-Signature", WebhookSignatures.Hex(secret, body));
            request.Headers.Add("webhook-signature", WebhookSignatures.Standard(secret, messageId, seconds, body));
        }

        int? status = null;
        string? error = null;
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ReceiverTimeout);
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                error = $"HTTP {status} {response.ReasonPhrase}";
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            error = $"no answer within {ReceiverTimeout.TotalSeconds:0} s";
        }
        catch (HttpRequestException e)
        {
            error = e.Message;
        }
        var duration = (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds;

        var attempts = delivery.Attempts + 1;
        var schedule = options.WebhookRetrySchedule;
        var (final, next) = error is null
            ? (DeliveryStatus.Delivered, (long?)null)
            : attempts >= schedule.Count
                ? (DeliveryStatus.Failed, null)
                : (DeliveryStatus.Pending, time.GetUtcNow().ToUnixTimeMilliseconds() + (schedule[attempts] * 1000L));
        await webhooks.RecordAttemptAsync(new WebhookAttempt(delivery.Id, now, url, status, error, duration), final, next, toAccountConfig,
            options.WebhookDisableAfter, CancellationToken.None);
        metrics.WebhookAttempt(final == DeliveryStatus.Delivered ? "delivered" : final == DeliveryStatus.Failed ? "failed" : "retrying");
        if (error is null)
        {
            logger.LogDebug("Webhook for command {CommandId} delivered to {Url} in {Milliseconds} ms", command.Id, url, duration);
        }
        else
        {
            logger.LogInformation("Webhook for command {CommandId} to {Url} failed (attempt {Attempt}): {Error}", command.Id, url, attempts, error);
        }
    }
}
