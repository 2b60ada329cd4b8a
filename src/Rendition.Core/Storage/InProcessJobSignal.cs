namespace Rendition.Core.Storage;

/// <summary>In-process <see cref="IJobSignal"/>: a counting semaphore, so no notification is lost between waits.</summary>
public sealed class InProcessJobSignal : IJobSignal, IDisposable
{
    private readonly SemaphoreSlim _semaphore = new(0, int.MaxValue);

    public void Notify() => _semaphore.Release();

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _semaphore.WaitAsync(timeout, ct);

    public void Dispose() => _semaphore.Dispose();
}
