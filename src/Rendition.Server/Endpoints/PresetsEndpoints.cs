using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Rendition.Core;
using Rendition.Core.Commands;
using Rendition.Core.Contracts;
using Rendition.Core.Presets;
using Rendition.Core.Storage;
using Rendition.Server.Auth;
using Rendition.Server.Docs;

namespace Rendition.Server.Endpoints;

/// <summary>Presets: reusable command templates with typed variables, run with only inputs (and variable values) at execute time.</summary>
public static class PresetsEndpoints
{
    public static IEndpointRouteBuilder MapPresets(this IEndpointRouteBuilder app)
    {
        const string tag = "Presets";
        var group = app.MapGroup("/api/v1/presets").RequiresApiKey();
        group.MapPost("", CreateAsync)
            .Doc(tag, "Create a preset",
                "A command template (`ffmpeg_command` or `ffmpeg_commands`) with its `input_file_keys`, `output_file_definitions` and typed " +
                "`variables` used as `{{var_name}}`. Names are unique per account.")
            .Body<PresetRequest>()
            .Returns<Preset>(StatusCodes.Status201Created)
            .Errors(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);
        group.MapGet("", ListAsync)
            .Doc(tag, "List presets")
            .Returns<PresetListResponse>();
        group.MapGet("/{presetId}", GetAsync)
            .Doc(tag, "Get a preset")
            .Returns<Preset>()
            .Errors(StatusCodes.Status404NotFound);
        group.MapPut("/{presetId}", UpdateAsync)
            .Doc(tag, "Update a preset", "Changes the given fields (at least one); `metadata` and `variables` are replaced whole.")
            .Body<PresetRequest>()
            .Returns<Preset>()
            .Errors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);
        group.MapDelete("/{presetId}", DeleteAsync)
            .Doc(tag, "Delete a preset")
            .Returns<SuccessResponse>()
            .Errors(StatusCodes.Status404NotFound);
        group.MapPost("/{presetId}/execute", ExecuteAsync)
            .Doc(tag, "Run a preset", "Runs the preset with these inputs (and variable values) as an ordinary command; poll the `command_id` as usual.")
            .Submission<PresetExecuteRequest, SubmitCommandResponse>()
            .Errors(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IPresetStore presets, CommandValidator validator, TimeProvider time)
    {
        var (request, error) = await ApiResults.ReadJsonAsync(context.Request, PresetJson.Default.PresetRequest);
        if (error is not null)
        {
            return error;
        }
        var now = Iso(time);
        var preset = new Preset
        {
            PresetId = "prs_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)),
            AccountId = RequireApiKey.GetAccount(context).Id,
            CreatedAt = now,
            UpdatedAt = now,
        };
        try
        {
            Apply(preset, request!, creating: true);
            PresetRules.Validate(preset, validator);
        }
        catch (RequestValidationException e)
        {
            return ApiResults.Validation(e);
        }
        return await presets.InsertAsync(preset, context.RequestAborted)
            ? TypedResults.Json(preset, PresetJson.Default.Preset, statusCode: StatusCodes.Status201Created)
            : NameTaken(preset.Name);
    }

    private static async Task<IResult> ListAsync(HttpContext context, IPresetStore presets) =>
        TypedResults.Json(new PresetListResponse(await presets.ListAsync(RequireApiKey.GetAccount(context).Id, context.RequestAborted)),
            PresetJson.Default.PresetListResponse);

    private static async Task<IResult> GetAsync(string presetId, HttpContext context, IPresetStore presets) =>
        await presets.GetAsync(RequireApiKey.GetAccount(context).Id, presetId, context.RequestAborted) is { } preset
            ? TypedResults.Json(preset, PresetJson.Default.Preset)
            : ApiResults.NotFound($"Preset {presetId}");

    private static async Task<IResult> UpdateAsync(string presetId, HttpContext context, IPresetStore presets, CommandValidator validator, TimeProvider time)
    {
        var preset = await presets.GetAsync(RequireApiKey.GetAccount(context).Id, presetId, context.RequestAborted);
        if (preset is null)
        {
            return ApiResults.NotFound($"Preset {presetId}");
        }
        var (request, error) = await ApiResults.ReadJsonAsync(context.Request, PresetJson.Default.PresetRequest);
        if (error is not null)
        {
            return error;
        }
        try
        {
            Apply(preset, request!, creating: false);
            PresetRules.Validate(preset, validator);
        }
        catch (RequestValidationException e)
        {
            return ApiResults.Validation(e);
        }
        preset.UpdatedAt = Iso(time);
        return await presets.UpdateAsync(preset, context.RequestAborted)
            ? TypedResults.Json(preset, PresetJson.Default.Preset)
            : NameTaken(preset.Name);
    }

