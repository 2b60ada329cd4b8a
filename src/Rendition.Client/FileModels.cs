namespace Rendition.Client;

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
