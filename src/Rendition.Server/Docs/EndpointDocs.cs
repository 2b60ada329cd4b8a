using Rendition.Core.Contracts;
using Rendition.Server.Auth;

namespace Rendition.Server.Docs;

/// <summary>A parameter the handler reads itself (query string or header), so the generator cannot see it.</summary>
public sealed record DocumentedParameter(string Name, ParameterPlace Place, string Type, string Description);

public enum ParameterPlace
{
    Query = 0,
    Header = 1,
}

/// <summary>Marks a submission whose <c>?wait=</c> can answer 200 with the finished poll object instead of the usual body.</summary>
public sealed class WaitReturnsPollMetadata
{
    public static readonly WaitReturnsPollMetadata Instance = new();
}

/// <summary>Marks an endpoint that reads a <c>multipart/form-data</c> upload with the file in the field <c>file</c>.</summary>
public sealed class MultipartUploadMetadata
{
    public static readonly MultipartUploadMetadata Instance = new();
}

/// <summary>
/// The OpenAPI annotations the endpoints share. Handlers read their bodies and query strings themselves (to answer
/// <c>{ error, message }</c> rather than the framework's errors), so their request and response shapes are declared here.
/// </summary>
public static class EndpointDocs
{
    public const string JsonType = "application/json";

    /// <summary>Tag and summary (and an optional longer description) of an operation.</summary>
    public static RouteHandlerBuilder Doc(this RouteHandlerBuilder builder, string tag, string summary, string? description = null)
    {
        builder.WithTags(tag).WithSummary(summary);
        return description is null ? builder : builder.WithDescription(description);
    }

    /// <summary>The JSON body the handler reads.</summary>
    public static RouteHandlerBuilder Body<T>(this RouteHandlerBuilder builder)
        where T : notnull =>
        builder.Accepts<T>(JsonType);

    /// <summary>The JSON body of a success answer.</summary>
    public static RouteHandlerBuilder Returns<T>(this RouteHandlerBuilder builder, int status = StatusCodes.Status200OK) =>
        builder.Produces<T>(status, JsonType);

    /// <summary>The error answers (<c>{ error, message }</c>) this endpoint gives besides 401 and 429, which every keyed endpoint can give.</summary>
    public static RouteHandlerBuilder Errors(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses)
        {
            builder.Produces<ErrorResponse>(status, JsonType);
        }
        return builder;
    }

    public static RouteHandlerBuilder Query(this RouteHandlerBuilder builder, string name, string type, string description) =>
        builder.WithMetadata(new DocumentedParameter(name, ParameterPlace.Query, type, description));

    public static RouteHandlerBuilder Header(this RouteHandlerBuilder builder, string name, string description) =>
        builder.WithMetadata(new DocumentedParameter(name, ParameterPlace.Header, "string", description));

    /// <summary>
    /// A submission: the JSON body, <c>{ command_id }</c> (or <typeparamref name="TAnswer"/>), <c>?wait=</c> and
    /// <c>Idempotency-Key</c>, and the errors every submission can give.
    /// </summary>
    public static RouteHandlerBuilder Submission<TBody, TAnswer>(this RouteHandlerBuilder builder)
        where TBody : notnull =>
        builder.Body<TBody>()
            .Returns<TAnswer>()
            .Returns<TAnswer>(StatusCodes.Status202Accepted)
            .Errors(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity)
            .Query("wait", "integer",
                $"Seconds (0 to {ApiQuery.MaxWaitSeconds}) to hold the answer until the command finishes: 200 with the final poll object " +
                "when it ends in time, else 202 with the usual body. A Rendition extension; 0 (the default) answers at once.")
            .Header(Commands.Submissions.IdempotencyHeader,
                "1 to 255 characters. The same key with the same body within 24 hours answers the first answer again, and runs nothing; " +
                "the same key with another body is 422 IDEMPOTENCY_KEY_REUSED. A Rendition extension.")
            .WithMetadata(WaitReturnsPollMetadata.Instance);

    /// <summary>Paging parameters of the list endpoints.</summary>
    public static RouteHandlerBuilder Paging(this RouteHandlerBuilder builder, int maxLimit) =>
        builder.Query("limit", "integer", $"Page size, 1 to {maxLimit} (larger values are capped); default 50.")
            .Query("offset", "integer", "How many to skip, newest first; default 0.");

    /// <summary>Requires <c>X-API-KEY</c> on every endpoint of the group (401 without a valid key), and says so in the API reference.</summary>
    public static RouteGroupBuilder RequiresApiKey(this RouteGroupBuilder group) =>
        group.AddEndpointFilter<RequireApiKey>().WithMetadata(ApiKeyRequiredMetadata.Instance);
}

/// <summary>Endpoint metadata: the endpoint answers 401 without a valid <c>X-API-KEY</c>.</summary>
public sealed class ApiKeyRequiredMetadata
{
    public static readonly ApiKeyRequiredMetadata Instance = new();
}
