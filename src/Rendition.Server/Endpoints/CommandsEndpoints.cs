using System.Globalization;
using System.Text.Json;
using Rendition.Core;
using Rendition.Core.Commands;
using Rendition.Core.Contracts;
using Rendition.Core.Storage;
using Rendition.Core.Views;
using Rendition.Execution;
using Rendition.Server.Auth;
using Rendition.Server.Docs;

namespace Rendition.Server.Endpoints;

/// <summary>
/// Submitting, polling, listing commands and deleting their files, under RenderIO's <c>/api/v1</c> and Rendi's <c>/v1</c>;
/// plus Rendition's job control: progress, events, cancel, wait, logs and idempotent submissions.
/// </summary>
public static class CommandsEndpoints
{
    public const string IdempotencyHeader = "Idempotency-Key";
    public const int MaxWaitSeconds = 60;

    public static IEndpointRouteBuilder MapCommands(this IEndpointRouteBuilder app)
    {
        foreach (var (prefix, flavor) in new[] { ("/api/v1", ApiFlavor.RenderIO), ("/v1", ApiFlavor.Rendi) })
        {
            var tag = flavor == ApiFlavor.Rendi ? "Rendi: Commands" : "Commands";
            var group = app.MapGroup(prefix).RequiresApiKey();
            group.MapPost("/run-ffmpeg-command", (HttpContext context, CommandService commands) =>
                SubmitAsync(context, commands, WireJson.Default.SubmitCommandRequest, flavor, (request, account) => [commands.Build(account, request, flavor, chained: false)]))
                .Doc(tag, "Run an FFmpeg command",
                    "Queues one command. `input_files` maps `in_*` aliases to URLs (a stored file by its `storage_url`), `output_files` maps `out_*` " +
                    "aliases to file names, and `ffmpeg_command` uses them as `{{alias}}`. Poll the returned `command_id` for the result.")
                .Submission<SubmitCommandRequest, SubmitCommandResponse>();
            group.MapPost("/run-chained-ffmpeg-commands", (HttpContext context, CommandService commands) =>
                SubmitAsync(context, commands, WireJson.Default.SubmitCommandRequest, flavor, (request, account) => [commands.Build(account, request, flavor, chained: true)]))
                .Doc(tag, "Run chained FFmpeg commands",
                    "Queues `ffmpeg_commands`, run in order in one job: later commands can read earlier outputs by their `{{out_*}}` alias.")
                .Submission<SubmitCommandRequest, SubmitCommandResponse>();
            group.MapGet("/commands/{commandId}", (string commandId, HttpContext context, CommandService commands) => GetAsync(commandId, context, commands, flavor))
                .Doc(tag, "Get a command", "The poll object: status, timings, output files with their `storage_url` and media facts, and the original request.")
                .Returns<CommandPollResponse>()
                .Errors(StatusCodes.Status404NotFound, StatusCodes.Status422UnprocessableEntity)
                .Query("wait", "integer", $"Seconds (0 to {MaxWaitSeconds}) to hold the answer until the command finishes. A Rendition extension.");
            var list = group.MapGet("/commands", (HttpContext context, CommandService commands) => ListAsync(context, commands, flavor))
                .Doc(tag, "List commands", "Newest first.")
                .Errors(StatusCodes.Status422UnprocessableEntity)
                .Paging(flavor == ApiFlavor.Rendi ? 1000 : 100)
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
                .Doc(tag, "Delete a command's output files", "Deletes the stored outputs of a finished command; the command record stays.")
                .Returns<DeleteFilesResponse>()
                .Errors(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
            group.MapPost("/commands/{commandId}/cancel", (string commandId, HttpContext context, CommandService commands) => CancelAsync(commandId, context, commands, flavor))
                .Doc(tag, "Cancel a command",
                    "Cancels a queued command at once, or stops a running one; it ends FAILED with `error_status` CANCELLED. Answers the poll object. A Rendition extension.")
                .Returns<CommandPollResponse>()
                .Errors(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
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
                    SubmitAsync(context, commands, WireJson.Default.SubmitMultipleRequest, flavor, commands.BuildMultiple))
                    .Doc(tag, "Run several independent FFmpeg commands",
                        "Queues a batch of independent commands (validated all or none); each gets its own `command_id`.")
                    .Submission<SubmitMultipleRequest, SubmitMultipleResponse>();
            }
        }
        return app;
    }

