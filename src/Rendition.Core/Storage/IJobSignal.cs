namespace Rendition.Core.Storage;

/// <summary>Wakes workers when a job is queued (in process; other stores add their own channel).</summary>
public interface IJobSignal
{
    void Notify();

    /// <summary>Waits for a notification or the timeout; true when notified.</summary>
    Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct);
}
