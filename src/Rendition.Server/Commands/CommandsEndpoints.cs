using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Rendition.Core;
using Rendition.Core.Contracts;
using Rendition.Core.Views;
using Rendition.Server.Auth;
using Rendition.Server.Docs;

namespace Rendition.Server.Commands;

/// <summary>
/// Submitting, polling, listing commands and deleting their files, under RenderIO's <c>/api/v1</c> and Rendi's <c>/v1</c>;
/// plus Rendition's job control: progress, events, cancel, wait, logs and idempotent submissions. HTTP in, <see cref="CommandService"/> out.
/// </summary>
public static class CommandsEndpoints
{
    public static IEndpointRouteBuilder MapCommands(this IEndpointRouteBuilder app)
    {
        foreach (var (prefix, flavor) in new[] { ("/api/v1", ApiFlavor.RenderIO), ("/v1", ApiFlavor.Rendi) })
        {
            var tag = flavor == ApiFlavor.Rendi ? "Rendi: Commands" : "Commands";
            var group = app.MapGroup(prefix).RequiresApiKey();
            group.MapPost("/run-ffmpeg-command", (HttpContext context, CommandService commands) =>
                Submissions.HandleAsync(context, WireJson.Default.SubmitCommandRequest, flavor,
                    (account, request, options, ct) => commands.SubmitAsync(account, request, chained: false, options, ct)))
                .Doc(tag, "Run an FFmpeg command",
                    "Queues one command. `input_files` maps `in_*` aliases to URLs (a stored file by its `storage_url`), `output_files` maps `out_*` " +
                    "aliases to file names, and `ffmpeg_command` uses them as `{{alias}}`. Poll the returned `command_id` for the result.")
                .Submission<SubmitCommandRequest, SubmitCommandResponse>();
            group.MapPost("/run-chained-ffmpeg-commands", (HttpContext context, CommandService commands) =>
                Submissions.HandleAsync(context, WireJson.Default.SubmitCommandRequest, flavor,
                    (account, request, options, ct) => commands.SubmitAsync(account, request, chained: true, options, ct)))
                .Doc(tag, "Run chained FFmpeg commands",
                    "Queues `ffmpeg_commands`, run in order in one job: later commands can read earlier outputs by their `{{out_*}}` alias.")
                .Submission<SubmitCommandRequest, SubmitCommandResponse>();
            group.MapGet("/commands/{commandId}", (string commandId, HttpContext context, CommandService commands) => GetAsync(commandId, context, commands, flavor))
                .Doc(tag, "Get a command", "The poll object: status, timings, output files with their `storage_url` and media facts, and the original request.")
                .Query("wait", "integer", $"Seconds (0 to {ApiQuery.MaxWaitSeconds}) to hold the answer until the command finishes. A Rendition extension.");
            var list = group.MapGet("/commands", (HttpContext context, CommandService commands) => ListAsync(context, commands, flavor))
                .Doc(tag, "List commands", "Newest first.")
                .Errors(StatusCodes.Status422UnprocessableEntity)
                .Paging(MaxPage(flavor))
                .Query("status", "string", "Only commands with this status: QUEUED, PROCESSING, SUCCESS or FAILED.")
                .Query("command_type", "string", "Only commands of this type: FFMPEG_COMMAND, CHAINED_COMMAND (or FFMPEG_CHAINED_COMMANDS), MULTIPLE_COMMAND.");
            if (flavor == ApiFlavor.Rendi)
            {
                list.Returns<List<CommandSummary>>();
            }
            else
            {
                list.Returns<CommandListResponse>();
            }
            group.MapDelete("/commands/{commandId}/files", DeleteFilesAsync)
                .Doc(tag, "Delete a command's output files", "Deletes the stored outputs of a finished command; the command record stays.");
            group.MapPost("/commands/{commandId}/cancel", (string commandId, HttpContext context, CommandService commands) => CancelAsync(commandId, context, commands, flavor))
                .Doc(tag, "Cancel a command",
                    "Cancels a queued command at once, or stops a running one; it ends FAILED with `error_status` CANCELLED. Answers the poll object. A Rendition extension.");
            group.MapGet("/commands/{commandId}/events", (string commandId, HttpContext context, CommandService commands) => EventsAsync(commandId, context, commands, flavor))
                .Doc(tag, "Follow a command live (Server-Sent Events)",
                    "A `text/event-stream`: an `event: status` with `{ status, progress }` (CommandEvent) whenever they change, then one `event: end` " +
                    "whose data is the final poll object, and the stream closes. A Rendition extension.")
                .Produces<CommandEvent>(StatusCodes.Status200OK, "text/event-stream")
                .Errors(StatusCodes.Status404NotFound);
            group.MapGet("/commands/{commandId}/log", LogAsync)
                .Doc(tag, "Get a command's FFmpeg log", "FFmpeg's own output (stderr) for the command, as plain text; empty until it has run. A Rendition extension.")
                .Produces<string>(StatusCodes.Status200OK, "text/plain")
                .Errors(StatusCodes.Status404NotFound);
            if (flavor == ApiFlavor.RenderIO)
            {
                group.MapPost("/run-multiple-ffmpeg-commands", (HttpContext context, CommandService commands) =>
                    Submissions.HandleAsync(context, WireJson.Default.SubmitMultipleRequest, flavor, commands.SubmitMultipleAsync))
                    .Doc(tag, "Run several independent FFmpeg commands",
                        "Queues a batch of independent commands (validated all or none); each gets its own `command_id`.")
                    .Submission<SubmitMultipleRequest, SubmitMultipleResponse>();
            }
        }
        return app;
    }