    private static async Task<IResult> DeleteAsync(string presetId, HttpContext context, IPresetStore presets) =>
        await presets.DeleteAsync(RequireApiKey.GetAccount(context).Id, presetId, context.RequestAborted)
            ? TypedResults.Json(new SuccessResponse(true), WireJson.Default.SuccessResponse)
            : ApiResults.NotFound($"Preset {presetId}");

    private static async Task<IResult> ExecuteAsync(string presetId, HttpContext context, IPresetStore presets, CommandService commands)
    {
        var preset = await presets.GetAsync(RequireApiKey.GetAccount(context).Id, presetId, context.RequestAborted);
        if (preset is null)
        {
            return ApiResults.NotFound($"Preset {presetId}");
        }
        // The ordinary submission path (idempotency keys, ?wait=), with the preset turned into a command first.
        return await CommandsEndpoints.SubmitAsync(context, commands, PresetJson.Default.PresetExecuteRequest, ApiFlavor.RenderIO, (request, account) =>
            [commands.Build(account, PresetRules.ForExecute(preset, request), ApiFlavor.RenderIO, chained: preset.FfmpegCommands is not null, preset.PresetId)]);
    }

    /// <summary>Copies the given fields onto the preset; on update at least one field is needed, and metadata is replaced whole.</summary>
    private static void Apply(Preset preset, PresetRequest request, bool creating)
    {
        var errors = new List<ValidationDetail>();
        var any = request.Name is not null || request.Description is not null || request.FfmpegCommand is not null || request.FfmpegCommands is not null
            || request.InputFileKeys is not null || request.OutputFileDefinitions is not null || request.Metadata is not null || request.Variables is not null;
        if (!creating && !any)
        {
            throw new RequestValidationException("body", "give at least one field to change");
        }
        if (request.FfmpegCommand is not null && request.FfmpegCommands is not null)
        {
            errors.Add(new("ffmpeg_commands", "give either ffmpeg_command or ffmpeg_commands, not both"));
        }
        if (creating && request.FfmpegCommand is null && request.FfmpegCommands is null)
        {
            errors.Add(new("ffmpeg_command", "is required (or ffmpeg_commands for a chained preset)"));
        }
        if (creating && request.OutputFileDefinitions is null)
        {
            errors.Add(new("output_file_definitions", "is required"));
        }
        if (request.InputFileKeys?.Any(k => k is null) == true || request.OutputFileDefinitions?.Values.Any(v => v is null) == true
            || request.FfmpegCommands?.Any(c => c is null) == true || request.Variables?.Values.Any(v => v is null) == true)
        {
            errors.Add(new("body", "lists may not contain null"));
        }
        if (request.InputFileKeys is { } keys && keys.Distinct().Count() != keys.Count)
        {
            errors.Add(new("input_file_keys", "has duplicates"));
        }
        if (errors.Count > 0)
        {
            throw new RequestValidationException(errors);
        }

        preset.Name = request.Name?.Trim() ?? preset.Name;
        preset.Description = request.Description ?? preset.Description;
        if (request.FfmpegCommand is not null)
        {
            preset.FfmpegCommand = request.FfmpegCommand;
            preset.FfmpegCommands = null;
        }
        if (request.FfmpegCommands is not null)
        {
            preset.FfmpegCommands = [.. request.FfmpegCommands.Select(c => c!)];
            preset.FfmpegCommand = null;
        }
        preset.InputFileKeys = request.InputFileKeys is null ? preset.InputFileKeys : [.. request.InputFileKeys.Select(k => k!)];
        preset.OutputFileDefinitions = request.OutputFileDefinitions?.ToDictionary(kv => kv.Key, kv => kv.Value!) ?? preset.OutputFileDefinitions;
        preset.Metadata = request.Metadata ?? preset.Metadata;
        preset.Variables = request.Variables?.ToDictionary(kv => kv.Key, kv => kv.Value!) ?? preset.Variables;
        if (preset.Metadata is { Count: > CommandValidator.MaxMetadataKeys })
        {
            throw new RequestValidationException("metadata", $"may have at most {CommandValidator.MaxMetadataKeys} keys");
        }
    }

    private static Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<ErrorResponse> NameTaken(string name) =>
        ApiResults.Error(StatusCodes.Status409Conflict, ErrorCodes.Conflict, $"You already have a preset named '{name}'.");

    private static string Iso(TimeProvider time) => time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
