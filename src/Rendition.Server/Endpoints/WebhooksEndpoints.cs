using System.Globalization;
using Rendition.Core;
using Rendition.Core.Contracts;
using Rendition.Core.Security;
using Rendition.Core.Storage;
using Rendition.Core.Webhooks;
using Rendition.Execution;
using Rendition.Server.Auth;
using Rendition.Server.Docs;

namespace Rendition.Server.Endpoints;

/// <summary>The account's webhook configuration, and each command's delivery log and redelivery.</summary>
public static class WebhooksEndpoints
{
    public static IEndpointRouteBuilder MapWebhooks(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in new[] { "/api/v1", "/v1" })
        {
            var tag = prefix == "/v1" ? "Rendi: Webhooks" : "Webhooks";
            var group = app.MapGroup(prefix).RequiresApiKey();
            group.MapPut("/webhook-config", PutConfigAsync)
                .Doc(tag, "Set the account's webhook",
                    "Every finished command is POSTed (WebhookPayload, signed with the secret) to this URL, unless the command has its own `webhook_url`. " +
                    "Without `secret`, one is generated the first time and shown once.")
                .Body<WebhookConfigRequest>()
                .Returns<WebhookConfigSetResponse>()
                .Errors(StatusCodes.Status400BadRequest, StatusCodes.Status422UnprocessableEntity);
            group.MapGet("/webhook-config", GetConfigAsync)
                .Doc(tag, "Get the account's webhook")
                .Returns<WebhookConfigResponse>();
            group.MapDelete("/webhook-config", DeleteConfigAsync)
                .Doc(tag, "Turn the account's webhook off")
                .Returns<SuccessResponse>()
                .Errors(StatusCodes.Status404NotFound);
            group.MapGet("/commands/{commandId}/webhook-deliveries", ListDeliveriesAsync)
                .Doc(tag, "List a command's webhook deliveries", "Each delivery with its attempts: when, where, the answer's status or the error. A Rendition extension.")
                .Returns<WebhookDeliveriesResponse>()
                .Errors(StatusCodes.Status404NotFound);
            group.MapPost("/commands/{commandId}/webhook-deliveries/redeliver", RedeliverAsync)
                .Doc(tag, "Deliver a command's webhook again", "Queues a new delivery of the finished command's webhook. A Rendition extension.")
                .Returns<RedeliverResponse>()
                .Errors(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        }
        return app;
    }

    private static async Task<IResult> PutConfigAsync(HttpContext context, IWebhookStore webhooks, RenditionOptions options)
    {
        var (request, error) = await ApiResults.ReadJsonAsync(context.Request, WireJson.Default.WebhookConfigRequest);
        if (error is not null)
        {
            return error;
        }
        var errors = new List<ValidationDetail>();
        if (!NetworkGuard.IsHttpUrl(request!.Url, out var uri))
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
            return ApiResults.Validation(new RequestValidationException(errors));
        }
        var account = RequireApiKey.GetAccount(context);
        var existing = await webhooks.GetConfigAsync(account.Id, context.RequestAborted);
        // A secret is generated only when none was given and none exists; it is shown this once.
        var generated = request.Secret is null && existing is null ? WebhookSignatures.GenerateSecret() : null;
        var config = await webhooks.UpsertConfigAsync(account.Id, request.Url!, request.Secret ?? generated ?? "", keepExistingSecret: request.Secret is null && existing is not null,
            context.RequestAborted);
        return TypedResults.Json(new WebhookConfigSetResponse(true, config.Url) { Secret = generated }, WireJson.Default.WebhookConfigSetResponse);
    }

    private static async Task<IResult> GetConfigAsync(HttpContext context, IWebhookStore webhooks)
    {
        var config = await webhooks.GetConfigAsync(RequireApiKey.GetAccount(context).Id, context.RequestAborted);
        return TypedResults.Json(config is null
            ? new WebhookConfigResponse(false, null, false, 0, null)
            : new WebhookConfigResponse(true, config.Url, config.IsActive, config.ConsecutiveFailures, config.DisabledAt is { } at ? Iso(at) : null),
            WireJson.Default.WebhookConfigResponse);
    }

    private static async Task<IResult> DeleteConfigAsync(HttpContext context, IWebhookStore webhooks) =>
        await webhooks.DeactivateConfigAsync(RequireApiKey.GetAccount(context).Id, context.RequestAborted)
            ? TypedResults.Json(new SuccessResponse(true), WireJson.Default.SuccessResponse)
            : ApiResults.NotFound("A webhook configuration");

    private static async Task<IResult> ListDeliveriesAsync(string commandId, HttpContext context, IWebhookStore webhooks, ICommandStore commands)
    {
        var account = RequireApiKey.GetAccount(context);
        if (!Guid.TryParse(commandId, out var id) || await commands.GetAsync(account.Id, id, context.RequestAborted) is null)
        {
            return ApiResults.NotFound($"Command {commandId}");
        }
        var deliveries = await webhooks.ListDeliveriesAsync(account.Id, id, context.RequestAborted);
        return TypedResults.Json(new WebhookDeliveriesResponse([.. deliveries.Select(d => new WebhookDeliveryView(
            d.Delivery.Id.ToString(), d.Delivery.Status, d.Attempts.Count, Iso(d.Delivery.CreatedAt),
            d.Delivery.Status == DeliveryStatus.Pending ? Iso(d.Delivery.NextAttemptAt) : null,
            [.. d.Attempts.Select(a => new WebhookAttemptView(Iso(a.AttemptedAt), a.Url, a.HttpStatus, a.Error, a.DurationMs))]))]),
            WireJson.Default.WebhookDeliveriesResponse);
    }

    private static async Task<IResult> RedeliverAsync(string commandId, HttpContext context, IWebhookStore webhooks, ICommandStore commands, WebhookDispatcher dispatcher)
    {
        var account = RequireApiKey.GetAccount(context);
        var found = Guid.TryParse(commandId, out var id) ? await commands.GetAsync(account.Id, id, context.RequestAborted) : null;
        if (found is null)
        {
            return ApiResults.NotFound($"Command {commandId}");
        }
        if (!CommandStatus.IsFinal(found.Value.Command.Status))
        {
            return ApiResults.Error(StatusCodes.Status409Conflict, ErrorCodes.Conflict, "The command has not finished; it is delivered when it does.");
        }
        var config = await webhooks.GetConfigAsync(account.Id, context.RequestAborted);
        if (found.Value.Command.WebhookUrl is null && config is not { IsActive: true })
        {
            return ApiResults.Error(StatusCodes.Status409Conflict, ErrorCodes.Conflict, "The command has no webhook_url and the account has no active webhook configuration.");
        }
        var delivery = await webhooks.EnqueueAsync(account.Id, id, context.RequestAborted);
        dispatcher.Wake();
        return TypedResults.Json(new RedeliverResponse(delivery!.Value.ToString()), WireJson.Default.RedeliverResponse);
    }

    private static string Iso(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
