using System.Net;

namespace Rendition.Client;

/// <summary>The server answered with a non-2xx status; carries its <c>{ error, message, details }</c> body.</summary>
public sealed class RenditionApiException : Exception
{
    /// <summary>Creates an exception for an error answer.</summary>
    public RenditionApiException(HttpStatusCode statusCode, string error, string message, IReadOnlyList<ValidationDetail>? details = null, TimeSpan? retryAfter = null)
        : base(message)
    {
        StatusCode = statusCode;
        Error = error;
        Details = details ?? [];
        RetryAfter = retryAfter;
    }

    /// <summary>Creates an exception with only a message.</summary>
    public RenditionApiException() : this(0, "UNKNOWN", "The server answered with an error.")
    {
    }

    /// <summary>Creates an exception with only a message.</summary>
    public RenditionApiException(string message) : this(0, "UNKNOWN", message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    public RenditionApiException(string message, Exception innerException) : base(message, innerException)
    {
        Error = "UNKNOWN";
        Details = [];
    }

    /// <summary>The HTTP status of the answer.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>
    /// The body's <c>error</c> code (<c>VALIDATION_ERROR</c>, <c>FORBIDDEN_OPTION</c>, <c>NOT_FOUND</c>, <c>UNAUTHORIZED</c>,
    /// <c>RATE_LIMITED</c>…), or <c>HTTP_&lt;status&gt;</c> when the body was not an error object (e.g. from a proxy).
    /// </summary>
    public string Error { get; }

    /// <summary>For 422 answers: the fields at fault and why.</summary>
    public IReadOnlyList<ValidationDetail> Details { get; }

    /// <summary>The <c>Retry-After</c> of a 429 (rate limited) or 503 (<c>SERVICE_UNAVAILABLE</c>, <c>STORAGE_UNAVAILABLE</c>) answer, when given.</summary>
    public TimeSpan? RetryAfter { get; }
}
