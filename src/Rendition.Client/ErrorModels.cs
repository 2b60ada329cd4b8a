namespace Rendition.Client;

/// <summary>A plain <c>{ "success": true }</c> answer.</summary>
public sealed class SuccessResponse
{
    /// <summary>Always true on success.</summary>
    public bool Success { get; set; }
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
