using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rendition.Bench;

/// <summary>Settings, from the environment run.sh passes (every loop below is bounded by these counts and by deadlines).</summary>
public sealed class Config
{
    public required string ServerDll { get; init; }
    public required string Work { get; init; }
    public string? Out { get; init; }
    public string Commit { get; init; } = "unknown";
    public string Source { get; init; } = "";
    public int N { get; init; } = 30;
    public int Burst { get; init; } = 200;
    public int HeavyReps { get; init; } = 5;
    public int WrkSeconds { get; init; } = 10;
    public int WrkConnections { get; init; } = 64;
    public int BigMb { get; init; } = 2048;
    public int MetadataMb { get; init; } = 100;
    public int PollMs { get; init; } = 5;
    public int Warmup { get; init; } = 60;
    public int HeavyPollMs { get; init; } = 1000;
    public int WrkWarmupSeconds { get; init; } = 10;
    public int ScaleBurst { get; init; } = 100;
    public int Workers { get; init; } = Environment.ProcessorCount;
    public string? Sandbox { get; init; }
    public HashSet<string> Sections { get; init; } = ["overhead", "throughput", "heavy", "api", "memory", "metadata", "scaleout"];
    public string LoopScript { get; init; } = "";
    public int BuildSeconds { get; init; }

    public static Config FromEnvironment()
    {
        static string? S(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
        static int I(string name, int fallback, int min, int max)
        {
            var raw = S(name);
            if (raw is null)
            {
                return fallback;
            }
            if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
            {
                throw new ArgumentException($"{name} must be a whole number from {min} to {max}, got '{raw}'.");
            }
            return v;
        }
        var sections = S("BENCH_SECTIONS");
        return new Config
        {
            ServerDll = S("BENCH_SERVER_DLL") ?? throw new ArgumentException("BENCH_SERVER_DLL is required (run bench/run.sh)."),
            Work = S("BENCH_WORK") ?? throw new ArgumentException("BENCH_WORK is required (run bench/run.sh)."),
            Out = S("BENCH_OUT"),
            Commit = S("BENCH_COMMIT") ?? "unknown",
            Source = S("BENCH_SRC") ?? "",
            N = I("BENCH_N", 30, 3, 1000),
            Burst = I("BENCH_BURST", 200, 2, 5000),
            HeavyReps = I("BENCH_HEAVY_REPS", 5, 1, 20),
            WrkSeconds = I("BENCH_WRK_SECONDS", 10, 1, 120),
            WrkConnections = I("BENCH_WRK_CONNECTIONS", 64, 1, 4096),
            BigMb = I("BENCH_BIG_MB", 2048, 16, 8192),
            MetadataMb = I("BENCH_METADATA_MB", 100, 1, 2048),
            PollMs = I("BENCH_POLL_MS", 5, 1, 1000),
            Warmup = I("BENCH_WARMUP", 60, 1, 1000),
            HeavyPollMs = I("BENCH_HEAVY_POLL_MS", 1000, 1, 5000),
            WrkWarmupSeconds = I("BENCH_WRK_WARMUP", 10, 1, 120),
            ScaleBurst = I("BENCH_SCALE_BURST", 100, 4, 2000),
            Workers = I("RENDITION_WORKERS", Environment.ProcessorCount, 1, 1024),
            Sandbox = S("RENDITION_SANDBOX"),
            Sections = sections is null ? ["overhead", "throughput", "heavy", "api", "memory", "metadata", "scaleout"] : [.. sections.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
            BuildSeconds = I("BENCH_BUILD_SECONDS", 0, 0, 100000),
            LoopScript = S("BENCH_LOOP_SCRIPT") ?? Path.Combine(AppContext.BaseDirectory, "raw-loop.sh"),
        };
    }
}

public static class Stats
{
    public static double Median(IReadOnlyList<double> xs) => Percentile(xs, 0.5);

    /// <summary>Linear interpolation between closest ranks (the same definition numpy uses by default).</summary>
    public static double Percentile(IReadOnlyList<double> xs, double p)
    {
        if (xs.Count == 0)
        {
            return double.NaN;
        }
        var s = xs.OrderBy(x => x).ToArray();
        var pos = p * (s.Length - 1);
        var lo = (int)Math.Floor(pos);
        var hi = Math.Min(lo + 1, s.Length - 1);
        return s[lo] + (s[hi] - s[lo]) * (pos - lo);
    }

    public static double Ms(long fromTimestamp, long toTimestamp) => Stopwatch.GetElapsedTime(fromTimestamp, toTimestamp).TotalMilliseconds;
}

public static class Tools
{
    public static string Which(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return name;
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Runs a process the way Rendition's ProcessRunner does (argument list, pipes drained, stdin closed, environment emptied) and times it.</summary>
    public static async Task<(int Code, double Ms, string Stdout, string Stderr)> RunAsync(string file, IEnumerable<string> args, string cwd,
        TimeSpan timeout, bool cleanEnvironment = true)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = cwd,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        if (cleanEnvironment)
        {
            psi.Environment.Clear();
            psi.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
            psi.Environment["LC_ALL"] = "C";
        }
        var started = Stopwatch.GetTimestamp();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {file}");
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync(CancellationToken.None);
            throw new TimeoutException($"{Path.GetFileName(file)} did not finish within {timeout.TotalSeconds:0} s");
        }
        var ms = Stats.Ms(started, Stopwatch.GetTimestamp());
        return (p.ExitCode, ms, await stdout, await stderr);
    }

    public static async Task MustAsync(string file, IEnumerable<string> args, string cwd, TimeSpan timeout)
    {
        var r = await RunAsync(file, args, cwd, timeout, cleanEnvironment: false);
        if (r.Code != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({r.Code}): {r.Stderr.Trim()}");
        }
    }
}

/// <summary>Samples a process's resident set (VmRSS in /proc/PID/status) every 50 ms.</summary>
public sealed class RssSampler : IAsyncDisposable
{
    private readonly int _pid;
    private readonly List<(long Ts, long Kb)> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public RssSampler(int pid)
    {
        _pid = pid;
        _loop = Task.Run(LoopAsync);
    }

