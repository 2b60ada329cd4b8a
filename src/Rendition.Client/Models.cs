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

/// <summary>A stored output file of a command, with what ffprobe found in it.</summary>
public class OutputFile
{
    /// <summary>An <c>OUTPUT_FOLDER</c> zip only: how many files it holds (<see cref="SizeMbytes"/> is then their size before compression).</summary>
    public int? FileCount { get; set; }

    /// <summary>An <c>OUTPUT_FOLDER</c> zip only: the zip's own size in MiB.</summary>
    public double? SizeCompressedMbytes { get; set; }

    /// <summary>The file's id (usable with the files API).</summary>
    public string FileId { get; set; } = "";

    /// <summary>Pre-signed download URL; needs no API key.</summary>
    public string? StorageUrl { get; set; }

    /// <summary><c>PROCESSING</c>, <c>STORED</c> or <c>FAILED</c>.</summary>
    public string Status { get; set; } = "";

    /// <summary><c>OUTPUT</c>, <c>UPLOAD</c> or <c>STORED_FILE</c>.</summary>
    public string RendiStoreType { get; set; } = "";

    /// <summary>True once the bytes were deleted (the record stays).</summary>
    public bool IsDeleted { get; set; }

    /// <summary>The file name.</summary>
    public string Filename { get; set; } = "";

    /// <summary>Size in MiB (bytes / 1,048,576).</summary>
    public double? SizeMbytes { get; set; }

    /// <summary>Seconds.</summary>
    public double? Duration { get; set; }

    /// <summary><c>video</c>, <c>audio</c> or <c>image</c>.</summary>
    public string? FileType { get; set; }

    /// <summary>Container format, e.g. <c>mp4</c>.</summary>
    public string? FileFormat { get; set; }

    /// <summary>Main stream's codec.</summary>
    public string? Codec { get; set; }

    /// <summary>Pixel format of the video stream.</summary>
    public string? PixelFormat { get; set; }

    /// <summary>MIME type.</summary>
    public string? MimeType { get; set; }

    /// <summary>Width in pixels.</summary>
    public int? Width { get; set; }

    /// <summary>Height in pixels.</summary>
    public int? Height { get; set; }

    /// <summary>Frames per second.</summary>
    public double? FrameRate { get; set; }

    /// <summary>Video bitrate in kbit/s.</summary>
    public double? BitrateVideoKb { get; set; }

    /// <summary>Audio bitrate in kbit/s.</summary>
    public double? BitrateAudioKb { get; set; }

    /// <summary>True for variable frame rate video.</summary>
    public bool IsVaryingFrameRate { get; set; }
}

/// <summary>A file as the files API shows it: the output-file fields plus where it came from and how it ended.</summary>
public sealed class StoredFile : OutputFile
{
    /// <summary>Audio sample rate in Hz.</summary>
    public int? SampleRate { get; set; }

    /// <summary>Audio channel count.</summary>
    public int? Channels { get; set; }

    /// <summary>For a stored-from-URL file, the URL it was fetched from.</summary>
    public string? OriginalFileUrl { get; set; }

    /// <summary>Why storing failed, when it did.</summary>
    public string? ErrorStatus { get; set; }

    /// <summary>Details of the failure.</summary>
    public string? ErrorMessage { get; set; }

    /// <summary>ISO 8601 creation time.</summary>
    public string? CreatedAt { get; set; }

    /// <summary>For a command output, the command that wrote it.</summary>
    public string? CommandId { get; set; }
}

/// <summary>A command as a poll (<c>GET /api/v1/commands/:id</c>), a listing or a webhook shows it.</summary>
public sealed class CommandResult
{
    /// <summary>The command's id.</summary>
    public string CommandId { get; set; } = "";

    /// <summary>See <see cref="CommandStatuses"/>.</summary>
    public string Status { get; set; } = "";

    /// <summary>See <see cref="CommandTypes"/>.</summary>
    public string CommandType { get; set; } = "";

    /// <summary>Submission to completion, in seconds.</summary>
    public double? TotalProcessingSeconds { get; set; }

