using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rendition.Core.Contracts;

/// <summary>Command statuses on the wire; clients of both anchors only know these four.</summary>
public static class CommandStatus
{
    public const string Queued = "QUEUED";
    public const string Processing = "PROCESSING";
    public const string Success = "SUCCESS";
    public const string Failed = "FAILED";

    public static bool IsFinal(string status) => status is Success or Failed;
}

/// <summary>File statuses on the wire.</summary>
public static class FileStatus
{
    public const string Processing = "PROCESSING";
    public const string Stored = "STORED";
    public const string Failed = "FAILED";
}

/// <summary>Command types as stored (RenderIO's names); <see cref="ForWire"/> gives the name the reading API uses.</summary>
public static class CommandTypes
{
    public const string Command = "FFMPEG_COMMAND";
    public const string Chained = "CHAINED_COMMAND";
    public const string Multiple = "MULTIPLE_COMMAND";
    public const string RendiChained = "FFMPEG_CHAINED_COMMANDS";

    public static string ForWire(string stored, ApiFlavor flavor) =>
        flavor == ApiFlavor.Rendi && stored == Chained ? RendiChained : stored;

    /// <summary>The stored name for a name either API uses, or null when unknown.</summary>
    public static string? Parse(string value) => value switch
    {
        Command or Chained or Multiple => value,
        RendiChained => Chained,
        _ => null,
    };
}

/// <summary>Which public API a command was submitted through; it decides wire details such as <c>command_type</c>.</summary>
public enum ApiFlavor
{
    RenderIO = 0,
    Rendi = 1,
}

/// <summary>Body of the run-command endpoints: <c>ffmpeg_command</c> for one command, <c>ffmpeg_commands</c> for a chain.</summary>
public sealed class SubmitCommandRequest
{
    public Dictionary<string, string?>? InputFiles { get; set; }

    /// <summary>The <c>out_</c> alias map, or Rendi's <c>"OUTPUT_FOLDER"</c> (see <see cref="RequestedOutputs"/>).</summary>
    public RequestedOutputs? OutputFiles { get; set; }

    /// <summary>Rendi: a URL of a .zip unpacked into the working directory before the run (instead of <c>input_files</c>).</summary>
    public string? InputCompressedFolder { get; set; }
    public string? FfmpegCommand { get; set; }
    public List<string?>? FfmpegCommands { get; set; }
    public Dictionary<string, JsonElement>? Metadata { get; set; }
    public string? WebhookUrl { get; set; }
    public int? MaxCommandRunSeconds { get; set; }
    public int? VcpuCount { get; set; }
}

/// <summary>The stored and echoed <c>original_request</c>.</summary>
public sealed class OriginalRequest
{
    public Dictionary<string, string> InputFiles { get; set; } = [];

