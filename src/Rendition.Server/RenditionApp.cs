using Rendition.Core;
using Rendition.Execution;
using Rendition.Server.Auth;
using Rendition.Server.Commands;
using Rendition.Server.Docs;
using Rendition.Server.Files;
using Rendition.Server.Presets;
using Rendition.Server.Webhooks;

namespace Rendition.Server;

/// <summary>
/// The two hosts: <c>rendition serve</c> (the HTTP API, with in-process workers unless <c>RENDITION_WORKERS=0</c>) and
/// <c>rendition worker</c> (workers only). What each registers is in <see cref="RenditionServices"/>; here are the request
/// pipeline, the routes and start-up.
/// </summary>
public static class RenditionApp
{
    /// <summary>Builds the web application (API + workers); <paramref name="overrides"/> lets tests supply settings.</summary>
    public static WebApplication Build(string[] args, IDictionary<string, string?>? overrides = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        // A line per request is noise at this rate (and costs throughput); RENDITION's own logs stay at Information.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(RenditionSettings.DefaultUrl);
        }
        var options = RenditionSettings.Load(builder.Configuration);
        Operations.ConfigureLogging(builder.Logging, options);
        builder.Services.AddRenditionApi(options);
        if (options.Workers > 0)
        {
            builder.Services.AddRenditionWorkers(options);
        }
        Operations.AddMetrics(builder.Services, options, http: true);

        var app = builder.Build();
        // ApiExceptionHandler maps every exception to an error body (and logs it its own way).
        app.UseExceptionHandler();
        app.UseStatusCodePages(async status =>
        {
            var http = status.HttpContext;
            if (http.Response.ContentLength is null && string.IsNullOrEmpty(http.Response.ContentType))
            {
                var (code, message) = http.Response.StatusCode switch
                {
                    404 => (ErrorCodes.NotFound, $"No endpoint {http.Request.Method} {http.Request.Path}."),
                    405 => (ErrorCodes.InvalidRequest, $"{http.Request.Method} is not allowed on {http.Request.Path}."),
                    _ => (ErrorCodes.InvalidRequest, "The request could not be handled."),
                };
                await ApiResults.WriteAsync(http, http.Response.StatusCode, code, message);
            }
        });

        app.UseMiddleware<ApiKeyMiddleware>();
        app.UseRateLimiter();
        Operations.MapOperations(app, options);
        app.MapCommands();
        app.MapFiles();
        app.MapWebhooks();
        app.MapPresets();
        app.MapStorage(localBlobs: options.S3 is null);
        ApiDocs.MapApiDocs(app);
        return app;
    }

    /// <summary>
    /// <c>rendition worker</c>: workers only, no HTTP API — any number of them, on any machines sharing the database and
    /// blob store. Webhook dispatch and retention run here too (both claim their work, so several nodes are safe). With
    /// <c>RENDITION_OPS_URL</c> it listens there for <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> only.
    /// </summary>
    public static async Task<int> RunWorkerAsync(string[] args, CancellationToken ct)
    {
        IHost host;
        try
        {
            // The same sources the host reads settings from, to choose the host before building it.
            var opsUrl = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args).Build()[RenditionSettings.OpsUrlVariable];
            IHostApplicationBuilder builder = string.IsNullOrWhiteSpace(opsUrl) ? Host.CreateApplicationBuilder(args) : WebApplication.CreateSlimBuilder(args);
            var options = RenditionSettings.Load(builder.Configuration);
            Operations.ConfigureLogging(builder.Logging, options);
            // Workers in separate processes need a store built for it; the embedded SQLite queue belongs to one process.
            if (!options.SharedJobStore)
            {
                throw new SettingsException("rendition worker needs a shared job store: set RENDITION_POSTGRES (the embedded SQLite store serves one process; use `rendition serve`).");
            }
            if (options.Workers == 0)
            {
                throw new SettingsException("RENDITION_WORKERS=0 leaves a worker process with nothing to do.");
            }
            builder.Services.AddRenditionWorkers(options);
            if (builder is WebApplicationBuilder web)
            {
                host = BuildWorkerOps(web, RenditionSettings.OpsUrl(opsUrl!), options);
            }
            else
            {
                host = ((HostApplicationBuilder)builder).Build();
            }
            host.Services.GetRequiredService<ISandbox>();
        }
        catch (SettingsException e)
        {
            await Console.Error.WriteLineAsync($"rendition: {e.Message}");
            return 2;
        }
        using (host)
        {
            await host.Services.GetRequiredService<Bootstrapper>().PrepareAsync(printFirstKey: false, ct);
            await host.RunAsync(ct);
        }
        return 0;
    }

    /// <summary>A worker's operations listener: the probes and the scrape endpoint, nothing of the API.</summary>
    private static WebApplication BuildWorkerOps(WebApplicationBuilder builder, string url, RenditionOptions options)
    {
        builder.WebHost.UseUrls(url);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        Operations.AddMetrics(builder.Services, options, http: false);
        var app = builder.Build();
        Operations.MapOperations(app, options);
        return app;
    }

    /// <summary>Prepares the store (migrations, bootstrap key) and runs until stopped.</summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        WebApplication app;
        try
        {
            app = Build(args);
            app.Services.GetRequiredService<ISandbox>();
        }
        catch (SettingsException e)
        {
            await Console.Error.WriteLineAsync($"rendition: {e.Message}");
            return 2;
        }
        await using (app)
        {
            await app.Services.GetRequiredService<Bootstrapper>().PrepareAsync(printFirstKey: true, ct);
            await app.RunAsync();
        }
        return 0;
    }
}
