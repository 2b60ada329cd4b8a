using System.Text.Json;
using Rendition.Core;
using Rendition.Core.Commands;
using Rendition.Core.Contracts;
using Rendition.Core.Storage;
using Rendition.Server.Auth;

namespace Rendition.Server.Endpoints;

/// <summary>Submitting and polling FFmpeg commands, under RenderIO's <c>/api/v1</c> and Rendi's <c>/v1</c>.</summary>
public static class CommandsEndpoints
{
    public const string SingleCommandType = "FFMPEG_COMMAND";

    public static IEndpointRouteBuilder MapCommands(this IEndpointRouteBuilder app)
    {
        foreach (var (prefix, flavor) in new[] { ("/api/v1", ApiFlavor.RenderIO), ("/v1", ApiFlavor.Rendi) })
        {
            var group = app.MapGroup(prefix).AddEndpointFilter<RequireApiKey>();
            group.MapPost("/run-ffmpeg-command", (HttpContext context, CommandService commands) => SubmitAsync(context, commands, flavor));
            group.MapGet("/commands/{commandId}", GetAsync);
        }
        return app;
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, CommandService commands, ApiFlavor flavor)
    {
        var (request, error) = await ApiResults.ReadJsonAsync(context.Request, WireJson.Default.SubmitCommandRequest);
        if (error is not null)
        {
            return error;
        }
        try
        {
            var id = await commands.SubmitAsync(RequireApiKey.GetAccount(context), request!, flavor, context.RequestAborted);
            return TypedResults.Json(new SubmitCommandResponse(id.ToString()), WireJson.Default.SubmitCommandResponse);
        }
        catch (RequestValidationException e)
        {
            return ApiResults.Validation(e);
        }
    }

    private static async Task<IResult> GetAsync(string commandId, HttpContext context, CommandService commands)
    {
        var poll = Guid.TryParse(commandId, out var id)
            ? await commands.GetAsync(RequireApiKey.GetAccount(context), id, context.RequestAborted)
            : null;
        return poll is null
            ? ApiResults.NotFound($"Command {commandId}")
            : TypedResults.Json(poll, WireJson.Default.CommandPollResponse);
    }
}

/// <summary>The command use cases behind the endpoints: validate and enqueue, and build the poll object.</summary>
public sealed class CommandService(
    ICommandStore store,
    IBlobStore blobs,
    IJobSignal signal,
    CommandValidator validator,
    RenditionOptions options,
    TimeProvider time)
{
    public async Task<Guid> SubmitAsync(Account account, SubmitCommandRequest request, ApiFlavor flavor, CancellationToken ct)
    {
        var valid = validator.Validate(request, flavor);
        var command = new CommandRecord
        {
            Id = Guid.NewGuid(),
            AccountId = account.Id,
            Status = CommandStatus.Queued,
            CommandType = CommandsEndpoints.SingleCommandType,
            Flavor = (int)flavor,
            RequestJson = JsonSerializer.Serialize(valid.Request, WireJson.Default.OriginalRequest),
            MetadataJson = valid.MetadataJson,
            WebhookUrl = valid.WebhookUrl,
            MaxSeconds = valid.MaxSeconds,
            VcpuCount = valid.VcpuCount,
            CreatedAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        // Durable before we answer: an accepted command is never lost.
        await store.InsertAsync(command, ct);
        signal.Notify();
        return command.Id;
    }

    public async Task<CommandPollResponse?> GetAsync(Account account, Guid commandId, CancellationToken ct)
    {
        var found = await store.GetAsync(account.Id, commandId, ct);
        return found is null ? null : ToPoll(found.Value.Command, found.Value.Files);
    }

    public CommandPollResponse ToPoll(CommandRecord c, IReadOnlyList<FileRecord> files)
    {
        var final = CommandStatus.IsFinal(c.Status);
        var poll = new CommandPollResponse
        {
            CommandId = c.Id.ToString(),
            Status = c.Status,
            CommandType = c.CommandType,
            TotalProcessingSeconds = final && c.CompletedAt is { } done ? Math.Round((done - c.CreatedAt) / 1000.0, 3) : null,
            FfmpegCommandRunSeconds = final && c.FfmpegSeconds is { } f ? Math.Round(f, 3) : null,
            VcpuCount = c.VcpuCount,
            Metadata = c.MetadataJson is null ? null : JsonDocument.Parse(c.MetadataJson).RootElement.Clone(),
            ErrorStatus = c.ErrorStatus,
            ErrorMessage = c.ErrorMessage,
            OriginalRequest = JsonSerializer.Deserialize(c.RequestJson, WireJson.Default.OriginalRequest)!,
        };
        foreach (var file in files)
        {
            poll.OutputFiles[file.Alias ?? file.Id.ToString()] = ToFileMeta(file);
        }
        return poll;
    }

    public OutputFileMeta ToFileMeta(FileRecord file)
    {
        var media = file.MediaJson is null ? new MediaInfo() : JsonSerializer.Deserialize(file.MediaJson, WireJson.Default.MediaInfo) ?? new MediaInfo();
        var available = file.Status == FileStatus.Stored && !file.IsDeleted;
        return new OutputFileMeta
        {
            FileId = file.Id.ToString(),
            StorageUrl = available ? blobs.GetDownloadUrl(file.StorageKey, TimeSpan.FromSeconds(options.UrlExpirySeconds)) : null,
            Status = file.Status,
            RendiStoreType = file.StoreType,
            IsDeleted = file.IsDeleted,
            Filename = file.Filename,
            SizeMbytes = file.SizeBytes is { } b ? b / 1048576.0 : null,
            Duration = media.Duration,
            FileType = media.FileType,
            FileFormat = media.FileFormat,
            Codec = media.Codec,
            PixelFormat = media.PixelFormat,
            MimeType = media.MimeType,
            Width = media.Width,
            Height = media.Height,
            FrameRate = media.FrameRate,
            BitrateVideoKb = media.BitrateVideoKb,
            BitrateAudioKb = media.BitrateAudioKb,
            IsVaryingFrameRate = media.IsVaryingFrameRate ?? false,
        };
    }
}
