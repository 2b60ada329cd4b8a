using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using Rendition.Core;
using Rendition.Core.Storage;
using Rendition.Execution;
using Rendition.Server.Docs;

namespace Rendition.Server;

/// <summary>What operators plug in: the readiness probe, Prometheus metrics, and the console log format.</summary>
public static class Operations
{
    public const string ReadinessPath = "/readyz";
    public const string MetricsPath = "/metrics";

    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    /// <summary><c>RENDITION_LOG_FORMAT=json</c>: one JSON object a line, with scopes (a job's lines carry its <c>CommandId</c>).</summary>
    public static void ConfigureLogging(ILoggingBuilder logging, RenditionOptions options)
    {
        if (options.LogFormat == "json")
        {
            logging.AddJsonConsole(json =>
            {
                json.IncludeScopes = true;
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
            });
        }
    }

    /// <summary>The readiness checks: each one is a name in <c>/readyz</c>'s answer.</summary>
    public static void AddReadiness(IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<DatabaseReadiness>("database", HealthStatus.Unhealthy, [], CheckTimeout)
            .AddCheck<BlobStoreReadiness>("blob_store", HealthStatus.Unhealthy, [], CheckTimeout)
            .AddCheck<FfmpegReadiness>("ffmpeg", HealthStatus.Unhealthy, [], CheckTimeout)
            .AddCheck<SandboxReadiness>("sandbox", HealthStatus.Unhealthy, [], CheckTimeout);
    }

    /// <summary>
    /// OpenTelemetry metrics for Prometheus: the <c>Rendition</c> meter, ASP.NET Core's built-in HTTP server meters (with
    /// <paramref name="http"/>) and the .NET runtime's; nothing is registered when <c>RENDITION_METRICS=off</c>. No
    /// allocation is added per request (measured on the poll path: the same bytes per request with metrics on and off).
    /// </summary>
    public static void AddMetrics(IServiceCollection services, RenditionOptions options, bool http)
    {
        if (!options.Metrics)
        {
            return;
        }
        services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            metrics.AddMeter(RenditionMetrics.MeterName);
            if (http)
            {
                // ASP.NET Core's own meters: http.server.* (one duration histogram and an active-request count per
                // request) and Kestrel's per-connection ones. What OpenTelemetry.Instrumentation.AspNetCore adds on top
                // (routing, rate limiting, diagnostics meters) records more per request; 429s show in the status label.
                metrics.AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel");
            }
            // The runtime's meter (GC, thread pool, CPU): observable instruments, read only at a scrape.
            metrics.AddRuntimeInstrumentation();
            metrics.AddPrometheusExporter();
        });
    }

    /// <summary>Maps the probes (<c>/health</c>, <c>/healthz</c>, <c>/readyz</c>) and, when metrics are on, <c>/metrics</c>; none needs a key.</summary>
    public static void MapOperations(WebApplication app, RenditionOptions options)
    {
        // Liveness: the process answers. Readiness (below) looks at what a job needs.
        app.MapGet("/health", () => TypedResults.Text("{\"status\":\"ok\"}", "application/json"))
            .Doc("Service", "Liveness", "`{\"status\":\"ok\"}` while the process serves requests. No API key.");
        app.MapGet("/healthz", (ISandbox sandbox) => TypedResults.Text(sandbox.IsolatesCommands
            ? $$"""{"status":"ok","sandbox":"{{sandbox.Name}}"}"""
            : """{"status":"degraded","sandbox":"off","warning":"RENDITION_SANDBOX=off: commands are not contained (no OS sandbox, no seccomp filter); only the command policy guards the host. Trusted tenants only."}""",
            "application/json"))
            .Doc("Service", "Health and sandbox state",
                "`{\"status\":\"ok\",\"sandbox\":\"bwrap\"}`, or `degraded` with a warning when commands run without the OS sandbox. No API key.");
        // A route handler (not MapHealthChecks) so the API reference describes it like every other endpoint.
        app.MapGet(ReadinessPath, async (HealthCheckService health, HttpContext context) =>
            {
                var report = await health.CheckHealthAsync(context.RequestAborted);
                context.Response.Headers.CacheControl = "no-store";
                return TypedResults.Text(ReadinessJson(report), "application/json", System.Text.Encoding.UTF8,
                    report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
            })
            .Doc("Service", "Readiness",
                "`{\"status\":\"ready\",\"checks\":{\"database\":\"ok\",\"blob_store\":\"ok\",\"ffmpeg\":\"ok\",\"sandbox\":\"ok\"}}`; "
                + "503 with `not_ready` and the failing check's reason instead of `ok`. No API key.");
        if (options.Metrics)
        {
            app.MapPrometheusScrapingEndpoint(MetricsPath);
        }
    }

    /// <summary>True for the probes and the scrape endpoint, which rate limits must never throttle.</summary>
    public static bool IsOperationsPath(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/healthz") || path.StartsWithSegments(ReadinessPath) || path.StartsWithSegments(MetricsPath);

    /// <summary><c>{"status":"ready","checks":{"database":"ok",...}}</c>; a failing check shows its reason instead of <c>ok</c>.</summary>
    private static string ReadinessJson(HealthReport report)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("status", report.Status == HealthStatus.Unhealthy ? "not_ready" : "ready");
            json.WriteStartObject("checks");
            foreach (var (name, entry) in report.Entries)
            {
                json.WriteString(name, entry.Status == HealthStatus.Healthy
                    ? "ok"
                    : entry.Description ?? entry.Exception?.Message ?? entry.Status.ToString());
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

/// <summary>The job store answers: one indexed query (the queue depth) through the configured store.</summary>
internal sealed class DatabaseReadiness(ICommandStore store, DependencyHealth health) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.CountQueuedAsync(cancellationToken);
            health.ReportAvailable(Dependencies.Database);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            health.ReportOutage(new DependencyOutage(Dependencies.Database, e.Message));
            return HealthCheckResult.Unhealthy($"the job store cannot be queried: {e.Message}", e);
        }
    }
}

