using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Rendition.Bench;

// make bench's driver. Measures, in one run and against baselines taken in the same run on the same input:
// 1 overhead, 2 throughput, 3 heavy job, 4 API, 5 memory (5d: what a hostile upload makes the server hold), 6 scale-out (see issues 5 and 12, and bench/README.md).
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var cfg = Config.FromEnvironment();
var bench = new Bench(cfg);
try
{
    return await bench.RunAsync();
}
finally
{
    await bench.DisposeAsync();
}

internal sealed class Bench(Config cfg) : IAsyncDisposable
{
    private readonly string _ffmpeg = Tools.Which("ffmpeg");
    private readonly string _ffprobe = Tools.Which("ffprobe");
    private readonly string _bwrap = Tools.Which("bwrap");
    private readonly Report _report = new();
    private readonly long _benchStart = Stopwatch.GetTimestamp();
    private ServerProcess? _server;
    private WebApplication? _files;
    private string _filesUrl = "";
    private string? _bigPath;
    private RssSampler? _rss;
    private SandboxMirror? _sandbox;
    private int _totalWaited;

    private string Dir(string name)
    {
        var d = Path.Combine(cfg.Work, name);
        Directory.CreateDirectory(d);
        return d;
    }

    private string TinyInput => Path.Combine(cfg.Work, "inputs", "in.mp4");

    private string InputUrl => $"{_filesUrl}/files/in.mp4";

    private static void Say(string s) => Console.Error.WriteLine($"[bench {DateTime.Now:HH:mm:ss}] {s}");

    /// <summary>The arguments Rendition gives ffmpeg for the user's <c>-i {{in_v}} ...</c> (FfmpegTools.BuildArguments).</summary>
    private static List<string> FfmpegArgs(params string[] user)
    {
        var args = new List<string> { "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y" };
        foreach (var t in user)
        {
            if (t == "-i")
            {
                args.AddRange(["-protocol_whitelist", "file"]);
            }
            args.Add(t);
        }
        return args;
    }

    /// <summary>FfmpegTools.ProbeAsync's arguments (without the format whitelist, as for ffmpeg); the entries are ProbeMapper.Entries.</summary>
    private static List<string> ProbeArgs(string file) =>
        ["-v", "error", "-protocol_whitelist", "file", "-show_entries", ProbeEntries, "-print_format", "json", "-i", file];

    internal const string ProbeEntries = "format=format_name,duration"
        + ":stream=index,codec_type,codec_name,pix_fmt,width,height,avg_frame_rate,r_frame_rate,bit_rate,duration,nb_frames,sample_rate,channels"
        + ":stream_disposition=attached_pic:stream_tags=BPS";

    public async Task<int> RunAsync()
    {
        _report.Config = cfg;
        _sandbox = new SandboxMirror(Path.GetDirectoryName(Path.GetFullPath(cfg.ServerDll))!, _bwrap);
        _report.SandboxFlagsSource = _sandbox.Source;
        Say($"work dir {cfg.Work}; sections: {string.Join(',', cfg.Sections)}");
        await PrepareInputsAsync();
        await StartFileServerAsync();
        _server = await ServerProcess.StartAsync(cfg, Dir("data"));
        _rss = new RssSampler(_server.Pid);
        _report.Sandbox = _server.SandboxName();
        _report.RssStartMb = _rss.NowMb();
        Say($"server pid {_server.Pid} at {_server.BaseUrl}, sandbox {_report.Sandbox}, RSS {_report.RssStartMb:0} MB");

        // Warm-up: connection pools, page cache, SQLite, and the JIT: .NET's tiered compilation (with dynamic PGO) keeps
        // recompiling hot methods for the first ~100 jobs, which costs several CPU-seconds; measure the steady state.
        Say($"warm-up: {cfg.Warmup} tiny jobs");
        var warm = await Task.WhenAll(Enumerable.Range(0, cfg.Warmup).Select(_ => _server.SubmitAsync(TinyJob())));
        foreach (var id in warm)
        {
            var (p, _) = await _server.WaitAsync(id, 50, TimeSpan.FromMinutes(5));
            ServerProcess.EnsureSuccess("warm-up job", p);
        }

        foreach (var (name, section) in new (string, Func<Task>)[]
            { ("overhead", OverheadAsync), ("throughput", ThroughputAsync), ("heavy", HeavyAsync), ("api", ApiAsync), ("memory", MemoryAsync), ("metadata", MetadataAsync), ("scaleout", ScaleOutAsync) })
        {
            if (!cfg.Sections.Contains(name))
            {
                continue;
            }
            _report.Noise[name] = await WaitForQuietAsync(name);
            await section();
        }
        _report.Noise["after the run"] = await WaitForQuietAsync("after the run", wait: false);
        _report.RssEndMb = _rss.NowMb();
        _report.BenchSeconds = Stopwatch.GetElapsedTime(_benchStart).TotalSeconds;

        var markdown = _report.Markdown();
        Console.WriteLine(markdown);
        if (Environment.GetEnvironmentVariable("BENCH_JSON") is { Length: > 0 } jsonPath)
        {
            await File.WriteAllTextAsync(jsonPath, _report.Json());
        }
        if (cfg.Out is { } outPath)
        {
            Report.WriteInto(outPath, markdown);
            Say($"wrote {outPath}");
        }
        return 0;
    }

    /// <summary>Other work on the machine skews every number: wait (at most 20 s per section, 60 s per run) until it uses under 25 % of the CPUs.</summary>
    /// <remarks>
    /// Measured while the bench itself is idle: during a section the sandboxed ffmpeg's CPU time cannot be told apart from
    /// other processes' (bubblewrap's PID namespace hides it from the server's accounting of reaped children).
    /// </remarks>
    private async Task<(double ForeignPct, double StealPct)> WaitForQuietAsync(string section, bool wait = true)
    {
        var waited = 0;
        while (true)
        {
            var a = CpuMeter.Take(Environment.ProcessId, _server!.Pid);
            await Task.Delay(1000);
            var measured = CpuMeter.Between(a, CpuMeter.Take(Environment.ProcessId, _server.Pid));
            var foreign = measured.ForeignPct;
            if (!wait || foreign < 25 || waited >= 20 || _totalWaited >= 60)
            {
                if (waited > 0)
                {
                    Say($"waited {waited} s for other processes to quieten before '{section}' (now {foreign:0}% of the CPUs)");
                    _report.Waited[section] = waited;
                }
                return measured;
            }
            waited++;
            _totalWaited++;
        }
    }

    private System.Text.Json.Nodes.JsonObject TinyJob() =>
        ServerProcess.Job(new Dictionary<string, string> { ["in_v"] = InputUrl }, new Dictionary<string, string> { ["out_v"] = "o.mp4" },
            "-i {{in_v}} -c copy {{out_v}}");

