using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Rendition.Bench;

/// <summary>The driver: starts the server and the file server, warms up, runs the sections asked for and writes the report.</summary>
internal sealed partial class Bench(Config cfg) : IAsyncDisposable
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
