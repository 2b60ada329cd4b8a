using System.Globalization;
using Rendition.Core;
using Rendition.Core.Contracts;
using Rendition.Core.Security;
using Rendition.Core.Storage;
using Rendition.Core.Webhooks;
using Rendition.Execution;
using Rendition.Server.Commands;

namespace Rendition.Server.Webhooks;

/// <summary>
/// The webhook use cases, for every door: the account's webhook configuration (set, read, turn off) and each command's
/// deliveries (list, deliver again).
/// </summary>
public sealed class WebhookService(IWebhookStore webhooks, ICommandStore commands, WebhookDispatcher dispatcher, RenditionOptions options)
{
    /// <summary>Sets the account's webhook; without a secret, one is generated the first time and returned this once.</summary>
    public async Task<Outcome<WebhookConfigSetResponse>> SetConfigAsync(Account account, WebhookConfigRequest request, CancellationToken ct)
    {
        var errors = new List<ValidationDetail>();
        if (!NetworkGuard.IsHttpUrl(request.Url, out var uri))
        {
            errors.Add(new("url", "must be an absolute http or https URL"));
        }
        else if (!options.AllowPrivateUrls && NetworkGuard.IsObviouslyPrivateHost(uri!))
        {
            errors.Add(new("url", "points to a private or loopback address, which is not allowed"));
        }
        if (request.Secret is { } s && (s.Length is < 16 or > 256))
        {
            errors.Add(new("secret", "must be 16 to 256 characters"));
        }
        if (errors.Count > 0)
        {
            return Problem.Invalid(new RequestValidationException(errors));
        }
        var existing = await webhooks.GetConfigAsync(account.Id, ct);
        // A secret is generated only when none was given and none exists; it is shown this once.
        var generated = request.Secret is null && existing is null ? WebhookSignatures.GenerateSecret() : null;
        var config = await webhooks.UpsertConfigAsync(account.Id, request.Url!, request.Secret ?? generated ?? "", keepExistingSecret: request.Secret is null && existing is not null, ct);
        return new WebhookConfigSetResponse(true, config.Url) { Secret = generated };
    }

    public async Task<WebhookConfigResponse> GetConfigAsync(Account account, CancellationToken ct) =>
        await webhooks.GetConfigAsync(account.Id, ct) is { } config
            ? new WebhookConfigResponse(true, config.Url, config.IsActive, config.ConsecutiveFailures, config.DisabledAt is { } at ? Iso(at) : null)
            : new WebhookConfigResponse(false, null, false, 0, null);

    /// <summary>Turns the account's webhook off (the configuration stays, inactive).</summary>
    public async Task<Outcome<bool>> DeactivateConfigAsync(Account account, CancellationToken ct) =>
        await webhooks.DeactivateConfigAsync(account.Id, ct) ? true : Problem.NotFound("A webhook configuration");

    /// <summary>The command's deliveries with their attempts.</summary>
    public async Task<Outcome<WebhookDeliveriesResponse>> ListDeliveriesAsync(Account account, string commandId, CancellationToken ct)
    {
        var found = await commands.FindAsync(account, commandId, ct);
        if (found.Problem is { } missing)
        {
            return missing;
        }
        var deliveries = await webhooks.ListDeliveriesAsync(account.Id, found.Value.Command.Id, ct);
        return new WebhookDeliveriesResponse([.. deliveries.Select(d => new WebhookDeliveryView(
            d.Delivery.Id.ToString(), d.Delivery.Status, d.Attempts.Count, Iso(d.Delivery.CreatedAt),
            d.Delivery.Status == DeliveryStatus.Pending ? Iso(d.Delivery.NextAttemptAt) : null,
            [.. d.Attempts.Select(a => new WebhookAttemptView(Iso(a.AttemptedAt), a.Url, a.HttpStatus, a.Error, a.DurationMs))]))]);
    }

    /// <summary>Queues a new delivery of a finished command's webhook.</summary>
    public async Task<Outcome<RedeliverResponse>> RedeliverAsync(Account account, string commandId, CancellationToken ct)
    {
        var found = await commands.FindFinishedAsync(account, commandId, "The command has not finished; it is delivered when it does.", ct);
        if (found.Problem is { } problem)
        {
            return problem;
        }
        var command = found.Value.Command;
        var config = await webhooks.GetConfigAsync(account.Id, ct);
        if (command.WebhookUrl is null && config is not { IsActive: true })
        {
            return Problem.Conflict("The command has no webhook_url and the account has no active webhook configuration.");
        }
        var delivery = await webhooks.EnqueueAsync(account.Id, command.Id, ct);
        dispatcher.Wake();
        return new RedeliverResponse(delivery!.Value.ToString());
    }

    private static string Iso(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
