using System.Globalization;
using System.Security.Cryptography;
using Rendition.Core;
using Rendition.Core.Commands;
using Rendition.Core.Contracts;
using Rendition.Core.Presets;
using Rendition.Core.Storage;
using Rendition.Server.Commands;

namespace Rendition.Server.Presets;

/// <summary>
/// The preset use cases, for every door: create and update (validated as a real submission would be), list, get, delete,
/// and run one as an ordinary command (the same submission path as any other, idempotency and waiting included).
/// </summary>
public sealed class PresetService(IPresetStore presets, CommandValidator validator, CommandService commands, TimeProvider time)
{
    public async Task<Outcome<Preset>> CreateAsync(Account account, PresetRequest request, CancellationToken ct)
    {
        var now = Iso(time);
        var preset = new Preset
        {
            PresetId = "prs_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)),
            AccountId = account.Id,
            CreatedAt = now,
            UpdatedAt = now,
        };
        if (Apply(preset, request, creating: true) is { } invalid)
        {
            return invalid;
        }
        return await presets.InsertAsync(preset, ct) ? preset : NameTaken(preset.Name);
    }

    public Task<IReadOnlyList<Preset>> ListAsync(Account account, CancellationToken ct) => presets.ListAsync(account.Id, ct);

    public async Task<Outcome<Preset>> GetAsync(Account account, string presetId, CancellationToken ct) =>
        await presets.GetAsync(account.Id, presetId, ct) is { } preset ? preset : Problem.NotFound($"Preset {presetId}");

    /// <summary>Changes the given fields (at least one); <c>metadata</c> and <c>variables</c> are replaced whole.</summary>
    public async Task<Outcome<Preset>> UpdateAsync(Account account, string presetId, PresetRequest request, CancellationToken ct)
    {
        var preset = await presets.GetAsync(account.Id, presetId, ct);
        if (preset is null)
        {
            return Problem.NotFound($"Preset {presetId}");
        }
        if (Apply(preset, request, creating: false) is { } invalid)
        {
            return invalid;
        }
        preset.UpdatedAt = Iso(time);
        return await presets.UpdateAsync(preset, ct) ? preset : NameTaken(preset.Name);
    }

    /// <summary>Deletes the preset; its id.</summary>
    public async Task<Outcome<string>> DeleteAsync(Account account, string presetId, CancellationToken ct) =>
        await presets.DeleteAsync(account.Id, presetId, ct) ? presetId : Problem.NotFound($"Preset {presetId}");

    /// <summary>Runs the preset with these inputs and variable values as an ordinary command (RenderIO's shapes).</summary>
    public async Task<Outcome<Submitted>> ExecuteAsync(Account account, string presetId, PresetExecuteRequest request, SubmitOptions options, CancellationToken ct)
    {
        var preset = await presets.GetAsync(account.Id, presetId, ct);
        if (preset is null)
        {
            return Problem.NotFound($"Preset {presetId}");
        }
        return await commands.SubmitBuiltAsync(account, () =>
            [commands.Build(account, PresetRules.ForExecute(preset, request), ApiFlavor.RenderIO, chained: preset.FfmpegCommands is not null, preset.PresetId)],
            options, ct);
    }

    /// <summary>Copies the given fields onto the preset and checks the result; on update at least one field is needed, and metadata is replaced whole.</summary>
    private Problem? Apply(Preset preset, PresetRequest request, bool creating)
    {
        try
        {
            Merge(preset, request, creating);
            PresetRules.Validate(preset, validator);
            return null;
        }
        catch (RequestValidationException e)
        {
            return Problem.Invalid(e);
        }
    }

    private static void Merge(Preset preset, PresetRequest request, bool creating)
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

    private static Problem NameTaken(string name) => Problem.Conflict($"You already have a preset named '{name}'.");

    private static string Iso(TimeProvider time) => time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
