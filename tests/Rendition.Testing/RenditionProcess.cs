using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Rendition.Testing;

/// <summary>
/// The compiled server (<c>dotnet rendition.dll serve|worker</c>) as a separate OS process, as it is deployed: its own
/// environment, its own data directory, its stdout/stderr kept (the last lines) for assertion messages.
/// </summary>
public sealed class RenditionProcess : IAsyncDisposable
{
    private const int TailLines = 150;
    private readonly Queue<string> _tail = new();
    private readonly StringBuilder _seen = new();

    private readonly bool _ownsDataDir;

    private RenditionProcess(string name, Process process, string dataDir, bool ownsDataDir, string? baseUrl)
    {
        Name = name;
        Process = process;
        DataDir = dataDir;
        _ownsDataDir = ownsDataDir;
        BaseUrl = baseUrl;
    }

    public string Name { get; }

    public Process Process { get; }

    public string DataDir { get; }

    /// <summary>The API's address (null for a worker).</summary>
    public string? BaseUrl { get; }

    /// <summary>
    /// The server built with the tests: the test project references the server, so <c>rendition.dll</c> (with its runtimeconfig)
    /// sits next to the test assembly in whichever configuration was built; the server project's own output is the fallback.
    /// </summary>
    public static string ServerDll
    {
        get
        {
            var next = Path.Combine(AppContext.BaseDirectory, "rendition.dll");
            if (File.Exists(next) && File.Exists(Path.Combine(AppContext.BaseDirectory, "rendition.runtimeconfig.json")))
            {
                return next;
            }
            var candidates = new[] { "Release", "Debug" }
                .Select(c => Path.Combine(Repo.Root, "src", "Rendition.Server", "bin", c, "net10.0", "rendition.dll"))
                .Where(File.Exists)
                .OrderByDescending(File.GetLastWriteTimeUtc)
                .ToArray();
            return candidates.FirstOrDefault()
                ?? throw new FileNotFoundException($"rendition.dll is neither next to the tests ({AppContext.BaseDirectory}) nor under src/Rendition.Server/bin: build the solution first.");
        }
    }

