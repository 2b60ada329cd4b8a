using System.Buffers;
using System.Diagnostics;
using System.Text;

namespace Rendition.Execution;

/// <summary>What a finished tool process left behind.</summary>
public sealed record ProcessResult(int ExitCode, bool TimedOut, TimeSpan Elapsed, string StandardOutput, string StandardErrorTail)
{
    /// <summary>Set when the process was stopped for crossing a resource limit: which one.</summary>
    public string? LimitExceeded { get; init; }

    /// <summary>True when stdout was longer than <see cref="ProcessWatch.StdoutBytes"/>: <see cref="StandardOutput"/> is its beginning only.</summary>
    public bool StandardOutputTruncated { get; init; }
}

/// <summary>How to watch a process: what to keep of its output and what to check while it runs.</summary>
public sealed record ProcessWatch
{
    /// <summary>Keep stdout (ffprobe's JSON), up to <see cref="StdoutBytes"/>.</summary>
    public bool CaptureStdout { get; init; }

    /// <summary>How much of stdout to keep when it is captured, in bytes; the rest is read and dropped.</summary>
    public int StdoutBytes { get; init; } = 1 << 20;

    /// <summary>Called for each stdout line as it arrives (ffmpeg's <c>-progress pipe:1</c>).</summary>
    public Action<string>? OnStdoutLine { get; init; }

    /// <summary>Called for each stderr line as it arrives (ffmpeg's log header tells the inputs' durations).</summary>
    public Action<string>? OnStderrLine { get; init; }

    /// <summary>How much of stderr's end to keep, in characters.</summary>
    public int StderrChars { get; init; } = 4000;

    /// <summary>Asked four times a second whether a limit was crossed; a non-null answer kills the process.</summary>
    public Func<string?>? CheckLimits { get; init; }
}

/// <summary>
/// Runs a process from an argument list (never a shell), drains both pipes, and kills the whole tree at the deadline.
/// What it keeps of the output is bounded whatever the process writes: the pipes are read as bytes (never as whole lines,
/// which a single line without a newline would make as large as the output), lines are cut at <see cref="MaxLineBytes"/>,
/// stdout is kept up to <see cref="ProcessWatch.StdoutBytes"/> and stderr's last <see cref="ProcessWatch.StderrChars"/>.
/// </summary>
public static class ProcessRunner
{
    /// <summary>The longest line handed to a callback or kept in the stderr tail; the rest of a longer line is dropped.</summary>
    public const int MaxLineBytes = 16 * 1024;

