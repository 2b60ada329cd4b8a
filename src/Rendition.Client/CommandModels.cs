using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Rendition.Client;

/// <summary>The <c>status</c> values of a command; only <see cref="Success"/> and <see cref="Failed"/> are final.</summary>
public static class CommandStatuses
{
    /// <summary>Accepted, waiting for a worker.</summary>
    public const string Queued = "QUEUED";

    /// <summary>Fetching inputs, running ffmpeg or storing outputs.</summary>
    public const string Processing = "PROCESSING";

    /// <summary>Finished; the outputs are stored.</summary>
    public const string Success = "SUCCESS";

    /// <summary>Finished without outputs; see <c>error_status</c> and <c>error_message</c>.</summary>
    public const string Failed = "FAILED";

    /// <summary>True for a status after which the command no longer changes.</summary>
    public static bool IsFinal(string? status) => status is Success or Failed;
}

/// <summary>The <c>command_type</c> values, as RenderIO's API names them.</summary>
public static class CommandTypes
{
    /// <summary>A single command (<c>run-ffmpeg-command</c>).</summary>
    public const string Command = "FFMPEG_COMMAND";

    /// <summary>A chain of steps (<c>run-chained-ffmpeg-commands</c>).</summary>
    public const string Chained = "CHAINED_COMMAND";

    /// <summary>One command of a batch (<c>run-multiple-ffmpeg-commands</c>).</summary>
    public const string Multiple = "MULTIPLE_COMMAND";
}

/// <summary>Body of <c>POST /api/v1/run-ffmpeg-command</c>.</summary>
public sealed class RunCommandRequest
{
    /// <summary><c>in_*</c> alias → http(s) URL (may be empty for generated sources such as <c>-f lavfi</c>).</summary>
    public Dictionary<string, string> InputFiles { get; set; } = [];

    /// <summary><c>out_*</c> alias → file name, or <see cref="OutputFileNames.Folder"/> to keep every file the command writes.</summary>
    public OutputFileNames OutputFiles { get; set; } = [];

    /// <summary>URL of a .zip unpacked into the working directory before the run (instead of <see cref="InputFiles"/>).</summary>
    public string? InputCompressedFolder { get; set; }

    /// <summary>The command, with <c>{{alias}}</c> placeholders; a leading <c>ffmpeg</c> is ignored.</summary>
    public string FfmpegCommand { get; set; } = "";

    /// <summary>Up to 10 keys, echoed back on every poll and webhook.</summary>
    public JsonObject? Metadata { get; set; }

    /// <summary>Where this command's webhook goes instead of the account's.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>Deadline of the ffmpeg run; the server's default applies when null.</summary>
    public int? MaxCommandRunSeconds { get; set; }

    /// <summary>CPUs the job may use.</summary>
    public int? VcpuCount { get; set; }
}

/// <summary>Body of <c>POST /api/v1/run-chained-ffmpeg-commands</c>: 1–10 steps run in order in one directory.</summary>
public sealed class RunChainedRequest
{
    /// <summary><c>in_*</c> alias → http(s) URL.</summary>
    public Dictionary<string, string> InputFiles { get; set; } = [];

    /// <summary><c>out_*</c> alias → file name; only these are stored.</summary>
    public Dictionary<string, string> OutputFiles { get; set; } = [];

    /// <summary>The steps; a step may read an earlier step's output by alias or plain file name.</summary>
    public List<string> FfmpegCommands { get; set; } = [];

    /// <summary>Up to 10 keys, echoed back.</summary>
    public JsonObject? Metadata { get; set; }

    /// <summary>Where this command's webhook goes instead of the account's.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>Deadline of each ffmpeg run.</summary>
    public int? MaxCommandRunSeconds { get; set; }

    /// <summary>CPUs the job may use.</summary>
    public int? VcpuCount { get; set; }
}

/// <summary>Body of <c>POST /api/v1/run-multiple-ffmpeg-commands</c>: 1–10 independent commands.</summary>
public sealed class RunMultipleRequest
{
    /// <summary>The commands; one invalid command refuses the whole batch.</summary>
    public List<RunCommandRequest> Commands { get; set; } = [];

