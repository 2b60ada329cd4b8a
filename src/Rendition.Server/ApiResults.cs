using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Rendition.Core;
using Rendition.Core.Contracts;

namespace Rendition.Server;

/// <summary>The one place error bodies are made (<c>{ "error": "CODE", "message": "..." }</c>) and request bodies are read.</summary>
public static class ApiResults
{
    public static JsonHttpResult<ErrorResponse> Error(int status, string code, string message, IReadOnlyList<ValidationDetail>? details = null) =>
        TypedResults.Json(Body(code, message, details), WireJson.Default.ErrorResponse, statusCode: status);

    public static JsonHttpResult<ErrorResponse> NotFound(string what) =>
        Error(StatusCodes.Status404NotFound, ErrorCodes.NotFound, $"{what} was not found.");

    public static JsonHttpResult<ErrorResponse> Validation(RequestValidationException e) =>
        Error(StatusCodes.Status422UnprocessableEntity, e.ErrorCode, e.Message, e.Details);

    /// <summary>A service's <see cref="Server.Problem"/> as HTTP: its kind decides the status, its code and message the body.</summary>
    public static JsonHttpResult<ErrorResponse> Problem(Problem problem) => Error(problem.Kind switch
    {
        ProblemKind.NotFound => StatusCodes.Status404NotFound,
        ProblemKind.Conflict => StatusCodes.Status409Conflict,
        ProblemKind.TooLarge => StatusCodes.Status413PayloadTooLarge,
        _ when problem.Code == ErrorCodes.InvalidRequest => StatusCodes.Status400BadRequest,
        _ => StatusCodes.Status422UnprocessableEntity,
    }, problem.Code, problem.Message, problem.Details);

    /// <summary>The error body of a problem, for the typed results (<c>NotFound&lt;ErrorResponse&gt;</c>…) whose status the endpoint declares.</summary>
    public static ErrorResponse Body(Problem problem) => Body(problem.Code, problem.Message, problem.Details);

    private static ErrorResponse Body(string code, string message, IReadOnlyList<ValidationDetail>? details) => new(code, message) { Details = details };

    /// <summary>Writes an error body directly (middleware and filters, where there is no endpoint result).</summary>
    public static Task WriteAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, new ErrorResponse(code, message), WireJson.Default.ErrorResponse, context.RequestAborted);
    }

    /// <summary>503 with <c>Retry-After</c> and the code naming the dependency (<c>SERVICE_UNAVAILABLE</c>, <c>STORAGE_UNAVAILABLE</c>).</summary>
    public static Task WriteUnavailableAsync(HttpContext context, DependencyOutage outage)
    {
        context.Response.Headers.RetryAfter = DependencyOutage.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers.CacheControl = "no-store";
        return WriteAsync(context, StatusCodes.Status503ServiceUnavailable, outage.ErrorCode, outage.ClientMessage);
    }

    /// <summary>
    /// Reads a JSON body; a body that is missing, not JSON or of the wrong types is an <c>INVALID_REQUEST</c> problem (400), and
    /// a string holding a NUL character is a validation problem (422) naming its field.
    /// </summary>
    public static async Task<(T? Value, Problem? Problem)> ReadJsonAsync<T>(HttpRequest request, JsonTypeInfo<T> type)
        where T : class
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        return Read(buffer, type);
    }

    /// <summary>Like <see cref="ReadJsonAsync"/>, also giving the SHA-256 of the raw body (for idempotency keys).</summary>
    public static async Task<(T? Value, Problem? Problem, string BodyHash)> ReadJsonWithHashAsync<T>(HttpRequest request, JsonTypeInfo<T> type)
        where T : class
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
        var (value, problem) = Read(buffer, type);
        return (value, problem, hash);
    }

    // Every JSON request body of the API passes here, so this is the one place a NUL is refused: C strings, file names,
    // ffmpeg's argv and PostgreSQL's text all end at one, so a value could mean one thing here and another there.
    private static (T? Value, Problem? Problem) Read<T>(MemoryStream buffer, JsonTypeInfo<T> type)
        where T : class
    {
        var json = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (JsonText.FieldWithNul(json) is { } field)
        {
            return (null, Server.Problem.Invalid(field, "must not contain a NUL character (U+0000)"));
        }
        try
        {
            var value = JsonSerializer.Deserialize(json, type);
            return value is null ? (null, BadBody("The request body must be a JSON object.")) : (value, null);
        }
        catch (JsonException e)
        {
            var where = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" at {e.Path}";
            var message = e.BytePositionInLine is null && e.LineNumber is null && where.Length == 0
                ? "The request body must be a JSON object."
                : $"The request body is not valid JSON or has a field of the wrong type{where}.";
            return (null, BadBody(message));
        }
    }

    private static Problem BadBody(string message) => new(ProblemKind.Invalid, ErrorCodes.InvalidRequest, message);
}

/// <summary>
/// What an endpoint, filter or middleware throws becomes an error body here, and only here: a dependency outage (as thrown,
/// or as the configured store's classifier recognises its driver's error) is 503 with <c>Retry-After</c>, logged as one
/// warning line; a request the server could not read is 400/413; anything else is 500 <c>INTERNAL_ERROR</c>, logged with
/// its stack.
/// </summary>
public sealed partial class ApiExceptionHandler(IEnumerable<IOutageClassifier> classifiers, DependencyHealth health, ILogger<ApiExceptionHandler> logger)
    : IExceptionHandler
{
    private readonly IOutageClassifier[] _classifiers = [.. classifiers];

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (httpContext.Response.HasStarted)
        {
            // Too late for another answer; the middleware logs it and aborts the response.
            return false;
        }
        if (exception is BadHttpRequestException bad)
        {
            await ApiResults.WriteAsync(httpContext, bad.StatusCode, bad.StatusCode == 413 ? ErrorCodes.PayloadTooLarge : ErrorCodes.InvalidRequest, bad.Message);
        }
        else if (Outages.Find(exception, _classifiers) is { } outage)
        {
            health.ReportOutage(outage);
            LogOutage(logger, outage.Dependency, outage.Reason, httpContext.Request.Method, httpContext.Request.Path);
            await ApiResults.WriteUnavailableAsync(httpContext, outage);
        }
        else
        {
            LogUnexpected(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
            await ApiResults.WriteAsync(httpContext, StatusCodes.Status500InternalServerError, ErrorCodes.InternalError, "An unexpected error occurred; it has been logged.");
        }
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Dependency} is unavailable ({Reason}); {Method} {Path} answered 503")]
    private static partial void LogOutage(ILogger logger, string dependency, string reason, string method, PathString path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception for {Method} {Path}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, PathString path);
}
