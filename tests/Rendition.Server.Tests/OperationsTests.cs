using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Rendition.Testing;

namespace Rendition.Server.Tests;

/// <summary>What operators rely on: the readiness probe, Prometheus metrics and JSON logs carrying a job's command id.</summary>
[Collection("server")]
public sealed partial class OperationsTests(ServerFixture fx)
{
    private static readonly Dictionary<string, string?> Quiet = new() { ["Logging:LogLevel:Default"] = "Warning" };

    private static async Task<(HttpStatusCode Status, JsonObject Body)> ReadyzAsync(RenditionTestServer server)
    {
        // Probes send no key.
        using var anonymous = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        var response = await anonymous.GetAsync("/readyz");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    [Fact]
    public async Task Readyz_AllChecksOk()
    {
        var (status, body) = await ReadyzAsync(fx.Server);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ready", body["status"]!.GetValue<string>());
        var checks = body["checks"]!.AsObject();
        Assert.Equal(["blob_store", "database", "ffmpeg", "sandbox"], checks.Select(c => c.Key).Order(StringComparer.Ordinal));
        Assert.All(checks, c => Assert.Equal("ok", c.Value!.GetValue<string>()));
    }

    [Fact]
    public async Task Readyz_WithTheSandboxOffByConfig_IsReadyAndSaysSo()
    {
        await using var server = await RenditionTestServer.StartAsync(workers: 0, extraSettings: new Dictionary<string, string?> { ["RENDITION_SANDBOX"] = "off" });
        var (status, body) = await ReadyzAsync(server);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ready", body["status"]!.GetValue<string>());
        Assert.Equal("off — commands are not contained; trusted tenants only", body["checks"]!["sandbox"]!.GetValue<string>());
        Assert.Equal("ok", body["checks"]!["database"]!.GetValue<string>());
        Assert.Contains(server.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>(), h => h is SandboxNotice);
    }

    /// <summary>Every start says what contains commands; without a sandbox, as a warning naming the setting and who it is for.</summary>
    [Fact]
    public async Task StartUp_WarnsLoudly_WhenTheSandboxIsOff_AndOtherwiseNamesIt()
    {
        var lines = new List<(LogLevel Level, string Text)>();
        using var factory = LoggerFactory.Create(b => b.AddProvider(new ListLogger(lines)).SetMinimumLevel(LogLevel.Information));
        await new SandboxNotice(new Rendition.Execution.NoSandbox(), factory.CreateLogger<SandboxNotice>()).StartAsync(CancellationToken.None);
        var (level, text) = Assert.Single(lines);
        Assert.Equal(LogLevel.Warning, level);
        Assert.Contains("RENDITION_SANDBOX=off", text, StringComparison.Ordinal);
        Assert.Contains("WITHOUT the OS sandbox", text, StringComparison.Ordinal);
        Assert.Contains("every tenant is trusted", text, StringComparison.Ordinal);

        lines.Clear();
        var sandbox = Rendition.Execution.BubblewrapSandbox.TryCreate(out var problem) ?? throw new InvalidOperationException(problem);
        await new SandboxNotice(sandbox, factory.CreateLogger<SandboxNotice>()).StartAsync(CancellationToken.None);
        Assert.Equal((LogLevel.Information, "Commands run in the bubblewrap sandbox with its seccomp filter"), Assert.Single(lines));
    }

    private sealed class ListLogger(List<(LogLevel, string)> lines) : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Add((logLevel, formatter(state, exception)));

        public void Dispose()
        {
        }
    }

    [Fact]
    public async Task Readyz_Is503NamingTheBlobStore_WhenTheBlobDirectoryCannotBeWritten()
    {
        await using var server = await RenditionTestServer.StartAsync(workers: 0);
        Assert.Equal(HttpStatusCode.OK, (await ReadyzAsync(server)).Status);

        // Tests run as root, which ignores permission bits; a regular file where the directory was stops root too.
        var blobs = Path.Combine(server.DataDir, "blobs");
        Directory.Delete(blobs, recursive: true);
        await File.WriteAllTextAsync(blobs, "not a directory");
        var (status, body) = await ReadyzAsync(server);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("not_ready", body["status"]!.GetValue<string>());
        var blobCheck = body["checks"]!["blob_store"]!.GetValue<string>();
        Assert.Contains("blob directory", blobCheck, StringComparison.Ordinal);
        Assert.Equal("ok", body["checks"]!["database"]!.GetValue<string>());
        Assert.Equal("ok", body["checks"]!["ffmpeg"]!.GetValue<string>());

        // Fixed, it is ready again: nothing is cached.
        File.Delete(blobs);
        Directory.CreateDirectory(blobs);
        Assert.Equal(HttpStatusCode.OK, (await ReadyzAsync(server)).Status);
    }

