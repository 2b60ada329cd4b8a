using System.Diagnostics;
using System.Text;

namespace Rendition.Execution;

/// <summary>What a finished tool process left behind.</summary>
public sealed record ProcessResult(int ExitCode, bool TimedOut, TimeSpan Elapsed, string StandardOutput, string StandardErrorTail)
{
    /// <summary>Set when the process was stopped for crossing a resource limit: which one.</summary>
    public string? LimitExceeded { get; init; }
}

/// <summary>Runs a process from an argument list (never a shell), drains both pipes, and kills the whole tree at the deadline.</summary>
public static class ProcessRunner
{
    private const int StderrTailChars = 4000;

    private static readonly TimeSpan LimitCheckInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Runs to completion, the deadline, or cancellation (which also kills the process and rethrows). <paramref name="checkLimits"/>,
    /// when given, is asked four times a second whether a limit was crossed; its answer (non-null) kills the process.
    /// </summary>
    public static async Task<ProcessResult> RunAsync(SandboxedCommand command, string workingDirectory, TimeSpan timeout,
        bool captureStdout, CancellationToken ct, Func<string?>? checkLimits = null)
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
            if (e.Data is not null && captureStdout)
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
            lock (stderr)
            {
                stderr.Append(e.Data).Append('\n');
                if (stderr.Length > StderrTailChars * 2)
                {
                    stderr.Remove(0, stderr.Length - StderrTailChars);
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
        var watcher = checkLimits is null ? Task.CompletedTask : WatchAsync();
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
            tail = stderr.Length > StderrTailChars ? stderr.ToString(stderr.Length - StderrTailChars, StderrTailChars) : stderr.ToString();
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
                    if (checkLimits!() is { } reason)
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