    /// <summary>ffmpeg alone, in seconds.</summary>
    public double? FfmpegCommandRunSeconds { get; set; }

    /// <summary>CPUs the job used.</summary>
    public int? VcpuCount { get; set; }

    /// <summary>The submitted metadata.</summary>
    public JsonObject? Metadata { get; set; }

    /// <summary>For a failed command: <c>FFMPEG_ERROR</c>, <c>TIMEOUT</c>, <c>UNREACHABLE_INPUT_FILE</c>…</summary>
    public string? ErrorStatus { get; set; }

    /// <summary>For a failed command: what went wrong (the tail of ffmpeg's error output for <c>FFMPEG_ERROR</c>).</summary>
    public string? ErrorMessage { get; set; }

    /// <summary>Output alias → stored file.</summary>
    public Dictionary<string, OutputFile> OutputFiles { get; set; } = [];

    /// <summary>The command as submitted.</summary>
    public OriginalRequest? OriginalRequest { get; set; }

    /// <summary>Set when the command ran from a preset.</summary>
    public string? PresetId { get; set; }

    /// <summary>While <c>PROCESSING</c>, how far ffmpeg has got (a Rendition extension; null elsewhere and on RenderIO).</summary>
    public CommandProgress? Progress { get; set; }

    /// <summary>True when <see cref="Status"/> is <c>SUCCESS</c> or <c>FAILED</c>.</summary>
    [JsonIgnore]
    public bool IsFinal => CommandStatuses.IsFinal(Status);
}

/// <summary>How far a running command has got.</summary>
public sealed class CommandProgress
{
    /// <summary>0–100, or null when the length of the work is not known.</summary>
    public double? Percent { get; set; }

    /// <summary>Seconds of output written so far.</summary>
    public double OutTimeSeconds { get; set; }

    /// <summary>Multiple of real time ffmpeg is running at.</summary>
    public double? Speed { get; set; }

    /// <summary>The step running (1-based; chains have several).</summary>
    public int Step { get; set; }

    /// <summary>How many steps there are.</summary>
    public int Steps { get; set; }
}

/// <summary>What an event of <see cref="RenditionClient.StreamEventsAsync"/> says.</summary>
public enum CommandEventKind
{
    /// <summary>The status or progress changed (SSE <c>event: status</c>).</summary>
    Status,

    /// <summary>The command is final; <see cref="CommandEvent.Result"/> is its poll object (SSE <c>event: end</c>, always the last).</summary>
    End,
}

/// <summary>One event of a command's live stream.</summary>
/// <param name="Kind">A change, or the end.</param>
/// <param name="Status">The command's status (see <see cref="CommandStatuses"/>).</param>
/// <param name="Progress">How far ffmpeg has got, while <c>PROCESSING</c>.</param>
/// <param name="Result">On <see cref="CommandEventKind.End"/>: the final command, outputs included.</param>
public sealed record CommandEvent(CommandEventKind Kind, string Status, CommandProgress? Progress, CommandResult? Result);

/// <summary>The body of an SSE <c>status</c> event.</summary>
public sealed class CommandStatusEvent
{
    /// <summary>See <see cref="CommandStatuses"/>.</summary>
    public string Status { get; set; } = "";

    /// <summary>How far ffmpeg has got, while <c>PROCESSING</c>.</summary>
    public CommandProgress? Progress { get; set; }
}

/// <summary>A page of <c>GET /api/v1/commands</c>, newest first.</summary>
public sealed class CommandList
{
    /// <summary>The commands of this page.</summary>
    public List<CommandResult> Commands { get; set; } = [];

    /// <summary>The page size the server used.</summary>
    public int Limit { get; set; }

    /// <summary>The offset the server used.</summary>
    public int Offset { get; set; }
}

/// <summary>Answer of <c>DELETE /api/v1/commands/:id/files</c>.</summary>
public sealed class DeleteCommandFilesResponse
{
    /// <summary>Always true on success.</summary>
    public bool Deleted { get; set; }

    /// <summary>How many stored outputs were deleted.</summary>
    public int FilesDeleted { get; set; }
}

