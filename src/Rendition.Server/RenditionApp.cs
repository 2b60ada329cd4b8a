using Rendition.Blobs.Local;
using Rendition.Blobs.S3;
using Rendition.Core;
using Rendition.Core.Commands;
using Rendition.Core.Contracts;
using Rendition.Core.Presets;
using Rendition.Core.Security;
using Rendition.Core.Storage;
using Rendition.Core.Views;
using Rendition.Core.Webhooks;
using Rendition.Data.Postgres;
using Rendition.Data.Sqlite;
using Rendition.Execution;
using Rendition.Server.Auth;
using Rendition.Server.Docs;
using Rendition.Server.Endpoints;

namespace Rendition.Server;

/// <summary>Composes the service: the embedded default (SQLite, local blobs, in-process workers), or PostgreSQL and/or S3 when configured.</summary>
public static class RenditionApp
{
    /// <summary>Registers stores, execution and API services for the given settings.</summary>
    public static void AddRendition(IServiceCollection services, RenditionOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<DependencyHealth>();
        if (options.PostgresConnectionString is { } postgres)
        {
            AddPostgresStores(services, postgres);
        }
        else
        {
            AddSqliteStores(services, options);
        }
        services.AddSingleton<WebhookDispatcher>();
        services.AddSingleton<JobRuntime>();
        services.AddSingleton(sp => new UrlSigner(UrlSigner.LoadOrCreateKey(Path.Combine(options.FullDataDir, "signing.key"))));
        if (options.S3 is { } s3)
        {
            services.AddSingleton(sp => new S3BlobStore(s3, sp.GetRequiredService<TimeProvider>()));
            services.AddSingleton<IBlobStore>(sp => sp.GetRequiredService<S3BlobStore>());
        }
        else
        {
            services.AddSingleton(sp => new LocalBlobStore(Path.Combine(options.FullDataDir, "blobs"), options.PublicUrl,
                sp.GetRequiredService<UrlSigner>(), sp.GetRequiredService<TimeProvider>()));
            services.AddSingleton<IBlobStore>(sp => sp.GetRequiredService<LocalBlobStore>());
        }
        services.AddSingleton<PrefixUrls>();
        services.AddSingleton<CommandValidator>();
        services.AddSingleton<CommandService>();
        services.AddSingleton<WireViews>();
        services.AddSingleton<FileService>();
        services.AddSingleton<FileIngestService>();
        services.AddSingleton<FileRetentionService>();
        services.AddSingleton<ApiKeyAuthenticator>();
        services.AddSingleton<RequireApiKey>();
        services.AddSingleton<KeyUsageFlusher>();
        services.AddSingleton<Bootstrapper>();
        // Resolved lazily: the CLI never needs it; `serve` resolves it before listening, so a missing sandbox stops the start.
        services.AddSingleton(_ => CreateSandbox(options.Sandbox));
        services.AddSingleton<FfmpegTools>();
        services.AddSingleton<InputFetcher>();
        services.AddSingleton<JobCompletion>();
        services.AddSingleton<JobLeases>();
        services.AddSingleton<JobMonitor>();
        services.AddSingleton<InputStager>();
        services.AddSingleton<OutputStorer>();
        services.AddSingleton<JobProcessor>();
        services.AddSingleton<RenditionMetrics>();
        services.AddHttpClient(InputFetcher.HttpClientName, c =>
            {
                c.Timeout = TimeSpan.FromSeconds(60);
                c.DefaultRequestHeaders.UserAgent.ParseAdd("Rendition/1.0");
            })
            .ConfigurePrimaryHttpMessageHandler(() => InputFetcher.CreateHandler(options.AllowPrivateUrls));
        // Webhooks pass the same SSRF guard as inputs, and never follow redirects to somewhere else.
        // The dispatcher times each attempt itself (RENDITION_WEBHOOK_TIMEOUT_SECONDS); the client's own limit is only a backstop.
        services.AddHttpClient(WebhookDispatcher.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(options.WebhookTimeoutSeconds + 5))
            .ConfigurePrimaryHttpMessageHandler(() => InputFetcher.CreateHandler(options.AllowPrivateUrls, followRedirects: false));
    }

    /// <summary>The embedded default: one SQLite file in the data directory, owned by this process, and an in-process wake-up.</summary>
    private static void AddSqliteStores(IServiceCollection services, RenditionOptions options)
    {
        services.AddSingleton(new SqliteDatabase(Path.Combine(options.FullDataDir, "rendition.db"), options.SqliteBusyTimeoutSeconds));
        services.AddSingleton<IOutageClassifier, SqliteOutages>();
        services.AddSingleton<IStoreMigrator>(sp => sp.GetRequiredService<SqliteDatabase>());
        services.AddSingleton<IAccountStore, SqliteAccountStore>();
        services.AddSingleton<ICommandStore, SqliteCommandStore>();
        services.AddSingleton<IFileStore, SqliteFileStore>();
        services.AddSingleton<IWebhookStore, SqliteWebhookStore>();
        services.AddSingleton<IPresetStore, SqlitePresetStore>();
        services.AddSingleton<IJobSignal, InProcessJobSignal>();
    }