    private async Task PrepareInputsAsync()
    {
        var dir = Dir("inputs");
        // A few-MB 720p file with audio: 10 s of testsrc2 at 2 Mb/s H.264 + AAC.
        await Tools.MustAsync(_ffmpeg, ["-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=s=1280x720:r=25:d=10", "-f", "lavfi", "-i", "sine=f=440:d=10",
            "-c:v", "libx264", "-preset", "veryfast", "-b:v", "2M", "-maxrate", "2M", "-bufsize", "4M", "-g", "50", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "96k", "-shortest", "-movflags", "+faststart", TinyInput], dir, TimeSpan.FromMinutes(2));
        _report.TinyInputBytes = new FileInfo(TinyInput).Length;
        foreach (var d in new[] { "raw", "bwrap" })
        {
            File.Copy(TinyInput, Path.Combine(Dir(d), "in_v.mp4"), overwrite: true);
        }
    }

    /// <summary>A loopback file server for inputs (Kestrel, sendfile): /files/NAME from inputs/, /big/NAME is the 2 GB stored file.</summary>
    private async Task StartFileServerAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{Tools.FreePort()}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var inputs = Dir("inputs");
        app.MapGet("/files/{name}", (string name) =>
        {
            var p = Path.Combine(inputs, Path.GetFileName(name));
            return File.Exists(p) ? Results.File(p, "application/octet-stream") : Results.NotFound();
        });
        app.MapGet("/big/{name}", (string name) =>
            _bigPath is { } p && File.Exists(p) ? Results.File(p, "application/octet-stream") : Results.NotFound());
        await app.StartAsync();
        _files = app;
        _filesUrl = app.Urls.First();
    }

    private async Task OverheadAsync()
    {
        Say($"1/6 overhead: {cfg.N} sequential tiny jobs, interleaved with raw and bwrap runs of the same ffmpeg + ffprobe");
        var raw = Dir("raw");
        var bw = Dir("bwrap");
        var ff = FfmpegArgs("-i", "in_v.mp4", "-c", "copy", "o.mp4");
        var probe = ProbeArgs("o.mp4");
        var t = TimeSpan.FromMinutes(1);
        async Task<(double Ff, double Probe)> RawOnce()
        {
            var a = await Tools.RunAsync(_ffmpeg, ff, raw, t);
            var b = await Tools.RunAsync(_ffprobe, probe, raw, t);
            Check(a.Code == 0 && b.Code == 0, "raw ffmpeg/ffprobe failed: " + a.Stderr + b.Stderr);
            return (a.Ms, b.Ms);
        }
        async Task<(double Ff, double Probe)> BwrapOnce()
        {
            var (af, aa) = _sandbox!.Wrap(_ffmpeg, ff, bw, ["in_v.mp4"]);
            var a = await Tools.RunAsync(af, aa, bw, t);
            var (bf, ba) = _sandbox.Wrap(_ffprobe, probe, bw, []);
            var b = await Tools.RunAsync(bf, ba, bw, t);
            Check(a.Code == 0 && b.Code == 0, "bwrap ffmpeg/ffprobe failed: " + a.Stderr + b.Stderr);
            return (a.Ms, b.Ms);
        }
        for (var i = 0; i < 3; i++)
        {
            await RawOnce();
            await BwrapOnce();
        }
        var o = _report.Overhead;
        for (var i = 0; i < cfg.N; i++)
        {
            var r = await RawOnce();
            o.RawFfmpeg.Add(r.Ff);
            o.RawProbe.Add(r.Probe);
            o.Raw.Add(r.Ff + r.Probe);
            var b = await BwrapOnce();
            o.BwrapFfmpeg.Add(b.Ff);
            o.BwrapProbe.Add(b.Probe);
            o.Bwrap.Add(b.Ff + b.Probe);

            var t0 = Stopwatch.GetTimestamp();
            var id = await _server!.SubmitAsync(TinyJob());
            var t1 = Stopwatch.GetTimestamp();
            var (p, done) = await _server.WaitAsync(id, cfg.PollMs, t);
            ServerProcess.EnsureSuccess("overhead job", p);
            o.Service.Add(Stats.Ms(t0, done));
            o.SubmitMs.Add(Stats.Ms(t0, t1));
            o.ServerTotal.Add((p.TotalSeconds ?? double.NaN) * 1000);
            o.ServerFfmpeg.Add((p.FfmpegSeconds ?? double.NaN) * 1000);
            o.Ids.Add(id);

            // The same job awaited the way the API offers for short jobs: POST ?wait= answers the finished poll object.
            var w0 = Stopwatch.GetTimestamp();
            var waited = await _server.SubmitAndWaitAsync(TinyJob(), 60);
            var w1 = Stopwatch.GetTimestamp();
            ServerProcess.EnsureSuccess("overhead job (?wait=)", waited);
            o.ServiceWait.Add(Stats.Ms(w0, w1));
        }
        _report.SampleCommandId = o.Ids[^1];
        ReadPhases(o);
    }

    /// <summary>created/started/completed (ms) from the server's SQLite file: queue wait, and the time around ffmpeg.</summary>
    private void ReadPhases(OverheadResult o)
    {
        try
        {
            var db = Path.Combine(_server!.DataDir, "rendition.db");
            using var c = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
            c.Open();
            foreach (var id in o.Ids)
            {
                using var cmd = c.CreateCommand();
                cmd.CommandText = "SELECT created_at, started_at, completed_at, ffmpeg_seconds FROM commands WHERE id = $id";
                cmd.Parameters.AddWithValue("$id", id);
                using var r = cmd.ExecuteReader();
                if (r.Read())
                {
                    double created = r.GetInt64(0), started = r.GetInt64(1), completed = r.GetInt64(2), ffmpeg = r.GetDouble(3) * 1000;
                    o.QueueWait.Add(started - created);
                    o.AroundFfmpeg.Add(completed - started - ffmpeg);
                }
            }
        }
        catch (Exception e) when (e is SqliteException or InvalidOperationException or InvalidCastException)
        {
            Say("could not read job phases from the database: " + e.Message);
        }
    }

    private async Task<double> LoopAsync(string mode)
    {
        var dir = Dir("loop-" + mode.Replace('+', '-'));
        File.Copy(TinyInput, Path.Combine(dir, "in_v.mp4"), overwrite: true);
        // The sandbox prefixes the loop uses in bwrap mode, one argument per line: for ffmpeg (input read-only) and for ffprobe.
        await File.WriteAllLinesAsync(Path.Combine(cfg.Work, "sandbox-ffmpeg.args"), _sandbox!.Prefix(dir, ["in_v.mp4"]));
        await File.WriteAllLinesAsync(Path.Combine(cfg.Work, "sandbox-ffprobe.args"), _sandbox.Prefix(dir, []));
        var cpuBefore = CpuMeter.ProcessCpu(Environment.ProcessId).ChildrenMs;
        var r = await Tools.RunAsync("/bin/bash", [cfg.LoopScript, mode, cfg.Workers.ToString(CultureInfo.InvariantCulture),
            cfg.Burst.ToString(CultureInfo.InvariantCulture), dir, cfg.Work], dir, TimeSpan.FromMinutes(5), cleanEnvironment: false);
        Check(r.Code == 0, $"raw loop ({mode}) failed: {r.Stderr}");
        var cpuAfter = CpuMeter.ProcessCpu(Environment.ProcessId).ChildrenMs;
        _report.Throughput.CpuPerRun[mode] = (cpuAfter - cpuBefore) / cfg.Burst;
        return cfg.Burst / (r.Ms / 1000);
    }

    private async Task ThroughputAsync()
    {
        Say($"2/6 throughput: {cfg.Burst} tiny jobs at once vs a shell loop of {cfg.Workers} parallel raw runs");
        var th = _report.Throughput;
        var before = await LoopAsync("ffmpeg");

        var serverCpu0 = CpuMeter.ProcessCpu(_server!.Pid);
        var driverCpu0 = CpuMeter.ProcessCpu(Environment.ProcessId);
        var t0 = Stopwatch.GetTimestamp();
        var ids = await Task.WhenAll(Enumerable.Range(0, cfg.Burst).Select(_ => _server!.SubmitAsync(TinyJob())));
        th.SubmitAllMs = Stats.Ms(t0, Stopwatch.GetTimestamp());
        // Follow the completion frontier in submission order: one poll per 20 ms, not one per job.
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 600;
        var failed = 0;
        long last = 0;
        foreach (var id in ids)
        {
            while (true)
            {
                var p = await _server!.PollAsync(id);
                last = Stopwatch.GetTimestamp();
                if (p.Status is "SUCCESS" or "FAILED")
                {
                    failed += p.Status == "FAILED" ? 1 : 0;
                    break;
                }
                Check(last < deadline, "throughput jobs did not finish within 10 minutes");
                await Task.Delay(20);
            }
        }
        th.Failed = failed;
        th.Service = cfg.Burst / (Stats.Ms(t0, last) / 1000);
        var serverCpu1 = CpuMeter.ProcessCpu(_server.Pid);
        var driverCpu1 = CpuMeter.ProcessCpu(Environment.ProcessId);
        th.ServerSelfCpu = (serverCpu1.SelfMs - serverCpu0.SelfMs) / cfg.Burst;
        th.ServerChildrenCpu = (serverCpu1.ChildrenMs - serverCpu0.ChildrenMs) / cfg.Burst;
        th.DriverCpu = (driverCpu1.SelfMs - driverCpu0.SelfMs) / cfg.Burst;

        // The raw loop runs before and after the service's burst, so drifting load on the machine hits both sides.
        var after = await LoopAsync("ffmpeg");
        th.RawFfmpeg = 2 / (1 / before + 1 / after);
        th.RawFfmpegBefore = before;
        th.RawFfmpegAfter = after;
        th.RawFfmpegProbe = await LoopAsync("ffmpeg+ffprobe");
        th.BwrapFfmpegProbe = await LoopAsync("bwrap");
    }

    private async Task HeavyAsync()
    {
        // Polled every second, not every 5 ms: on 2 cores a 5 ms poller (and the handler answering it) slowed x264 by
        // 10-30 % in trials, 50 ms still by 6-9 %. The service time is taken from the server's own clock instead.
        Say($"3/6 heavy: x264 medium 720p of the 10 s input, {cfg.HeavyReps} reps, raw and service interleaved, polled every {cfg.HeavyPollMs} ms");
        var raw = Dir("raw");
        const string user = "-i {{in_v}} -c:v libx264 -preset medium -c:a copy {{out_v}}";
        var job = ServerProcess.Job(new Dictionary<string, string> { ["in_v"] = InputUrl }, new Dictionary<string, string> { ["out_v"] = "h.mp4" }, user);
        var h = _report.Heavy;
        h.Command = user;
        for (var i = 0; i < cfg.HeavyReps; i++)
        {
            var a = await Tools.RunAsync(_ffmpeg, FfmpegArgs("-i", "in_v.mp4", "-c:v", "libx264", "-preset", "medium", "-c:a", "copy", "h.mp4"),
                raw, TimeSpan.FromMinutes(3));
            Check(a.Code == 0, "raw heavy ffmpeg failed: " + a.Stderr);
            var b = await Tools.RunAsync(_ffprobe, ProbeArgs("h.mp4"), raw, TimeSpan.FromMinutes(1));
            h.Raw.Add(a.Ms);
            h.RawProbe.Add(b.Ms);

            var t0 = Stopwatch.GetTimestamp();
            var id = await _server!.SubmitAsync(job.DeepClone().AsObject());
            var submitted = Stopwatch.GetTimestamp();
            var (p, done) = await _server.WaitAsync(id, cfg.HeavyPollMs, TimeSpan.FromMinutes(3));
            ServerProcess.EnsureSuccess("heavy job", p);
            // Service time: the POST's round trip plus the server's own created→completed; the client sees SUCCESS at its next poll.
            h.Service.Add(Stats.Ms(t0, submitted) + (p.TotalSeconds ?? double.NaN) * 1000);
            h.Observed.Add(Stats.Ms(t0, done));
            h.ServerTotal.Add((p.TotalSeconds ?? double.NaN) * 1000);
            h.ServerFfmpeg.Add((p.FfmpegSeconds ?? double.NaN) * 1000);
        }
    }

    private async Task ApiAsync()
    {
        Say($"4/6 API: wrk, {cfg.WrkConnections} connections, {cfg.WrkSeconds} s per endpoint");
        var wrk = Tools.Which("wrk");
        Check(File.Exists(wrk), "wrk is not installed (apt-get install wrk)");
        var id = _report.SampleCommandId ?? await _server!.SubmitAsync(TinyJob());
        await _server!.WaitAsync(id, 20, TimeSpan.FromMinutes(1));
        var threads = Math.Max(1, Math.Min(Environment.ProcessorCount, cfg.WrkConnections)).ToString(CultureInfo.InvariantCulture);
        async Task<WrkResult> Run(string path, int seconds, bool auth)
        {
            var args = new List<string> { "-t", threads, "-c", cfg.WrkConnections.ToString(CultureInfo.InvariantCulture), "-d", $"{seconds}s", "--latency" };
            if (auth)
            {
                args.AddRange(["-H", $"X-API-KEY: {_server!.ApiKey}"]);
            }
            args.Add(_server!.BaseUrl + path);
            var r = await Tools.RunAsync(wrk, args, cfg.Work, TimeSpan.FromSeconds(seconds + 60), cleanEnvironment: false);
            Check(r.Code == 0, "wrk failed: " + r.Stderr + r.Stdout);
            return WrkResult.Parse(r.Stdout);
        }
        var pollPath = $"/api/v1/commands/{id}";
        // Warm-up: under load, .NET's tiered JIT (with dynamic PGO) keeps a background thread busy recompiling hot methods
        // for tens of seconds on 2 cores; 3 s left the measurement with a quarter of the CPU in the JIT.
        await Run(pollPath, cfg.WrkWarmupSeconds, true);
        _report.ApiPoll = await Run(pollPath, cfg.WrkSeconds, true);
        await Run("/health", 2, false);
        _report.ApiHealth = await Run("/health", cfg.WrkSeconds, false);
        _report.ApiRssAfterMb = _rss!.NowMb();
    }

    private async Task MemoryAsync()
    {
        var m = _report.Memory;
        const long FrameBytes = 1920L * 1080 * 3 / 2;
        var frames = (long)Math.Ceiling(cfg.BigMb * 1048576.0 / FrameBytes);
        Say($"5/6 memory: a {cfg.BigMb} MB stored file ({frames} raw 1080p frames), downloaded, then fetched back as an input");
        var make = ServerProcess.Job(new Dictionary<string, string>(), new Dictionary<string, string> { ["out_big"] = "big.nut" },
            $"-f lavfi -i color=c=gray:s=1920x1080:r=25 -frames:v {frames} -c:v rawvideo -pix_fmt yuv420p {{{{out_big}}}}");
        var (made, _) = await _server!.WaitAsync(await _server.SubmitAsync(make), 100, TimeSpan.FromMinutes(5));
        ServerProcess.EnsureSuccess("2 GB output job", made);
        var url = made.StorageUrls["out_big"];
        var key = Uri.UnescapeDataString(new Uri(url).AbsolutePath["/storage/".Length..]);
        _bigPath = Path.Combine(_server.DataDir, "blobs", key);
        m.Bytes = new FileInfo(_bigPath).Length;

        // Download through the signed storage URL.
        await Task.Delay(1000);
        m.DownloadBeforeMb = _rss!.NowMb();
        using (var client = new HttpClient { Timeout = TimeSpan.FromMinutes(5) })
        {
            var t0 = Stopwatch.GetTimestamp();
            using var r = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
            r.EnsureSuccessStatusCode();
            await using var body = await r.Content.ReadAsStreamAsync();
            var buffer = new byte[1 << 20];
            long total = 0;
            int n;
            while ((n = await body.ReadAsync(buffer)) > 0)
            {
                total += n;
            }
            var t1 = Stopwatch.GetTimestamp();
            Check(total == m.Bytes, $"download returned {total} bytes, expected {m.Bytes}");
            m.DownloadSeconds = Stats.Ms(t0, t1) / 1000;
            m.DownloadPeakMb = _rss.MaxMb(t0, t1);
            m.DownloadSamples = _rss.Count(t0, t1);
        }
        await Task.Delay(2000);
        m.DownloadAfterMb = _rss.NowMb();

        // The server fetches the same file as an input from the loopback file server (the streaming path uploads will use).
        m.FetchBeforeMb = _rss.NowMb();
        var fetch = ServerProcess.Job(new Dictionary<string, string> { ["in_big"] = $"{_filesUrl}/big/big.nut" },
            new Dictionary<string, string> { ["out_one"] = "one.nut" }, "-i {{in_big}} -frames:v 1 -c copy {{out_one}}");
        var f0 = Stopwatch.GetTimestamp();
        var (fetched, f1) = await _server.WaitAsync(await _server.SubmitAsync(fetch), 20, TimeSpan.FromMinutes(5));
        ServerProcess.EnsureSuccess("2 GB input job", fetched);
        m.FetchJobSeconds = Stats.Ms(f0, f1) / 1000;
        m.FetchPeakMb = _rss.MaxMb(f0, f1);
        m.FetchSamples = _rss.Count(f0, f1);
        await Task.Delay(2000);
        m.FetchAfterMb = _rss.NowMb();

        // Uploaded through the files API (multipart, one field "file"): streamed to the blob store, never held in memory.
        m.UploadBeforeMb = _rss.NowMb();
        string fileId;
        var u0 = Stopwatch.GetTimestamp();
        using (var client = new HttpClient { BaseAddress = new Uri(_server.BaseUrl), Timeout = TimeSpan.FromMinutes(10) })
        {
            client.DefaultRequestHeaders.Add("X-API-KEY", _server.ApiKey);
            fileId = await UploadAsync(client, _bigPath, "big.nut", "application/octet-stream");
            var u1 = Stopwatch.GetTimestamp();
            m.UploadSeconds = Stats.Ms(u0, u1) / 1000;
            m.UploadPeakMb = _rss.MaxMb(u0, u1);
            m.UploadSamples = _rss.Count(u0, u1);
            await Task.Delay(2000);
            m.UploadAfterMb = _rss.NowMb();
            // The uploaded copy is 2 GB of disk: gone once measured.
            using var del = await client.DeleteAsync($"/api/v1/files/{fileId}");
        }
    }

    /// <summary>Uploads a file through the files API (multipart, one field "file"), streamed from disk; returns its id.</summary>
    private static async Task<string> UploadAsync(HttpClient client, string path, string name, string contentType)
    {
        await using var source = File.OpenRead(path);
        using var form = new MultipartFormDataContent();
        var part = new StreamContent(source, 1 << 20);
        part.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        form.Add(part, "file", name);
        using var r = await client.PostAsync("/api/v1/files/upload", form);
        var body = await r.Content.ReadAsStringAsync();
        Check(r.IsSuccessStatusCode, $"upload of {name} answered {(int)r.StatusCode}: {body}");
        using var doc = System.Text.Json.JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("file_id").GetString()!;
    }

    /// <summary>
    /// 5d (issue 17): an <c>;FFMETADATA1</c> file of one huge <c>title=</c> uploaded through the files API. ffprobe reads it
    /// as media, so the probe that describes it is where a server that keeps a tool's whole output would grow (830 MB for
    /// 100 MB). RSS from before the upload until the file is STORED (or FAILED), probe included.
    /// </summary>
    private async Task MetadataAsync()
    {
        var m = _report.Metadata;
        Say($"5d memory: a {cfg.MetadataMb} MB ;FFMETADATA1 upload with one huge title=, upload → STORED");
        var path = Path.Combine(Dir("inputs"), "metadata.txt");
        await using (var file = File.Create(path))
        {
            await file.WriteAsync(Encoding.ASCII.GetBytes(";FFMETADATA1\ntitle="));
            var chunk = Encoding.ASCII.GetBytes(new string('A', 1 << 20));
            for (var i = 0; i < cfg.MetadataMb; i++)
            {
                await file.WriteAsync(chunk);
            }
            await file.WriteAsync("\n"u8.ToArray());
        }
        m.Bytes = new FileInfo(path).Length;
        await Task.Delay(1000);
        m.BeforeMb = _rss!.NowMb();
        using var client = new HttpClient { BaseAddress = new Uri(_server!.BaseUrl), Timeout = TimeSpan.FromMinutes(10) };
        client.DefaultRequestHeaders.Add("X-API-KEY", _server.ApiKey);
        var t0 = Stopwatch.GetTimestamp();
        var fileId = await UploadAsync(client, path, "metadata.txt", "text/plain");
        var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 300);
        while (true)
        {
            using var r = await client.GetAsync($"/api/v1/files/{fileId}");
            using var doc = System.Text.Json.JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            m.Status = doc.RootElement.GetProperty("status").GetString() ?? "";
            if (m.Status != "PROCESSING")
            {
                break;
            }
            Check(Stopwatch.GetTimestamp() < deadline, "the metadata upload was still PROCESSING after 5 minutes");
            await Task.Delay(50);
        }
        var t1 = Stopwatch.GetTimestamp();
        m.Seconds = Stats.Ms(t0, t1) / 1000;
        m.PeakMb = _rss.MaxMb(t0, t1);
        m.Samples = _rss.Count(t0, t1);
        await Task.Delay(2000);
        m.AfterMb = _rss.NowMb();
        using (await client.DeleteAsync($"/api/v1/files/{fileId}"))
        {
        }
        File.Delete(path);
    }

    /// <summary>
    /// Scale-out (issue 12): an API-only node and 1, then 2, <c>rendition worker</c> processes (one job slot each) on a
    /// PostgreSQL database and a shared blob directory; a burst of tiny jobs, jobs/s. The embedded server is idle meanwhile.
    /// </summary>
    private async Task ScaleOutAsync()
    {
        var admin = Environment.GetEnvironmentVariable("RENDITION_TEST_POSTGRES");
        Check(admin is { Length: > 0 }, "the scale-out part needs PostgreSQL (bench/run.sh starts a private cluster)");
        var parts = admin!.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
        Say($"6/6 scale-out: API node + 1 and 2 worker processes (1 slot each) on PostgreSQL, {cfg.ScaleBurst} tiny jobs at once");
        foreach (var processes in new[] { 1, 2 })
        {
            var db = $"bench_{Guid.NewGuid():N}";
            var psql = await Tools.RunAsync(Tools.Which("psql"), ["-h", parts["Host"], "-p", parts["Port"], "-U", parts["Username"], "-d", "postgres", "-c", $"CREATE DATABASE {db}"],
                cfg.Work, TimeSpan.FromSeconds(60), cleanEnvironment: false);
            Check(psql.Code == 0, "CREATE DATABASE failed: " + psql.Stderr);
            var dataDir = Dir($"scale-{processes}");
            var env = new Dictionary<string, string> { ["RENDITION_POSTGRES"] = admin.Replace("Database=postgres", $"Database={db}", StringComparison.Ordinal), ["RENDITION_WORKERS"] = "0" };
            var api = await ServerProcess.StartAsync(cfg, dataDir, "serve", env, $"scale-{processes}-api.log");
            var workers = new List<ServerProcess>();
            try
            {
                for (var i = 0; i < processes; i++)
                {
                    workers.Add(await ServerProcess.StartAsync(cfg, dataDir, "worker",
                        new Dictionary<string, string>(env) { ["RENDITION_WORKERS"] = "1", ["RENDITION_BOOTSTRAP_API_KEY"] = api.ApiKey },
                        $"scale-{processes}-worker{i + 1}.log"));
                }
                foreach (var id in await Task.WhenAll(Enumerable.Range(0, 40 * processes).Select(_ => api.SubmitAsync(TinyJob()))))
                {
                    ServerProcess.EnsureSuccess("scale-out warm-up job", (await api.WaitAsync(id, 50, TimeSpan.FromMinutes(5))).Poll);
                }
                var t0 = Stopwatch.GetTimestamp();
                var ids = await Task.WhenAll(Enumerable.Range(0, cfg.ScaleBurst).Select(_ => api.SubmitAsync(TinyJob())));
                long last = t0;
                foreach (var id in ids)
                {
                    var (p, done) = await api.WaitAsync(id, 20, TimeSpan.FromMinutes(10));
                    ServerProcess.EnsureSuccess("scale-out job", p);
                    last = Math.Max(last, done);
                }
                _report.ScaleOut[processes] = cfg.ScaleBurst / (Stats.Ms(t0, last) / 1000);
                Say($"  {processes} worker process(es): {_report.ScaleOut[processes]:0.0} jobs/s");
            }
            finally
            {
                foreach (var w in workers)
                {
                    await w.DisposeAsync();
                }
                await api.DisposeAsync();
            }
        }
    }

    private static void Check(bool ok, string message)
    {
        if (!ok)
        {
            throw new InvalidOperationException(message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_rss is not null)
        {
            await _rss.DisposeAsync();
        }
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        if (_files is not null)
        {
            await _files.StopAsync();
            await _files.DisposeAsync();
        }
    }
}

