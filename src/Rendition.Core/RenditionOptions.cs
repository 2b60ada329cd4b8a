namespace Rendition.Core;

/// <summary>Service-wide settings, bound from <c>RENDITION_*</c> variables at start.</summary>
public sealed class RenditionOptions
{
    /// <summary>Root of everything the embedded default keeps: the SQLite database, blobs, job directories, the signing key.</summary>
    public string DataDir { get; set; } = "./data";

    /// <summary>Base URL clients reach this server at; storage URLs are built on it.</summary>
    public string PublicUrl { get; set; } = "http://localhost:8080";

    public string? BootstrapApiKey { get; set; }

    /// <summary>Let input URLs and webhooks reach loopback, private and link-local addresses (off by default: SSRF).</summary>
    public bool AllowPrivateUrls { get; set; }

    /// <summary>Requests per minute per API key (unauthenticated: per client IP); 0 turns the limit off.</summary>
    public int RateLimitPerMinute { get; set; } = 600;

    /// <summary>Submissions per minute per API key, counted on top of <see cref="RateLimitPerMinute"/>.</summary>
    public int SubmitLimitPerMinute { get; set; } = 120;

    /// <summary>Jobs one account may run at once; 0 means the worker count.</summary>
    public int MaxConcurrentJobsPerAccount { get; set; }

    /// <summary>On shutdown, how long running jobs may finish before they are stopped and handed back to the queue.</summary>
    public int ShutdownGraceSeconds { get; set; } = 30;

    /// <summary>Concurrent jobs per process; 0 makes an API-only node.</summary>
    public int Workers { get; set; } = Environment.ProcessorCount;

    /// <summary>Upper bound a request's <c>max_command_run_seconds</c> may ask for.</summary>
    public int MaxCommandRunSeconds { get; set; } = 3600;

    public int DefaultCommandRunSeconds { get; set; } = 300;

    /// <summary>Largest input file fetched, in MiB.</summary>
    public long MaxInputMb { get; set; } = 5120;

    /// <summary>Largest upload accepted, in MiB.</summary>
    public long MaxUploadMb { get; set; } = 5120;

    /// <summary>When set, files older than this many days are deleted by a background sweep (records stay, <c>is_deleted</c>).</summary>
    public int? FileRetentionDays { get; set; }

    /// <summary>Delays before each webhook attempt, in seconds; its length is the number of attempts (Rendi's schedule).</summary>
    public IReadOnlyList<int> WebhookRetrySchedule { get; set; } = [0, 5, 300, 1800, 7200, 18000, 36000, 36000];

    /// <summary>Webhook deliveries one process sends at once; a receiver that is slow or never answers holds one of these slots until its timeout.</summary>
    public int WebhookConcurrency { get; set; } = 32;

    /// <summary>Of <see cref="WebhookConcurrency"/>, how many one receiver URL may hold, so a hanging receiver cannot take every slot.</summary>
    public int WebhookConcurrencyPerUrl { get; set; } = 4;

    /// <summary>How long a receiver has to answer a delivery (RenderIO and Rendi document 15 s) before the attempt counts as failed.</summary>
    public int WebhookTimeoutSeconds { get; set; } = 15;

    /// <summary>Consecutive failed attempts after which an account's webhook config is disabled.</summary>
    public int WebhookDisableAfter { get; set; } = 8;

    /// <summary>How long a signed storage URL stays valid.</summary>
    public int UrlExpirySeconds { get; set; } = 7 * 24 * 3600;

    /// <summary>Address-space limit of one ffmpeg process, in MiB (RLIMIT_AS; x264 needs well over 1 GiB).</summary>
    public long JobMemoryMb { get; set; } = 4096;

    /// <summary>Largest single output file, and most a job may write in all, in MiB.</summary>
    public long MaxOutputMb { get; set; } = 10240;

    /// <summary>Most files a job may create in its directory.</summary>
    public int MaxOutputFiles { get; set; } = 1000;

    /// <summary>Most files an <c>input_compressed_folder</c> archive may hold (directory entries included).</summary>
    public int MaxInputArchiveFiles { get; set; } = 1000;

    /// <summary>Most an <c>input_compressed_folder</c> archive may unpack to, in MiB (counted as written, not from its headers).</summary>
    public long MaxInputArchiveMb { get; set; } = 10240;

    /// <summary><c>bwrap</c> (required, the default) or <c>off</c>.</summary>
    public string Sandbox { get; set; } = "bwrap";

    /// <summary>Path of the ffmpeg binary; ffprobe is looked up the same way.</summary>
    public string FfmpegPath { get; set; } = "ffmpeg";

    public string FfprobePath { get; set; } = "ffprobe";

    /// <summary>How long a request waits for the embedded SQLite database when another process holds it locked, before it answers 503.</summary>
    public int SqliteBusyTimeoutSeconds { get; set; } = 30;

    /// <summary>An Npgsql connection string: when set, the job store is PostgreSQL, shared by every API and worker process.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Seconds a job's lease lasts without a heartbeat: how long a dead worker's job waits before it runs elsewhere.</summary>
    public int LeaseSeconds { get; set; } = 30;

    /// <summary>True when other processes may share the job queue, so only expired leases may be taken back.</summary>
    public bool SharedJobStore => !string.IsNullOrEmpty(PostgresConnectionString);

    public TimeSpan LeaseDuration => TimeSpan.FromSeconds(LeaseSeconds);

    /// <summary>Export Prometheus metrics at <c>/metrics</c> (<c>RENDITION_METRICS</c>, on by default).</summary>
    public bool Metrics { get; set; } = true;

    /// <summary>Console log format: <c>simple</c> (the default, for people) or <c>json</c> (one object a line, scopes included).</summary>
    public string LogFormat { get; set; } = "simple";

    /// <summary>Blobs in an S3-compatible bucket instead of local disk; null (the default) keeps them under the data directory.</summary>
    public S3Options? S3 { get; set; }

    public string FullDataDir => Path.GetFullPath(DataDir);
}

/// <summary>Where the S3-compatible bucket is and how to reach it (<c>RENDITION_S3_*</c>).</summary>
public sealed class S3Options
{
    public required string Bucket { get; init; }

    /// <summary>Service URL of an S3-compatible server (MinIO, R2, Ceph…); null means AWS S3 in <see cref="Region"/>.</summary>
    public Uri? Endpoint { get; init; }

    public string Region { get; init; } = "us-east-1";

    /// <summary>Static credentials; when both are null the SDK's default chain (environment, profile, instance role) is used.</summary>
    public string? AccessKey { get; init; }

    public string? SecretKey { get; init; }

    /// <summary>Address the bucket as <c>endpoint/bucket/key</c> rather than <c>bucket.endpoint/key</c>.</summary>
    public bool ForcePathStyle { get; init; }
}
