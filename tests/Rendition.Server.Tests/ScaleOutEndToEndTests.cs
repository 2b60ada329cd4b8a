using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Rendition.Data.Postgres;
using Rendition.Testing;
using Xunit.Abstractions;

namespace Rendition.Server.Tests;

/// <summary>
/// The deployed shape of scale-out, as separate OS processes of the compiled server: one API node (<c>serve</c>,
/// RENDITION_WORKERS=0) and two <c>rendition worker</c> processes sharing a fresh PostgreSQL database and S3 bucket
/// (the servers <c>make test</c> starts). One worker is SIGKILLed mid-job; every job still succeeds, and a new API node
/// answers for them.
/// </summary>
public sealed partial class ScaleOutEndToEndTests(ITestOutputHelper output)
{
    private const int Jobs = 12;
    private const string ApiKey = RenditionTestServer.ApiKey;

    // -re paces the generated input in real time, so each job's ffmpeg lasts 2 s of wall clock whatever else loads the
    // machine, yet costs little CPU: long enough to be caught mid-job, short enough for 12 of them.
    private const string Command = "-re -f lavfi -i testsrc2=s=64x48:r=10:d=2 -c:v libx264 -preset ultrafast -pix_fmt yuv420p {{out_v}}";

    [GeneratedRegex("/work/([0-9a-f]{32})-[0-9a-f]{32}")]
    private static partial Regex JobDirectory();

    [Fact]
    public async Task ApiNodeAndTwoWorkers_SurviveAWorkerKilledMidJob_AndANewApiNodeAnswers()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Phase(string what) => output.WriteLine($"{clock.Elapsed.TotalSeconds,6:F1} s  {what}");
        var connectionString = await TestPostgres.CreateDatabaseAsync();
        var env = new Dictionary<string, string>(TestS3.ServerSettings($"scaleout-{Guid.NewGuid():N}"))
        {
            ["RENDITION_POSTGRES"] = connectionString,
            ["RENDITION_BOOTSTRAP_API_KEY"] = ApiKey,
            // The shortest lease allowed: a dead worker's job is taken back within about 5 + 2.5 s.
            ["RENDITION_LEASE_SECONDS"] = "5",
            ["RENDITION_RATE_LIMIT_PER_MINUTE"] = "0",
            ["RENDITION_SUBMIT_LIMIT_PER_MINUTE"] = "0",
            ["RENDITION_MAX_CONCURRENT_JOBS_PER_ACCOUNT"] = "4",
            ["RENDITION_SHUTDOWN_GRACE_SECONDS"] = "5",
        };
        Dictionary<string, string> With(string key, string value) => new(env) { [key] = value };

        await using var cluster = new RenditionCluster();
        var api = cluster.Start("api", "serve", With("RENDITION_WORKERS", "0"), LoopbackPort.Free());
        using var http = new HttpClient { BaseAddress = new Uri(api.BaseUrl!), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Add("X-API-KEY", ApiKey);
        // The API node first: it migrates the fresh database and creates the bootstrap account before the workers look.
        await api.WaitHealthyAsync(TimeSpan.FromSeconds(60), cluster.Tails);
        Phase("API node healthy");
        var workers = new[]
        {
            cluster.Start("worker-a", "worker", With("RENDITION_WORKERS", "2")),
            cluster.Start("worker-b", "worker", With("RENDITION_WORKERS", "2")),
        };
        await WaitUntilAsync(() => workers.All(w => w.HasWritten("Starting 2 worker(s)")), TimeSpan.FromSeconds(60), "both workers start", cluster);

        Phase("workers started");
        var ids = new List<string>();
        for (var i = 0; i < Jobs; i++)
        {
            var response = await http.PostAsync("/api/v1/run-ffmpeg-command", RenditionTestServer.Json(new
            {
                input_files = new { },
                output_files = new { out_v = $"job{i}.mp4" },
                ffmpeg_command = Command,
            }));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"submit answered {(int)response.StatusCode}: {body}\n{cluster.Tails()}");
            ids.Add(JsonNode.Parse(body)!["command_id"]!.GetValue<string>());
        }