    /// <summary>Webhook URL for every command of the batch.</summary>
    public string? WebhookUrl { get; set; }
}

/// <summary>Answer of a single or chained submission.</summary>
public sealed class SubmitCommandResponse
{
    /// <summary>The new command's id.</summary>
    public string CommandId { get; set; } = "";
}

/// <summary>Answer of a batch submission.</summary>
public sealed class SubmitMultipleResponse
{
    /// <summary>One id per command, in request order.</summary>
    public List<string> CommandIds { get; set; } = [];
}

/// <summary>The command as submitted (and, for presets, with variables filled in).</summary>
public sealed class OriginalRequest
{
    /// <summary>Input aliases and URLs.</summary>
    public Dictionary<string, string> InputFiles { get; set; } = [];

    /// <summary>Output aliases and file names; empty with <see cref="OutputFileNames.IsOutputFolder"/> set for <c>OUTPUT_FOLDER</c>.</summary>
    public OutputFileNames OutputFiles { get; set; } = [];

    /// <summary>The <c>input_compressed_folder</c> URL, when the inputs came from a zip.</summary>
    public string? InputCompressedFolder { get; set; }

    /// <summary>Set for a single command.</summary>
    public string? FfmpegCommand { get; set; }

    /// <summary>Set for a chain.</summary>
    public List<string>? FfmpegCommands { get; set; }

    /// <summary>The deadline that was asked for.</summary>
    public int? MaxCommandRunSeconds { get; set; }

    /// <summary>The CPUs that were asked for.</summary>
    public int? VcpuCount { get; set; }
}

/// <summary>
/// <c>output_files</c> of a request: <c>out_*</c> aliases to file names, or, with <see cref="IsOutputFolder"/>, the string
/// <c>"OUTPUT_FOLDER"</c>: every file the command writes by plain name is kept, zipped (<c>OUTPUT_FOLDER</c>) and one by one
/// (<c>out_1</c>, <c>out_2</c>… in name order).
/// </summary>
[JsonConverter(typeof(OutputFileNamesConverter))]
public sealed class OutputFileNames : Dictionary<string, string>
{
    /// <summary>The wire value of an output folder.</summary>
    public const string OutputFolder = "OUTPUT_FOLDER";

    /// <summary>True for <c>"output_files": "OUTPUT_FOLDER"</c> (the map is then empty).</summary>
    public bool IsOutputFolder { get; set; }

    /// <summary>A new <c>"OUTPUT_FOLDER"</c> value.</summary>
    public static OutputFileNames Folder() => new() { IsOutputFolder = true };
}

/// <summary>Reads and writes <see cref="OutputFileNames"/>: an object of names, or the string <c>"OUTPUT_FOLDER"</c>.</summary>
public sealed class OutputFileNamesConverter : JsonConverter<OutputFileNames>
{
    /// <inheritdoc/>
    public override OutputFileNames? Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options)
    {
        if (reader.TokenType == System.Text.Json.JsonTokenType.String)
        {
            return new OutputFileNames { IsOutputFolder = reader.GetString() == OutputFileNames.OutputFolder };
        }
        if (reader.TokenType != System.Text.Json.JsonTokenType.StartObject)
        {
            throw new System.Text.Json.JsonException("output_files must be an object or a string.");
        }
        var names = new OutputFileNames();
        while (reader.Read() && reader.TokenType != System.Text.Json.JsonTokenType.EndObject)
        {
            var key = reader.GetString()!;
            reader.Read();
            names[key] = reader.TokenType == System.Text.Json.JsonTokenType.String
                ? reader.GetString()!
                : throw new System.Text.Json.JsonException($"output_files.{key} must be a string.");
        }
        return names;
    }

    /// <inheritdoc/>
    public override void Write(System.Text.Json.Utf8JsonWriter writer, OutputFileNames value, System.Text.Json.JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        if (value.IsOutputFolder)
        {
            writer.WriteStringValue(OutputFileNames.OutputFolder);
            return;
        }
        writer.WriteStartObject();
        foreach (var (key, name) in value)
        {
            writer.WriteString(key, name);
        }
        writer.WriteEndObject();
    }
}