    [Fact]
    public async Task Readyz_Is503NamingTheDatabase_WhenItCannotBeQueried()
    {
        await using var server = await RenditionTestServer.StartAsync(workers: 0);
        // A directory where the SQLite file was: no connection can open it, whoever the process runs as.
        var db = Path.Combine(server.DataDir, "rendition.db");
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in Directory.EnumerateFiles(server.DataDir, "rendition.db*"))
        {
            File.Delete(file);
        }
        Directory.CreateDirectory(db);
        var (status, body) = await ReadyzAsync(server);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("job store", body["checks"]!["database"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("ok", body["checks"]!["blob_store"]!.GetValue<string>());
        Directory.Delete(db);
    }

    [Fact]
    public async Task Metrics_ExposeJobCountersQueueDepthAndHttpMetrics()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await RenditionTestServer.StartAsync(workers: 1);
        var ok = await server.WaitAsync(await server.SubmitAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("small.mp4") },
            output_files = new { out_v = "o.mp4" },
            ffmpeg_command = "-i {{in_v}} -c copy {{out_v}}",
            webhook_url = receiver.Url("metrics"),
        }));
        Assert.Equal("SUCCESS", ok["status"]!.GetValue<string>());
        var failed = await server.WaitAsync(await server.SubmitAsync(new
        {
            input_files = new Dictionary<string, string>(),
            output_files = new { out_v = "o.mp4" },
            ffmpeg_command = "-f lavfi -i testsrc2=s=32x32:d=1 -c:v no_such_codec {{out_v}}",
        }));
        Assert.Equal("FFMPEG_ERROR", failed["error_status"]!.GetValue<string>());
        await Eventually(() => receiver.For("metrics").Count == 1);

        // The scrape needs no key; counters may take a moment to show a delivery recorded after its response.
        using var anonymous = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        string text = "";
        await Eventually(async () =>
        {
            text = await anonymous.GetStringAsync("/metrics");
            return Sample(text, "rendition_webhook_deliveries_total", ("outcome", "delivered")) >= 1;
        });
        Assert.True(Sample(text, "rendition_jobs_completed_total", ("status", "SUCCESS")) >= 1, text);
        Assert.True(Sample(text, "rendition_jobs_completed_total", ("status", "FAILED"), ("error_status", "FFMPEG_ERROR")) >= 1, text);
        Assert.Equal(0, Sample(text, "rendition_jobs_queued"));
        Assert.True(Sample(text, "rendition_job_duration_seconds_count", ("status", "SUCCESS")) >= 1, text);
        Assert.True(Sample(text, "rendition_ffmpeg_time_seconds_total") > 0, text);
        // ASP.NET Core's own HTTP server histogram, by route template (not by id), and the runtime's.
        Assert.True(Sample(text, "http_server_request_duration_seconds_count", ("http_route", "/api/v1/commands/{commandId}")) >= 1, text);
        Assert.Contains("dotnet_gc_", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_QueueDepthCountsQueuedJobs()
    {
        // No workers: what is submitted stays QUEUED.
        await using var server = await RenditionTestServer.StartAsync(workers: 0);
        for (var i = 0; i < 3; i++)
        {
            await server.SubmitAsync(new
            {
                input_files = new Dictionary<string, string>(),
                output_files = new { out_v = "o.mp4" },
                ffmpeg_command = "-f lavfi -i testsrc2=s=32x32:d=1 {{out_v}}",
            });
        }
        var text = await server.Http.GetStringAsync("/metrics");
        Assert.Equal(3, Sample(text, "rendition_jobs_queued"));
    }

    [Fact]
    public async Task Metrics_Off_HasNoEndpoint()
    {
        await using var server = await RenditionTestServer.StartAsync(workers: 0, extraSettings: new Dictionary<string, string?> { ["RENDITION_METRICS"] = "off" });
        var response = await server.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task LogFormat_DefaultsToSimple_AndJsonSelectsTheJsonFormatterWithScopes()
    {
        await using (var plain = await RenditionTestServer.StartAsync(workers: 0))
        {
            Assert.NotEqual(ConsoleFormatterNames.Json, plain.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);
        }
        await using var json = await RenditionTestServer.StartAsync(workers: 0, extraSettings: new Dictionary<string, string?> { ["RENDITION_LOG_FORMAT"] = "json" });
        Assert.Equal(ConsoleFormatterNames.Json, json.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);
        Assert.True(json.Services.GetRequiredService<IOptionsMonitor<JsonConsoleFormatterOptions>>().CurrentValue.IncludeScopes);
    }

    [Fact]
    public async Task JsonLogs_CarryTheCommandIdOnEveryLineOfAJob()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var server = await RenditionTestServer.StartAsync(workers: 1, extraSettings: new Dictionary<string, string?>
        {
            ["RENDITION_LOG_FORMAT"] = "json",
            ["Logging:LogLevel:Rendition"] = "Debug",
            // The real console stays quiet; the capture below formats the same entries with the same JSON formatter.
            ["Logging:Console:LogLevel:Default"] = "Warning",
        });
        var formatterName = server.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName;
        var formatter = server.Services.GetServices<ConsoleFormatter>().Single(f => f.Name == formatterName);
        using var capture = new LogCapture(formatter);
        server.Services.GetRequiredService<ILoggerFactory>().AddProvider(capture);

        var id = await server.SubmitAsync(new
        {
            input_files = new { in_v = fx.Inputs.Url("small.mp4") },
            output_files = new { out_v = "o.mp4" },
            ffmpeg_command = "-i {{in_v}} -c copy {{out_v}}",
            webhook_url = receiver.Url("logs"),
        });
        Assert.Equal("SUCCESS", (await server.WaitAsync(id))["status"]!.GetValue<string>());
        await Eventually(() => capture.Lines.Any(l => l.Contains("delivered to", StringComparison.Ordinal)));

        var lines = capture.Lines.Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        var jobLines = lines.Where(l => l["Category"]!.GetValue<string>() is "Rendition.Execution.JobProcessor" or "Rendition.Execution.InputStager"
            or "Rendition.Execution.OutputStorer" or "Rendition.Execution.JobCompletion" or "Rendition.Execution.WebhookDispatcher").ToList();
        // Started, fetched, the ffmpeg step, stored, finished, and the webhook delivery: each with the command id in its scope.
        foreach (var expected in new[] { "Job started", "Fetched input in_v", "ffmpeg step 1 of 1", "Stored output out_v", "finished SUCCESS", "delivered to" })
        {
            Assert.Contains(jobLines, l => l["Message"]!.GetValue<string>().Contains(expected, StringComparison.Ordinal));
        }
        Assert.All(jobLines, l =>
        {
            var scopes = l["Scopes"]!.AsArray();
            Assert.Contains(scopes, s => s is JsonObject o && o["CommandId"]?.GetValue<string>() == id);
            Assert.Equal(JsonValueKind.String, l["Timestamp"]!.GetValueKind());
        });
    }

    [Fact]
    public async Task Worker_ServesProbesAndMetricsAtItsOpsUrl_AndNothingElse()
    {
        var cs = await TestPostgres.CreateDatabaseAsync();
        await using var api = await RenditionTestServer.StartAsync(workers: 0, extraSettings: new Dictionary<string, string?> { ["RENDITION_POSTGRES"] = cs });
        var opsUrl = $"http://127.0.0.1:{LoopbackPort.Free()}";
        using var stop = new CancellationTokenSource();
        // `rendition worker` in this process: settings on its command line, the API node's data directory (local blobs).
        var worker = RenditionApp.RunWorkerAsync(
        [
            $"--RENDITION_POSTGRES={cs}", $"--RENDITION_DATA_DIR={api.DataDir}", $"--RENDITION_PUBLIC_URL={api.BaseUrl}",
            $"--RENDITION_OPS_URL={opsUrl}", "--RENDITION_WORKERS=1", "--RENDITION_SHUTDOWN_GRACE_SECONDS=2", "--Logging:LogLevel:Default=Warning",
        ], stop.Token);
        try
        {
            using var ops = new HttpClient { BaseAddress = new Uri(opsUrl) };
            HttpResponseMessage? ready = null;
            await Eventually(async () =>
            {
                Assert.False(worker.IsCompleted, "the worker stopped");
                try
                {
                    ready = await ops.GetAsync("/readyz");
                    return true;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            });
            Assert.Equal(HttpStatusCode.OK, ready!.StatusCode);
            Assert.Equal("ok", JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["checks"]!["database"]!.GetValue<string>());
            Assert.Equal(HttpStatusCode.OK, (await ops.GetAsync("/healthz")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await ops.GetAsync("/api/v1/commands")).StatusCode);

            var poll = await api.WaitAsync(await api.SubmitAsync(new
            {
                input_files = new Dictionary<string, string>(),
                output_files = new { out_v = "w.mp4" },
                ffmpeg_command = "-f lavfi -i testsrc2=s=32x32:d=1 -c:v libx264 -preset ultrafast {{out_v}}",
            }));
            Assert.Equal("SUCCESS", poll["status"]!.GetValue<string>());
            // The job ran in the worker, so its counter is in the worker's scrape.
            var text = await ops.GetStringAsync("/metrics");
            Assert.True(Sample(text, "rendition_jobs_completed_total", ("status", "SUCCESS")) >= 1, text);
            Assert.Equal(0, Sample(text, "rendition_jobs_queued"));
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(0, await worker);
        }
    }

    [Fact]
    public void Settings_MetricsOnAndSimpleLogsByDefault_AndBadValuesStopTheStart()
    {
        static Core.RenditionOptions Load(params (string Key, string Value)[] values) =>
            RenditionSettings.Load(new ConfigurationBuilder()
                .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build());

        var defaults = Load();
        Assert.True(defaults.Metrics);
        Assert.Equal("simple", defaults.LogFormat);
        Assert.False(Load(("RENDITION_METRICS", "off")).Metrics);
        Assert.Equal("json", Load(("RENDITION_LOG_FORMAT", "JSON")).LogFormat);
        Assert.Contains("RENDITION_METRICS", Assert.Throws<SettingsException>(() => Load(("RENDITION_METRICS", "sometimes"))).Message, StringComparison.Ordinal);
        Assert.Contains("RENDITION_LOG_FORMAT", Assert.Throws<SettingsException>(() => Load(("RENDITION_LOG_FORMAT", "xml"))).Message, StringComparison.Ordinal);
        Assert.Equal("http://0.0.0.0:9090", RenditionSettings.OpsUrl("http://0.0.0.0:9090"));
        Assert.Equal("http://+:9090", RenditionSettings.OpsUrl("http://+:9090"));
        Assert.Contains("RENDITION_OPS_URL", Assert.Throws<SettingsException>(() => RenditionSettings.OpsUrl("9090")).Message, StringComparison.Ordinal);
        Assert.Throws<SettingsException>(() => RenditionSettings.OpsUrl("http://0.0.0.0:9090/metrics"));
    }

    [Fact]
    public async Task Worker_WithABadOpsUrl_RefusesToStart()
    {
        var exit = await RenditionApp.RunWorkerAsync(["--RENDITION_POSTGRES=Host=127.0.0.1;Port=1", "--RENDITION_OPS_URL=ftp://x", "--RENDITION_SANDBOX=off",
            $"--RENDITION_DATA_DIR={Path.Combine(Path.GetTempPath(), $"rendition-ops-{Guid.NewGuid():N}")}"], CancellationToken.None);
        Assert.Equal(2, exit);
    }

    /// <summary>The value of the sample <paramref name="name"/> whose labels include all of <paramref name="labels"/> (0 if none), summed across matches.</summary>
    private static double Sample(string exposition, string name, params (string Key, string Value)[] labels)
    {
        double? total = null;
        foreach (var line in exposition.Split('\n'))
        {
            var m = SampleLine().Match(line);
            if (!m.Success || m.Groups["name"].Value != name)
            {
                continue;
            }
            var found = m.Groups["labels"].Value;
            if (labels.All(l => found.Contains($"{l.Key}=\"{l.Value}\"", StringComparison.Ordinal)))
            {
                total = (total ?? 0) + double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }
        return total ?? 0;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)")]
    private static partial Regex SampleLine();

    private static Task Eventually(Func<bool> condition) => Eventually(() => Task.FromResult(condition()));

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 20 s");
            await Task.Delay(100);
        }
    }
}