    private static readonly TimeSpan LimitCheckInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Runs to completion, the deadline, or cancellation (which also kills the process tree and rethrows).</summary>
    public static async Task<ProcessResult> RunAsync(SandboxedCommand command, string workingDirectory, TimeSpan timeout, ProcessWatch watch, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(command.FileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardErrorEncoding = Encoding.UTF8,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var a in command.Arguments)
        {
            psi.ArgumentList.Add(a);
        }
        // The server's secrets (bootstrap key, S3 credentials) never reach a tenant's process.
        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        psi.Environment["LC_ALL"] = "C";

        var stdout = watch.CaptureStdout ? new BoundedBytes(watch.StdoutBytes) : null;
        var stderr = new StringBuilder();
        using var process = new Process { StartInfo = psi, EnableRaisingEvents = true };

        var started = Stopwatch.GetTimestamp();
        await ProcessSpawner.StartAsync(process);
        process.StandardInput.Close();
        var pumps = new[]
        {
            PumpAsync(process.StandardOutput.BaseStream, stdout, watch.OnStdoutLine),
            PumpAsync(process.StandardError.BaseStream, null, line =>
            {
                watch.OnStderrLine?.Invoke(line);
                lock (stderr)
                {
                    stderr.Append(line).Append('\n');
                    if (stderr.Length > watch.StderrChars * 2)
                    {
                        stderr.Remove(0, stderr.Length - watch.StderrChars);
                    }
                }
            }),
        };

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        string? limitExceeded = null;
        var watcher = watch.CheckLimits is null ? Task.CompletedTask : WatchAsync();
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = !ct.IsCancellationRequested && limitExceeded is null;
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None);
            ct.ThrowIfCancellationRequested();
        }
        finally
        {
            await deadline.CancelAsync();
            await watcher;
        }
        var elapsed = Stopwatch.GetElapsedTime(started);
        try
        {
            // The pipes reach EOF when the last process holding them exits: at once, as the sandbox's PID namespace ends
            // with its first process. The bound only guards against a descendant that escaped the kill.
            await Task.WhenAll(pumps).WaitAsync(DrainTimeout, CancellationToken.None);
        }
        catch (TimeoutException)
        {
        }
        string tail;
        lock (stderr)
        {
            tail = stderr.Length > watch.StderrChars ? stderr.ToString(stderr.Length - watch.StderrChars, watch.StderrChars) : stderr.ToString();
        }
        return new ProcessResult(timedOut || limitExceeded is not null ? -1 : process.ExitCode, timedOut, elapsed, stdout?.ToString() ?? "", tail.Trim())
        {
            LimitExceeded = limitExceeded,
            StandardOutputTruncated = stdout?.Truncated ?? false,
        };

        async Task WatchAsync()
        {
            try
            {
                while (!deadline.IsCancellationRequested)
                {
                    await Task.Delay(LimitCheckInterval, deadline.Token);
                    if (watch.CheckLimits!() is { } reason)
                    {
                        limitExceeded = reason;
                        await deadline.CancelAsync();
                        return;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>
    /// Reads a pipe to its end: every byte into <paramref name="capture"/> (which keeps what fits), and each line (split at
    /// CR or LF, empty ones skipped, cut at <see cref="MaxLineBytes"/>) to <paramref name="onLine"/>.
    /// </summary>
    private static async Task PumpAsync(Stream pipe, BoundedBytes? capture, Action<string>? onLine)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var line = onLine is null ? [] : ArrayPool<byte>.Shared.Rent(MaxLineBytes);
        var length = 0;
        try
        {
            int read;
            while ((read = await pipe.ReadAsync(buffer.AsMemory(0, 64 * 1024))) > 0)
            {
                capture?.Add(buffer.AsSpan(0, read));
                if (onLine is null)
                {
                    continue;
                }
                var rest = buffer.AsSpan(0, read);
                while (true)
                {
                    var end = rest.IndexOfAny((byte)'\n', (byte)'\r');
                    var part = end < 0 ? rest : rest[..end];
                    var room = MaxLineBytes - length;
                    part[..Math.Min(room, part.Length)].CopyTo(line.AsSpan(length));
                    length += Math.Min(room, part.Length);
                    if (end < 0)
                    {
                        break;
                    }
                    if (length > 0)
                    {
                        onLine(Encoding.UTF8.GetString(line, 0, length));
                        length = 0;
                    }
                    rest = rest[(end + 1)..];
                }
            }
            if (length > 0)
            {
                onLine!(Encoding.UTF8.GetString(line, 0, length));
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The process was killed and its pipe closed under us: what was read is what there is.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (line.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(line);
            }
        }
    }

    /// <summary>The first <c>limit</c> bytes of a stream, and whether there were more.</summary>
    private sealed class BoundedBytes(int limit)
    {
        private readonly ArrayBufferWriter<byte> _bytes = new();

        public bool Truncated { get; private set; }

        public void Add(ReadOnlySpan<byte> data)
        {
            var room = limit - _bytes.WrittenCount;
            if (data.Length > room)
            {
                Truncated = true;
                data = data[..Math.Max(0, room)];
            }
            _bytes.Write(data);
        }

        public override string ToString() => Encoding.UTF8.GetString(_bytes.WrittenSpan);
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }
}
