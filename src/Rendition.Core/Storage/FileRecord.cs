namespace Rendition.Core.Storage;

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