    /// <summary>The alias map; empty, and echoed as <c>"OUTPUT_FOLDER"</c>, when <see cref="OutputFileMap.IsFolder"/>.</summary>
    public OutputFileMap OutputFiles { get; set; } = [];

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? InputCompressedFolder { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? FfmpegCommand { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? FfmpegCommands { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MaxCommandRunSeconds { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? VcpuCount { get; set; }

    /// <summary>The command strings to run in order, whichever field carried them.</summary>
    public IReadOnlyList<string> Commands() =>
        FfmpegCommands ?? (FfmpegCommand is null ? [] : [FfmpegCommand]);
}

/// <summary>How far a running command has got: percent is null when the length of the work is not known.</summary>
public sealed record CommandProgress(double? Percent, double OutTimeSeconds, double? Speed, int Step, int Steps);

/// <summary>Body of <c>run-multiple-ffmpeg-commands</c>.</summary>
public sealed class SubmitMultipleRequest
{
    public List<SubmitCommandRequest?>? Commands { get; set; }
    public string? WebhookUrl { get; set; }
}

public sealed record SubmitCommandResponse(string CommandId);

/// <summary>One Server-Sent Event of <c>/commands/:id/events</c>.</summary>
public sealed record CommandEvent(string Status, CommandProgress? Progress);

public sealed record SubmitMultipleResponse(IReadOnlyList<string> CommandIds);

/// <summary>RenderIO's list answer.</summary>
public sealed record CommandListResponse(IReadOnlyList<CommandPollResponse> Commands, int Limit, int Offset);

/// <summary>One row of Rendi's bare-array command list.</summary>
public sealed record CommandSummary(string CommandId, string Status, string CommandType, int OutputFileCount, string? ErrorStatus, string? ErrorMessage, string CreatedAt);

public sealed record DeleteFilesResponse(bool Deleted, int FilesDeleted);

public sealed record ErrorResponse(string Error, string Message)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ValidationDetail>? Details { get; init; }
}

/// <summary>Media facts ffprobe gives for a stored file, as they appear on the wire.</summary>
public sealed class MediaInfo
{
    public double? Duration { get; set; }
    public string? FileType { get; set; }
    public string? FileFormat { get; set; }
    public string? Codec { get; set; }
    public string? PixelFormat { get; set; }
    public string? MimeType { get; set; }
    public int? Width { get; set; }
    public int? Height { get; set; }
    public double? FrameRate { get; set; }
    public double? BitrateVideoKb { get; set; }
    public double? BitrateAudioKb { get; set; }
    public bool? IsVaryingFrameRate { get; set; }
    public int? SampleRate { get; set; }
    public int? Channels { get; set; }

    /// <summary>Streaming manifests only: the renditions it lists.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<PlaylistVariant>? Variants { get; set; }

    /// <summary>Streaming manifests only: how many media segments were stored with it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? SegmentCount { get; set; }

    /// <summary>OUTPUT_FOLDER zips only: how many files the zip holds.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? FileCount { get; set; }

    /// <summary>OUTPUT_FOLDER zips only: the files' total size before compression, in bytes.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? UncompressedBytes { get; set; }
}

/// <summary>One rendition of an HLS or DASH manifest.</summary>
public sealed record PlaylistVariant(int? Width, int? Height, double? BitrateKb);

/// <summary><c>OutputFileMeta</c> of the poll response.</summary>
public class OutputFileMeta
{
    public required string FileId { get; set; }
    public string? StorageUrl { get; set; }
    public required string Status { get; set; }
    public required string RendiStoreType { get; set; }
    public bool IsDeleted { get; set; }
    public required string Filename { get; set; }
    public double? SizeMbytes { get; set; }
    public double? Duration { get; set; }
    public string? FileType { get; set; }
    public string? FileFormat { get; set; }
    public string? Codec { get; set; }
    public string? PixelFormat { get; set; }
    public string? MimeType { get; set; }
    public int? Width { get; set; }
    public int? Height { get; set; }
    public double? FrameRate { get; set; }
    public double? BitrateVideoKb { get; set; }
    public double? BitrateAudioKb { get; set; }
    public bool IsVaryingFrameRate { get; set; }

    /// <summary>Streaming manifests (<c>out_playlist_</c> aliases) only: the renditions it lists.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<PlaylistVariant>? Variants { get; set; }

    /// <summary>Streaming manifests only: how many media segments were stored with it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? SegmentCount { get; set; }

    /// <summary>OUTPUT_FOLDER zips only (Rendi): how many files the zip holds.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? FileCount { get; set; }

    /// <summary>OUTPUT_FOLDER zips only (Rendi): the zip's own size; <c>size_mbytes</c> is then the files' size before compression.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? SizeCompressedMbytes { get; set; }
}

/// <summary>A file as <c>GET /files/:id</c> shows it: the output-file fields plus where it came from and how it ended.</summary>
public sealed class FileResponse : OutputFileMeta
{
    public int? SampleRate { get; set; }
    public int? Channels { get; set; }
    public string? OriginalFileUrl { get; set; }
    public string? ErrorStatus { get; set; }
    public string? ErrorMessage { get; set; }
    public required string CreatedAt { get; set; }
    public string? CommandId { get; set; }
}

public sealed record FileIdResponse(string FileId);

public sealed record FileListResponse(IReadOnlyList<FileResponse> Files, int Limit, int Offset);

public sealed record DeleteFileResponse(bool Deleted, string FileId);

public sealed class StoreFileRequest
{
    public string? FileUrl { get; set; }
}

public sealed class BulkDeleteRequest
{
    public List<string?>? FileIds { get; set; }
}

public sealed record BulkDeleteResponse(IReadOnlyList<string> DeletedFileIds);

public sealed class WebhookConfigRequest
{
    public string? Url { get; set; }
    public string? Secret { get; set; }
}

public sealed record WebhookConfigSetResponse(bool Success, string Url)
{
    /// <summary>Only when the server generated the secret: shown this once.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Secret { get; init; }
}

public sealed record WebhookConfigResponse(bool Configured, string? Url, bool IsActive, int ConsecutiveFailures, string? DisabledAt);

public sealed record SuccessResponse(bool Success);

/// <summary>What a webhook POSTs: the poll object as it is when sent, and when that was (unix ms).</summary>
public sealed record WebhookPayload(CommandPollResponse Data, long Timestamp);

public sealed record WebhookAttemptView(string AttemptedAt, string Url, int? HttpStatus, string? Error, int DurationMs);

public sealed record WebhookDeliveryView(string DeliveryId, string Status, int AttemptCount, string CreatedAt, string? NextAttemptAt, IReadOnlyList<WebhookAttemptView> Attempts);

public sealed record WebhookDeliveriesResponse(IReadOnlyList<WebhookDeliveryView> Deliveries);

public sealed record RedeliverResponse(string DeliveryId);

/// <summary><c>CommandPollResponse</c>: RenderIO's fields plus Rendi's <c>vcpu_count</c>.</summary>
public sealed class CommandPollResponse
{
    public required string CommandId { get; set; }
    public required string Status { get; set; }
    public required string CommandType { get; set; }
    public double? TotalProcessingSeconds { get; set; }
    public double? FfmpegCommandRunSeconds { get; set; }
    public int? VcpuCount { get; set; }
    public JsonElement? Metadata { get; set; }
    public string? ErrorStatus { get; set; }
    public string? ErrorMessage { get; set; }
    public Dictionary<string, OutputFileMeta> OutputFiles { get; set; } = [];
    public required OriginalRequest OriginalRequest { get; set; }

    /// <summary>While PROCESSING: how far ffmpeg has got (a Rendition extension; absent otherwise).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public CommandProgress? Progress { get; set; }

    /// <summary>Set when the command ran from a preset.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? PresetId { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(SubmitCommandRequest))]
[JsonSerializable(typeof(SubmitCommandResponse))]
[JsonSerializable(typeof(SubmitMultipleRequest))]
[JsonSerializable(typeof(SubmitMultipleResponse))]
[JsonSerializable(typeof(CommandListResponse))]
[JsonSerializable(typeof(List<CommandSummary>))]
[JsonSerializable(typeof(DeleteFilesResponse))]
[JsonSerializable(typeof(FileResponse))]
[JsonSerializable(typeof(CommandProgress))]
[JsonSerializable(typeof(CommandEvent))]
[JsonSerializable(typeof(WebhookConfigRequest))]
[JsonSerializable(typeof(WebhookConfigSetResponse))]
[JsonSerializable(typeof(WebhookConfigResponse))]
[JsonSerializable(typeof(SuccessResponse))]
[JsonSerializable(typeof(WebhookPayload))]
[JsonSerializable(typeof(WebhookDeliveriesResponse))]
[JsonSerializable(typeof(RedeliverResponse))]
[JsonSerializable(typeof(FileIdResponse))]
[JsonSerializable(typeof(FileListResponse))]
[JsonSerializable(typeof(List<FileResponse>))]
[JsonSerializable(typeof(DeleteFileResponse))]
[JsonSerializable(typeof(StoreFileRequest))]
[JsonSerializable(typeof(BulkDeleteRequest))]
[JsonSerializable(typeof(BulkDeleteResponse))]
[JsonSerializable(typeof(OriginalRequest))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(MediaInfo))]
[JsonSerializable(typeof(CommandPollResponse))]
[JsonSerializable(typeof(Dictionary<string, JsonElement>))]
public sealed partial class WireJson : JsonSerializerContext;