/// <summary>Answer of an upload or store-file call.</summary>
public sealed class FileIdResponse
{
    /// <summary>The new file's id.</summary>
    public string FileId { get; set; } = "";
}

/// <summary>Body of <c>POST /api/v1/files/store-file</c>.</summary>
public sealed class StoreFileRequest
{
    /// <summary>The http(s) URL the server fetches in the background.</summary>
    public string FileUrl { get; set; } = "";
}

/// <summary>A page of <c>GET /api/v1/files</c>, newest first.</summary>
public sealed class FileList
{
    /// <summary>The files of this page (command outputs included).</summary>
    public List<StoredFile> Files { get; set; } = [];

    /// <summary>The page size the server used.</summary>
    public int Limit { get; set; }

    /// <summary>The offset the server used.</summary>
    public int Offset { get; set; }
}

/// <summary>Answer of <c>DELETE /api/v1/files/:id</c>.</summary>
public sealed class DeleteFileResponse
{
    /// <summary>Always true on success.</summary>
    public bool Deleted { get; set; }

    /// <summary>The deleted file's id.</summary>
    public string FileId { get; set; } = "";
}

/// <summary>Body of Rendi's <c>POST /v1/files/bulk-delete</c>.</summary>
public sealed class BulkDeleteFilesRequest
{
    /// <summary>1–1000 file ids.</summary>
    public List<string> FileIds { get; set; } = [];
}

/// <summary>Answer of a bulk delete: the ids that were the caller's and are now deleted.</summary>
public sealed class BulkDeleteFilesResponse
{
    /// <summary>The deleted ids.</summary>
    public List<string> DeletedFileIds { get; set; } = [];
}

/// <summary>Body of <c>PUT /api/v1/webhook-config</c>.</summary>
public sealed class WebhookConfigRequest
{
    /// <summary>Where webhooks are POSTed.</summary>
    public string Url { get; set; } = "";

    /// <summary>16–256 characters; when null the existing secret is kept, or a new one is generated and returned once.</summary>
    public string? Secret { get; set; }
}

/// <summary>Answer of <c>PUT /api/v1/webhook-config</c>.</summary>
public sealed class WebhookConfigSetResponse
{
    /// <summary>Always true on success.</summary>
    public bool Success { get; set; }

    /// <summary>The configured URL.</summary>
    public string Url { get; set; } = "";

    /// <summary>Only when the server generated the secret: shown this once, keep it.</summary>
    public string? Secret { get; set; }
}

/// <summary>The account's webhook configuration (<c>GET /api/v1/webhook-config</c>).</summary>
public sealed class WebhookConfig
{
    /// <summary>False when none was ever set.</summary>
    public bool Configured { get; set; }

    /// <summary>The configured URL.</summary>
    public string? Url { get; set; }

    /// <summary>False after <c>DELETE</c> or after too many consecutive failures.</summary>
    public bool IsActive { get; set; }

    /// <summary>Failed attempts in a row.</summary>
    public int ConsecutiveFailures { get; set; }

    /// <summary>ISO 8601 time the webhook was disabled, if it was.</summary>
    public string? DisabledAt { get; set; }
}

/// <summary>A plain <c>{ "success": true }</c> answer.</summary>
public sealed class SuccessResponse
{
    /// <summary>Always true on success.</summary>
    public bool Success { get; set; }
}

/// <summary>What a webhook POSTs: the command as it is when sent, and when that was.</summary>
public sealed class WebhookPayload
{
    /// <summary>The poll object.</summary>
    public CommandResult Data { get; set; } = new();

    /// <summary>Unix milliseconds.</summary>
    public long Timestamp { get; set; }
}

/// <summary>One attempt of a webhook delivery.</summary>
public sealed class WebhookAttempt
{
    /// <summary>ISO 8601 time.</summary>
    public string AttemptedAt { get; set; } = "";

    /// <summary>The URL it went to.</summary>
    public string Url { get; set; } = "";

    /// <summary>The receiver's HTTP status, when it answered.</summary>
    public int? HttpStatus { get; set; }

    /// <summary>The network error, when it did not.</summary>
    public string? Error { get; set; }

