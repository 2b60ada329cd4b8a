using Rendition.Core;
using Rendition.Core.Contracts;
using Rendition.Core.Presets;
using Rendition.Server.Auth;
using Rendition.Server.Commands;
using Rendition.Server.Docs;

namespace Rendition.Server.Presets;

/// <summary>Presets: reusable command templates with typed variables, run with only inputs (and variable values). HTTP in, <see cref="PresetService"/> out.</summary>
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

    private static async Task<IResult> CreateAsync(HttpContext context, PresetService presets)
    {
        var (request, problem) = await ApiResults.ReadJsonAsync(context.Request, PresetJson.Default.PresetRequest);
        if (problem is not null)
        {
            return ApiResults.Problem(problem);
        }
        var created = await presets.CreateAsync(RequireApiKey.GetAccount(context), request!, context.RequestAborted);
        return created.Problem is { } refused
            ? ApiResults.Problem(refused)
            : TypedResults.Json(created.Value, PresetJson.Default.Preset, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListAsync(HttpContext context, PresetService presets) =>
        TypedResults.Json(new PresetListResponse(await presets.ListAsync(RequireApiKey.GetAccount(context), context.RequestAborted)), PresetJson.Default.PresetListResponse);

    private static async Task<IResult> GetAsync(string presetId, HttpContext context, PresetService presets)
    {
        var preset = await presets.GetAsync(RequireApiKey.GetAccount(context), presetId, context.RequestAborted);
        return preset.Problem is { } missing ? ApiResults.Problem(missing) : TypedResults.Json(preset.Value, PresetJson.Default.Preset);
    }

    private static async Task<IResult> UpdateAsync(string presetId, HttpContext context, PresetService presets)
    {
        var account = RequireApiKey.GetAccount(context);
        // A preset that is not there is 404 whatever the body holds.
        if ((await presets.GetAsync(account, presetId, context.RequestAborted)).Problem is { } missing)
        {
            return ApiResults.Problem(missing);
        }
        var (request, problem) = await ApiResults.ReadJsonAsync(context.Request, PresetJson.Default.PresetRequest);
        if (problem is not null)
        {
            return ApiResults.Problem(problem);
        }
        var updated = await presets.UpdateAsync(account, presetId, request!, context.RequestAborted);
        return updated.Problem is { } refused ? ApiResults.Problem(refused) : TypedResults.Json(updated.Value, PresetJson.Default.Preset);
    }

    private static async Task<IResult> DeleteAsync(string presetId, HttpContext context, PresetService presets)
    {
        var deleted = await presets.DeleteAsync(RequireApiKey.GetAccount(context), presetId, context.RequestAborted);
        return deleted.Problem is { } missing ? ApiResults.Problem(missing) : TypedResults.Json(new SuccessResponse(true), WireJson.Default.SuccessResponse);
    }

    private static async Task<IResult> ExecuteAsync(string presetId, HttpContext context, PresetService presets)
    {
        // A preset that is not there is 404 whatever the request holds; then the ordinary submission path.
        if ((await presets.GetAsync(RequireApiKey.GetAccount(context), presetId, context.RequestAborted)).Problem is { } missing)
        {
            return ApiResults.Problem(missing);
        }
        return await Submissions.HandleAsync(context, PresetJson.Default.PresetExecuteRequest, ApiFlavor.RenderIO,
            (account, request, options, ct) => presets.ExecuteAsync(account, presetId, request, options, ct));
    }
}
