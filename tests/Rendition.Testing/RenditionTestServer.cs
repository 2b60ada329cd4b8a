using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Rendition.Server;

namespace Rendition.Testing;

/// <summary>The real Rendition server on a loopback port with a temporary data directory.</summary>
public sealed class RenditionTestServer : IAsyncDisposable
{
    public const string ApiKey = "ffsk_0000000000000000000000000000000000000000000000000000000000000001";

    private WebApplication? _app;
    private readonly Dictionary<string, string?> _settings;

    private RenditionTestServer(string dataDir, int port, Dictionary<string, string?> settings)
    {
        DataDir = dataDir;
        BaseUrl = $"http://127.0.0.1:{port}";
        _settings = settings;
        Http = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
        Http.DefaultRequestHeaders.Add("X-API-KEY", ApiKey);
    }

    public string DataDir { get; }

    public string BaseUrl { get; }

    /// <summary>A client that sends the bootstrap account's key.</summary>
    public HttpClient Http { get; }

    public IServiceProvider Services => _app!.Services;

    public static async Task<RenditionTestServer> StartAsync(bool allowPrivateUrls = true, int workers = 2, string? dataDir = null,
        IDictionary<string, string?>? extraSettings = null)
    {
        dataDir ??= Directory.CreateTempSubdirectory("rendition-test-").FullName;
        var port = LoopbackPort.Free();
        var settings = new Dictionary<string, string?>
        {
            ["urls"] = $"http://127.0.0.1:{port}",
            ["RENDITION_DATA_DIR"] = dataDir,
            ["RENDITION_PUBLIC_URL"] = $"http://127.0.0.1:{port}",
            ["RENDITION_BOOTSTRAP_API_KEY"] = ApiKey,
            ["RENDITION_ALLOW_PRIVATE_URLS"] = allowPrivateUrls ? "true" : "false",
            ["RENDITION_WORKERS"] = workers.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RENDITION_MAX_COMMAND_RUN_SECONDS"] = "600",
            // The suite shares one key across many polling tests; the limiter has tests of its own.
            ["RENDITION_RATE_LIMIT_PER_MINUTE"] = "0",
            ["RENDITION_SHUTDOWN_GRACE_SECONDS"] = "2",
            ["RENDITION_SUBMIT_LIMIT_PER_MINUTE"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in extraSettings ?? new Dictionary<string, string?>())
        {
            settings[k] = v;
        }
        var server = new RenditionTestServer(dataDir, port, settings);
        await server.StartAppAsync();
        return server;
    }

    private async Task StartAppAsync()
    {
        _app = RenditionApp.Build([], _settings);
        await _app.Services.GetRequiredService<Bootstrapper>().PrepareAsync(printFirstKey: false, CancellationToken.None);
        await _app.StartAsync();
    }

    /// <summary>Stops the process's server (as a shutdown would) and starts a new one on the same data directory and port.</summary>
    public async Task RestartAsync(Func<Task>? whileStopped = null)
    {
        await StopAppAsync();
        if (whileStopped is not null)
        {
            await whileStopped();
        }
        await StartAppAsync();
    }

    private async Task StopAppAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }

    /// <summary>A new account with its own key, and a client that sends it.</summary>
    public async Task<HttpClient> CreateAccountClientAsync(string? name = null) => (await CreateAccountAsync(name)).Client;

    /// <summary>A new account with its own key: its id, and a client that sends the key.</summary>
    public async Task<(Guid AccountId, HttpClient Client)> CreateAccountAsync(string? name = null)
    {
        var accounts = Services.GetRequiredService<Rendition.Core.Storage.IAccountStore>();
        var account = await accounts.CreateAccountAsync(name ?? $"acct-{Guid.NewGuid():N}", CancellationToken.None);
        var key = Rendition.Core.Security.ApiKeys.Generate();
        await accounts.AddKeyAsync(account.Id, Rendition.Core.Security.ApiKeys.ForStorage(key), "test", CancellationToken.None);
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Add("X-API-KEY", key);
        return (account.Id, client);
    }

    public static StringContent Json(object body) =>
        new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    public static StringContent Json(string raw) => new(raw, Encoding.UTF8, "application/json");

    /// <summary>Submits and returns the command id, asserting the 200 and body shape.</summary>
    public async Task<string> SubmitAsync(object body, string path = "/api/v1/run-ffmpeg-command", HttpClient? client = null)
    {
        var response = await (client ?? Http).PostAsync(path, Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"submit answered {(int)response.StatusCode}: {text}");
        var id = JsonNode.Parse(text)!["command_id"]!.GetValue<string>();
        Assert.True(Guid.TryParse(id, out _), $"command_id is not a UUID: {id}");
        return id;
    }

    /// <summary>Polls until SUCCESS or FAILED (as the seed clients do) and returns the final poll object.</summary>
    public Task<JsonObject> WaitAsync(string commandId, string prefix = "/api/v1", TimeSpan? timeout = null, HttpClient? client = null) =>
        WaitFinalAsync(client ?? Http, commandId, prefix, timeout);

    /// <summary>Polls any server (in process or not) through <paramref name="client"/> until the command is SUCCESS or FAILED.</summary>
    public static async Task<JsonObject> WaitFinalAsync(HttpClient client, string commandId, string prefix = "/api/v1", TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(120));
        while (true)
        {
            var poll = (await client.GetFromJsonAsync<JsonObject>($"{prefix}/commands/{commandId}"))!;
            var status = poll["status"]!.GetValue<string>();
            if (status is "SUCCESS" or "FAILED")
            {
                return poll;
            }
            Assert.Contains(status, new[] { "QUEUED", "PROCESSING" });
            Assert.True(DateTime.UtcNow < deadline, $"command {commandId} still {status} after the timeout");
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await StopAppAsync();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
