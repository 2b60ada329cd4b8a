using System.Diagnostics;
using Rendition.Bench;

// 6/6 scale-out: an API node and 1, then 2, worker processes on PostgreSQL.
internal sealed partial class Bench
{
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
}