/// <summary>The blob store takes a new file: a probe is written and deleted (a file locally, an object in S3).</summary>
internal sealed class BlobStoreReadiness(IBlobStore blobs, DependencyHealth health) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await blobs.CheckWritableAsync(cancellationToken);
            health.ReportAvailable(Dependencies.BlobStore);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            health.ReportOutage(new DependencyOutage(Dependencies.BlobStore, e.Message));
            return HealthCheckResult.Unhealthy(e.Message, e);
        }
    }
}

/// <summary>ffmpeg and ffprobe are where they were found at start.</summary>
internal sealed class FfmpegReadiness(FfmpegTools tools) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(tools.MissingTool() is { } missing ? HealthCheckResult.Unhealthy(missing) : HealthCheckResult.Healthy());
}

/// <summary>Commands run in the OS sandbox, or the operator turned it off by name (reported, but still ready).</summary>
internal sealed class SandboxReadiness(ISandbox sandbox) : IHealthCheck
{
    public const string OffReport = "off — commands are not contained; trusted tenants only";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(sandbox.IsolatesCommands ? HealthCheckResult.Healthy(sandbox.Name) : HealthCheckResult.Degraded(OffReport));
}

/// <summary>
/// Says at every start what contains tenants' commands. <c>RENDITION_SANDBOX=off</c> is an operator's explicit choice for
/// trusted tenants only, so it is a warning each time, never a quiet default (a missing bubblewrap stops the start instead).
/// </summary>
internal sealed class SandboxNotice(ISandbox sandbox, ILogger<SandboxNotice> logger) : IHostedService
{
    public const string OffWarning = "RENDITION_SANDBOX=off: ffmpeg and ffprobe run WITHOUT the OS sandbox (no namespaces, no seccomp filter). "
        + "A command that gets past the command policy can read this host's files and environment and reach its network. "
        + "Run like this only when every tenant is trusted.";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!sandbox.IsolatesCommands)
        {
            logger.LogWarning(OffWarning);
        }
        else
        {
            logger.LogInformation("Commands run in the {Sandbox} sandbox{Seccomp}", sandbox.Name,
                sandbox is BubblewrapSandbox { SeccompFilter: not null } ? " with its seccomp filter" : "");
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
