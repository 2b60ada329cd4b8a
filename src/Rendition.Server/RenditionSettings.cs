using System.Globalization;
using Rendition.Core;

namespace Rendition.Server;

/// <summary>Builds <see cref="RenditionOptions"/> from <c>RENDITION_*</c> settings and refuses bad values at start with a clear message.</summary>
public static class RenditionSettings
{
    public const string DefaultUrl = "http://localhost:8080";

    private static readonly string[] S3Details =
        ["RENDITION_S3_ENDPOINT", "RENDITION_S3_REGION", "RENDITION_S3_ACCESS_KEY", "RENDITION_S3_SECRET_KEY", "RENDITION_S3_FORCE_PATH_STYLE"];

    public static RenditionOptions Load(IConfiguration config)
    {
        var o = new RenditionOptions();
        o.DataDir = config["RENDITION_DATA_DIR"] is { Length: > 0 } dir ? dir : o.DataDir;
        o.BootstrapApiKey = config["RENDITION_BOOTSTRAP_API_KEY"] is { Length: > 0 } key ? key.Trim() : null;
        o.AllowPrivateUrls = Bool(config, "RENDITION_ALLOW_PRIVATE_URLS", false);
        o.Workers = Int(config, "RENDITION_WORKERS", Environment.ProcessorCount, 0, 1024);
        o.ShutdownGraceSeconds = Int(config, "RENDITION_SHUTDOWN_GRACE_SECONDS", o.ShutdownGraceSeconds, 0, 24 * 3600);
        o.MaxCommandRunSeconds = Int(config, "RENDITION_MAX_COMMAND_RUN_SECONDS", o.MaxCommandRunSeconds, 1, 7 * 24 * 3600);
        o.DefaultCommandRunSeconds = Math.Min(300, o.MaxCommandRunSeconds);
        o.MaxInputMb = Int(config, "RENDITION_MAX_INPUT_MB", (int)o.MaxInputMb, 1, 1024 * 1024);
        o.UrlExpirySeconds = Int(config, "RENDITION_URL_EXPIRY_SECONDS", o.UrlExpirySeconds, 60, 365 * 24 * 3600);
        o.FfmpegPath = config["RENDITION_FFMPEG"] is { Length: > 0 } ff ? ff : o.FfmpegPath;
        o.FfprobePath = config["RENDITION_FFPROBE"] is { Length: > 0 } fp ? fp : o.FfprobePath;

        var publicUrl = config["RENDITION_PUBLIC_URL"] is { Length: > 0 } p ? p : PublicUrlFromListenUrls(config["urls"] ?? config["ASPNETCORE_URLS"]);
        if (!Uri.TryCreate(publicUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new SettingsException($"RENDITION_PUBLIC_URL must be an absolute http(s) URL, got '{publicUrl}'.");
        }
        o.PublicUrl = publicUrl.TrimEnd('/');

        o.JobMemoryMb = Int(config, "RENDITION_JOB_MEMORY_MB", (int)o.JobMemoryMb, 256, 1024 * 1024);
        o.MaxOutputMb = Int(config, "RENDITION_MAX_OUTPUT_MB", (int)o.MaxOutputMb, 1, 1024 * 1024);
        o.RateLimitPerMinute = Int(config, "RENDITION_RATE_LIMIT_PER_MINUTE", o.RateLimitPerMinute, 0, 10_000_000);
        o.SubmitLimitPerMinute = Int(config, "RENDITION_SUBMIT_LIMIT_PER_MINUTE", o.SubmitLimitPerMinute, 0, 10_000_000);
        o.MaxUploadMb = Int(config, "RENDITION_MAX_UPLOAD_MB", (int)o.MaxUploadMb, 1, 1024 * 1024);
        o.FileRetentionDays = string.IsNullOrWhiteSpace(config["RENDITION_FILE_RETENTION_DAYS"]) ? null : Int(config, "RENDITION_FILE_RETENTION_DAYS", 0, 1, 36500);
        if (config["RENDITION_WEBHOOK_RETRY_SCHEDULE"] is { Length: > 0 } schedule)
        {
            var delays = new List<int>();
            foreach (var part in schedule.Split(',', StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var delay) || delay < 0 || delay > 7 * 24 * 3600)
                {
                    throw new SettingsException($"RENDITION_WEBHOOK_RETRY_SCHEDULE must be comma-separated seconds (0 to 604800), got '{schedule}'.");
                }
                delays.Add(delay);
            }
            o.WebhookRetrySchedule = delays.Count is > 0 and <= 50 ? delays : throw new SettingsException("RENDITION_WEBHOOK_RETRY_SCHEDULE must list 1 to 50 delays.");
        }
        o.WebhookConcurrency = Int(config, "RENDITION_WEBHOOK_CONCURRENCY", o.WebhookConcurrency, 1, 4096);
        o.WebhookConcurrencyPerUrl = Int(config, "RENDITION_WEBHOOK_CONCURRENCY_PER_URL", Math.Min(o.WebhookConcurrencyPerUrl, o.WebhookConcurrency), 1, o.WebhookConcurrency);
        o.WebhookTimeoutSeconds = Int(config, "RENDITION_WEBHOOK_TIMEOUT_SECONDS", o.WebhookTimeoutSeconds, 1, 300);
        o.MaxOutputFiles = Int(config, "RENDITION_MAX_OUTPUT_FILES", o.MaxOutputFiles, 1, 1_000_000);
        o.MaxInputArchiveFiles = Int(config, "RENDITION_MAX_INPUT_ARCHIVE_FILES", o.MaxInputArchiveFiles, 1, 1_000_000);
        o.MaxInputArchiveMb = Int(config, "RENDITION_MAX_INPUT_ARCHIVE_MB", (int)o.MaxInputArchiveMb, 1, 1024 * 1024);
        o.LeaseSeconds = Int(config, "RENDITION_LEASE_SECONDS", o.LeaseSeconds, 5, 3600);
        o.SqliteBusyTimeoutSeconds = Int(config, "RENDITION_SQLITE_BUSY_TIMEOUT_SECONDS", o.SqliteBusyTimeoutSeconds, 1, 600);
        if (config["RENDITION_POSTGRES"] is { Length: > 0 } postgres)
        {
            try
            {
                _ = new Npgsql.NpgsqlConnectionStringBuilder(postgres);
            }
            catch (ArgumentException e)
            {
                // The message names the bad keyword only: the string itself may carry a password.
                throw new SettingsException($"RENDITION_POSTGRES is not a valid Npgsql connection string: {e.Message}");
            }
            o.PostgresConnectionString = postgres;
        }
        // One node: its worker count, i.e. no cap beyond fair ordering. Shared PostgreSQL: the count is cluster-wide and
        // this process cannot know the cluster's size, so the default is no cap (one process's slot count capped a whole
        // cluster of workers at that many jobs per account: two 1-slot workers ran one job at a time).
        var perAccountDefault = o.SharedJobStore ? MaxPerAccountCap : Math.Max(1, o.Workers);
        o.MaxConcurrentJobsPerAccount = Int(config, "RENDITION_MAX_CONCURRENT_JOBS_PER_ACCOUNT", perAccountDefault, 1, MaxPerAccountCap);
        o.Sandbox = (config["RENDITION_SANDBOX"] ?? "bwrap").Trim().ToLowerInvariant() switch
        {
            "bwrap" or "bubblewrap" or "on" or "" => "bwrap",
            "off" or "none" => "off",
            var other => throw new SettingsException($"RENDITION_SANDBOX must be bwrap (the default) or off, got '{other}'."),
        };
        o.Metrics = Bool(config, "RENDITION_METRICS", true);
        o.LogFormat = (config["RENDITION_LOG_FORMAT"] ?? "").Trim().ToLowerInvariant() switch
        {
            "" or "simple" or "text" => "simple",
            "json" => "json",
            var other => throw new SettingsException($"RENDITION_LOG_FORMAT must be simple (the default) or json, got '{other}'."),
        };
        o.S3 = LoadS3(config, o.UrlExpirySeconds);
        return o;
    }

