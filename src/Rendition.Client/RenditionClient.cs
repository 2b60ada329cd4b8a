using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Rendition.Client;

/// <summary>
/// Typed client for Rendition's (and RenderIO's) <c>/api/v1</c> API. Thread-safe; hand it an <see cref="HttpClient"/> from
/// <c>IHttpClientFactory</c> (or use <c>services.AddRenditionClient(...)</c>, which also adds retries).
/// Non-2xx answers throw <see cref="RenditionApiException"/>.
/// </summary>
public sealed class RenditionClient
{
    private const string ApiKeyHeader = "X-API-KEY";
    private const string IdempotencyKeyHeader = "Idempotency-Key";
    private const int ServerMaxWaitSeconds = 60;
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    private readonly HttpClient _http;
    private readonly RenditionClientOptions _options;
    private readonly Uri _base;

    /// <summary>Creates a client that sends requests through <paramref name="httpClient"/> (which it does not dispose).</summary>
    /// <param name="httpClient">The transport; its <see cref="HttpClient.BaseAddress"/> is used when the options give none.</param>
    /// <param name="options">Base address and API key.</param>
    public RenditionClient(HttpClient httpClient, RenditionClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        _http = httpClient;
        _options = options;
        var baseAddress = options.BaseAddress ?? httpClient.BaseAddress
            ?? throw new ArgumentException("Set RenditionClientOptions.BaseAddress (or the HttpClient's BaseAddress).", nameof(options));
        // Relative API paths are resolved against the base; without a trailing slash a base path such as /ffmpeg would be dropped.
        _base = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
    }

    // ---- Commands ----

    /// <summary>Submits one command (<c>POST /api/v1/run-ffmpeg-command</c>) and returns its id.</summary>
    public Task<string> RunAsync(RunCommandRequest request, CancellationToken cancellationToken = default) =>
        RunAsync(request, idempotencyKey: null, cancellationToken);

