using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Rendition.Client;

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
