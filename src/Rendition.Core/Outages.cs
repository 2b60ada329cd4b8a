namespace Rendition.Core;

/// <summary>The dependencies an outage answer names.</summary>
public static class Dependencies
{
    public const string Database = "database";
    public const string BlobStore = "blob store";
}

/// <summary>A dependency that cannot serve now (unreachable, restarting, locked, out of space): which one, and why (for the log).</summary>
public sealed record DependencyOutage(string Dependency, string Reason)
{
    /// <summary>Seconds a client is told to wait (<c>Retry-After</c>) before trying again.</summary>
    public const int RetryAfterSeconds = 5;

    /// <summary><c>STORAGE_UNAVAILABLE</c> for the blob store, <c>SERVICE_UNAVAILABLE</c> for the database.</summary>
    public string ErrorCode => Dependency == Dependencies.BlobStore ? ErrorCodes.StorageUnavailable : ErrorCodes.ServiceUnavailable;

    /// <summary>What a client reads: the dependency and when to retry, never the driver's message (it may name hosts).</summary>
    public string ClientMessage => $"The {Dependency} is temporarily unavailable; nothing was changed by this request. Retry in {RetryAfterSeconds} seconds.";
}

/// <summary>Thrown by code that finds its dependency unable to serve for now; the API answers 503 and jobs may retry.</summary>
public sealed class DependencyUnavailableException : Exception
{
    public DependencyUnavailableException(string dependency, string reason, Exception? innerException = null)
        : base($"The {dependency} is unavailable: {reason}", innerException)
    {
        Outage = new DependencyOutage(dependency, reason);
    }

    public DependencyUnavailableException()
        : this(Dependencies.Database, "unavailable")
    {
    }

    public DependencyUnavailableException(string message)
        : this(Dependencies.Database, message)
    {
    }

    public DependencyUnavailableException(string message, Exception innerException)
        : this(Dependencies.Database, message, innerException)
    {
    }

    public DependencyOutage Outage { get; }
}

/// <summary>
/// Recognises a driver's exceptions that mean its dependency cannot serve now (not a bug, not bad input). Each store
/// registers one for its driver, so the code that maps errors needs no driver of its own.
/// </summary>
public interface IOutageClassifier
{
    /// <summary>The outage <paramref name="exception"/> shows (that exception, not those it wraps), or null when it is not one this classifier knows.</summary>
    DependencyOutage? Classify(Exception exception);
}

/// <summary>Finding the outage behind an exception.</summary>
public static class Outages
{
    /// <summary>
    /// The outage behind <paramref name="error"/> — it or any exception it wraps, as thrown (<see cref="DependencyUnavailableException"/>)
    /// or as a classifier recognises it — or null when there is none.
    /// </summary>
    public static DependencyOutage? Find(Exception error, IEnumerable<IOutageClassifier> classifiers)
    {
        ArgumentNullException.ThrowIfNull(error);
        var known = classifiers as IReadOnlyCollection<IOutageClassifier> ?? [.. classifiers];
        var pending = new Stack<Exception>([error]);
        var seen = 0;
        while (pending.Count > 0 && seen++ < 32)
        {
            var e = pending.Pop();
            if (e is DependencyUnavailableException unavailable)
            {
                return unavailable.Outage;
            }
            foreach (var classifier in known)
            {
                if (classifier.Classify(e) is { } outage)
                {
                    return outage;
                }
            }
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    pending.Push(inner);
                }
            }
            else if (e.InnerException is { } inner)
            {
                pending.Push(inner);
            }
        }
        return null;
    }
}

/// <summary>
/// The last known state of each dependency, from the operations and probes that failed or succeeded against it: the API
/// refuses work it could not finish (an upload while the blob store is down) instead of accepting it, and a watcher
/// probes what is marked down until it answers again.
/// </summary>
public sealed class DependencyHealth(TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (DependencyOutage Outage, long Since)> _down = new(StringComparer.Ordinal);

    /// <summary>Marks the dependency down (keeping when it went down, updating why).</summary>
    public void ReportOutage(DependencyOutage outage)
    {
        ArgumentNullException.ThrowIfNull(outage);
        lock (_lock)
        {
            var since = _down.TryGetValue(outage.Dependency, out var known) ? known.Since : time.GetUtcNow().ToUnixTimeMilliseconds();
            _down[outage.Dependency] = (outage, since);
        }
    }

    /// <summary>Marks the dependency available again; true when it was marked down.</summary>
    public bool ReportAvailable(string dependency)
    {
        lock (_lock)
        {
            return _down.Remove(dependency);
        }
    }

    /// <summary>The dependency's outage while it is marked down, else null.</summary>
    public DependencyOutage? Outage(string dependency)
    {
        lock (_lock)
        {
            return _down.TryGetValue(dependency, out var known) ? known.Outage : null;
        }
    }

    /// <summary>The dependencies marked down now.</summary>
    public IReadOnlyList<string> Down
    {
        get
        {
            lock (_lock)
            {
                return [.. _down.Keys];
            }
        }
    }

    /// <summary>Throws <see cref="DependencyUnavailableException"/> while <paramref name="dependency"/> is marked down.</summary>
    public void ThrowIfDown(string dependency)
    {
        if (Outage(dependency) is { } outage)
        {
            throw new DependencyUnavailableException(outage.Dependency, outage.Reason);
        }
    }
}
