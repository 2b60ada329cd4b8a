namespace Rendition.Execution;

/// <summary>Why a job failed: the <c>error_status</c> code a client branches on, and a message it can act on.</summary>
public sealed record JobFailure(string Status, string Message);

/// <summary>Thrown inside a job's run (staging inputs, running steps, storing outputs) to end it FAILED with a code.</summary>
public sealed class JobFailedException(JobFailure failure) : Exception(failure.Message)
{
    public JobFailedException(string status, string message)
        : this(new JobFailure(status, message))
    {
    }

    public JobFailure Failure { get; } = failure;
}
