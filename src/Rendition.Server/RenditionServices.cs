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
using Rendition.Server.Accounts;
using Rendition.Server.Auth;
using Rendition.Server.Commands;
using Rendition.Server.Docs;
using Rendition.Server.Files;
using Rendition.Server.Presets;
using Rendition.Server.Webhooks;

namespace Rendition.Server;

/// <summary>
/// The service's composition, per role: <c>rendition serve</c> is <see cref="AddRenditionApi"/> and, with
/// <c>RENDITION_WORKERS</c> above 0, <see cref="AddRenditionWorkers"/>; <c>rendition worker</c> is the workers alone; the
/// account commands need only <see cref="AddRenditionStores"/>. Both roles share the node (stores, blobs, tools, webhook
/// dispatch, retention), registered once however many roles a process plays, so each background service runs once.
/// </summary>
public static class RenditionServices
{
    /// <summary>The HTTP API: validation, the use-case services every door calls, keys and rate limits, the API reference.</summary>
    public static IServiceCollection AddRenditionApi(this IServiceCollection services, RenditionOptions options)
    {
        services.AddRenditionNode(options);
        services.AddSingleton<CommandValidator>();
        services.AddSingleton<CommandService>();
        services.AddSingleton<FileService>();
        services.AddSingleton<PresetService>();
        services.AddSingleton<WebhookService>();
        // Uploads are staged on this node's disk, so they are probed and stored here.
        services.AddSingleton<FileIngestService>();
        services.AddHostedService(sp => sp.GetRequiredService<FileIngestService>());
        services.AddSingleton<ApiKeyAuthenticator>();
        services.AddSingleton<RequireApiKey>();
        services.AddSingleton<KeyUsageFlusher>();
        services.AddHostedService(sp => sp.GetRequiredService<KeyUsageFlusher>());
        RateLimits.Add(services, options);
        services.ConfigureHttpJsonOptions(o =>
        {
            // The wire contexts, and their conventions: the OpenAPI generator describes types through these options (and typed
            // results serialize through them), so fields are named exactly as the endpoints that use WireJson/PresetJson send them.
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, WireJson.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(1, PresetJson.Default);
            o.SerializerOptions.PropertyNamingPolicy = WireJson.Default.Options.PropertyNamingPolicy;
            o.SerializerOptions.NumberHandling = WireJson.Default.Options.NumberHandling;
        });
        ApiDocs.AddApiDocs(services);
        services.AddProblemDetails();
        services.AddExceptionHandler<ApiExceptionHandler>();
        return services;
    }

    /// <summary>The workers: <c>RENDITION_WORKERS</c> loops that take jobs under a lease and run them to their stored result.</summary>
    public static IServiceCollection AddRenditionWorkers(this IServiceCollection services, RenditionOptions options)
    {
        services.AddRenditionNode(options);
        services.AddSingleton<JobLeases>();
        services.AddSingleton<JobMonitor>();
        services.AddSingleton<InputStager>();
        services.AddSingleton<OutputStorer>();
        services.AddSingleton<JobProcessor>();
        services.AddHostedService<JobWorkerService>();
        return services;
    }

    /// <summary>Settings, the clock, the stores of the configured database and the accounts: all the account commands need.</summary>
    public static IServiceCollection AddRenditionStores(this IServiceCollection services, RenditionOptions options)
    {
        if (services.Any(d => d.ServiceType == typeof(RenditionOptions)))
        {
            return services;
        }
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
        services.AddSingleton<AccountService>();
        services.AddSingleton<Bootstrapper>();
        return services;
    }

    /// <summary>
    /// What every role of a node needs, once: the stores, the blob store and its signed URLs, the sandbox and the tools, input
    /// fetching, job bookkeeping (progress, waiters, completion, metrics), and the background work every node shares safely
    /// (both claim their work): webhook dispatch and file retention.
    /// </summary>
    private static void AddRenditionNode(this IServiceCollection services, RenditionOptions options)
    {
        if (services.Any(d => d.ServiceType == typeof(NodeMarker)))
        {
            return;
        }
        services.AddSingleton<NodeMarker>();
        services.AddRenditionStores(options);
        services.AddSingleton(sp => new UrlSigner(UrlSigner.LoadOrCreateKey(Path.Combine(options.FullDataDir, "signing.key"))));
        if (options.S3 is { } s3)
        {
            services.AddSingleton(sp => new S3BlobStore(s3, sp.GetRequiredService<TimeProvider>()));
            services.AddSingleton<IBlobStore>(sp => sp.GetRequiredService<S3BlobStore>());
            // First, so the bucket exists before any worker or request stores a file in it.
            services.AddHostedService<S3BucketSetup>();
        }
        else
        {
            services.AddSingleton(sp => new LocalBlobStore(Path.Combine(options.FullDataDir, "blobs"), options.PublicUrl,
                sp.GetRequiredService<UrlSigner>(), sp.GetRequiredService<TimeProvider>()));
            services.AddSingleton<IBlobStore>(sp => sp.GetRequiredService<LocalBlobStore>());
        }
        services.AddSingleton<PrefixUrls>();
        services.AddSingleton<WireViews>();
        // Resolved when a host starts (serve and worker resolve it before running), so a missing sandbox stops the start.
        services.AddSingleton(_ => CreateSandbox(options.Sandbox));
        // Every role runs tenants' input through ffmpeg or ffprobe (an API-only node probes uploads): each says what contains it.
        services.AddHostedService<SandboxNotice>();
        services.AddSingleton<FfmpegTools>();
        services.AddSingleton<InputFetcher>();
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
        services.AddSingleton<RenditionMetrics>();
        services.AddSingleton<JobRuntime>();
        services.AddSingleton<JobCompletion>();
        services.AddSingleton<WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        services.AddSingleton<FileRetentionService>();
        services.AddHostedService(sp => sp.GetRequiredService<FileRetentionService>());
        // A dependency marked down (an outage seen by a request or a job) is probed until it answers again.
        services.AddHostedService<DependencyWatch>();
        Operations.AddReadiness(services);
        services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownGraceSeconds));
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

    /// <summary>Marks a collection that has the node's services, so a process playing both roles registers them once.</summary>
    private sealed class NodeMarker;
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
