using Microsoft.AspNetCore.Http.HttpResults;
using Rendition.Core.Contracts;
using Rendition.Server.Auth;
using Rendition.Server.Docs;

namespace Rendition.Server.Webhooks;

/// <summary>The account's webhook configuration, and each command's delivery log and redelivery. HTTP in, <see cref="WebhookService"/> out.</summary>
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
                .Doc(tag, "Get the account's webhook");
            group.MapDelete("/webhook-config", DeleteConfigAsync)
                .Doc(tag, "Turn the account's webhook off");
            group.MapGet("/commands/{commandId}/webhook-deliveries", ListDeliveriesAsync)
                .Doc(tag, "List a command's webhook deliveries", "Each delivery with its attempts: when, where, the answer's status or the error. A Rendition extension.");
            group.MapPost("/commands/{commandId}/webhook-deliveries/redeliver", RedeliverAsync)
                .Doc(tag, "Deliver a command's webhook again", "Queues a new delivery of the finished command's webhook. A Rendition extension.");
        }
        return app;
    }

    private static async Task<IResult> PutConfigAsync(HttpContext context, WebhookService webhooks)
    {
        var (request, problem) = await ApiResults.ReadJsonAsync(context.Request, WireJson.Default.WebhookConfigRequest);
        if (problem is not null)
        {
            return ApiResults.Problem(problem);
        }
        var set = await webhooks.SetConfigAsync(RequireApiKey.GetAccount(context), request!, context.RequestAborted);
        return set.Problem is { } refused ? ApiResults.Problem(refused) : TypedResults.Json(set.Value, WireJson.Default.WebhookConfigSetResponse);
    }

    private static async Task<Ok<WebhookConfigResponse>> GetConfigAsync(HttpContext context, WebhookService webhooks) =>
        TypedResults.Ok(await webhooks.GetConfigAsync(RequireApiKey.GetAccount(context), context.RequestAborted));

    private static async Task<Results<Ok<SuccessResponse>, NotFound<ErrorResponse>>> DeleteConfigAsync(HttpContext context, WebhookService webhooks)
    {
        var turnedOff = await webhooks.DeactivateConfigAsync(RequireApiKey.GetAccount(context), context.RequestAborted);
        return turnedOff.Problem is { } missing ? TypedResults.NotFound(ApiResults.Body(missing)) : TypedResults.Ok(new SuccessResponse(true));
    }

    private static async Task<Results<Ok<WebhookDeliveriesResponse>, NotFound<ErrorResponse>>> ListDeliveriesAsync(string commandId, HttpContext context, WebhookService webhooks)
    {
        var deliveries = await webhooks.ListDeliveriesAsync(RequireApiKey.GetAccount(context), commandId, context.RequestAborted);
        return deliveries.Problem is { } missing ? TypedResults.NotFound(ApiResults.Body(missing)) : TypedResults.Ok(deliveries.Value);
    }

    private static async Task<Results<Ok<RedeliverResponse>, NotFound<ErrorResponse>, Conflict<ErrorResponse>>> RedeliverAsync(
        string commandId, HttpContext context, WebhookService webhooks)
    {
        var queued = await webhooks.RedeliverAsync(RequireApiKey.GetAccount(context), commandId, context.RequestAborted);
        return queued.Problem switch
        {
            null => TypedResults.Ok(queued.Value),
            { Kind: ProblemKind.NotFound } missing => TypedResults.NotFound(ApiResults.Body(missing)),
            var refused => TypedResults.Conflict(ApiResults.Body(refused)),
        };
    }
}
