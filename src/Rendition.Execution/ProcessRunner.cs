using System.Diagnostics;
using System.Text;

namespace Rendition.Execution;

/// <summary>What a finished tool process left behind.</summary>
public sealed record ProcessResult(int ExitCode, bool TimedOut, TimeSpan Elapsed, string StandardOutput, string StandardErrorTail)
{
    /// <summary>Set when the process was stopped for crossing a resource limit: which one.</summary>
    public string? LimitExceeded { get; init; }
}

/// <summary>How to watch a process: what to keep of its output and what to check while it runs.</summary>
public sealed record ProcessWatch
{
    /// <summary>Keep stdout whole (ffprobe's JSON).</summary>
    public bool CaptureStdout { get; init; }

    /// <summary>Called for each stdout line as it arrives (ffmpeg's <c>-progress pipe:1</c>).</summary>
    public Action<string>? OnStdoutLine { get; init; }

    /// <summary>Called for each stderr line as it arrives (ffmpeg's log header tells the inputs' durations).</summary>
    public Action<string>? OnStderrLine { get; init; }

    /// <summary>How much of stderr's end to keep, in characters.</summary>
    public int StderrChars { get; init; } = 4000;

    /// <summary>Asked four times a second whether a limit was crossed; a non-null answer kills the process.</summary>
    public Func<string?>? CheckLimits { get; init; }
}

/// <summary>Runs a process from an argument list (never a shell), drains both pipes, and kills the whole tree at the deadline.</summary>
public static class ProcessRunner
{
    private static readonly TimeSpan LimitCheckInterval = TimeSpan.FromMilliseconds(250);

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

        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }
            watch.OnStdoutLine?.Invoke(e.Data);
            if (watch.CaptureStdout)
            {
                lock (stdout)
                {
                    stdout.Append(e.Data).Append('\n');
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }
            watch.OnStderrLine?.Invoke(e.Data);
            lock (stderr)
            {
                stderr.Append(e.Data).Append('\n');
                if (stderr.Length > watch.StderrChars * 2)
                {
                    stderr.Remove(0, stderr.Length - watch.StderrChars);
                }
            }
        };

        var started = Stopwatch.GetTimestamp();
        await ProcessSpawner.StartAsync(process);
        process.StandardInput.Close();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();

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
        // WaitForExitAsync returns after the pipes reach EOF, so the buffers are complete here.
        var elapsed = Stopwatch.GetElapsedTime(started);
        string tail;
        lock (stderr)
        {
            tail = stderr.Length > watch.StderrChars ? stderr.ToString(stderr.Length - watch.StderrChars, watch.StderrChars) : stderr.ToString();
        }
        return new ProcessResult(timedOut || limitExceeded is not null ? -1 : process.ExitCode, timedOut, elapsed, stdout.ToString(), tail.Trim())
        {
            LimitExceeded = limitExceeded,
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