    /// <summary>Scale-out: PostgreSQL shared by every API and worker process; LISTEN/NOTIFY wakes workers on any node.</summary>
    private static void AddPostgresStores(IServiceCollection services, string connectionString)
    {
        services.AddSingleton(_ => new PostgresDatabase(connectionString));
        services.AddSingleton<IOutageClassifier, PostgresOutages>();
        services.AddSingleton<IStoreMigrator>(sp => sp.GetRequiredService<PostgresDatabase>());
        services.AddSingleton<IAccountStore, PostgresAccountStore>();
        services.AddSingleton<ICommandStore, PostgresCommandStore>();
        services.AddSingleton<IFileStore, PostgresFileStore>();
        services.AddSingleton<IWebhookStore, PostgresWebhookStore>();
        services.AddSingleton<IPresetStore, PostgresPresetStore>();
        services.AddSingleton<PostgresJobSignal>();
        services.AddSingleton<IJobSignal>(sp => sp.GetRequiredService<PostgresJobSignal>());
    }

    /// <summary>
    /// The OS sandbox (bubblewrap with its seccomp filter) is required: when it cannot be set up the server refuses to start,
    /// never falling back to running commands uncontained. Only <c>RENDITION_SANDBOX=off</c>, set by name, runs without it.
    /// </summary>
    internal static ISandbox CreateSandbox(string setting, Func<(ISandbox? Sandbox, string Problem)>? setUp = null)
    {
        if (setting == "off")
        {
            return new NoSandbox();
        }
        var (sandbox, problem) = setUp?.Invoke() ?? (BubblewrapSandbox.TryCreate(out var why), why);
        return sandbox ?? throw new SettingsException(
            $"{problem}. Commands from tenants must run in the OS sandbox: install bubblewrap and libseccomp2 (apt-get install bubblewrap libseccomp2); " +
            "in a container, allow user namespaces (e.g. docker run --security-opt seccomp=unconfined --security-opt apparmor=unconfined). " +
            "Only if every tenant is trusted: RENDITION_SANDBOX=off runs commands without any containment.");
    }

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
        AddRendition(builder.Services, options);
        Operations.AddReadiness(builder.Services);
        Operations.AddMetrics(builder.Services, options, http: true);
        if (options.S3 is not null)
        {
            // First, so the bucket exists before any worker or request stores a file in it.
            builder.Services.AddHostedService<S3BucketSetup>();
        }
        builder.Services.AddHostedService<SandboxNotice>();
        if (options.Workers > 0)
        {
            builder.Services.AddHostedService<JobWorkerService>();
        }
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownGraceSeconds));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<FileIngestService>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<FileRetentionService>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<KeyUsageFlusher>());
        builder.Services.AddHostedService<DependencyWatch>();
        RateLimits.Add(builder.Services, options);
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            // The wire contexts, and their conventions: the OpenAPI generator describes types through these options,
            // so the document names fields exactly as the endpoints (which serialize with WireJson/PresetJson) send them.
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, WireJson.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(1, PresetJson.Default);
            o.SerializerOptions.PropertyNamingPolicy = WireJson.Default.Options.PropertyNamingPolicy;
            o.SerializerOptions.NumberHandling = WireJson.Default.Options.NumberHandling;
        });
        ApiDocs.AddApiDocs(builder.Services);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ApiExceptionHandler>();

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
            if (string.IsNullOrEmpty(builder.Configuration["RENDITION_POSTGRES"]))
            {
                throw new SettingsException("rendition worker needs a shared job store: set RENDITION_POSTGRES (the embedded SQLite store serves one process; use `rendition serve`).");
            }
            if (options.Workers == 0)
            {
                throw new SettingsException("RENDITION_WORKERS=0 leaves a worker process with nothing to do.");
            }
            AddRendition(builder.Services, options);
            if (options.S3 is not null)
            {
                builder.Services.AddHostedService<S3BucketSetup>();
            }
            builder.Services.AddHostedService<SandboxNotice>();
            builder.Services.AddHostedService<JobWorkerService>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
            builder.Services.AddHostedService(sp => sp.GetRequiredService<FileRetentionService>());
            builder.Services.AddHostedService<DependencyWatch>();
            builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownGraceSeconds));
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
        Operations.AddReadiness(builder.Services);
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

/// <summary>Creates the S3 bucket at start when it is missing, so a fresh deployment needs no manual step.</summary>
internal sealed class S3BucketSetup(S3BlobStore store, ILogger<S3BucketSetup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.EnsureBucketAsync(cancellationToken);
        logger.LogInformation("Storing files in S3 bucket {Bucket}", store.Bucket);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