    /// <summary>The S3 settings when <c>RENDITION_S3_BUCKET</c> is set; other <c>RENDITION_S3_*</c> without it are a mistake, not ignored.</summary>
    private static S3Options? LoadS3(IConfiguration config, int urlExpirySeconds)
    {
        string? Get(string name) => config[name] is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
        var bucket = Get("RENDITION_S3_BUCKET");
        if (bucket is null)
        {
            var stray = S3Details.FirstOrDefault(n => Get(n) is not null);
            return stray is null ? null : throw new SettingsException($"{stray} is set but RENDITION_S3_BUCKET is not; set the bucket to store files in S3, or unset {stray}.");
        }
        // S3's bucket naming rules, so a typo stops the start rather than the first upload.
        if (bucket.Length is < 3 or > 63 || !bucket.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.')
            || !char.IsAsciiLetterOrDigit(bucket[0]) || !char.IsAsciiLetterOrDigit(bucket[^1]))
        {
            throw new SettingsException($"RENDITION_S3_BUCKET must be a bucket name of 3 to 63 lower-case letters, digits, '-' or '.', starting and ending with a letter or digit, got '{bucket}'.");
        }
        Uri? endpoint = null;
        if (Get("RENDITION_S3_ENDPOINT") is { } rawEndpoint
            && (!Uri.TryCreate(rawEndpoint, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https") || endpoint.Query.Length > 0))
        {
            throw new SettingsException($"RENDITION_S3_ENDPOINT must be an absolute http(s) URL such as http://minio:9000, got '{rawEndpoint}'.");
        }
        var region = Get("RENDITION_S3_REGION") ?? "us-east-1";
        if (!region.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            throw new SettingsException($"RENDITION_S3_REGION must be a region name such as us-east-1, got '{region}'.");
        }
        var accessKey = Get("RENDITION_S3_ACCESS_KEY");
        var secretKey = Get("RENDITION_S3_SECRET_KEY");
        if ((accessKey is null) != (secretKey is null))
        {
            throw new SettingsException("RENDITION_S3_ACCESS_KEY and RENDITION_S3_SECRET_KEY must be set together (or neither, to use the AWS SDK's default credentials).");
        }
        if (urlExpirySeconds > 7 * 24 * 3600)
        {
            throw new SettingsException($"RENDITION_URL_EXPIRY_SECONDS must be at most 604800 (7 days) with S3 storage: presigned URLs cannot live longer; got {urlExpirySeconds}.");
        }
        return new S3Options
        {
            Bucket = bucket,
            Endpoint = endpoint,
            Region = region,
            AccessKey = accessKey,
            SecretKey = secretKey,
            ForcePathStyle = Bool(config, "RENDITION_S3_FORCE_PATH_STYLE", false),
        };
    }

    private const int MaxPerAccountCap = 100_000;

    /// <summary>Read by <c>rendition worker</c> before its host is built (it decides whether the worker listens at all).</summary>
    public const string OpsUrlVariable = "RENDITION_OPS_URL";

    /// <summary><c>RENDITION_OPS_URL</c> (<c>rendition worker</c> only): where the worker serves its probes and metrics.</summary>
    public static string OpsUrl(string raw)
    {
        var url = raw.Trim();
        return Uri.TryCreate(url.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri)
            && uri.Scheme is "http" or "https" && uri.AbsolutePath == "/"
            ? url
            : throw new SettingsException($"RENDITION_OPS_URL must be a listen URL such as http://0.0.0.0:9090, got '{raw}'.");
    }

    /// <summary>The first listen URL, with wildcard hosts replaced by localhost.</summary>
    public static string PublicUrlFromListenUrls(string? urls)
    {
        var first = (urls ?? DefaultUrl).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? DefaultUrl;
        return first.Replace("://+", "://localhost", StringComparison.Ordinal)
            .Replace("://*", "://localhost", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)
            .Replace("://[::]", "://localhost", StringComparison.Ordinal);
    }

    private static int Int(IConfiguration config, string name, int fallback, int min, int max)
    {
        var raw = config[name];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return fallback;
        }
        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new SettingsException($"{name} must be a whole number from {min} to {max}, got '{raw}'.");
        }
        return value;
    }

    private static bool Bool(IConfiguration config, string name, bool fallback)
    {
        var raw = config[name];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return fallback;
        }
        return raw.Trim().ToLowerInvariant() switch
        {
            "true" or "1" or "yes" or "on" => true,
            "false" or "0" or "no" or "off" => false,
            _ => throw new SettingsException($"{name} must be true or false, got '{raw}'."),
        };
    }
}

/// <summary>A setting has a value the server cannot run with.</summary>
public sealed class SettingsException : Exception
{
    public SettingsException(string message)
        : base(message)
    {
    }

    public SettingsException()
    {
    }

    public SettingsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
