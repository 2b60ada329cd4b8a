using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Rendition.Core.Storage;

namespace Rendition.Data.Postgres;

/// <summary>
/// Wakes this process's workers when any node queues a job: LISTEN on a dedicated connection to the channel the store NOTIFYs
/// on commit. While that connection is down the waits simply time out, so workers fall back to polling at the caller's interval.
/// </summary>
public sealed class PostgresJobSignal(PostgresDatabase db, ILogger<PostgresJobSignal>? logger = null) : IJobSignal, IAsyncDisposable, IDisposable
{
    // Wake-ups beyond this many pending are pointless: every woken worker claims until the queue is empty.
    private const int MaxPending = 1024;

    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _semaphore = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _logger = logger ?? NullLogger<PostgresJobSignal>.Instance;
    private Task? _listener;
    private int _started;
    private int _disposed;
    private volatile bool _listening;

    /// <summary>True while the LISTEN connection is up (notifications from other nodes arrive).</summary>
    public bool IsListening => _listening;

    /// <summary>Wakes a worker of this process; other nodes learn of new jobs from the NOTIFY the store sends when it inserts them.</summary>
    public void Notify() => Release(1);

    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        EnsureListening();
        return await _semaphore.WaitAsync(timeout, ct);
    }

    /// <summary>Starts listening now rather than at the first wait, and waits (up to <paramref name="timeout"/>) until it does.</summary>
    public async Task<bool> StartAsync(TimeSpan timeout, CancellationToken ct)
    {
        EnsureListening();
        var deadline = DateTime.UtcNow + timeout;
        while (!_listening && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, ct);
        }
        return _listening;
    }

    private void EnsureListening()
    {
        // Started on first use, so API-only nodes (no workers waiting) never hold a listening connection.
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _listener = Task.Run(() => ListenLoopAsync(_stop.Token));
        }
    }

    private async Task ListenLoopAsync(CancellationToken ct)
    {
        var delay = TimeSpan.FromSeconds(1);
        // Not from the pool: this connection stays blocked in WaitAsync for the process's life, and a broken one must not be reused.
        var connectionString = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Pooling = false, KeepAlive = 15 }.ConnectionString;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var c = new NpgsqlConnection(connectionString);
                await c.OpenAsync(ct);
                c.Notification += (_, e) => Release(int.TryParse(e.Payload, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 1);
                await using (var cmd = new NpgsqlCommand($"LISTEN {PostgresDatabase.JobChannel}", c))
                {
                    await cmd.ExecuteNonQueryAsync(ct);
                }
                _listening = true;
                delay = TimeSpan.FromSeconds(1);
                // Jobs queued while nothing listened were announced to no one: let a worker look now.
                Release(1);
                while (true)
                {
                    await c.WaitAsync(ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _listening = false;
                _logger.LogWarning(e, "Listening for queued jobs on PostgreSQL failed; polling until it reconnects in {Delay}", delay);
                try
                {
                    await Task.Delay(delay, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxReconnectDelay.Ticks));
            }
            finally
            {
                _listening = false;
            }
        }
    }

    private void Release(int count)
    {
        var room = MaxPending - _semaphore.CurrentCount;
        if (room > 0)
        {
            _semaphore.Release(Math.Clamp(count, 1, room));
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Once only: the container disposes it under each name it is registered by.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _stop.CancelAsync();
        if (_listener is not null)
        {
            await _listener;
        }
        _stop.Dispose();
        _semaphore.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
