namespace Rendition.Core.Storage;

/// <summary>A stored command, as the job store keeps it.</summary>
public sealed class CommandRecord
{
    public Guid Id { get; set; }
    public Guid AccountId { get; set; }
    public string Status { get; set; } = "";
    public string CommandType { get; set; } = "";
    public int Flavor { get; set; }

    /// <summary>The <c>original_request</c> JSON; the worker reads the commands and file maps from it.</summary>
    public string RequestJson { get; set; } = "";
    public string? MetadataJson { get; set; }
    public string? WebhookUrl { get; set; }
    public int MaxSeconds { get; set; }
    public int VcpuCount { get; set; }
    public long CreatedAt { get; set; }
    public long? StartedAt { get; set; }
    public long? CompletedAt { get; set; }
    public double? FfmpegSeconds { get; set; }
    public string? ErrorStatus { get; set; }
    public string? ErrorMessage { get; set; }
    public int Attempts { get; set; }

    /// <summary>The preset this command was executed from, if any.</summary>
    public string? PresetId { get; set; }

    /// <summary>The last progress a worker saved (<see cref="Contracts.CommandProgress"/> as JSON).</summary>
    public string? ProgressJson { get; set; }

    /// <summary>A client asked to cancel it while it ran; the worker stops it.</summary>
    public bool CancelRequested { get; set; }
}

/// <summary>What an <c>Idempotency-Key</c> stands for: the request it came with (by hash) and the answer it got.</summary>
public sealed record IdempotencyRecord(string Key, string RequestHash, string ResponseJson, long CreatedAt);

/// <summary>What a cancel request found.</summary>
public enum CancelOutcome
{
    NotFound,
    AlreadyFinished,
    CancelledWhileQueued,
    StopRequested,
}

/// <summary>A worker's hold on a job: the token fences every write back so a worker that lost its lease cannot overwrite.</summary>
public sealed record JobLease(CommandRecord Command, Guid Token);

/// <summary>A page of an account's commands: optional status and (stored) command type filters.</summary>
public sealed record CommandQuery(int Limit, int Offset, string? Status = null, string? CommandType = null);
