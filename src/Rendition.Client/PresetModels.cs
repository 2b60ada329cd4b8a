using System.Text.Json.Nodes;

namespace Rendition.Client;

/// <summary>A typed variable of a preset, used as <c>{{var_name}}</c> in its command.</summary>
public sealed class PresetVariable
{
    /// <summary>Used when an execution gives no value; without one the variable is required.</summary>
    public string? Default { get; set; }

    /// <summary>Regular expression every value must match (the server's default when null).</summary>
    public string? Pattern { get; set; }
}

/// <summary>Body of preset create (<c>POST</c>) and update (<c>PUT</c>: only the non-null fields change).</summary>
public sealed class PresetRequest
{
    /// <summary>Unique per account.</summary>
    public string? Name { get; set; }

    /// <summary>Free text.</summary>
    public string? Description { get; set; }

    /// <summary>A single command, with <c>{{in_*}}</c>, <c>{{out_*}}</c> and <c>{{var_*}}</c> placeholders.</summary>
    public string? FfmpegCommand { get; set; }

    /// <summary>Instead of <see cref="FfmpegCommand"/>: a chained preset.</summary>
    public List<string>? FfmpegCommands { get; set; }

    /// <summary>The input aliases an execution must give.</summary>
    public List<string>? InputFileKeys { get; set; }

    /// <summary>Output alias → file name.</summary>
    public Dictionary<string, string>? OutputFileDefinitions { get; set; }

    /// <summary>Free-form metadata (replaced whole on update).</summary>
    public JsonObject? Metadata { get; set; }

    /// <summary>Variable name (without <c>var_</c>) → its rules.</summary>
    public Dictionary<string, PresetVariable>? Variables { get; set; }
}

/// <summary>A stored preset.</summary>
public sealed class Preset
{
    /// <summary>The preset's id.</summary>
    public string PresetId { get; set; } = "";

    /// <summary>Unique per account.</summary>
    public string Name { get; set; } = "";

    /// <summary>Free text.</summary>
    public string? Description { get; set; }

    /// <summary><see cref="CommandTypes.Command"/> for a single-command preset, <see cref="CommandTypes.Chained"/> for a chained one.</summary>
    public string CommandType { get; set; } = "";

    /// <summary>Set for a single-command preset (null for a chained one).</summary>
    public string? FfmpegCommand { get; set; }

    /// <summary>Set for a chained preset (null for a single-command one).</summary>
    public List<string>? FfmpegCommands { get; set; }

    /// <summary>The input aliases an execution must give.</summary>
    public List<string> InputFileKeys { get; set; } = [];

    /// <summary>Output alias → file name.</summary>
    public Dictionary<string, string> OutputFileDefinitions { get; set; } = [];

    /// <summary>Free-form metadata.</summary>
    public JsonObject? Metadata { get; set; }

    /// <summary>Variable name → its rules.</summary>
    public Dictionary<string, PresetVariable> Variables { get; set; } = [];

    /// <summary>True for presets the server provides.</summary>
    public bool IsSystem { get; set; }

    /// <summary>ISO 8601 time.</summary>
    public string CreatedAt { get; set; } = "";

    /// <summary>ISO 8601 time.</summary>
    public string UpdatedAt { get; set; } = "";
}

/// <summary>Answer of <c>GET /api/v1/presets</c>.</summary>
public sealed class PresetList
{
    /// <summary>The account's presets.</summary>
    public List<Preset> Presets { get; set; } = [];
}

/// <summary>Body of <c>POST /api/v1/presets/:id/execute</c>.</summary>
public sealed class PresetExecuteRequest
{
    /// <summary>Alias → URL; the keys must equal the preset's <c>input_file_keys</c>.</summary>
    public Dictionary<string, string> InputFiles { get; set; } = [];

    /// <summary>Metadata for this run.</summary>
    public JsonObject? Metadata { get; set; }

    /// <summary>Where this run's webhook goes.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>Variable name → value; each must match its pattern.</summary>
    public Dictionary<string, string>? Variables { get; set; }
}
