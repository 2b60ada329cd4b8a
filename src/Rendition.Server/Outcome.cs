using Rendition.Core;

namespace Rendition.Server;

/// <summary>What kind of problem a service call met; each door (HTTP, MCP, console, CLI) shows it its own way.</summary>
public enum ProblemKind
{
    /// <summary>The request is malformed or breaks a rule (HTTP 422, or 400 for a body that is not what was expected).</summary>
    Invalid,

    /// <summary>No such resource in the caller's account (HTTP 404).</summary>
    NotFound,

    /// <summary>The resource is not in a state that allows this (HTTP 409).</summary>
    Conflict,

    /// <summary>More than the configured limit (HTTP 413).</summary>
    TooLarge,
}

/// <summary>
/// Why a service call did not do what was asked, as a caller can act on it: the kind, the error code of the
/// <c>{ "error", "message" }</c> body, the message, and the fields at fault when there are some.
/// </summary>
public sealed record Problem(ProblemKind Kind, string Code, string Message, IReadOnlyList<ValidationDetail>? Details = null)
{
    public static Problem NotFound(string what) => new(ProblemKind.NotFound, ErrorCodes.NotFound, $"{what} was not found.");

    public static Problem Conflict(string message) => new(ProblemKind.Conflict, ErrorCodes.Conflict, message);

    /// <summary>A failed validation: <c>VALIDATION_ERROR</c> or <c>FORBIDDEN_OPTION</c>, with the fields at fault.</summary>
    public static Problem Invalid(RequestValidationException e) => new(ProblemKind.Invalid, e.ErrorCode, e.Message, e.Details);

    public static Problem Invalid(string field, string message) => Invalid(new RequestValidationException(field, message));
}

/// <summary>What a service call came to: its value, or the <see cref="Problem"/> that stopped it.</summary>
public readonly record struct Outcome<T>
{
    private Outcome(T? value, Problem? problem)
    {
        Value = value;
        Problem = problem;
    }

    /// <summary>Set when the call succeeded.</summary>
    public T? Value { get; }

    /// <summary>Set when it did not.</summary>
    public Problem? Problem { get; }

    internal static Outcome<T> Of(T value) => new(value, null);

    internal static Outcome<T> Of(Problem problem) => new(default, problem);

    public static implicit operator Outcome<T>(T value) => Of(value);

    public static implicit operator Outcome<T>(Problem problem) => Of(problem);

    /// <summary>The value, or what <paramref name="onProblem"/> makes of the problem.</summary>
    public TResult Match<TResult>(Func<T, TResult> onValue, Func<Problem, TResult> onProblem) =>
        Problem is { } problem ? onProblem(problem) : onValue(Value!);
}

/// <summary>Makes outcomes where an implicit conversion cannot (a value of an interface type).</summary>
public static class Outcome
{
    public static Outcome<T> Success<T>(T value) => Outcome<T>.Of(value);
}