    /// <summary>
    /// The one submission path: read and validate, honour <c>Idempotency-Key</c> (same key and body within 24 h answer the
    /// first answer; another body is 422), store durably, and with <c>?wait=</c> answer the finished poll object when the
    /// command ends in time (else 202 with the usual body).
    /// </summary>
    internal static async Task<IResult> SubmitAsync<T>(HttpContext context, CommandService commands, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type,
        ApiFlavor flavor, Func<T, Account, IReadOnlyList<CommandRecord>> build)
        where T : class
    {
        var errors = new List<ValidationDetail>();
        var wait = WaitSeconds(context, errors);
        string? key = context.Request.Headers[IdempotencyHeader];
        if (key is { Length: 0 or > 255 })
        {
            errors.Add(new(IdempotencyHeader, "must be 1 to 255 characters"));
        }
        if (errors.Count > 0)
        {
            return ApiResults.Validation(new RequestValidationException(errors));
        }
        var (request, error, bodyHash) = await ApiResults.ReadJsonWithHashAsync(context.Request, type);
        if (error is not null)
        {
            return error;
        }
        var account = RequireApiKey.GetAccount(context);
        var idempotency = key is null ? null : new CommandService.IdempotencyRequest(key, $"{context.Request.Path}\n{bodyHash}");
        if (idempotency is not null && await commands.FindIdempotentAnswerAsync(account, idempotency, context.RequestAborted) is { } earlier)
        {
            return earlier;
        }
        IReadOnlyList<CommandRecord> records;
        try
        {
            records = build(request!, account);
        }
        catch (RequestValidationException e)
        {
            return ApiResults.Validation(e);
        }
        var answer = typeof(T) != typeof(SubmitMultipleRequest)
            ? JsonSerializer.Serialize(new SubmitCommandResponse(records[0].Id.ToString()), WireJson.Default.SubmitCommandResponse)
            : JsonSerializer.Serialize(new SubmitMultipleResponse([.. records.Select(r => r.Id.ToString())]), WireJson.Default.SubmitMultipleResponse);
        if (!await commands.EnqueueAsync(account, records, answer, idempotency, context.RequestAborted))
        {
            // Another request with the same key won the race: answer as it was answered.
            return await commands.FindIdempotentAnswerAsync(account, idempotency!, context.RequestAborted)
                ?? ApiResults.Error(StatusCodes.Status409Conflict, ErrorCodes.Conflict, "A request with this Idempotency-Key is being processed; retry.");
        }
        if (wait > 0 && records.Count == 1)
        {
            var poll = await commands.WaitAsync(account, records[0].Id, flavor, TimeSpan.FromSeconds(wait), context.RequestAborted);
            return poll is not null && CommandStatus.IsFinal(poll.Status)
                ? TypedResults.Json(poll, WireJson.Default.CommandPollResponse)
                : Results.Text(answer, "application/json", statusCode: StatusCodes.Status202Accepted);
        }
        return Results.Text(answer, "application/json");
    }

    private static int WaitSeconds(HttpContext context, List<ValidationDetail> errors)
    {
        var wait = FilesEndpoints.QueryInt(context.Request.Query["wait"], "wait", 0, 0, errors);
        if (wait > MaxWaitSeconds)
        {
            errors.Add(new("wait", $"may be at most {MaxWaitSeconds} seconds"));
        }
        return wait;
    }

    private static async Task<IResult> GetAsync(string commandId, HttpContext context, CommandService commands, ApiFlavor flavor)
    {
        var errors = new List<ValidationDetail>();
        var wait = WaitSeconds(context, errors);
        if (errors.Count > 0)
        {
            return ApiResults.Validation(new RequestValidationException(errors));
        }
        var account = RequireApiKey.GetAccount(context);
        var poll = !Guid.TryParse(commandId, out var id) ? null
            : wait > 0 ? await commands.WaitAsync(account, id, flavor, TimeSpan.FromSeconds(wait), context.RequestAborted)
            : await commands.GetAsync(account, id, flavor, context.RequestAborted);
        return poll is null
            ? ApiResults.NotFound($"Command {commandId}")
            : TypedResults.Json(poll, WireJson.Default.CommandPollResponse);
    }

