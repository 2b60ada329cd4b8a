using System.Diagnostics;
using System.Globalization;
using System.Text;
using Rendition.Bench;

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