    /// <summary>How long the attempt took.</summary>
    public int DurationMs { get; set; }
}

/// <summary>One webhook delivery of a command and its attempts.</summary>
public sealed class WebhookDelivery
{
    /// <summary>The delivery's id.</summary>
    public string DeliveryId { get; set; } = "";

    /// <summary><c>PENDING</c>, <c>DELIVERED</c>, <c>FAILED</c>…</summary>
    public string Status { get; set; } = "";

    /// <summary>Attempts so far.</summary>
    public int AttemptCount { get; set; }

    /// <summary>ISO 8601 time.</summary>
    public string CreatedAt { get; set; } = "";

    /// <summary>When the next attempt is due, while pending.</summary>
    public string? NextAttemptAt { get; set; }

    /// <summary>Every attempt.</summary>
    public List<WebhookAttempt> Attempts { get; set; } = [];
}

/// <summary>Answer of <c>GET /api/v1/commands/:id/webhook-deliveries</c>.</summary>
public sealed class WebhookDeliveryList
{
    /// <summary>The command's deliveries.</summary>
    public List<WebhookDelivery> Deliveries { get; set; } = [];
}

/// <summary>Answer of a redelivery request.</summary>
public sealed class RedeliverResponse
{
    /// <summary>The new delivery's id.</summary>
    public string DeliveryId { get; set; } = "";
}

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

/// <summary>One field a 422 answer names.</summary>
public sealed class ValidationDetail
{
    /// <summary>The field path, e.g. <c>output_files.out_video</c>.</summary>
    public string Field { get; set; } = "";

    /// <summary>What is wrong with it.</summary>
    public string Message { get; set; } = "";
}

/// <summary>Every error body: <c>{ "error": "CODE", "message": "...", "details"?: [...] }</c>.</summary>
public sealed class ErrorResponse
{
    /// <summary>Machine-readable code, e.g. <c>VALIDATION_ERROR</c>.</summary>
    public string? Error { get; set; }

    /// <summary>Human-readable explanation.</summary>
    public string? Message { get; set; }

    /// <summary>For 422 answers: the fields at fault.</summary>
    public List<ValidationDetail>? Details { get; set; }
}

/// <summary>
/// Source-generated JSON metadata for every wire type: snake_case names exactly as on the wire, nulls left out of requests
/// (so an update changes only what was set), unknown response fields ignored so newer servers do not break older clients.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RunCommandRequest))]
[JsonSerializable(typeof(RunChainedRequest))]
[JsonSerializable(typeof(RunMultipleRequest))]
[JsonSerializable(typeof(SubmitCommandResponse))]
[JsonSerializable(typeof(SubmitMultipleResponse))]
[JsonSerializable(typeof(CommandResult))]
[JsonSerializable(typeof(CommandList))]
[JsonSerializable(typeof(CommandStatusEvent))]
[JsonSerializable(typeof(DeleteCommandFilesResponse))]
[JsonSerializable(typeof(FileIdResponse))]
[JsonSerializable(typeof(StoreFileRequest))]
[JsonSerializable(typeof(StoredFile))]
[JsonSerializable(typeof(FileList))]
[JsonSerializable(typeof(DeleteFileResponse))]
[JsonSerializable(typeof(BulkDeleteFilesRequest))]
[JsonSerializable(typeof(BulkDeleteFilesResponse))]
[JsonSerializable(typeof(WebhookConfigRequest))]
[JsonSerializable(typeof(WebhookConfigSetResponse))]
[JsonSerializable(typeof(WebhookConfig))]
[JsonSerializable(typeof(SuccessResponse))]
[JsonSerializable(typeof(WebhookPayload))]
[JsonSerializable(typeof(WebhookDeliveryList))]
[JsonSerializable(typeof(RedeliverResponse))]
[JsonSerializable(typeof(PresetRequest))]
[JsonSerializable(typeof(Preset))]
[JsonSerializable(typeof(PresetList))]
[JsonSerializable(typeof(PresetExecuteRequest))]
[JsonSerializable(typeof(ErrorResponse))]
public sealed partial class RenditionJsonContext : JsonSerializerContext;
