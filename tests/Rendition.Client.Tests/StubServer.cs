using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Rendition.Testing;

namespace Rendition.Client.Tests;

/// <summary>
/// A loopback HTTP server whose every answer the test decides: stands in for a server without <c>?wait=</c> support, or one that
/// fails, where the real server cannot be made to behave that way on demand.
/// </summary>
public sealed class StubServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StubServer(WebApplication app, int port)
    {
        _app = app;
        BaseUrl = $"http://127.0.0.1:{port}";
    }

    public sealed record Seen(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers);

    public string BaseUrl { get; }

    public ConcurrentQueue<Seen> Requests { get; } = new();

    public static async Task<StubServer> StartAsync(Func<HttpContext, Task<IResult>> answer)
    {
        var port = LoopbackPort.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var stub = new StubServer(app, port);
        app.Run(async context =>
        {
            stub.Requests.Enqueue(new Seen(context.Request.Method, context.Request.Path + context.Request.QueryString,
                context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString())));
            var result = await answer(context);
            await result.ExecuteAsync(context);
        });
        await app.StartAsync();
        return stub;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
