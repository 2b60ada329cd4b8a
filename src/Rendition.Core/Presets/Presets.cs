using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Rendition.Core.Commands;
using Rendition.Core.Contracts;

namespace Rendition.Core.Presets;

/// <summary>A typed variable of a preset: used as <c>{{var_name}}</c>, filled at execute time.</summary>
public sealed class PresetVariable
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Default { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Pattern { get; set; }
}

/// <summary>Body of create and update; on update every field is optional but at least one is needed.</summary>
public sealed class PresetRequest
{
    public string? Name { get; set; }
    public string? Description { get; set; }
    public string? FfmpegCommand { get; set; }
    public List<string?>? FfmpegCommands { get; set; }
    public List<string?>? InputFileKeys { get; set; }
    public Dictionary<string, string?>? OutputFileDefinitions { get; set; }
    public Dictionary<string, JsonElement>? Metadata { get; set; }
    public Dictionary<string, PresetVariable?>? Variables { get; set; }
}

/// <summary>A stored preset, as the API shows it.</summary>
public sealed class Preset
{
    public string PresetId { get; set; } = "";
    public string Name { get; set; } = "";
    public string? Description { get; set; }

    /// <summary>
    /// <c>FFMPEG_COMMAND</c> or <c>CHAINED_COMMAND</c>, always present (RenderIO's preset object carries it, and automation
    /// tools read it); derived from which of the two command fields is set, so it is never stored apart from them.
    /// </summary>
    public string CommandType => FfmpegCommands is null ? CommandTypes.Command : CommandTypes.Chained;

    /// <summary>Set for a single-command preset; <c>null</c> (present) for a chained one, as RenderIO shows it.</summary>
    public string? FfmpegCommand { get; set; }

    /// <summary>Set for a chained preset; <c>null</c> (present) for a single-command one.</summary>
    public List<string>? FfmpegCommands { get; set; }
    public List<string> InputFileKeys { get; set; } = [];
    public Dictionary<string, string> OutputFileDefinitions { get; set; } = [];
    public Dictionary<string, JsonElement>? Metadata { get; set; }
    public Dictionary<string, PresetVariable> Variables { get; set; } = [];
    public bool IsSystem { get; set; }
    public string CreatedAt { get; set; } = "";
    public string UpdatedAt { get; set; } = "";

    [JsonIgnore]
    public Guid AccountId { get; set; }
}

/// <summary>Body of <c>POST /presets/:id/execute</c>.</summary>
public sealed class PresetExecuteRequest
{
    public Dictionary<string, string?>? InputFiles { get; set; }
    public Dictionary<string, JsonElement>? Metadata { get; set; }
    public string? WebhookUrl { get; set; }
    public Dictionary<string, string?>? Variables { get; set; }
}

public sealed record PresetListResponse(IReadOnlyList<Preset> Presets);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(PresetRequest))]
[JsonSerializable(typeof(Preset))]
[JsonSerializable(typeof(PresetExecuteRequest))]
[JsonSerializable(typeof(PresetListResponse))]
public sealed partial class PresetJson : JsonSerializerContext;

/// <summary>Presets' storage: names are unique per account.</summary>
public interface IPresetStore
{
    /// <summary>Inserts; false when the account already has a preset of that name.</summary>
    Task<bool> InsertAsync(Preset preset, CancellationToken ct);

    Task<Preset?> GetAsync(Guid accountId, string presetId, CancellationToken ct);

    Task<IReadOnlyList<Preset>> ListAsync(Guid accountId, CancellationToken ct);

    /// <summary>Replaces the stored preset; false when the new name is taken by another of the account's presets.</summary>
    Task<bool> UpdateAsync(Preset preset, CancellationToken ct);

    Task<bool> DeleteAsync(Guid accountId, string presetId, CancellationToken ct);
}

/// <summary>Preset rules: shape, variables, validation as a real submission, and turning an execute call into a submission.</summary>
public static partial class PresetRules
{
    public const string DefaultPattern = "^[A-Za-z0-9._:-]{1,64}$";