    /// <summary>
    /// Submits one command with an <c>Idempotency-Key</c>: the same key and body within 24 h answer the first command's id
    /// instead of running again, so a submission whose answer was lost can be re-sent safely (a different body is 422
    /// <c>IDEMPOTENCY_KEY_REUSED</c>).
    /// </summary>
    /// <param name="request">The command.</param>
    /// <param name="idempotencyKey">1–255 characters, unique per logical submission (per account); null sends none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<string> RunAsync(RunCommandRequest request, string? idempotencyKey, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, "api/v1/run-ffmpeg-command", Json(request, RenditionJsonContext.Default.RunCommandRequest),
            RenditionJsonContext.Default.SubmitCommandResponse, cancellationToken, idempotencyKey).ConfigureAwait(false)).CommandId;

    /// <summary>Submits a chain of 1–10 steps run in one directory (<c>POST /api/v1/run-chained-ffmpeg-commands</c>).</summary>
    public Task<string> RunChainedAsync(RunChainedRequest request, CancellationToken cancellationToken = default) =>
        RunChainedAsync(request, idempotencyKey: null, cancellationToken);

    /// <summary>Submits a chain with an <c>Idempotency-Key</c>; see <see cref="RunAsync(RunCommandRequest, string, CancellationToken)"/>.</summary>
    public async Task<string> RunChainedAsync(RunChainedRequest request, string? idempotencyKey, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, "api/v1/run-chained-ffmpeg-commands", Json(request, RenditionJsonContext.Default.RunChainedRequest),
            RenditionJsonContext.Default.SubmitCommandResponse, cancellationToken, idempotencyKey).ConfigureAwait(false)).CommandId;

    /// <summary>Submits 1–10 independent commands (<c>POST /api/v1/run-multiple-ffmpeg-commands</c>); ids in request order.</summary>
    public Task<IReadOnlyList<string>> RunMultipleAsync(RunMultipleRequest request, CancellationToken cancellationToken = default) =>
        RunMultipleAsync(request, idempotencyKey: null, cancellationToken);

    /// <summary>Submits a batch with an <c>Idempotency-Key</c>; see <see cref="RunAsync(RunCommandRequest, string, CancellationToken)"/>.</summary>
    public async Task<IReadOnlyList<string>> RunMultipleAsync(RunMultipleRequest request, string? idempotencyKey, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, "api/v1/run-multiple-ffmpeg-commands", Json(request, RenditionJsonContext.Default.RunMultipleRequest),
            RenditionJsonContext.Default.SubmitMultipleResponse, cancellationToken, idempotencyKey).ConfigureAwait(false)).CommandIds;

    /// <summary>Polls a command once (<c>GET /api/v1/commands/:id</c>).</summary>
    public Task<CommandResult> GetAsync(string commandId, CancellationToken cancellationToken = default) =>
        GetCommandAsync(commandId, waitSeconds: 0, cancellationToken);

    /// <summary>
    /// Waits until the command is <c>SUCCESS</c> or <c>FAILED</c> and returns it. Each poll asks the server to hold the request
    /// (<c>?wait=</c>, up to <see cref="RenditionClientOptions.LongPollWait"/>); a server that ignores it answers at once, and
    /// then the next poll comes after a backoff (250 ms doubling to 5 s), so either kind of server is polled politely.
    /// </summary>
    /// <exception cref="TimeoutException">The command was not final within <paramref name="timeout"/> (default 10 minutes).</exception>
    public async Task<CommandResult> WaitAsync(string commandId, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? TimeSpan.FromMinutes(10);
        var started = _options.TimeProvider.GetTimestamp();
        var backoff = FirstBackoff;
        while (true)
        {
            var remaining = limit - _options.TimeProvider.GetElapsedTime(started);
            var waitSeconds = (int)Math.Min(Math.Min(remaining.TotalSeconds, _options.LongPollWait.TotalSeconds), ServerMaxWaitSeconds);
            var callStarted = _options.TimeProvider.GetTimestamp();
            var result = await GetCommandAsync(commandId, Math.Max(waitSeconds, 0), cancellationToken).ConfigureAwait(false);
            if (result.IsFinal)
            {
                return result;
            }
            remaining = limit - _options.TimeProvider.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Command {commandId} was still {result.Status} after {limit.TotalSeconds:0.#} s.");
            }
            // An answer that came back well before the wait we asked for means the server did not hold it (no ?wait= support, or a
            // status change short of final): back off so we do not hammer it. A held request already spaced the polls out.
            var held = _options.TimeProvider.GetElapsedTime(callStarted);
            if (waitSeconds <= 0 || held < TimeSpan.FromSeconds(waitSeconds) / 2)
            {
                await Task.Delay(backoff < remaining ? backoff : remaining, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                backoff = backoff * 2 < MaxBackoff ? backoff * 2 : MaxBackoff;
            }
            else
            {
                backoff = FirstBackoff;
            }
        }
    }

    /// <summary>Lists commands newest first (<c>GET /api/v1/commands</c>); filters are optional.</summary>
    /// <param name="limit">Page size (server default 50, at most 100).</param>
    /// <param name="offset">How many to skip.</param>
    /// <param name="status">Only this status (see <see cref="CommandStatuses"/>).</param>
    /// <param name="commandType">Only this type (see <see cref="CommandTypes"/>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<CommandList> ListAsync(int? limit = null, int? offset = null, string? status = null, string? commandType = null,
        CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "api/v1/commands" + Query(("limit", Str(limit)), ("offset", Str(offset)), ("status", status), ("command_type", commandType)),
            null, RenditionJsonContext.Default.CommandList, cancellationToken);

    /// <summary>Deletes a finished command's stored outputs (<c>DELETE /api/v1/commands/:id/files</c>); 409 while it runs.</summary>
    public Task<DeleteCommandFilesResponse> DeleteFilesAsync(string commandId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"api/v1/commands/{Escape(commandId)}/files", null, RenditionJsonContext.Default.DeleteCommandFilesResponse, cancellationToken);

    /// <summary>The command's webhook deliveries and their attempts (a Rendition extension).</summary>
    public Task<WebhookDeliveryList> GetWebhookDeliveriesAsync(string commandId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/v1/commands/{Escape(commandId)}/webhook-deliveries", null, RenditionJsonContext.Default.WebhookDeliveryList, cancellationToken);

    /// <summary>Queues a fresh webhook delivery of a finished command (a Rendition extension); returns the delivery id.</summary>
    public async Task<string> RedeliverWebhookAsync(string commandId, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, $"api/v1/commands/{Escape(commandId)}/webhook-deliveries/redeliver", null,
            RenditionJsonContext.Default.RedeliverResponse, cancellationToken).ConfigureAwait(false)).DeliveryId;

    // ---- Job control (Rendition extensions; RenderIO answers 404) ----

    /// <summary>
    /// Cancels a queued or running command (<c>POST /api/v1/commands/:id/cancel</c>) and returns it, normally already
    /// <c>FAILED</c> with <c>error_status</c> <c>CANCELLED</c>; 409 <c>CONFLICT</c> when it had already finished.
    /// </summary>
    public Task<CommandResult> CancelAsync(string commandId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"api/v1/commands/{Escape(commandId)}/cancel", null, RenditionJsonContext.Default.CommandResult, cancellationToken);

    /// <summary>ffmpeg's output of the command so far, banner-free (<c>GET /api/v1/commands/:id/log</c>; empty before it ran).</summary>
    public async Task<string> GetLogAsync(string commandId, CancellationToken cancellationToken = default)
    {
        using var request = NewRequest(HttpMethod.Get, $"api/v1/commands/{Escape(commandId)}/log", "text/plain");
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await ThrowIfErrorAsync(response, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Follows a command live (<c>GET /api/v1/commands/:id/events</c>, Server-Sent Events): a <see cref="CommandEventKind.Status"/>
    /// event whenever its status or progress changes, then one <see cref="CommandEventKind.End"/> event carrying the final
    /// command, after which the sequence completes. If the connection drops before that, the sequence just ends: check
    /// with <see cref="GetAsync"/> (or <see cref="WaitAsync"/>) and follow again if you like. Read the events promptly; the
    /// server writes them as they happen.
    /// </summary>
    /// <exception cref="RenditionApiException">404 for an unknown command, or a server without the extension (RenderIO).</exception>
    public async IAsyncEnumerable<CommandEvent> StreamEventsAsync(string commandId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var request = NewRequest(HttpMethod.Get, $"api/v1/commands/{Escape(commandId)}/events", "text/event-stream");
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await ThrowIfErrorAsync(response, cancellationToken).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var parser = SseParser.Create(stream, static (type, data) => ParseEvent(type, data));
            await foreach (var item in parser.EnumerateAsync(cancellationToken).ConfigureAwait(false))
            {
                if (item.Data is not { } e)
                {
                    continue;
                }
                yield return e;
                if (e.Kind == CommandEventKind.End)
                {
                    yield break;
                }
            }
        }
    }

    /// <summary>One SSE item as a typed event; events of kinds this client does not know are skipped (null).</summary>
    private static CommandEvent? ParseEvent(string type, ReadOnlySpan<byte> data)
    {
        try
        {
            switch (type)
            {
                case "status":
                    var status = JsonSerializer.Deserialize(data, RenditionJsonContext.Default.CommandStatusEvent)
                        ?? throw new RenditionApiException("The event stream sent an empty status event.");
                    return new CommandEvent(CommandEventKind.Status, status.Status, status.Progress, null);
                case "end":
                    var result = JsonSerializer.Deserialize(data, RenditionJsonContext.Default.CommandResult)
                        ?? throw new RenditionApiException("The event stream sent an empty end event.");
                    return new CommandEvent(CommandEventKind.End, result.Status, result.Progress, result);
                default:
                    return null;
            }
        }
        catch (JsonException e)
        {
            throw new RenditionApiException($"The event stream sent a '{type}' event that is not the expected JSON.", e);
        }
    }

    // ---- Files ----

    /// <summary>Uploads a stream as multipart field <c>file</c> (<c>POST /api/v1/files/upload</c>); returns the file id.</summary>
    /// <param name="content">Read to the end and streamed, not buffered; not disposed.</param>
    /// <param name="fileName">The name the file is stored under (its extension matters to ffmpeg).</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    public async Task<string> UploadFileAsync(Stream content, string fileName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        using var form = new MultipartFormDataContent();
        // Owned by the form but must not close the caller's stream: wrap it.
        var part = new StreamContent(new NonClosingStream(content));
        part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(part, "file", fileName);
        var response = await SendAsync(HttpMethod.Post, "api/v1/files/upload", form, RenditionJsonContext.Default.FileIdResponse, cancellationToken).ConfigureAwait(false);
        return response.FileId;
    }

    /// <summary>Uploads a local file; see <see cref="UploadFileAsync(Stream, string, CancellationToken)"/>.</summary>
    public async Task<string> UploadFileAsync(string path, CancellationToken cancellationToken = default)
    {
        var stream = File.OpenRead(path);
        await using (stream.ConfigureAwait(false))
        {
            return await UploadFileAsync(stream, Path.GetFileName(path), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Has the server fetch a URL into storage in the background (<c>POST /api/v1/files/store-file</c>); returns the file id.</summary>
    public async Task<string> StoreFileAsync(string fileUrl, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, "api/v1/files/store-file", Json(new StoreFileRequest { FileUrl = fileUrl }, RenditionJsonContext.Default.StoreFileRequest),
            RenditionJsonContext.Default.FileIdResponse, cancellationToken).ConfigureAwait(false)).FileId;

    /// <summary>A file's metadata (<c>GET /api/v1/files/:id</c>); <c>status</c> goes <c>PROCESSING</c> → <c>STORED</c> or <c>FAILED</c>.</summary>
    public Task<StoredFile> GetFileAsync(string fileId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/v1/files/{Escape(fileId)}", null, RenditionJsonContext.Default.StoredFile, cancellationToken);

    /// <summary>Polls a file (with backoff) until it is <c>STORED</c> or <c>FAILED</c>, e.g. after <see cref="StoreFileAsync"/>.</summary>
    /// <exception cref="TimeoutException">Still processing after <paramref name="timeout"/> (default 10 minutes).</exception>
    public async Task<StoredFile> WaitForFileAsync(string fileId, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? TimeSpan.FromMinutes(10);
        var started = _options.TimeProvider.GetTimestamp();
        var backoff = FirstBackoff;
        while (true)
        {
            var file = await GetFileAsync(fileId, cancellationToken).ConfigureAwait(false);
            if (file.Status is not "PROCESSING")
            {
                return file;
            }
            var remaining = limit - _options.TimeProvider.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"File {fileId} was still {file.Status} after {limit.TotalSeconds:0.#} s.");
            }
            await Task.Delay(backoff < remaining ? backoff : remaining, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            backoff = backoff * 2 < MaxBackoff ? backoff * 2 : MaxBackoff;
        }
    }

    /// <summary>Lists files newest first, command outputs included (<c>GET /api/v1/files</c>).</summary>
    public Task<FileList> ListFilesAsync(int? limit = null, int? offset = null, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "api/v1/files" + Query(("limit", Str(limit)), ("offset", Str(offset))), null, RenditionJsonContext.Default.FileList, cancellationToken);

    /// <summary>Deletes a file's bytes; its record stays, with <c>is_deleted</c> (<c>DELETE /api/v1/files/:id</c>).</summary>
    public Task<DeleteFileResponse> DeleteFileAsync(string fileId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"api/v1/files/{Escape(fileId)}", null, RenditionJsonContext.Default.DeleteFileResponse, cancellationToken);

    /// <summary>Deletes up to 1000 files at once (Rendi's <c>POST /v1/files/bulk-delete</c>; RenderIO has no equivalent).</summary>
    public async Task<IReadOnlyList<string>> BulkDeleteFilesAsync(IEnumerable<string> fileIds, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, "v1/files/bulk-delete", Json(new BulkDeleteFilesRequest { FileIds = [.. fileIds] }, RenditionJsonContext.Default.BulkDeleteFilesRequest),
            RenditionJsonContext.Default.BulkDeleteFilesResponse, cancellationToken).ConfigureAwait(false)).DeletedFileIds;

    /// <summary>
    /// Downloads a pre-signed <c>storage_url</c> into <paramref name="destination"/>. The API key is not sent: the URL carries its
    /// own signature and may point at another host (a CDN or object store) that must never see the key.
    /// </summary>
    public async Task DownloadAsync(string storageUrl, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(storageUrl);
        ArgumentNullException.ThrowIfNull(destination);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, storageUrl));
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await ThrowIfErrorAsync(response, cancellationToken).ConfigureAwait(false);
        await response.Content.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
    }

    // ---- Presets ----

    /// <summary>Creates a preset (<c>POST /api/v1/presets</c>); 422 when it could never run, 409 when the name is taken.</summary>
    public Task<Preset> CreatePresetAsync(PresetRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "api/v1/presets", Json(request, RenditionJsonContext.Default.PresetRequest), RenditionJsonContext.Default.Preset, cancellationToken);

    /// <summary>The account's presets (<c>GET /api/v1/presets</c>).</summary>
    public async Task<IReadOnlyList<Preset>> ListPresetsAsync(CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Get, "api/v1/presets", null, RenditionJsonContext.Default.PresetList, cancellationToken).ConfigureAwait(false)).Presets;

    /// <summary>One preset (<c>GET /api/v1/presets/:id</c>).</summary>
    public Task<Preset> GetPresetAsync(string presetId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, $"api/v1/presets/{Escape(presetId)}", null, RenditionJsonContext.Default.Preset, cancellationToken);

    /// <summary>Changes the non-null fields of <paramref name="request"/> (<c>PUT /api/v1/presets/:id</c>); returns the result.</summary>
    public Task<Preset> UpdatePresetAsync(string presetId, PresetRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, $"api/v1/presets/{Escape(presetId)}", Json(request, RenditionJsonContext.Default.PresetRequest), RenditionJsonContext.Default.Preset, cancellationToken);

    /// <summary>Deletes a preset (<c>DELETE /api/v1/presets/:id</c>).</summary>
    public async Task DeletePresetAsync(string presetId, CancellationToken cancellationToken = default) =>
        await SendAsync(HttpMethod.Delete, $"api/v1/presets/{Escape(presetId)}", null, RenditionJsonContext.Default.SuccessResponse, cancellationToken).ConfigureAwait(false);

    /// <summary>Runs a preset with these inputs and variable values (<c>POST /api/v1/presets/:id/execute</c>); returns the command id.</summary>
    public Task<string> ExecutePresetAsync(string presetId, PresetExecuteRequest request, CancellationToken cancellationToken = default) =>
        ExecutePresetAsync(presetId, request, idempotencyKey: null, cancellationToken);

    /// <summary>Runs a preset with an <c>Idempotency-Key</c>; see <see cref="RunAsync(RunCommandRequest, string, CancellationToken)"/>.</summary>
    public async Task<string> ExecutePresetAsync(string presetId, PresetExecuteRequest request, string? idempotencyKey, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, $"api/v1/presets/{Escape(presetId)}/execute", Json(request, RenditionJsonContext.Default.PresetExecuteRequest),
            RenditionJsonContext.Default.SubmitCommandResponse, cancellationToken, idempotencyKey).ConfigureAwait(false)).CommandId;

    // ---- Webhook configuration ----

    /// <summary>The account's webhook configuration (<c>GET /api/v1/webhook-config</c>).</summary>
    public Task<WebhookConfig> GetWebhookConfigAsync(CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Get, "api/v1/webhook-config", null, RenditionJsonContext.Default.WebhookConfig, cancellationToken);

    /// <summary>
    /// Sets (and re-enables) the account's webhook (<c>PUT /api/v1/webhook-config</c>). Without a secret the server keeps the existing
    /// one or generates one, returned in <see cref="WebhookConfigSetResponse.Secret"/> this once.
    /// </summary>
    public Task<WebhookConfigSetResponse> SetWebhookConfigAsync(WebhookConfigRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, "api/v1/webhook-config", Json(request, RenditionJsonContext.Default.WebhookConfigRequest),
            RenditionJsonContext.Default.WebhookConfigSetResponse, cancellationToken);

    /// <summary>Turns the account's webhook off (<c>DELETE /api/v1/webhook-config</c>); 404 when none is configured.</summary>
    public async Task DeleteWebhookConfigAsync(CancellationToken cancellationToken = default) =>
        await SendAsync(HttpMethod.Delete, "api/v1/webhook-config", null, RenditionJsonContext.Default.SuccessResponse, cancellationToken).ConfigureAwait(false);

    // ---- Plumbing ----

    private Task<CommandResult> GetCommandAsync(string commandId, int waitSeconds, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, $"api/v1/commands/{Escape(commandId)}" + Query(("wait", waitSeconds > 0 ? Str(waitSeconds) : null)),
            null, RenditionJsonContext.Default.CommandResult, cancellationToken);

    private HttpRequestMessage NewRequest(HttpMethod method, string path, string accept)
    {
        var request = new HttpRequestMessage(method, new Uri(_base, path));
        if (_options.ApiKey is { Length: > 0 } key)
        {
            request.Headers.TryAddWithoutValidation(ApiKeyHeader, key);
        }
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        return request;
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> type, CancellationToken cancellationToken,
        string? idempotencyKey = null)
    {
        using var request = NewRequest(method, path, "application/json");
        request.Content = content;
        if (idempotencyKey is not null)
        {
            ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
            request.Headers.TryAddWithoutValidation(IdempotencyKeyHeader, idempotencyKey);
        }
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await ThrowIfErrorAsync(response, cancellationToken).ConfigureAwait(false);
        try
        {
            return await response.Content.ReadFromJsonAsync(type, cancellationToken).ConfigureAwait(false)
                ?? throw new RenditionApiException(response.StatusCode, "INVALID_RESPONSE", $"{method} {path} answered an empty body.");
        }
        catch (JsonException e)
        {
            throw new RenditionApiException($"{method} {path} answered {(int)response.StatusCode} with a body that is not the expected JSON.", e);
        }
    }

    private static async Task ThrowIfErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        ErrorResponse? body = null;
        try
        {
            body = text.Length > 0 ? JsonSerializer.Deserialize(text, RenditionJsonContext.Default.ErrorResponse) : null;
        }
        catch (JsonException)
        {
            // Not our error shape (a proxy's HTML page, say): fall back to the status below.
        }
        var status = (int)response.StatusCode;
        var retryAfter = response.Headers.RetryAfter is { } ra
            ? ra.Delta ?? (ra.Date is { } date ? date - DateTimeOffset.UtcNow : null)
            : null;
        throw new RenditionApiException(response.StatusCode,
            body?.Error ?? $"HTTP_{status.ToString(CultureInfo.InvariantCulture)}",
            body?.Message ?? (text.Length is > 0 and <= 500 ? text : $"The server answered {status} {response.ReasonPhrase}."),
            body?.Details, retryAfter);
    }

    private static JsonContent Json<T>(T value, JsonTypeInfo<T> type) => JsonContent.Create(value, type);

    private static string Escape(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return Uri.EscapeDataString(id);
    }

    private static string? Str(int? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var parts = parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    /// <summary>Lets the multipart content read the caller's stream without closing it when the content is disposed.</summary>
    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
