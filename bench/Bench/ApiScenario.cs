using System.Globalization;
using Rendition.Bench;

// 4/6 API: wrk against the poll and the liveness endpoints.
internal sealed partial class Bench
{
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
}