    private static async Task<IResult> CancelAsync(string commandId, HttpContext context, CommandService commands, ApiFlavor flavor)
    {
        var account = RequireApiKey.GetAccount(context);
        if (!Guid.TryParse(commandId, out var id))
        {
            return ApiResults.NotFound($"Command {commandId}");
        }
        return await commands.CancelAsync(account, id, context.RequestAborted) switch
        {
            CancelOutcome.NotFound => ApiResults.NotFound($"Command {commandId}"),
            CancelOutcome.AlreadyFinished => ApiResults.Error(StatusCodes.Status409Conflict, ErrorCodes.Conflict, "The command has already finished."),
            _ => TypedResults.Json((await commands.WaitAsync(account, id, flavor, TimeSpan.FromSeconds(3), context.RequestAborted))!, WireJson.Default.CommandPollResponse),
        };
    }

    /// <summary>Server-Sent Events: the status and progress whenever they change, then the final poll object (<c>event: end</c>).</summary>
    private static async Task<IResult> EventsAsync(string commandId, HttpContext context, CommandService commands, ApiFlavor flavor)
    {
        var account = RequireApiKey.GetAccount(context);
        var ct = context.RequestAborted;
        if (!Guid.TryParse(commandId, out var id) || await commands.GetAsync(account, id, flavor, ct) is null)
        {
            return ApiResults.NotFound($"Command {commandId}");
        }
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        CommandEvent? last = null;
        try
        {
            while (true)
            {
                var finished = commands.WhenFinished(id);
                var poll = (await commands.GetAsync(account, id, flavor, ct))!;
                var current = new CommandEvent(poll.Status, poll.Progress);
                if (current != last)
                {
                    await WriteEventAsync(context, "status", JsonSerializer.Serialize(current, WireJson.Default.CommandEvent), ct);
                    last = current;
                }
                if (CommandStatus.IsFinal(poll.Status))
                {
                    await WriteEventAsync(context, "end", JsonSerializer.Serialize(poll, WireJson.Default.CommandPollResponse), ct);
                    break;
                }
                await Task.WhenAny(finished, Task.Delay(TimeSpan.FromMilliseconds(250), ct));
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

    private static async Task<IResult> LogAsync(string commandId, HttpContext context, ICommandStore store)
    {
        var found = Guid.TryParse(commandId, out var id)
            ? await store.GetLogAsync(RequireApiKey.GetAccount(context).Id, id, context.RequestAborted)
            : (false, null);
        return found.Found ? Results.Text(found.Log ?? "", "text/plain; charset=utf-8") : ApiResults.NotFound($"Command {commandId}");
    }

    private static async Task<IResult> ListAsync(HttpContext context, CommandService commands, ApiFlavor flavor)
    {
        var query = context.Request.Query;
        var errors = new List<ValidationDetail>();
        var maxLimit = flavor == ApiFlavor.Rendi ? 1000 : 100;
        var limit = Math.Min(FilesEndpoints.QueryInt(query["limit"], "limit", 50, 1, errors), maxLimit);
        var offset = FilesEndpoints.QueryInt(query["offset"], "offset", 0, 0, errors);
        string? status = query["status"];
        if (status is not null && status is not (CommandStatus.Queued or CommandStatus.Processing or CommandStatus.Success or CommandStatus.Failed))
        {
            errors.Add(new("status", "must be one of QUEUED, PROCESSING, SUCCESS, FAILED"));
        }
        string? type = query["command_type"];
        var storedType = type is null ? null : CommandTypes.Parse(type);
        if (type is not null && storedType is null)
        {
            errors.Add(new("command_type", "must be one of FFMPEG_COMMAND, CHAINED_COMMAND, MULTIPLE_COMMAND"));
        }
        if (errors.Count > 0)
        {
            return ApiResults.Validation(new RequestValidationException(errors));
        }

        var page = await commands.ListAsync(RequireApiKey.GetAccount(context), new CommandQuery(limit, offset, status, storedType), context.RequestAborted);
        if (flavor == ApiFlavor.Rendi)
        {
            List<CommandSummary> summaries = [.. page.Select(p => new CommandSummary(p.Command.Id.ToString(), p.Command.Status,
                CommandTypes.ForWire(p.Command.CommandType, flavor), p.Files.Count, p.Command.ErrorStatus, p.Command.ErrorMessage,
                DateTimeOffset.FromUnixTimeMilliseconds(p.Command.CreatedAt).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)))];
            return TypedResults.Json(summaries, WireJson.Default.ListCommandSummary);
        }
        List<CommandPollResponse> polls = [.. page.Select(p => commands.ToPoll(p.Command, p.Files, flavor))];
        return TypedResults.Json(new CommandListResponse(polls, limit, offset), WireJson.Default.CommandListResponse);
    }

    private static async Task<IResult> DeleteFilesAsync(string commandId, HttpContext context, CommandService commands)
    {
        if (!Guid.TryParse(commandId, out var id))
        {
            return ApiResults.NotFound($"Command {commandId}");
        }
        var result = await commands.DeleteFilesAsync(RequireApiKey.GetAccount(context), id, context.RequestAborted);
        return result switch
        {
            null => ApiResults.NotFound($"Command {commandId}"),
            -1 => ApiResults.Error(StatusCodes.Status409Conflict, ErrorCodes.Conflict, "The command is still running; delete its files once it has finished."),
            _ => TypedResults.Json(new DeleteFilesResponse(true, result.Value), WireJson.Default.DeleteFilesResponse),
        };
    }
}

/// <summary>The command use cases behind the endpoints: validate and enqueue, poll, wait, cancel, list, delete files.</summary>
public sealed class CommandService(
    ICommandStore store,
    IBlobStore blobs,
    IJobSignal signal,
    CommandValidator validator,
    WireViews views,
    JobRuntime runtime,
    JobCompletion completion,
    TimeProvider time)
{
    /// <summary>An <c>Idempotency-Key</c> and the hash of the request it came with.</summary>
    public sealed record IdempotencyRequest(string Key, string RequestHash);

    private static readonly TimeSpan IdempotencyWindow = TimeSpan.FromHours(24);
    private static readonly TimeSpan WaitFallbackPoll = TimeSpan.FromSeconds(1);

    /// <summary>A validated single or chained command, ready to enqueue.</summary>
    public CommandRecord Build(Account account, SubmitCommandRequest request, ApiFlavor flavor, bool chained, string? presetId = null)
    {
        var valid = chained ? validator.ValidateChained(request, flavor) : validator.Validate(request, flavor);
        var command = NewRecord(account, valid, flavor, chained ? CommandTypes.Chained : CommandTypes.Command);
        command.PresetId = presetId;
        return command;
    }

    /// <summary>A validated batch (all or none), ready to enqueue.</summary>
    public IReadOnlyList<CommandRecord> BuildMultiple(SubmitMultipleRequest request, Account account) =>
        [.. validator.ValidateMultiple(request).Select(v => NewRecord(account, v, ApiFlavor.RenderIO, CommandTypes.Multiple))];

    /// <summary>Submits one command (used by tests and callers that need no HTTP details).</summary>
    public async Task<Guid> SubmitAsync(Account account, SubmitCommandRequest request, ApiFlavor flavor, bool chained, CancellationToken ct)
    {
        var command = Build(account, request, flavor, chained);
        await EnqueueAsync(account, [command], "", null, ct);
        return command.Id;
    }

    private CommandRecord NewRecord(Account account, ValidatedCommand valid, ApiFlavor flavor, string type) => new()
    {
        Id = Guid.NewGuid(),
        AccountId = account.Id,
        Status = CommandStatus.Queued,
        CommandType = type,
        Flavor = (int)flavor,
        RequestJson = JsonSerializer.Serialize(valid.Request, WireJson.Default.OriginalRequest),
        MetadataJson = valid.MetadataJson,
        WebhookUrl = valid.WebhookUrl,
        MaxSeconds = valid.MaxSeconds,
        VcpuCount = valid.VcpuCount,
        CreatedAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
    };

    /// <summary>Stores the commands durably (with the idempotency key, in one transaction) and wakes a worker; false when the key was taken meanwhile.</summary>
    public async Task<bool> EnqueueAsync(Account account, IReadOnlyList<CommandRecord> commands, string answer, IdempotencyRequest? idempotency, CancellationToken ct)
    {
        var record = idempotency is null ? null
            : new IdempotencyRecord(idempotency.Key, idempotency.RequestHash, answer, time.GetUtcNow().ToUnixTimeMilliseconds());
        // Durable before we answer: an accepted command is never lost.
        if (!await store.InsertAsync(commands, account.Id, record, ct))
        {
            return false;
        }
        foreach (var _ in commands)
        {
            signal.Notify();
        }
        return true;
    }

    /// <summary>The first answer given for this key and body, a 422 for the key with another body, or null when the key is new.</summary>
    public async Task<IResult?> FindIdempotentAnswerAsync(Account account, IdempotencyRequest idempotency, CancellationToken ct)
    {
        var since = time.GetUtcNow().Subtract(IdempotencyWindow).ToUnixTimeMilliseconds();
        var earlier = await store.FindIdempotencyAsync(account.Id, idempotency.Key, since, ct);
        if (earlier is null)
        {
            return null;
        }
        return earlier.RequestHash == idempotency.RequestHash
            ? Results.Text(earlier.ResponseJson, "application/json")
            : ApiResults.Error(StatusCodes.Status422UnprocessableEntity, ErrorCodes.IdempotencyKeyReused,
                "This Idempotency-Key was already used with a different request; use a new key for a new request.");
    }

    public async Task<CommandPollResponse?> GetAsync(Account account, Guid commandId, ApiFlavor flavor, CancellationToken ct)
    {
        var found = await store.GetAsync(account.Id, commandId, ct);
        return found is null ? null : ToPoll(found.Value.Command, found.Value.Files, flavor);
    }

    /// <summary>The poll object once the command has finished, or as it is when <paramref name="timeout"/> passes; woken by the completion itself.</summary>
    public async Task<CommandPollResponse?> WaitAsync(Account account, Guid commandId, ApiFlavor flavor, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + timeout;
        while (true)
        {
            // Subscribe before reading, so a completion in between is not missed.
            var finished = runtime.WhenFinished(commandId);
            var poll = await GetAsync(account, commandId, flavor, ct);
            var left = deadline - time.GetUtcNow();
            if (poll is null || CommandStatus.IsFinal(poll.Status) || left <= TimeSpan.Zero)
            {
                return poll;
            }
            // A worker in another process finishes without telling this one: look again now and then.
            await Task.WhenAny(finished, Task.Delay(left < WaitFallbackPoll ? left : WaitFallbackPoll, time, ct));
            ct.ThrowIfCancellationRequested();
        }
    }

    public Task WhenFinished(Guid commandId) => runtime.WhenFinished(commandId);

    /// <summary>Cancels a queued command at once, or stops a running one (here directly, elsewhere through its worker's monitor).</summary>
    public async Task<CancelOutcome> CancelAsync(Account account, Guid commandId, CancellationToken ct)
    {
        var outcome = await store.RequestCancelAsync(account.Id, commandId, ct);
        if (outcome == CancelOutcome.CancelledWhileQueued)
        {
            // It never ran: finished like any job, with no duration (its creation time is not at hand here).
            completion.Finished(commandId, null, ErrorCodes.Cancelled, null);
        }
        else if (outcome == CancelOutcome.StopRequested)
        {
            runtime.TryCancel(commandId);
        }
        return outcome;
    }

    public Task<IReadOnlyList<(CommandRecord Command, IReadOnlyList<FileRecord> Files)>> ListAsync(Account account, CommandQuery query, CancellationToken ct) =>
        store.ListAsync(account.Id, query, ct);

    /// <summary>Deletes a finished command's stored outputs: the count deleted, -1 while it still runs, null when not found.</summary>
    public async Task<int?> DeleteFilesAsync(Account account, Guid commandId, CancellationToken ct)
    {
        var found = await store.GetAsync(account.Id, commandId, ct);
        if (found is null)
        {
            return null;
        }
        if (!CommandStatus.IsFinal(found.Value.Command.Status))
        {
            return -1;
        }
        // Marked first: from here no poll hands out a URL to a blob that is about to go.
        var deleted = await store.MarkCommandFilesDeletedAsync(account.Id, commandId, ct);
        foreach (var file in deleted)
        {
            await blobs.DeleteAsync(file.StorageKey, ct);
        }
        return deleted.Count;
    }

    /// <summary>The poll object; while PROCESSING it carries progress, fresh from this process's worker when it runs here.</summary>
    public CommandPollResponse ToPoll(CommandRecord c, IReadOnlyList<FileRecord> files, ApiFlavor flavor)
    {
        var poll = views.ToPoll(c, files, flavor);
        if (c.Status == CommandStatus.Processing)
        {
            poll.Progress = runtime.GetProgress(c.Id)
                ?? (c.ProgressJson is null ? null : JsonSerializer.Deserialize(c.ProgressJson, WireJson.Default.CommandProgress));
        }
        return poll;
    }
}