    public static long? ReadKb(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(6).Trim().ToString().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }
        return null;
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        try
        {
            do
            {
                if (ReadKb(_pid) is { } kb)
                {
                    lock (_samples)
                    {
                        _samples.Add((Stopwatch.GetTimestamp(), kb));
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(_stop.Token));
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Largest sample between two timestamps, in MB.</summary>
    public double MaxMb(long from, long to)
    {
        lock (_samples)
        {
            var inWindow = _samples.Where(s => s.Ts >= from && s.Ts <= to).Select(s => s.Kb).ToList();
            return inWindow.Count == 0 ? double.NaN : inWindow.Max() / 1024.0;
        }
    }

    public int Count(long from, long to)
    {
        lock (_samples)
        {
            return _samples.Count(s => s.Ts >= from && s.Ts <= to);
        }
    }

    public double NowMb() => (ReadKb(_pid) ?? 0) / 1024.0;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}

/// <summary>One poll of a command, as the bench needs it.</summary>
public sealed record Poll(string Status, double? TotalSeconds, double? FfmpegSeconds, string? ErrorStatus, string? ErrorMessage, Dictionary<string, string> StorageUrls);

/// <summary>A Rendition server process started from a Release publish, with a throwaway data directory, and a client for it.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task _logPump;

    public string BaseUrl { get; }
    public string ApiKey { get; }
    public string DataDir { get; }
    public HttpClient Http { get; }
    public int Pid => _process.Id;
    public string LogPath { get; }

    private ServerProcess(Process process, Task logPump, string baseUrl, string apiKey, string dataDir, string logPath)
    {
        _process = process;
        _logPump = logPump;
        BaseUrl = baseUrl;
        ApiKey = apiKey;
        DataDir = dataDir;
        LogPath = logPath;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            MaxConnectionsPerServer = 1024,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            ConnectCallback = async (ctx, ct) =>
            {
                var s = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await s.ConnectAsync(ctx.DnsEndPoint, ct);
                return new NetworkStream(s, ownsSocket: true);
            },
        };
        Http = new HttpClient(handler) { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromMinutes(5) };
        Http.DefaultRequestHeaders.Add("X-API-KEY", apiKey);
    }

    public static Task<ServerProcess> StartAsync(Config cfg, string dataDir) => StartAsync(cfg, dataDir, "serve", null, "server.log");

    /// <summary>
    /// Starts <c>rendition serve</c> (waits for /health) or <c>rendition worker</c> (no HTTP: waits until it has run a moment
    /// without exiting), with <paramref name="env"/> on top of the bench's settings.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(Config cfg, string dataDir, string role, IReadOnlyDictionary<string, string>? env, string logName)
    {
        var port = Tools.FreePort();
        var baseUrl = $"http://127.0.0.1:{port}";
        var key = "ffsk_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        Directory.CreateDirectory(dataDir);
        var psi = new ProcessStartInfo(Tools.Which("dotnet"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dataDir,
        };
        psi.ArgumentList.Add(cfg.ServerDll);
        psi.ArgumentList.Add(role);
        psi.Environment["ASPNETCORE_URLS"] = baseUrl;
        psi.Environment["RENDITION_DATA_DIR"] = dataDir;
        psi.Environment["RENDITION_BOOTSTRAP_API_KEY"] = key;
        psi.Environment["RENDITION_ALLOW_PRIVATE_URLS"] = "true";
        psi.Environment["RENDITION_PUBLIC_URL"] = baseUrl;
        psi.Environment["RENDITION_WORKERS"] = cfg.Workers.ToString(CultureInfo.InvariantCulture);
        // The bench measures the service, not the per-key rate limiter (a 200-job burst and wrk would only see 429s).
        psi.Environment["RENDITION_RATE_LIMIT_PER_MINUTE"] = "0";
        psi.Environment["RENDITION_SUBMIT_LIMIT_PER_MINUTE"] = "0";
        if (cfg.Sandbox is { } sandbox)
        {
            psi.Environment["RENDITION_SANDBOX"] = sandbox;
        }
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        // One informational line is wanted: which sandbox the workers run with.
        psi.Environment["Logging__LogLevel__Rendition.Execution.JobWorkerService"] = "Information";
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }
        var process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start the server");
        var logPath = Path.Combine(dataDir, "..", logName);
        File.WriteAllText(Path.Combine(dataDir, "..", Path.ChangeExtension(logName, ".pid")), process.Id.ToString(CultureInfo.InvariantCulture));
        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        var pump = Task.WhenAll(Pump(process.StandardOutput, log), Pump(process.StandardError, log));
        var server = new ServerProcess(process, pump, baseUrl, key, dataDir, Path.GetFullPath(logPath));
        if (role == "worker")
        {
            await Task.Delay(3000);
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The worker exited with code {process.ExitCode}; see {server.LogPath}");
            }
            return server;
        }
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 90;
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with code {process.ExitCode}; see {server.LogPath}");
            }
            try
            {
                using var r = await server.Http.GetAsync("/health");
                if (r.IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException("The server did not answer /health within 90 s");
            }
            await Task.Delay(100);
        }
    }

