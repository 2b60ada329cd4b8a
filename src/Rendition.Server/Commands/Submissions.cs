using System.Text.Json.Serialization.Metadata;
using Rendition.Core;
using Rendition.Core.Contracts;
using Rendition.Core.Storage;
using Rendition.Server.Auth;

namespace Rendition.Server.Commands;

/// <summary>
/// The HTTP side of every submission (commands, chains, batches, preset runs): <c>?wait=</c> and <c>Idempotency-Key</c> are
/// checked, the body is read (and hashed, with the path, for the key), the service submits, and its answer becomes 200 (the
/// answer, or the finished poll object when waited for), 202 (waited for in vain) or an error.
/// </summary>
public static class Submissions
{
    public const string IdempotencyHeader = "Idempotency-Key";

    public static async Task<IResult> HandleAsync<T>(HttpContext context, JsonTypeInfo<T> bodyType, ApiFlavor flavor,
        Func<Account, T, SubmitOptions, CancellationToken, Task<Outcome<Submitted>>> submit)
        where T : class
    {
        var errors = new List<ValidationDetail>();
        var wait = ApiQuery.Wait(context.Request.Query, errors);
        string? key = context.Request.Headers[IdempotencyHeader];
        if (key is { Length: 0 or > 255 })
        {
            errors.Add(new(IdempotencyHeader, "must be 1 to 255 characters"));
        }
        if (errors.Count > 0)
        {
            return ApiResults.Validation(new RequestValidationException(errors));
        }
        var (body, problem, bodyHash) = await ApiResults.ReadJsonWithHashAsync(context.Request, bodyType);
        if (problem is not null)
        {
            return ApiResults.Problem(problem);
        }
        var idempotency = key is null ? null : new IdempotencyRequest(key, $"{context.Request.Path}\n{bodyHash}");
        var outcome = await submit(RequireApiKey.GetAccount(context), body!, new SubmitOptions(flavor, idempotency, wait), context.RequestAborted);
        if (outcome.Problem is { } refused)
        {
            return ApiResults.Problem(refused);
        }
        var submitted = outcome.Value!;
        if (submitted.Finished is { } poll)
        {
            return TypedResults.Json(poll, WireJson.Default.CommandPollResponse);
        }
        var waitedInVain = !submitted.Replayed && wait > TimeSpan.Zero && submitted.CommandIds.Count == 1;
        return Results.Text(submitted.AnswerJson, "application/json", statusCode: waitedInVain ? StatusCodes.Status202Accepted : StatusCodes.Status200OK);
    }
}
