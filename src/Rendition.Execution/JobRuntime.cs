using System.Collections.Concurrent;
using Rendition.Core.Contracts;

namespace Rendition.Execution;

/// <summary>
/// What this process knows about jobs right now: the running ones (to cancel them and read their progress without a
/// database round trip) and who waits for a command to finish (<c>?wait=</c>, event streams). Waiters are woken by the
/// completion itself, not by polling; other processes' completions are seen by the waiters' slow fallback poll.
/// </summary>
public sealed class JobRuntime
{
    private readonly ConcurrentDictionary<Guid, RunningJob> _running = new();
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource> _finished = new();

    public sealed class RunningJob(CancellationTokenSource cancel)
    {
        public CancellationTokenSource Cancel { get; } = cancel;

        public CommandProgress? Progress { get; set; }

        public bool CancelledByClient { get; set; }
    }

    public RunningJob Register(Guid commandId, CancellationTokenSource cancel) => _running[commandId] = new RunningJob(cancel);

    public void Unregister(Guid commandId) => _running.TryRemove(commandId, out _);

    public CommandProgress? GetProgress(Guid commandId) => _running.TryGetValue(commandId, out var job) ? job.Progress : null;

    /// <summary>Stops a job running in this process; false when it does not run here.</summary>
    public bool TryCancel(Guid commandId)
    {
        if (!_running.TryGetValue(commandId, out var job))
        {
            return false;
        }
        job.CancelledByClient = true;
        job.Cancel.Cancel();
        return true;
    }

    /// <summary>Wakes everyone waiting for this command.</summary>
    public void Finished(Guid commandId)
    {
        if (_finished.TryRemove(commandId, out var waiters))
        {
            waiters.TrySetResult();
        }
    }

    /// <summary>A task that completes when <see cref="Finished"/> is called for the command.</summary>
    public Task WhenFinished(Guid commandId) =>
        _finished.GetOrAdd(commandId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
}
