namespace Rendition.Client;

/// <summary>Where the server is and how to authenticate: the only things that differ between Rendition and RenderIO.</summary>
public sealed class RenditionClientOptions
{
    /// <summary>The server's base URL, e.g. <c>http://localhost:8080</c> (API paths are appended to it).</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>Sent as <c>X-API-KEY</c> on every API call — never on downloads of pre-signed <c>storage_url</c>s.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// The longest one <c>GET /commands/:id?wait=</c> asks the server to hold the request (the server caps it at 60 s).
    /// Keep it below the HTTP timeout of the client in use.
    /// </summary>
    public TimeSpan LongPollWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Timeout of one HTTP attempt when registered with <c>AddRenditionClient</c>; long enough for a long poll and for
    /// sizeable uploads, which the resilience handler's 10 s default would cut off.
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Timeout of one call including its retries, when registered with <c>AddRenditionClient</c>.</summary>
    public TimeSpan TotalRequestTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Retries of a failed GET, HEAD, PUT or DELETE (5xx, 408, 429, network errors), when registered with <c>AddRenditionClient</c>.</summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>Base delay of the exponential, jittered backoff between those retries (the <c>Retry-After</c> of a 429 or 503 wins when given).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The clock <see cref="RenditionClient.WaitAsync"/> and <see cref="RenditionClient.WaitForFileAsync"/> measure their
    /// timeout and back off with; the system clock unless a test supplies another.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