internal sealed class OverheadResult
{
    public List<double> Raw { get; } = [];
    public List<double> RawFfmpeg { get; } = [];
    public List<double> RawProbe { get; } = [];
    public List<double> Bwrap { get; } = [];
    public List<double> BwrapFfmpeg { get; } = [];
    public List<double> BwrapProbe { get; } = [];
    public List<double> Service { get; } = [];
    public List<double> ServiceWait { get; } = [];
    public List<double> SubmitMs { get; } = [];
    public List<double> ServerTotal { get; } = [];
    public List<double> ServerFfmpeg { get; } = [];
    public List<double> QueueWait { get; } = [];
    public List<double> AroundFfmpeg { get; } = [];
    public List<string> Ids { get; } = [];
}

internal sealed class ThroughputResult
{
    public double RawFfmpeg { get; set; } = double.NaN;
    public double RawFfmpegBefore { get; set; } = double.NaN;
    public double RawFfmpegAfter { get; set; } = double.NaN;
    public double RawFfmpegProbe { get; set; } = double.NaN;
    public double BwrapFfmpegProbe { get; set; } = double.NaN;
    public double Service { get; set; } = double.NaN;
    public double SubmitAllMs { get; set; }
    public int Failed { get; set; }
    public double ServerSelfCpu { get; set; } = double.NaN;
    public double ServerChildrenCpu { get; set; } = double.NaN;
    public double DriverCpu { get; set; } = double.NaN;
    public Dictionary<string, double> CpuPerRun { get; } = [];
}