    private static async Task Pump(StreamReader reader, StreamWriter log)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (log)
            {
                log.WriteLine(line);
            }
        }
    }

    /// <summary>The sandbox the workers reported at start ('bubblewrap' or 'none').</summary>
    public string SandboxName()
    {
        var text = File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";
        var m = System.Text.RegularExpressions.Regex.Match(text, "sandbox '([a-z]+)'");
        return m.Success ? m.Groups[1].Value : "unknown";
    }

    public static JsonObject Job(IReadOnlyDictionary<string, string> inputs, IReadOnlyDictionary<string, string> outputs, string command)
    {
        var i = new JsonObject();
        foreach (var (k, v) in inputs)
        {
            i[k] = v;
        }
        var o = new JsonObject();
        foreach (var (k, v) in outputs)
        {
            o[k] = v;
        }
        return new JsonObject { ["input_files"] = i, ["output_files"] = o, ["ffmpeg_command"] = command };
    }

    public async Task<string> SubmitAsync(JsonObject job, CancellationToken ct = default)
    {
        using var content = new StringContent(job.ToJsonString(), Encoding.UTF8, "application/json");
        using var r = await Http.PostAsync("/api/v1/run-ffmpeg-command", content, ct);
        var body = await r.Content.ReadAsStringAsync(ct);
        if (!r.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Submit answered {(int)r.StatusCode}: {body}");
        }
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("command_id").GetString()!;
    }

    public async Task<Poll> PollAsync(string id, CancellationToken ct = default)
    {
        using var r = await Http.GetAsync($"/api/v1/commands/{id}", HttpCompletionOption.ResponseContentRead, ct);
        var body = await r.Content.ReadAsStringAsync(ct);
        if (!r.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Poll answered {(int)r.StatusCode}: {body}");
        }
        return ParsePoll(body);
    }

    /// <summary>Submits with <c>?wait=</c>: one request that answers the finished poll object (the way a client awaits a short job).</summary>
    public async Task<Poll> SubmitAndWaitAsync(JsonObject job, int waitSeconds, CancellationToken ct = default)
    {
        using var content = new StringContent(job.ToJsonString(), Encoding.UTF8, "application/json");
        using var r = await Http.PostAsync($"/api/v1/run-ffmpeg-command?wait={waitSeconds}", content, ct);
        var body = await r.Content.ReadAsStringAsync(ct);
        if (!r.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Submit answered {(int)r.StatusCode}: {body}");
        }
        return ParsePoll(body);
    }

    private static Poll ParsePoll(string body)
    {
        using var doc = JsonDocument.Parse(body);
        var root = doc.RootElement;
        static double? D(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
        static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var urls = new Dictionary<string, string>();
        if (root.TryGetProperty("output_files", out var files) && files.ValueKind == JsonValueKind.Object)
        {
            foreach (var f in files.EnumerateObject())
            {
                if (Str(f.Value, "storage_url") is { } u)
                {
                    urls[f.Name] = u;
                }
            }
        }
        return new Poll(Str(root, "status") ?? "", D(root, "total_processing_seconds"), D(root, "ffmpeg_command_run_seconds"),
            Str(root, "error_status"), Str(root, "error_message"), urls);
    }

    /// <summary>Polls every <paramref name="pollMs"/> until the command is final; returns the final poll and the timestamp of the answer that showed it.</summary>
    public async Task<(Poll Poll, long DoneTs)> WaitAsync(string id, int pollMs, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var p = await PollAsync(id);
            var ts = Stopwatch.GetTimestamp();
            if (p.Status is "SUCCESS" or "FAILED")
            {
                return (p, ts);
            }
            if (ts > deadline)
            {
                throw new TimeoutException($"Command {id} was still {p.Status} after {timeout.TotalSeconds:0} s");
            }
            await Task.Delay(pollMs);
        }
    }

    public static void EnsureSuccess(string what, Poll p)
    {
        if (p.Status != "SUCCESS")
        {
            throw new InvalidOperationException($"{what} ended {p.Status} {p.ErrorStatus}: {p.ErrorMessage}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        await _logPump;
        _process.Dispose();
    }
}

/// <summary>
/// How busy the machine was with other work: CPU time from /proc/stat minus what the bench's own processes used
/// (the driver and the server, each with its reaped children: ffmpeg, bwrap, wrk, the shell loops).
/// </summary>
public static class CpuMeter
{
    public readonly record struct Snapshot(long Busy, long Total, long Steal, long Ours);

    public static Snapshot Take(params int[] pids)
    {
        var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal (guest time is already inside user)
        long busy = f[0] + f[1] + f[2] + f[5] + f[6], total = f[..8].Sum(), steal = f[7];
        long ours = 0;
        foreach (var pid in pids)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                // Fields 14-17 (utime stime cutime cstime) are 11-14 after the state field.
                ours += long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture)
                    + long.Parse(rest[13], CultureInfo.InvariantCulture) + long.Parse(rest[14], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
            }
        }
        return new Snapshot(busy, total, steal, ours);
    }

    /// <summary>CPU time of one process in ms: its own (user + system) and that of its children it has reaped.</summary>
    public static (double SelfMs, double ChildrenMs) ProcessCpu(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        double T(int i) => long.Parse(rest[i], CultureInfo.InvariantCulture) * 1000.0 / TicksPerSecond;
        return (T(11) + T(12), T(13) + T(14));
    }

    private const int TicksPerSecond = 100; // USER_HZ on Linux

    /// <summary>Percent of the whole machine used by other processes, and stolen by the hypervisor, between two snapshots.</summary>
    public static (double ForeignPct, double StealPct) Between(Snapshot a, Snapshot b)
    {
        var total = Math.Max(1, b.Total - a.Total);
        var foreign = Math.Max(0, (b.Busy - a.Busy) - (b.Ours - a.Ours));
        return (100.0 * foreign / total, 100.0 * (b.Steal - a.Steal) / total);
    }
}
