using System.Collections.Concurrent;
using System.Diagnostics;

namespace Rendition.Execution;

/// <summary>
/// Starts every child process from one dedicated thread that lives as long as the server. Linux sends a child's
/// parent-death signal (bubblewrap's <c>--die-with-parent</c>) when the *thread* that forked it exits; thread-pool threads
/// retire when idle, which would SIGKILL a running ffmpeg at random. From this thread, the signal fires only when the
/// server itself dies, which is exactly when it should.
/// </summary>
public static class ProcessSpawner
{
    private static readonly BlockingCollection<(Process Process, TaskCompletionSource Started)> Queue = [];

    static ProcessSpawner()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "rendition-process-spawner" };
        thread.Start();
    }

    /// <summary>Starts <paramref name="process"/> on the spawner thread; completes once it has started (or throws what Start threw).</summary>
    public static Task StartAsync(Process process)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Queue.Add((process, started));
        return started.Task;
    }

    private static void Run()
    {
        foreach (var (process, started) in Queue.GetConsumingEnumerable())
        {
            try
            {
                process.Start();
                started.SetResult();
            }
            catch (Exception e)
            {
                started.SetException(e);
            }
        }
    }
}