internal sealed class HeavyResult
{
    public string Command { get; set; } = "";
    public List<double> Raw { get; } = [];
    public List<double> RawProbe { get; } = [];
    public List<double> Service { get; } = [];
    public List<double> ServerFfmpeg { get; } = [];
    public List<double> ServerTotal { get; } = [];
    public List<double> Observed { get; } = [];
}

internal sealed class MemoryResult
{
    public long Bytes { get; set; }
    public double DownloadBeforeMb { get; set; } = double.NaN;
    public double DownloadPeakMb { get; set; } = double.NaN;
    public double DownloadAfterMb { get; set; } = double.NaN;
    public double DownloadSeconds { get; set; }
    public int DownloadSamples { get; set; }
    public double FetchBeforeMb { get; set; } = double.NaN;
    public double FetchPeakMb { get; set; } = double.NaN;
    public double FetchAfterMb { get; set; } = double.NaN;
    public double FetchJobSeconds { get; set; }
    public int FetchSamples { get; set; }
    public double UploadBeforeMb { get; set; } = double.NaN;
    public double UploadPeakMb { get; set; } = double.NaN;
    public double UploadAfterMb { get; set; } = double.NaN;
    public double UploadSeconds { get; set; }
    public int UploadSamples { get; set; }
}

internal sealed class MetadataResult
{
    public long Bytes { get; set; }
    public double BeforeMb { get; set; } = double.NaN;
    public double PeakMb { get; set; } = double.NaN;
    public double AfterMb { get; set; } = double.NaN;
    public double Seconds { get; set; }
    public int Samples { get; set; }
    public string Status { get; set; } = "";
}

