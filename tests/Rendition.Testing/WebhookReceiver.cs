using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Rendition.Testing;

/// <summary>
/// A loopback HTTP receiver that records every webhook POST (raw body, headers, arrival time) and answers as told per path:
/// 200, 500 for the first few, after a delay, or never (the connection is accepted and the request read, then nothing).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _counts = new();
    private readonly ConcurrentDictionary<string, int> _open = new();

    private WebhookReceiver(WebApplication app, int port)
    {
        _app = app;
        BaseUrl = $"http://127.0.0.1:{port}";
    }

    public sealed record Received(string Path, byte[] Body, IReadOnlyDictionary<string, string> Headers, DateTimeOffset ReceivedAt);

    public string BaseUrl { get; }

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>Per path: how many first requests fail with 500 before it answers 200 (int.MaxValue: always fail).</summary>
    public ConcurrentDictionary<string, int> FailFirst { get; } = new();

    /// <summary>Per path: how long to wait before answering 200.</summary>
    public ConcurrentDictionary<string, TimeSpan> Delay { get; } = new();

    /// <summary>Paths that never answer (until the sender gives up and closes the connection).</summary>
    public ConcurrentDictionary<string, bool> Hang { get; } = new();

    /// <summary>Per path: the most requests it had open at once.</summary>
    public ConcurrentDictionary<string, int> MaxOpen { get; } = new();

    public string Url(string path) => $"{BaseUrl}/hook/{path}";

    public IReadOnlyList<Received> For(string path) => [.. Requests.Where(r => r.Path == path)];

    public static async Task<WebhookReceiver> StartAsync()
    {
        var port = LoopbackPort.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, port);
        var stopping = app.Lifetime.ApplicationStopping;
        app.MapPost("/hook/{name}", async (string name, HttpRequest request) =>
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            receiver.Requests.Enqueue(new Received(name, buffer.ToArray(),
                request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), DateTimeOffset.UtcNow));
            var n = receiver._counts.AddOrUpdate(name, 1, (_, c) => c + 1);
            var open = receiver._open.AddOrUpdate(name, 1, (_, c) => c + 1);
            receiver.MaxOpen.AddOrUpdate(name, open, (_, max) => Math.Max(max, open));
            try
            {
                using var gone = CancellationTokenSource.CreateLinkedTokenSource(request.HttpContext.RequestAborted, stopping);
                if (receiver.Hang.ContainsKey(name))
                {
                    await Task.Delay(Timeout.Infinite, gone.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                    return Results.Empty;
                }
                if (receiver.Delay.TryGetValue(name, out var delay))
                {
                    await Task.Delay(delay, gone.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                }
            }
            finally
            {
                receiver._open.AddOrUpdate(name, 0, (_, c) => c - 1);
            }
            return n <= receiver.FailFirst.GetValueOrDefault(name) ? Results.StatusCode(500) : Results.Ok();
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Waits until <paramref name="path"/> has received at least <paramref name="count"/> requests.</summary>
    public async Task<IReadOnlyList<Received>> WaitForAsync(string path, int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (For(path).Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{path} received {For(path).Count} of {count} webhook(s)");
            await Task.Delay(50);
        }
        return For(path);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