    private static int MaxPage(ApiFlavor flavor) => flavor == ApiFlavor.Rendi ? 1000 : 100;

    private static async Task<Results<Ok<CommandPollResponse>, NotFound<ErrorResponse>, UnprocessableEntity<ErrorResponse>>> GetAsync(
        string commandId, HttpContext context, CommandService commands, ApiFlavor flavor)
    {
        var errors = new List<ValidationDetail>();
        var wait = ApiQuery.Wait(context.Request.Query, errors);
        if (errors.Count > 0)
        {
            return TypedResults.UnprocessableEntity(ApiResults.Body(Problem.Invalid(new RequestValidationException(errors))));
        }
        var account = RequireApiKey.GetAccount(context);
        var poll = wait > TimeSpan.Zero
            ? await commands.WaitAsync(account, commandId, flavor, wait, context.RequestAborted)
            : await commands.GetAsync(account, commandId, flavor, context.RequestAborted);
        return poll.Problem is { } missing ? TypedResults.NotFound(ApiResults.Body(missing)) : TypedResults.Ok(poll.Value);
    }

    private static async Task<Results<Ok<CommandPollResponse>, NotFound<ErrorResponse>, Conflict<ErrorResponse>>> CancelAsync(
        string commandId, HttpContext context, CommandService commands, ApiFlavor flavor)
    {
        var poll = await commands.CancelAsync(RequireApiKey.GetAccount(context), commandId, flavor, context.RequestAborted);
        return poll.Problem switch
        {
            null => TypedResults.Ok(poll.Value),
            { Kind: ProblemKind.NotFound } missing => TypedResults.NotFound(ApiResults.Body(missing)),
            var finished => TypedResults.Conflict(ApiResults.Body(finished)),
        };
    }

    /// <summary>Server-Sent Events: the status and progress whenever they change, then the final poll object (<c>event: end</c>).</summary>
    private static async Task<IResult> EventsAsync(string commandId, HttpContext context, CommandService commands, ApiFlavor flavor)
    {
        var ct = context.RequestAborted;
        var follow = await commands.FollowAsync(RequireApiKey.GetAccount(context), commandId, flavor, ct);
        if (follow.Problem is { } missing)
        {
            return ApiResults.Problem(missing);
        }
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        CommandEvent? last = null;
        try
        {
            await foreach (var poll in follow.Value!.WithCancellation(ct))
            {
                var current = new CommandEvent(poll.Status, poll.Progress);
                if (current != last)
                {
                    await WriteEventAsync(context, "status", JsonSerializer.Serialize(current, WireJson.Default.CommandEvent), ct);
                    last = current;
                }
                if (CommandStatus.IsFinal(poll.Status))
                {
                    await WriteEventAsync(context, "end", JsonSerializer.Serialize(poll, WireJson.Default.CommandPollResponse), ct);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away.
        }
        return Results.Empty;
    }

    private static async Task WriteEventAsync(HttpContext context, string name, string data, CancellationToken ct)
    {
        await context.Response.WriteAsync($"event: {name}\ndata: {data}\n\n", ct);
        await context.Response.Body.FlushAsync(ct);
    }

    private static async Task<IResult> LogAsync(string commandId, HttpContext context, CommandService commands)
    {
        var log = await commands.GetLogAsync(RequireApiKey.GetAccount(context), commandId, context.RequestAborted);
        return log.Problem is { } missing ? ApiResults.Problem(missing) : Results.Text(log.Value, "text/plain; charset=utf-8");
    }

    private static async Task<IResult> ListAsync(HttpContext context, CommandService commands, ApiFlavor flavor)
    {
        var query = context.Request.Query;
        var errors = new List<ValidationDetail>();
        var page = ApiQuery.Paging(query, MaxPage(flavor), errors);
        string? status = query["status"];
        string? type = query["command_type"];
        CommandService.CheckFilters(status, type, errors);
        if (errors.Count > 0)
        {
            return ApiResults.Validation(new RequestValidationException(errors));
        }
        var listed = await commands.ListAsync(RequireApiKey.GetAccount(context), page, status, type, context.RequestAborted);
        if (listed.Problem is { } problem)
        {
            return ApiResults.Problem(problem);
        }
        return flavor == ApiFlavor.Rendi
            ? TypedResults.Json([.. listed.Value!.Select(p => WireViews.ToSummary(p.Command, p.Files, flavor))], WireJson.Default.ListCommandSummary)
            : TypedResults.Json(new CommandListResponse([.. listed.Value!.Select(p => commands.ToPoll(p.Command, p.Files, flavor))], page.Limit, page.Offset),
                WireJson.Default.CommandListResponse);
    }

    private static async Task<Results<Ok<DeleteFilesResponse>, NotFound<ErrorResponse>, Conflict<ErrorResponse>>> DeleteFilesAsync(
        string commandId, HttpContext context, CommandService commands)
    {
        var deleted = await commands.DeleteFilesAsync(RequireApiKey.GetAccount(context), commandId, context.RequestAborted);
        return deleted.Problem switch
        {
            null => TypedResults.Ok(new DeleteFilesResponse(true, deleted.Value)),
            { Kind: ProblemKind.NotFound } missing => TypedResults.NotFound(ApiResults.Body(missing)),
            var running => TypedResults.Conflict(ApiResults.Body(running)),
        };
    }
}