    /// <summary>
    /// Starts <c>dotnet rendition.dll {role}</c>. Inherited <c>RENDITION_*</c> variables are dropped so only
    /// <paramref name="env"/> configures it; with <paramref name="port"/> it listens on loopback there. Without
    /// <paramref name="dataDir"/> it gets a temporary data directory of its own, deleted when it is disposed; a given one
    /// (a restart on the same data) is left to the caller.
    /// </summary>
    public static RenditionProcess Start(string name, string role, IDictionary<string, string> env, int? port = null, string? dataDir = null)
    {
        var ownsDataDir = dataDir is null;
        dataDir ??= Directory.CreateTempSubdirectory($"rendition-{name}-").FullName;
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = dataDir,
        };
        psi.ArgumentList.Add(ServerDll);
        psi.ArgumentList.Add(role);
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("RENDITION_", StringComparison.Ordinal) || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal)).ToList())
        {
            psi.Environment.Remove(key);
        }
        psi.Environment["RENDITION_DATA_DIR"] = dataDir;
        string? baseUrl = null;
        if (port is { } p)
        {
            baseUrl = $"http://127.0.0.1:{p}";
            psi.Environment["ASPNETCORE_URLS"] = baseUrl;
            psi.Environment["RENDITION_PUBLIC_URL"] = baseUrl;
        }
        foreach (var (k, v) in env)
        {
            psi.Environment[k] = v;
        }
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var started = new RenditionProcess(name, process, dataDir, ownsDataDir, baseUrl);
        process.OutputDataReceived += (_, e) => started.Record("out", e.Data);
        process.ErrorDataReceived += (_, e) => started.Record("err", e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    private void Record(string stream, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_tail)
        {
            _tail.Enqueue($"[{stream}] {line}");
            while (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }
            _seen.AppendLine(line);
        }
    }

    /// <summary>Whether the process has written <paramref name="text"/> to stdout or stderr so far.</summary>
    public bool HasWritten(string text)
    {
        lock (_tail)
        {
            return _seen.ToString().Contains(text, StringComparison.Ordinal);
        }
    }

    /// <summary>The last lines the process wrote, for assertion messages.</summary>
    public string Tail()
    {
        lock (_tail)
        {
            var state = Process.HasExited ? $"exited {Process.ExitCode}" : $"running, pid {Process.Id}";
            return $"--- {Name} ({state}) ---{Environment.NewLine}{string.Join(Environment.NewLine, _tail)}";
        }
    }

    /// <summary>
    /// Waits until the API answers <c>/healthz</c>, failing at once if the process exits; <paramref name="context"/> adds
    /// more to a failure's message (other processes' last lines).
    /// </summary>
    public async Task WaitHealthyAsync(TimeSpan timeout, Func<string>? context = null)
    {
        using var http = new HttpClient { BaseAddress = new Uri(BaseUrl ?? throw new InvalidOperationException($"{Name} serves no API.")) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Assert.False(Process.HasExited, $"{Name} exited{Environment.NewLine}{context?.Invoke() ?? Tail()}");
            try
            {
                using var response = await http.GetAsync("/healthz");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            Assert.True(DateTime.UtcNow < deadline, $"{Name} did not answer /healthz within {timeout.TotalSeconds:0} s{Environment.NewLine}{context?.Invoke() ?? Tail()}");
            await Task.Delay(50);
        }
    }

    /// <summary>Kills the process and its children with SIGKILL, as a crash or an OOM kill would: nothing runs after it.</summary>
    public async Task KillAsync()
    {
        Process.Kill(entireProcessTree: true);
        await Process.WaitForExitAsync();
    }

    /// <summary>Asks the process to stop as an orchestrator does (SIGTERM) and waits for it to exit.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        var (exit, _, stderr) = await TestMedia.RunAsync("kill", ["-TERM", Process.Id.ToString(CultureInfo.InvariantCulture)]);
        Assert.True(exit == 0, $"kill -TERM {Process.Id} failed: {stderr}");
        using var cts = new CancellationTokenSource(timeout);
        await Process.WaitForExitAsync(cts.Token);
        return Process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                await Process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
        }
        Process.Dispose();
        if (!_ownsDataDir)
        {
            return;
        }
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>Every process a test started, killed (with their children) when the test ends, however it ends.</summary>
public sealed class RenditionCluster : IAsyncDisposable
{
    private readonly List<RenditionProcess> _processes = [];

    public RenditionProcess Start(string name, string role, IDictionary<string, string> env, int? port = null, string? dataDir = null)
    {
        var p = RenditionProcess.Start(name, role, env, port, dataDir);
        _processes.Add(p);
        return p;
    }

    /// <summary>Every process's last lines, for assertion messages.</summary>
    public string Tails() => string.Join(Environment.NewLine, _processes.Select(p => p.Tail()));

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _processes)
        {
            await p.DisposeAsync();
        }
    }
}

/// <summary>The process tree as /proc shows it: which processes descend from which, and what they run.</summary>
public static class ProcTree
{
    public sealed record Proc(int Pid, int ParentPid, string Name, string CommandLine, double AgeSeconds);

    public static IReadOnlyList<Proc> Snapshot()
    {
        var uptime = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture);
        var list = new List<Proc>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            try
            {
                // "pid (comm) state ppid ..." — comm may hold spaces or parentheses, so split after the last ')'.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var open = stat.IndexOf('(', StringComparison.Ordinal);
                var close = stat.LastIndexOf(')');
                var fields = stat[(close + 2)..].Split(' ');
                var ppid = int.Parse(fields[1], CultureInfo.InvariantCulture);
                // Field 22 (starttime) in clock ticks since boot; the kernel reports these in USER_HZ, 100 on Linux.
                var started = long.Parse(fields[19], CultureInfo.InvariantCulture) / 100.0;
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim();
                list.Add(new Proc(pid, ppid, stat[(open + 1)..close], cmdline, uptime - started));
            }
            catch (IOException)
            {
                // Gone while we looked.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return list;
    }

    public static IReadOnlyList<Proc> Descendants(IReadOnlyList<Proc> snapshot, int root)
    {
        var children = snapshot.ToLookup(p => p.ParentPid);
        var found = new List<Proc>();
        var pending = new Stack<int>([root]);
        while (pending.Count > 0)
        {
            foreach (var child in children[pending.Pop()])
            {
                found.Add(child);
                pending.Push(child.Pid);
            }
        }
        return found;
    }
}
