namespace Rendition.Core.Storage;

/// <summary>An account; every command and file belongs to exactly one.</summary>
public sealed record Account(Guid Id, string Name, long CreatedAt);

/// <summary>An API key as listed: never the key itself, only its first characters.</summary>
public sealed record ApiKeyInfo(Guid Id, Guid AccountId, string? Label, string DisplayPrefix, long CreatedAt, long? LastUsedAt, long? RevokedAt);

/// <summary>The account and key an API key resolves to.</summary>
public sealed record KeyOwner(Account Account, Guid KeyId);

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

/// <summary>A stored file: a command output, an upload or a file stored from a URL.</summary>
public sealed class FileRecord
{
    public Guid Id { get; set; }
    public Guid AccountId { get; set; }
    public Guid? CommandId { get; set; }
    public string? Alias { get; set; }
    /// <summary>The name the bytes are stored under: safe for paths and headers.</summary>
    public string Filename { get; set; } = "";

    /// <summary>The name the user gave (uploads), shown on the wire and offered for download; null when it is <see cref="Filename"/>.</summary>
    public string? DisplayName { get; set; }
    public string Status { get; set; } = "";
    public string StoreType { get; set; } = "OUTPUT";

    /// <summary>Where the blob store keeps the bytes.</summary>
    public string StorageKey { get; set; } = "";
    public long? SizeBytes { get; set; }

    /// <summary><see cref="Contracts.MediaInfo"/> as JSON.</summary>
    public string? MediaJson { get; set; }
    public bool IsDeleted { get; set; }
    public long CreatedAt { get; set; }
    public string? OriginalFileUrl { get; set; }
    public string? ErrorStatus { get; set; }
    public string? ErrorMessage { get; set; }
}

/// <summary>A worker's hold on a job: the token fences every write back so a worker that lost its lease cannot overwrite.</summary>
public sealed record JobLease(CommandRecord Command, Guid Token);

/// <summary>A page of an account's commands: optional status and (stored) command type filters.</summary>
public sealed record CommandQuery(int Limit, int Offset, string? Status = null, string? CommandType = null);
