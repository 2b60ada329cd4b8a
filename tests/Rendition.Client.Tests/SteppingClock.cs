namespace Rendition.Client.Tests;

/// <summary>
/// A clock that moves only when a test advances it or when the code under test sleeps on it: each sleep is recorded and
/// ends at once, the clock jumping ahead by its length. Waiting logic is then checked step by step, on the clock it reads,
/// however busy the machine is.
/// </summary>
internal sealed class SteppingClock : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<TimeSpan> _sleeps = [];
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>How far the clock has moved.</summary>
    public TimeSpan Elapsed => TimeSpan.FromTicks(GetTimestamp());

    /// <summary>Every sleep asked for, in order.</summary>
    public IReadOnlyList<TimeSpan> Sleeps
    {
        get
        {
            lock (_lock)
            {
                return [.. _sleeps];
            }
        }
    }

    public override long GetTimestamp()
    {
        lock (_lock)
        {
            return _ticks;
        }
    }

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.UnixEpoch + Elapsed;

    public void Advance(TimeSpan by)
    {
        lock (_lock)
        {
            _ticks += by.Ticks;
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        lock (_lock)
        {
            _sleeps.Add(dueTime);
            _ticks += dueTime.Ticks;
        }
        // Over at once; the callback runs after the caller holds the timer, as a real timer's would.
        ThreadPool.QueueUserWorkItem(_ => callback(state));
        return new FiredTimer();
    }

    private sealed class FiredTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => false;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