        // Catch a worker with ffmpeg running (young enough that it cannot finish before the kill lands), then SIGKILL that
        // worker alone: its sandboxed children must die with it (bubblewrap's --die-with-parent), leaving nothing behind.
        RenditionProcess? victim = null;
        IReadOnlyList<ProcTree.Proc> victimTree = [];
        HashSet<string> caught = [];
        await WaitUntilAsync(() =>
        {
            var snapshot = ProcTree.Snapshot();
            foreach (var worker in workers)
            {
                var tree = ProcTree.Descendants(snapshot, worker.Process.Id);
                var young = tree.Where(p => p.Name == "ffmpeg" && p.AgeSeconds < 1.2).ToList();
                if (young.Count == 0)
                {
                    continue;
                }
                victim = worker;
                victimTree = tree;
                // The job directory (…/work/{command}-{lease}) is bound into the sandbox: bwrap's command line names the job.
                caught = [.. tree.Where(p => p.Name == "bwrap" && ProcTree.Descendants(snapshot, p.Pid).Any(d => young.Any(y => y.Pid == d.Pid)))
                    .Select(p => JobDirectory().Match(p.CommandLine))
                    .Where(m => m.Success)
                    .Select(m => Guid.ParseExact(m.Groups[1].Value, "N").ToString())];
                return caught.Count > 0;
            }
            return false;
        }, TimeSpan.FromSeconds(30), "a worker runs ffmpeg", cluster);
        var killed = victim!;
        var survivor = workers.Single(w => w != killed);
        Assert.Subset(ids.ToHashSet(), caught);
        foreach (var id in caught)
        {
            Assert.Equal("PROCESSING", await StatusAsync(http, id));
        }
        Phase($"caught {string.Join(", ", caught)} on {killed.Name}; SIGKILL");
        killed.Process.Kill();
        await killed.Process.WaitForExitAsync();
        // Every process that descended from the killed worker (bwrap, ffmpeg) is gone, and nothing anywhere still runs in its job directories.
        await WaitUntilAsync(() =>
        {
            var now = ProcTree.Snapshot();
            return !now.Any(p => victimTree.Any(v => v.Pid == p.Pid && v.Name == p.Name)
                || p.CommandLine.Contains(Path.Combine(killed.DataDir, "work"), StringComparison.Ordinal));
        }, TimeSpan.FromSeconds(10), $"the killed worker's children exit ({string.Join(", ", victimTree.Select(p => $"{p.Pid} {p.Name}"))})", cluster);

        Phase("its children are gone");
        // All 12 finish: the killed worker's jobs run again on the survivor once their leases expire.
        var polls = new Dictionary<string, JsonObject>();
        await WaitUntilAsync(async () =>
        {
            foreach (var id in ids.Where(i => !polls.ContainsKey(i)))
            {
                var poll = (await http.GetFromJsonAsync<JsonObject>($"/api/v1/commands/{id}"))!;
                var status = poll["status"]!.GetValue<string>();
                Assert.True(status is "QUEUED" or "PROCESSING" or "SUCCESS", $"{id} is {status}: {poll.ToJsonString()}\n{cluster.Tails()}");
                if (status == "SUCCESS")
                {
                    polls[id] = poll;
                }
            }
            return polls.Count == Jobs;
        }, TimeSpan.FromSeconds(90), "all 12 jobs succeed", cluster);
        Assert.False(survivor.Process.HasExited, cluster.Tails());
        Assert.True(survivor.HasWritten("whose worker stopped renewing its lease"), $"the survivor never took back an expired lease\n{cluster.Tails()}");

        Phase("all 12 SUCCESS");
        // The caught jobs really ran twice, and the state says so.
        await using (var db = new PostgresDatabase(connectionString))
        {
            var store = new PostgresCommandStore(db, TimeProvider.System);
            var account = (await new PostgresAccountStore(db, TimeProvider.System).FindByNameAsync(Bootstrapper.DefaultAccountName, CancellationToken.None))!;
            foreach (var id in caught)
            {
                var command = (await store.GetAsync(account.Id, Guid.Parse(id), CancellationToken.None))!.Value.Command;
                Assert.True(command.Attempts >= 2, $"{id} ran {command.Attempts} time(s) although its worker was killed mid-job\n{cluster.Tails()}");
            }
        }

