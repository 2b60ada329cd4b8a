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
/// Sends due webhook deliveries from the outbox, several at once, signed, retried on the configured schedule.
/// The payload is the command's poll object at send time. Workers never wait on it.
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
    private const int Batch = 16;
    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan IdleWait = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ReceiverTimeout = TimeSpan.FromSeconds(15);

    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);

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
                var due = await webhooks.ClaimDueAsync(Batch, Hold, stoppingToken);
                if (due.Count == 0)
                {
                    await _wake.WaitAsync(IdleWait, stoppingToken);
                    continue;
                }
                await Task.WhenAll(due.Select(d => DeliverAsync(d, stoppingToken)));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Webhook dispatch pass failed");
                await Task.Delay(IdleWait, time, stoppingToken);
            }
        }
    }

    private static readonly Func<ILogger, Guid, IDisposable?> CommandScope = LoggerMessage.DefineScope<Guid>("Command {CommandId}");

    private async Task DeliverAsync(WebhookDelivery delivery, CancellationToken ct)
    {
        using var scope = CommandScope(logger, delivery.CommandId);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var found = await commands.GetAsync(delivery.AccountId, delivery.CommandId, ct);
        var config = await webhooks.GetConfigAsync(delivery.AccountId, ct);
        var url = found?.Command.WebhookUrl ?? (config is { IsActive: true } ? config.Url : null);
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