    [GeneratedRegex(@"\{\{\s*var_([A-Za-z0-9_]+)\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex VariableRegex();

    [GeneratedRegex("^[A-Za-z0-9_]{1,40}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex VariableNameRegex();

    /// <summary>Checks a complete preset (after create or merge on update) by validating it exactly as a submission would be.</summary>
    public static void Validate(Preset preset, CommandValidator validator)
    {
        var errors = new List<ValidationDetail>();
        if (string.IsNullOrWhiteSpace(preset.Name) || preset.Name.Length > 100)
        {
            errors.Add(new("name", "is required (1 to 100 characters)"));
        }
        if (preset.Description is { Length: > 1000 })
        {
            errors.Add(new("description", "may be at most 1000 characters"));
        }
        foreach (var (name, variable) in preset.Variables)
        {
            if (!VariableNameRegex().IsMatch(name))
            {
                errors.Add(new($"variables.{name}", "names may contain only letters, digits and '_'"));
                continue;
            }
            if (variable.Pattern is { } pattern && !IsValidPattern(pattern))
            {
                errors.Add(new($"variables.{name}.pattern", "is not a valid regular expression"));
            }
            else if (variable.Default is { } d && CheckValue(variable, d) is { } problem)
            {
                errors.Add(new($"variables.{name}.default", problem));
            }
        }
        var commands = preset.FfmpegCommands ?? (preset.FfmpegCommand is null ? [] : [preset.FfmpegCommand]);
        foreach (var used in commands.SelectMany(c => VariableRegex().Matches(c)).Select(m => m.Groups[1].Value).Distinct())
        {
            if (!preset.Variables.ContainsKey(used))
            {
                errors.Add(new("variables", $"{{{{var_{used}}}}} is used in the command but not declared in variables"));
            }
        }
        if (errors.Count > 0)
        {
            throw new RequestValidationException(errors);
        }
        // A preset that could never run is refused now: validate it as a submission, with sample inputs and neutral variable values.
        var sample = ToSubmission(preset, preset.InputFileKeys.ToDictionary(k => k, k => (string?)$"https://example.com/{k}"),
            preset.Variables.ToDictionary(v => v.Key, v => v.Value.Default ?? "1"));
        try
        {
            if (preset.FfmpegCommands is not null)
            {
                validator.ValidateChained(sample, ApiFlavor.RenderIO);
            }
            else
            {
                validator.Validate(sample, ApiFlavor.RenderIO);
            }
        }
        catch (RequestValidationException e)
        {
            throw new RequestValidationException([.. e.Details.Select(d => d with { Field = Rename(d.Field) })]);
        }
    }

    /// <summary>The submission an execute call makes: checks input keys and variables; throws 422 naming every problem.</summary>
    public static SubmitCommandRequest ForExecute(Preset preset, PresetExecuteRequest request)
    {
        var errors = new List<ValidationDetail>();
        var given = request.InputFiles ?? [];
        var missing = preset.InputFileKeys.Where(k => !given.ContainsKey(k)).ToList();
        var extra = given.Keys.Where(k => !preset.InputFileKeys.Contains(k)).ToList();
        if (missing.Count > 0)
        {
            errors.Add(new("input_files", $"is missing {string.Join(", ", missing)} (the preset's input_file_keys)"));
        }
        if (extra.Count > 0)
        {
            errors.Add(new("input_files", $"has keys the preset does not take: {string.Join(", ", extra)}"));
        }
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var supplied = request.Variables ?? [];
        foreach (var name in supplied.Keys.Where(k => !preset.Variables.ContainsKey(k)))
        {
            errors.Add(new($"variables.{name}", "is not a variable of this preset"));
        }
        foreach (var (name, variable) in preset.Variables)
        {
            var value = supplied.GetValueOrDefault(name) ?? variable.Default;
            if (value is null)
            {
                errors.Add(new($"variables.{name}", "is required (the preset gives no default)"));
            }
            else if (CheckValue(variable, value) is { } problem)
            {
                errors.Add(new($"variables.{name}", problem));
            }
            else
            {
                values[name] = value;
            }
        }
        if (errors.Count > 0)
        {
            throw new RequestValidationException(errors);
        }
        var submission = ToSubmission(preset, given, values);
        submission.WebhookUrl = request.WebhookUrl;
        if (preset.Metadata is not null || request.Metadata is not null)
        {
            submission.Metadata = new Dictionary<string, JsonElement>(preset.Metadata ?? []);
            foreach (var (k, v) in request.Metadata ?? [])
            {
                submission.Metadata[k] = v;
            }
        }
        return submission;
    }

    /// <summary>
    /// A variable's value is one argument: it must match its pattern, hold no whitespace, quote, backslash or brace (so it
    /// cannot split into more arguments or form a placeholder), and never start an option.
    /// </summary>
    public static string? CheckValue(PresetVariable variable, string value)
    {
        var pattern = variable.Pattern ?? DefaultPattern;
        bool matches;
        try
        {
            matches = Regex.IsMatch(value, pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        }
        catch (RegexMatchTimeoutException)
        {
            matches = false;
        }
        if (!matches)
        {
            return $"'{Shorten(value)}' does not match {pattern}";
        }
        if (value.Length == 0 || value.Length > 256 || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '"' or '\'' or '\\' or '{' or '}' or '`' or '$'))
        {
            return "may not contain spaces, quotes, backslashes or braces";
        }
        if (value[0] == '-' && (value.Length == 1 || !char.IsAsciiDigit(value[1])))
        {
            return "may not start with '-' (values are arguments, never options)";
        }
        return null;
    }

    private static SubmitCommandRequest ToSubmission(Preset preset, Dictionary<string, string?> inputs, Dictionary<string, string> values)
    {
        string Fill(string command) => VariableRegex().Replace(command, m => values.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);
        return new SubmitCommandRequest
        {
            InputFiles = inputs,
            OutputFiles = new RequestedOutputs(preset.OutputFileDefinitions.ToDictionary(kv => kv.Key, kv => (string?)kv.Value)),
            FfmpegCommand = preset.FfmpegCommand is null ? null : Fill(preset.FfmpegCommand),
            FfmpegCommands = preset.FfmpegCommands?.Select(c => (string?)Fill(c)).ToList(),
        };
    }

    private static bool IsValidPattern(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
            return pattern.Length <= 500;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string Rename(string field) => field switch
    {
        _ when field.StartsWith("input_files.", StringComparison.Ordinal) => "input_file_keys." + field["input_files.".Length..],
        _ when field.StartsWith("output_files", StringComparison.Ordinal) => "output_file_definitions" + field["output_files".Length..],
        _ => field,
    };

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..37] + "...";
}