        // Every output downloads from the bucket through its presigned URL, without a key, as media ffprobe reads.
        var downloads = Directory.CreateTempSubdirectory("rendition-scaleout-").FullName;
        try
        {
            using var anonymous = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            foreach (var (id, poll) in polls)
            {
                var url = poll["output_files"]!["out_v"]!["storage_url"]!.GetValue<string>();
                Assert.StartsWith($"{TestS3.Endpoint}/{env["RENDITION_S3_BUCKET"]}/", url, StringComparison.Ordinal);
                await AssertDownloadsVideoAsync(anonymous, url, Path.Combine(downloads, $"{id}.mp4"), cluster);
            }

            Phase("all 12 downloaded and probed");
            // The API node goes away (as in a rolling restart); a new one, with a new data directory, answers for the same
            // commands from the shared database, with URLs into the same bucket.
            Assert.Equal(0, await api.TerminateAsync(TimeSpan.FromSeconds(30)));
            var second = cluster.Start("api-2", "serve", With("RENDITION_WORKERS", "0"), LoopbackPort.Free());
            using var http2 = new HttpClient { BaseAddress = new Uri(second.BaseUrl!), Timeout = TimeSpan.FromSeconds(30) };
            http2.DefaultRequestHeaders.Add("X-API-KEY", ApiKey);
            await second.WaitHealthyAsync(TimeSpan.FromSeconds(60), cluster.Tails);
            foreach (var id in ids)
            {
                var poll = (await http2.GetFromJsonAsync<JsonObject>($"/api/v1/commands/{id}"))!;
                Assert.True(poll["status"]!.GetValue<string>() == "SUCCESS", $"{poll.ToJsonString()}\n{cluster.Tails()}");
                Assert.Equal(polls[id]["output_files"]!["out_v"]!["file_id"]!.GetValue<string>(), poll["output_files"]!["out_v"]!["file_id"]!.GetValue<string>());
            }
            Phase("the new API node answers for all 12");
            var again = (await http2.GetFromJsonAsync<JsonObject>($"/api/v1/commands/{ids[0]}"))!["output_files"]!["out_v"]!["storage_url"]!.GetValue<string>();
            await AssertDownloadsVideoAsync(anonymous, again, Path.Combine(downloads, "again.mp4"), cluster);
        }
        finally
        {
            Directory.Delete(downloads, recursive: true);
        }
    }

    private static async Task<string> StatusAsync(HttpClient http, string id) =>
        (await http.GetFromJsonAsync<JsonObject>($"/api/v1/commands/{id}"))!["status"]!.GetValue<string>();

    private static async Task AssertDownloadsVideoAsync(HttpClient anonymous, string url, string path, RenditionCluster cluster)
    {
        using var response = await anonymous.GetAsync(url);
        Assert.True(response.IsSuccessStatusCode, $"{url} answered {(int)response.StatusCode}\n{cluster.Tails()}");
        await File.WriteAllBytesAsync(path, await response.Content.ReadAsByteArrayAsync());
        var probe = await TestMedia.ProbeAsync(path);
        var stream = probe.GetProperty("streams")[0];
        Assert.Equal(64, stream.GetProperty("width").GetInt32());
        Assert.Equal(48, stream.GetProperty("height").GetInt32());
        Assert.InRange(double.Parse(probe.GetProperty("format").GetProperty("duration").GetString()!, CultureInfo.InvariantCulture), 1.8, 2.2);
    }

    private static Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what, RenditionCluster cluster) =>
        WaitUntilAsync(() => Task.FromResult(condition()), timeout, what, cluster);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, RenditionCluster cluster)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}\n{cluster.Tails()}");
            await Task.Delay(50);
        }
    }
}
