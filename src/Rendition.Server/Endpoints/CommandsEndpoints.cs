using System.Globalization;
using System.Text.Json;
using Rendition.Core;
using Rendition.Core.Commands;
using Rendition.Core.Contracts;
using Rendition.Core.Storage;
using Rendition.Core.Views;
using Rendition.Server.Auth;

namespace Rendition.Server.Endpoints;

/// <summary>Submitting, polling, listing commands and deleting their files, under RenderIO's <c>/api/v1</c> and Rendi's <c>/v1</c>.</summary>
public static class CommandsEndpoints
{
    public static IEndpointRouteBuilder MapCommands(this IEndpointRouteBuilder app)
    {
        foreach (var (prefix, flavor) in new[] { ("/api/v1", ApiFlavor.RenderIO), ("/v1", ApiFlavor.Rendi) })
        {
            var group = app.MapGroup(prefix).AddEndpointFilter<RequireApiKey>();
            group.MapPost("/run-ffmpeg-command", (HttpContext context, CommandService commands) =>
                SubmitAsync(context, (request, account, ct) => commands.SubmitAsync(account, request, flavor, chained: false, ct)));
            group.MapPost("/run-chained-ffmpeg-commands", (HttpContext context, CommandService commands) =>
                SubmitAsync(context, (request, account, ct) => commands.SubmitAsync(account, request, flavor, chained: true, ct)));
            group.MapGet("/commands/{commandId}", (string commandId, HttpContext context, CommandService commands) => GetAsync(commandId, context, commands, flavor));
            group.MapGet("/commands", (HttpContext context, CommandService commands) => ListAsync(context, commands, flavor));
            group.MapDelete("/commands/{commandId}/files", DeleteFilesAsync);
            if (flavor == ApiFlavor.RenderIO)
            {
                group.MapPost("/run-multiple-ffmpeg-commands", SubmitMultipleAsync);
            }
        }
        return app;
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, Func<SubmitCommandRequest, Account, CancellationToken, Task<Guid>> submit)
    {
        var (request, error) = await ApiResults.ReadJsonAsync(context.Request, WireJson.Default.SubmitCommandRequest);
        if (error is not null)
        {
            return error;
        }
        try
        {
            var id = await submit(request!, RequireApiKey.GetAccount(context), context.RequestAborted);
            return TypedResults.Json(new SubmitCommandResponse(id.ToString()), WireJson.Default.SubmitCommandResponse);
        }
        catch (RequestValidationException e)
        {
            return ApiResults.Validation(e);
        }
    }

    private static async Task<IResult> SubmitMultipleAsync(HttpContext context, CommandService commands)
    {
        var (request, error) = await ApiResults.ReadJsonAsync(context.Request, WireJson.Default.SubmitMultipleRequest);
        if (error is not null)
        {
            return error;
        }
        try
        {
            var ids = await commands.SubmitMultipleAsync(RequireApiKey.GetAccount(context), request!, context.RequestAborted);
            return TypedResults.Json(new SubmitMultipleResponse([.. ids.Select(i => i.ToString())]), WireJson.Default.SubmitMultipleResponse);
        }
        catch (RequestValidationException e)
        {
            return ApiResults.Validation(e);
        }
    }

    private static async Task<IResult> GetAsync(string commandId, HttpContext context, CommandService commands, ApiFlavor flavor)
    {
        var poll = Guid.TryParse(commandId, out var id)
            ? await commands.GetAsync(RequireApiKey.GetAccount(context), id, flavor, context.RequestAborted)
            : null;
        return poll is null
            ? ApiResults.NotFound($"Command {commandId}")
            : TypedResults.Json(poll, WireJson.Default.CommandPollResponse);
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

/// <summary>The command use cases behind the endpoints: validate and enqueue, poll, list, delete files.</summary>
public sealed class CommandService(
    ICommandStore store,
    IBlobStore blobs,
    IJobSignal signal,
    CommandValidator validator,
    WireViews views,
    TimeProvider time)
{
    public async Task<Guid> SubmitAsync(Account account, SubmitCommandRequest request, ApiFlavor flavor, bool chained, CancellationToken ct, string? presetId = null)
    {
        var valid = chained ? validator.ValidateChained(request, flavor) : validator.Validate(request, flavor);
        var command = NewRecord(account, valid, flavor, chained ? CommandTypes.Chained : CommandTypes.Command);
        command.PresetId = presetId;
        await EnqueueAsync([command], ct);
        return command.Id;
    }

    public async Task<IReadOnlyList<Guid>> SubmitMultipleAsync(Account account, SubmitMultipleRequest request, CancellationToken ct)
    {
        var commands = validator.ValidateMultiple(request).Select(v => NewRecord(account, v, ApiFlavor.RenderIO, CommandTypes.Multiple)).ToList();
        await EnqueueAsync(commands, ct);
        return [.. commands.Select(c => c.Id)];
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

    private async Task EnqueueAsync(IReadOnlyList<CommandRecord> commands, CancellationToken ct)
    {
        // Durable before we answer: an accepted command is never lost.
        await store.InsertAsync(commands, ct);
        foreach (var _ in commands)
        {
            signal.Notify();
        }
    }

    public async Task<CommandPollResponse?> GetAsync(Account account, Guid commandId, ApiFlavor flavor, CancellationToken ct)
    {
        var found = await store.GetAsync(account.Id, commandId, ct);
        return found is null ? null : ToPoll(found.Value.Command, found.Value.Files, flavor);
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

    public CommandPollResponse ToPoll(CommandRecord c, IReadOnlyList<FileRecord> files, ApiFlavor flavor) => views.ToPoll(c, files, flavor);
}
