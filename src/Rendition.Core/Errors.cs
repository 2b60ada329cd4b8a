namespace Rendition.Core;

/// <summary>Machine-readable error codes used in API error bodies and in failed jobs' <c>error_status</c>.</summary>
public static class ErrorCodes
{
    public const string InvalidRequest = "INVALID_REQUEST";
    public const string ValidationError = "VALIDATION_ERROR";
    public const string Unauthorized = "UNAUTHORIZED";
    public const string Forbidden = "FORBIDDEN";
    public const string NotFound = "NOT_FOUND";
    public const string Conflict = "CONFLICT";
    public const string RateLimited = "RATE_LIMITED";
    public const string PayloadTooLarge = "PAYLOAD_TOO_LARGE";
    public const string InternalError = "INTERNAL_ERROR";

    /// <summary>503: the database cannot serve now (stopped, restarting, locked, out of space); retry after <c>Retry-After</c>.</summary>
    public const string ServiceUnavailable = "SERVICE_UNAVAILABLE";

    /// <summary>503 (and a job's or file's error_status): the blob store cannot be reached or take files now.</summary>
    public const string StorageUnavailable = "STORAGE_UNAVAILABLE";

    public const string UnreachableInputFile = "UNREACHABLE_INPUT_FILE";
    public const string FfmpegError = "FFMPEG_ERROR";
    public const string Timeout = "TIMEOUT";
    public const string OutputMissing = "OUTPUT_MISSING";
    public const string StorageError = "STORAGE_ERROR";
    public const string ResourceLimit = "RESOURCE_LIMIT";
    public const string InvalidInputFile = "INVALID_INPUT_FILE";
    public const string InvalidInputArchive = "INVALID_INPUT_ARCHIVE";
    public const string ForbiddenOption = "FORBIDDEN_OPTION";
    public const string Cancelled = "CANCELLED";
    public const string IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED";
}

/// <summary>One field-level problem in a 422 answer.</summary>
public sealed record ValidationDetail(string Field, string Message)
{
    /// <summary>Refused by the command policy (the answer's code is then <c>FORBIDDEN_OPTION</c>).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsPolicy { get; init; }
}

/// <summary>Thrown by request validation; the API turns it into 422 with the details list.</summary>
public sealed class RequestValidationException : Exception
{
    public RequestValidationException(IReadOnlyList<ValidationDetail> details)
        : base(details.Count == 0 ? "The request is invalid." : string.Join("; ", details.Select(d => $"{d.Field}: {d.Message}")))
    {
        Details = details;
    }

    public RequestValidationException(string field, string message)
        : this([new ValidationDetail(field, message)])
    {
    }

    public RequestValidationException()
        : this([])
    {
    }

    public RequestValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Details = [];
    }

    public IReadOnlyList<ValidationDetail> Details { get; } = [];

    /// <summary><c>FORBIDDEN_OPTION</c> when the command policy refused something, else <c>VALIDATION_ERROR</c>.</summary>
    public string ErrorCode => Details.Any(d => d.IsPolicy) ? ErrorCodes.ForbiddenOption : ErrorCodes.ValidationError;
}