internal sealed record WrkResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Requests, long Non2xx, string SocketErrors)
{
    public static WrkResult Parse(string text)
    {
        static double Dur(string v)
        {
            var m = System.Text.RegularExpressions.Regex.Match(v, @"^([\d.]+)(us|ms|s|m)$");
            if (!m.Success)
            {
                return double.NaN;
            }
            var x = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            return m.Groups[2].Value switch { "us" => x / 1000, "ms" => x, "s" => x * 1000, _ => x * 60000 };
        }
        double rps = double.NaN, p50 = double.NaN, p99 = double.NaN;
        long reqs = 0, non2xx = 0;
        var socket = "";
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (line.StartsWith("Requests/sec:", StringComparison.Ordinal))
            {
                rps = double.Parse(parts[1], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("50%", StringComparison.Ordinal) && parts.Length == 2)
            {
                p50 = Dur(parts[1]);
            }
            else if (line.StartsWith("99%", StringComparison.Ordinal) && parts.Length == 2)
            {
                p99 = Dur(parts[1]);
            }
            else if (line.Contains("requests in", StringComparison.Ordinal))
            {
                reqs = long.Parse(parts[0], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("Non-2xx or 3xx responses:", StringComparison.Ordinal))
            {
                non2xx = long.Parse(parts[^1], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("Socket errors:", StringComparison.Ordinal))
            {
                socket = line["Socket errors:".Length..].Trim();
            }
        }
        return new WrkResult(rps, p50, p99, reqs, non2xx, socket);
    }
}

internal sealed class Report
{
    public const string Begin = "<!-- bench:begin (written by make bench; edit outside these markers) -->";
    public const string End = "<!-- bench:end -->";

    public Config Config { get; set; } = null!;
    public string Sandbox { get; set; } = "";
    public string SandboxFlagsSource { get; set; } = "";
    public long TinyInputBytes { get; set; }
    public string? SampleCommandId { get; set; }
    public double RssStartMb { get; set; }
    public double RssEndMb { get; set; }
    public double ApiRssAfterMb { get; set; } = double.NaN;
    public double BenchSeconds { get; set; }
    public OverheadResult Overhead { get; } = new();
    public ThroughputResult Throughput { get; } = new();
    public HeavyResult Heavy { get; } = new();
    public WrkResult? ApiPoll { get; set; }
    public WrkResult? ApiHealth { get; set; }
    public MemoryResult Memory { get; } = new();
    public MetadataResult Metadata { get; } = new();

    /// <summary>Jobs/s by number of worker processes (scale-out part).</summary>
    public SortedDictionary<int, double> ScaleOut { get; } = [];
    public Dictionary<string, (double ForeignPct, double StealPct)> Noise { get; } = [];
    public Dictionary<string, int> Waited { get; } = [];

    private static string Cpu()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown" : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string MemTotal()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            return $"{kb / 1048576.0:0.#} GB";
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or FormatException)
        {
            return "unknown";
        }
    }

    private static string FfmpegVersion()
    {
        try
        {
            var psi = new ProcessStartInfo(Tools.Which("ffmpeg"), "-version") { RedirectStandardOutput = true };
            using var p = Process.Start(psi)!;
            var first = p.StandardOutput.ReadLine() ?? "";
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            var parts = first.Split(' ');
            return parts.Length > 2 ? parts[2] : first;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }

    private static string F(double v, string format = "0") => double.IsNaN(v) ? "–" : v.ToString(format, CultureInfo.InvariantCulture);

    private static string Met(bool? ok) => ok switch { true => "**met**", false => "**not met**", null => "–" };

    public string Markdown()
    {
        var c = Config;
        var sb = new StringBuilder();
        var o = Overhead;
        var hasOverhead = o.Service.Count > 0;
        var med = hasOverhead ? Stats.Median(o.Service) : double.NaN;
        var p95 = hasOverhead ? Stats.Percentile(o.Service, 0.95) : double.NaN;
        var rawMed = hasOverhead ? Stats.Median(o.Raw) : double.NaN;
        var bwMed = hasOverhead ? Stats.Median(o.Bwrap) : double.NaN;
        var overheadMs = med - rawMed;

        sb.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Environment.ProcessorCount} cores, {Cpu()}, {MemTotal()} RAM · {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC · commit `{c.Commit}`");
        sb.AppendLine(CultureInfo.InvariantCulture, $"· .NET {Environment.Version} · ffmpeg {FfmpegVersion()} · sandbox `{Sandbox}` · RENDITION_WORKERS={c.Workers} · poll every {c.PollMs} ms · `make bench` took {BenchSeconds + c.BuildSeconds:0} s (build {c.BuildSeconds} s)");
        sb.AppendLine();
        sb.AppendLine("| # | Measure | Rendition | Baseline (same run, same input) | Difference | Goal | |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        if (hasOverhead)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| 1 | Overhead: tiny `-c copy` job ({TinyInputBytes / 1048576.0:0.0} MB mp4 from loopback), submit→SUCCESS polled every {c.PollMs} ms, {c.N} sequential | median **{F(med)} ms**, p95 {F(p95)} ms | ffmpeg + ffprobe, local: median {F(rawMed)} ms | **+{F(overheadMs)} ms** (×{F(med / rawMed, "0.00")}); p95 +{F(p95 - rawMed)} ms | ≤ 30 ms | {Met(overheadMs <= 30)} |");
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"|   | … same, sandbox cost separated | | same ffmpeg + ffprobe under bwrap: median {F(bwMed)} ms | sandbox +{F(bwMed - rawMed)} ms; service beyond sandbox +{F(med - bwMed)} ms | | |");
            if (o.ServiceWait.Count > 0)
            {
                var wMed = Stats.Median(o.ServiceWait);
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"| 1w | … same job awaited with one `POST …?wait=60` (answers the finished poll object; no polling) | median **{F(wMed)} ms**, p95 {F(Stats.Percentile(o.ServiceWait, 0.95))} ms | ffmpeg + ffprobe, local: median {F(rawMed)} ms; under bwrap {F(bwMed)} ms | **+{F(wMed - rawMed)} ms** (sandbox +{F(bwMed - rawMed)}, service +{F(wMed - bwMed)}) | ≤ 30 ms | {Met(wMed - rawMed <= 30)} |");
            }
        }
        var t = Throughput;
        if (!double.IsNaN(t.Service))
        {
            var ratio = t.Service / t.RawFfmpeg;
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| 2 | Throughput: {c.Burst} tiny jobs submitted at once | **{F(t.Service, "0.0")} jobs/s**{(t.Failed > 0 ? $" ({t.Failed} failed)" : "")} | shell loop, {c.Workers} parallel, ffmpeg: {F(t.RawFfmpeg, "0.0")} runs/s (run before and after: {F(t.RawFfmpegBefore, "0.0")}, {F(t.RawFfmpegAfter, "0.0")}) | **×{F(ratio, "0.00")}** of raw | ≥ 0.9 | {Met(ratio >= 0.9 && t.Failed == 0)} |");
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"|   | … same, against what each job must also run | | ffmpeg + ffprobe: {F(t.RawFfmpegProbe, "0.0")}/s; both under bwrap: {F(t.BwrapFfmpegProbe, "0.0")}/s | ×{F(t.Service / t.RawFfmpegProbe, "0.00")}; ×{F(t.Service / t.BwrapFfmpegProbe, "0.00")} | | |");
        }
        var h = Heavy;
        if (h.Service.Count > 0)
        {
            var s = Stats.Median(h.Service);
            var r = Stats.Median(h.Raw);
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| 3 | Heavy: the 10 s 720p input to x264 medium (`{h.Command}`), median of {h.Service.Count}; service time = POST round trip + the server's created→completed (polled every {c.HeavyPollMs} ms so the poller does not slow x264) | **{F(s / 1000, "0.00")} s** (ffmpeg inside {F(Stats.Median(h.ServerFfmpeg) / 1000, "0.00")} s; client saw SUCCESS at {F(Stats.Median(h.Observed) / 1000, "0.00")} s) | raw ffmpeg: {F(r / 1000, "0.00")} s (+ ffprobe {F(Stats.Median(h.RawProbe))} ms) | **×{F(s / r, "0.000")}** (+{F(s - r)} ms) | ≤ 1.03 | {Met(s / r <= 1.03)} |");
        }
        if (ApiPoll is { } ap && ApiHealth is { } ah)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| 4 | API: `GET /api/v1/commands/:id`, wrk {c.WrkConnections} connections, {c.WrkSeconds} s | **{F(ap.RequestsPerSecond)} req/s**, p50 {F(ap.P50Ms, "0.00")} ms, p99 {F(ap.P99Ms, "0.00")} ms{(ap.Non2xx > 0 ? $", {ap.Non2xx} non-2xx" : "")} | `GET /health` (in-process ceiling): {F(ah.RequestsPerSecond)} req/s, p99 {F(ah.P99Ms, "0.00")} ms | ×{F(ap.RequestsPerSecond / ah.RequestsPerSecond, "0.00")} of ceiling | ≥ 15,000 req/s | {Met(ap.RequestsPerSecond >= 15000 && ap.Non2xx == 0)} |");
        }
        var m = Memory;
        if (m.Bytes > 0)
        {
            var gb = m.Bytes / 1073741824.0;
            var dGrowth = m.DownloadPeakMb - m.DownloadBeforeMb;
            var fGrowth = m.FetchPeakMb - m.FetchBeforeMb;
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| 5a | Memory: server RSS while **downloading** a {gb:0.00} GiB stored file (signed `storage_url`) | {F(m.DownloadBeforeMb)} → peak {F(m.DownloadPeakMb)} → after {F(m.DownloadAfterMb)} MB | {F(m.Bytes / 1048576.0 / m.DownloadSeconds)} MB/s, {m.DownloadSamples} samples | **+{F(dGrowth)} MB** | < 64 MB | {Met(dGrowth < 64)} |");
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| 5b | Memory: server RSS while **fetching** the same file as a command input from loopback HTTP | {F(m.FetchBeforeMb)} → peak {F(m.FetchPeakMb)} → after {F(m.FetchAfterMb)} MB | whole job {F(m.FetchJobSeconds, "0.0")} s, {m.FetchSamples} samples | **+{F(fGrowth)} MB** | < 64 MB | {Met(fGrowth < 64)} |");
            if (m.UploadSamples > 0)
            {
                var uGrowth = m.UploadPeakMb - m.UploadBeforeMb;
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"| 5c | Memory: server RSS while **uploading** the same file (`POST /api/v1/files/upload`, multipart) | {F(m.UploadBeforeMb)} → peak {F(m.UploadPeakMb)} → after {F(m.UploadAfterMb)} MB | {F(m.Bytes / 1048576.0 / m.UploadSeconds)} MB/s, {m.UploadSamples} samples | **+{F(uGrowth)} MB** | < 64 MB | {Met(uGrowth < 64)} |");
            }
        }
        if (Metadata.Samples > 0)
        {
            var md = Metadata;
            var growth = md.PeakMb - md.BeforeMb;
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| 5d | Memory: server RSS from **uploading** a {md.Bytes / 1048576.0:0} MB `;FFMETADATA1` file with one huge `title=` until it is {md.Status} (probe included) | {F(md.BeforeMb)} → peak {F(md.PeakMb)} → after {F(md.AfterMb)} MB | {F(md.Seconds, "0.0")} s, {md.Samples} samples | **+{F(growth)} MB** | < 64 MB | {Met(growth < 64)} |");
        }
        if (ScaleOut.TryGetValue(1, out var one) && ScaleOut.TryGetValue(2, out var two))
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| 6 | Scale-out: {c.ScaleBurst} tiny jobs at once through an API-only node, workers in separate `rendition worker` processes (1 slot each) on PostgreSQL | 2 worker processes: **{F(two, "0.0")} jobs/s** | 1 worker process: {F(one, "0.0")} jobs/s | **×{F(two / one, "0.00")}** | shown, no goal: on 2 cores one worker process with its ffmpeg/ffprobe, the API node and PostgreSQL already keeps more than one core busy | {Met(null)} |");
        }
        sb.AppendLine();
        if (!double.IsNaN(t.ServerSelfCpu))
        {
            double Run(string mode) => t.CpuPerRun.TryGetValue(mode, out var v) ? v : double.NaN;
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"CPU time per tiny job during the throughput burst (from /proc/PID/stat): the **server process itself {F(t.ServerSelfCpu)} ms** (HTTP, SQLite, fetching, spawning; not its ffmpeg/ffprobe, whose time bubblewrap's PID namespace keeps out of the parent's accounting), the bench driver {F(t.DriverCpu)} ms (submitting, polling, serving the input); per raw run: ffmpeg {F(Run("ffmpeg"))} ms, ffmpeg + ffprobe {F(Run("ffmpeg+ffprobe"))} ms.");
            sb.AppendLine();
        }
        sb.AppendLine(CultureInfo.InvariantCulture, $"Baselines run ffmpeg and ffprobe with the arguments Rendition gives them (less the long `-format_whitelist`); the bwrap lines add the prlimit + bubblewrap wrapping from {SandboxFlagsSource}.");
        sb.AppendLine();
        if (hasOverhead)
        {
            sb.AppendLine("Where a tiny job's time goes (medians; server-side phases from the job's own timestamps, ms resolution):");
            sb.AppendLine();
            sb.AppendLine("| Phase | ms |");
            sb.AppendLine("|---|---|");
            sb.AppendLine(CultureInfo.InvariantCulture, $"| Client: submit→SUCCESS observed (poll every {c.PollMs} ms) | {F(med)} |");
            sb.AppendLine(CultureInfo.InvariantCulture, $"| Client: POST answered (validate + insert) | {F(Stats.Median(o.SubmitMs), "0.0")} |");
            sb.AppendLine(CultureInfo.InvariantCulture, $"| Server: created→completed (`total_processing_seconds`) | {F(Stats.Median(o.ServerTotal))} |");
            sb.AppendLine(CultureInfo.InvariantCulture, $"|   queued → claimed by a worker | {F(Stats.Median(o.QueueWait))} |");
            sb.AppendLine(CultureInfo.InvariantCulture, $"|   ffmpeg, in the sandbox (`ffmpeg_command_run_seconds`) | {F(Stats.Median(o.ServerFfmpeg))} |");
            sb.AppendLine(CultureInfo.InvariantCulture, $"|   claimed → completed, minus ffmpeg (input fetch, ffprobe, blob move, DB writes) | {F(Stats.Median(o.AroundFfmpeg))} |");
            sb.AppendLine(CultureInfo.InvariantCulture, $"| Client sees SUCCESS after completion (poll latency + HTTP) | {F(med - Stats.Median(o.ServerTotal))} |");
            sb.AppendLine(CultureInfo.InvariantCulture, $"| Baseline: ffmpeg local / under bwrap | {F(Stats.Median(o.RawFfmpeg))} / {F(Stats.Median(o.BwrapFfmpeg))} |");
            sb.AppendLine(CultureInfo.InvariantCulture, $"| Baseline: ffprobe local / under bwrap | {F(Stats.Median(o.RawProbe))} / {F(Stats.Median(o.BwrapProbe))} |");
            sb.AppendLine();
        }
        if (Noise.Count > 0)
        {
            sb.AppendLine("Other processes' share of the machine's CPU, measured in an idle second just before each part (0 % = a quiet machine; above ~10 % the numbers above are skewed), and hypervisor steal: "
                + string.Join("; ", Noise.Select(n => $"{n.Key} {F(n.Value.ForeignPct)} % (steal {F(n.Value.StealPct)} %)"
                    + (Waited.TryGetValue(n.Key, out var w) ? $", after waiting {w} s for quiet" : ""))) + ".");
            sb.AppendLine();
        }
        sb.AppendLine(CultureInfo.InvariantCulture, $"Server RSS: {F(RssStartMb)} MB after start, {F(ApiRssAfterMb)} MB after the wrk runs, {F(RssEndMb)} MB at the end. All traffic is on 127.0.0.1; the load generator, the input file server and the poller share the same {Environment.ProcessorCount} cores with the server.");
        return sb.ToString();
    }

    /// <summary>The headline numbers as JSON (BENCH_JSON), for comparing builds.</summary>
    public string Json()
    {
        var o = Overhead;
        double M(List<double> xs) => xs.Count > 0 ? Math.Round(Stats.Median(xs), 1) : double.NaN;
        var d = new Dictionary<string, double>
        {
            ["overhead_service_median_ms"] = M(o.Service),
            ["overhead_wait_median_ms"] = M(o.ServiceWait),
            ["overhead_service_p95_ms"] = o.Service.Count > 0 ? Math.Round(Stats.Percentile(o.Service, 0.95), 1) : double.NaN,
            ["overhead_raw_median_ms"] = M(o.Raw),
            ["overhead_bwrap_median_ms"] = M(o.Bwrap),
            ["overhead_ms"] = Math.Round(M(o.Service) - M(o.Raw), 1),
            ["submit_ms"] = M(o.SubmitMs),
            ["server_total_ms"] = M(o.ServerTotal),
            ["queue_wait_ms"] = M(o.QueueWait),
            ["server_ffmpeg_ms"] = M(o.ServerFfmpeg),
            ["around_ffmpeg_ms"] = M(o.AroundFfmpeg),
            ["raw_ffmpeg_ms"] = M(o.RawFfmpeg),
            ["raw_probe_ms"] = M(o.RawProbe),
            ["bwrap_ffmpeg_ms"] = M(o.BwrapFfmpeg),
            ["bwrap_probe_ms"] = M(o.BwrapProbe),
            ["throughput_service"] = Throughput.Service,
            ["throughput_raw_ffmpeg"] = Throughput.RawFfmpeg,
            ["throughput_raw_ffmpeg_probe"] = Throughput.RawFfmpegProbe,
            ["throughput_bwrap"] = Throughput.BwrapFfmpegProbe,
            ["cpu_per_job_server_ms"] = Throughput.ServerSelfCpu,
            ["cpu_per_job_children_ms"] = Throughput.ServerChildrenCpu,
            ["cpu_per_job_driver_ms"] = Throughput.DriverCpu,
            ["heavy_service_ms"] = M(Heavy.Service),
            ["metadata_upload_rss_growth_mb"] = Metadata.Samples > 0 ? Math.Round(Metadata.PeakMb - Metadata.BeforeMb, 1) : double.NaN,
            ["heavy_raw_ms"] = M(Heavy.Raw),
            ["heavy_server_total_ms"] = M(Heavy.ServerTotal),
            ["heavy_server_ffmpeg_ms"] = M(Heavy.ServerFfmpeg),
            ["api_poll_rps"] = ApiPoll?.RequestsPerSecond ?? double.NaN,
            ["api_poll_p99_ms"] = ApiPoll?.P99Ms ?? double.NaN,
            ["api_health_rps"] = ApiHealth?.RequestsPerSecond ?? double.NaN,
            ["foreign_cpu_pct_max"] = Noise.Count > 0 ? Math.Round(Noise.Values.Max(n => n.ForeignPct), 1) : double.NaN,
        };
        foreach (var (section, n) in Noise)
        {
            d["foreign_pct_" + section.Replace(' ', '_')] = Math.Round(n.ForeignPct, 1);
        }
        return "{" + string.Join(", ", d.Select(kv => $"\"{kv.Key}\": {(double.IsNaN(kv.Value) || double.IsInfinity(kv.Value) ? "null" : kv.Value.ToString("0.###", CultureInfo.InvariantCulture))}")) + "}";
    }

    /// <summary>Replaces the text between the markers (or writes a new file), so notes written around the table survive a re-run.</summary>
    public static void WriteInto(string path, string markdown)
    {
        var block = Begin + "\n" + markdown.TrimEnd() + "\n" + End;
        if (File.Exists(path))
        {
            var text = File.ReadAllText(path);
            var b = text.IndexOf(Begin, StringComparison.Ordinal);
            var e = text.IndexOf(End, StringComparison.Ordinal);
            if (b >= 0 && e > b)
            {
                File.WriteAllText(path, text[..b] + block + text[(e + End.Length)..]);
                return;
            }
        }
        File.WriteAllText(path, "# Rendition benchmark results\n\nProduced by `make bench` (bench/run.sh).\n\n" + block + "\n");
    }
}
